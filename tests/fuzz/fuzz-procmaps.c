/*
 * fuzz-procmaps.c - the /proc/PID/maps parser (pcw_maps_parse_line via
 * procmaps_parse, shared with the CPU agent) on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "collect/procmaps.h"

volatile uint64_t sink;	/* keeps the reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procmaps m = PROCMAPS_INIT;
	size_t bad = 0, i;

	if (procmaps_parse(&m, (const char *)data, size, 0, &bad) == 0)
		for (i = 0; i < m.n; i++)
			sink += m.v[i].end - m.v[i].start + (uint64_t)m.v[i].path[0];
	procmaps_release(&m);
	return 0;
}
