/*
 * hdrlog.h - the histogram log of a load run: one text line per interval
 * with the interval's latency histogram (hist_encode, base64), then a
 * totals line. Logs of several machines merge into exact combined
 * percentiles (counts add bucket by bucket).
 *
 *   #pinch-load-hdrlog 1
 *   #target http://10.0.0.5/
 *   I <start_ms> <length_ms> <count> <base64 histogram>
 *   T duration_ns=... requests=... ok=... failed=... err.timeout=... status.200=...
 */
#ifndef PINCH_LOAD_HDRLOG_H
#define PINCH_LOAD_HDRLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hist;
struct load_result;

struct load_hdrlog {
	FILE *f;
};

int load_hdrlog_open(struct load_hdrlog *l, const char *path, const char *target,
		     char *err, size_t errlen);
void load_hdrlog_interval(struct load_hdrlog *l, uint64_t start_ns, uint64_t len_ns,
			  const struct hist *h);
/* Writes the totals line and closes. Returns 0 or -EIO. */
int load_hdrlog_finish(struct load_hdrlog *l, const struct load_result *r);

/* Adds the log in text to acc (initialized by load_result_init with no
 * tasks): histograms merge, counts add, the duration is the longest,
 * rates add (the runs are taken to be concurrent). name is for messages. */
int load_hdrlog_merge(struct load_result *acc, const char *name, const char *text, size_t len,
		      char *err, size_t errlen);

#endif
