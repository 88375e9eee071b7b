/*
 * fuzz-procstat.c - pinch stat's and pinch top's /proc/PID/stat and
 * /proc/PID/io parsers (proc_stat_parse, proc_io_parse) on arbitrary
 * bytes (NUL-terminated copies, as read_small() hands them over).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/proctree.h"

volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_info pi;
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	memset(&pi, 0, sizeof(pi));
	if (proc_stat_parse(buf, &pi) == 0)
		sink += pi.utime_ns + pi.rss_bytes + (uint64_t)pi.threads + (uint64_t)pi.comm[0];
	proc_io_parse(buf, &pi);
	sink += pi.rchar + pi.write_bytes;
	free(buf);
	return 0;
}
