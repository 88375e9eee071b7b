/*
 * diskstats.h - /proc/diskstats parsed, and iostat -x's per-device rates
 * from two readings (model layer).
 */
#ifndef PINCH_MODEL_DISKSTATS_H
#define PINCH_MODEL_DISKSTATS_H

#include <stddef.h>
#include <stdint.h>

struct disk_stat {
	char name[32];
	unsigned major, minor;
	uint64_t rd_ios, rd_merges, rd_sectors, rd_ticks;	/* ticks: ms */
	uint64_t wr_ios, wr_merges, wr_sectors, wr_ticks;
	uint64_t in_flight, io_ticks, time_in_queue;
};

/* iostat -x's columns for one device over an interval */
struct disk_rate {
	char name[32];
	double r_s, rkb_s, rrqm_s, r_await, rareq_sz;
	double w_s, wkb_s, wrqm_s, w_await, wareq_sz;
	double aqu_sz, util;
};

/* Parses the text of /proc/diskstats (at least the 14 classic fields per
 * line; malformed lines are skipped). *out is malloc'd. 0 or -ENOMEM. */
int diskstats_parse(const char *buf, size_t len, struct disk_stat **out, size_t *n);

/* The rates of cur over interval_s since prev (the same device; a counter
 * that went backwards reads as 0). */
void diskstats_rate(const struct disk_stat *prev, const struct disk_stat *cur, double interval_s,
		    struct disk_rate *r);

/* Whether a device is worth showing by default: not a loop/ram device
 * without any I/O. */
int diskstats_interesting(const struct disk_stat *d);

#endif
