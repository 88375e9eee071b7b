/*
 * diskstats.c - /proc/diskstats and iostat -x's arithmetic (see
 * diskstats.h). Field meanings: Documentation/admin-guide/iostats.rst.
 */
#include "model/diskstats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

int diskstats_parse(const char *buf, size_t len, struct disk_stat **out, size_t *n)
{
	struct disk_stat *v = NULL, *nv, d;
	size_t cap = 0, cnt = 0, i = 0;
	char line[512];

	*out = NULL;
	*n = 0;
	while (i < len) {
		size_t j = 0;
		char name[64];
		unsigned long long f[11];

		while (i < len && buf[i] != '\n') {
			if (j < sizeof(line) - 1)
				line[j++] = buf[i] ? buf[i] : ' ';
			i++;
		}
		i++;
		line[j] = 0;
		memset(&d, 0, sizeof(d));
		if (sscanf(line, " %u %u %63s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &d.major, &d.minor, name, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
			   &f[8], &f[9], &f[10]) != 14)
			continue;
		snprintf(d.name, sizeof(d.name), "%.31s", name);
		d.rd_ios = f[0];
		d.rd_merges = f[1];
		d.rd_sectors = f[2];
		d.rd_ticks = f[3];
		d.wr_ios = f[4];
		d.wr_merges = f[5];
		d.wr_sectors = f[6];
		d.wr_ticks = f[7];
		d.in_flight = f[8];
		d.io_ticks = f[9];
		d.time_in_queue = f[10];
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = d;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static double delta(uint64_t a, uint64_t b)
{
	return b >= a ? (double)(b - a) : 0.0;
}

void diskstats_rate(const struct disk_stat *p, const struct disk_stat *c, double dt,
		    struct disk_rate *r)
{
	double rd = delta(p->rd_ios, c->rd_ios), wr = delta(p->wr_ios, c->wr_ios);
	double rm = delta(p->rd_merges, c->rd_merges), wm = delta(p->wr_merges, c->wr_merges);
	double rs = delta(p->rd_sectors, c->rd_sectors), ws = delta(p->wr_sectors, c->wr_sectors);

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", c->name);
	if (dt <= 0)
		return;
	r->r_s = rd / dt;
	r->w_s = wr / dt;
	r->rkb_s = rs / 2.0 / dt;	/* 512-byte sectors */
	r->wkb_s = ws / 2.0 / dt;
	r->rrqm_s = rm / dt;
	r->wrqm_s = wm / dt;
	r->r_await = rd ? delta(p->rd_ticks, c->rd_ticks) / rd : 0;
	r->w_await = wr ? delta(p->wr_ticks, c->wr_ticks) / wr : 0;
	r->rareq_sz = rd ? rs / 2.0 / rd : 0;
	r->wareq_sz = wr ? ws / 2.0 / wr : 0;
	r->aqu_sz = delta(p->time_in_queue, c->time_in_queue) / (dt * 1000.0);
	r->util = delta(p->io_ticks, c->io_ticks) / (dt * 1000.0) * 100.0;
	if (r->util > 100.0)
		r->util = 100.0;
}

int diskstats_interesting(const struct disk_stat *d)
{
	if (!strncmp(d->name, "loop", 4) || !strncmp(d->name, "ram", 3) || !strncmp(d->name, "zram", 4))
		return d->rd_ios + d->wr_ios > 0;
	return 1;
}
