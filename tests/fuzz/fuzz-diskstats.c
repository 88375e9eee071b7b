/*
 * fuzz-diskstats.c - pinch io's /proc/diskstats parser and the iostat
 * arithmetic on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/diskstats.h"

volatile double sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk_stat *d;
	struct disk_rate r;
	size_t n;

	if (diskstats_parse((const char *)data, size, &d, &n) == 0) {
		for (size_t i = 1; i < n; i++) {
			diskstats_rate(&d[i - 1], &d[i], 1.0, &r);
			sink += r.util + r.aqu_sz + r.r_await + (double)diskstats_interesting(&d[i]);
		}
		free(d);
	}
	return 0;
}
