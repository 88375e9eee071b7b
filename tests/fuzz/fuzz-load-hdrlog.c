/*
 * fuzz-load-hdrlog.c - fuzz target for the histogram logs that
 * `pinch load merge` reads (src/load/hdrlog.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "load/engine.h"
#include "load/hdrlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_result acc;
	char err[512];

	if (load_result_init(&acc, 0))
		return 0;
	if (!load_hdrlog_merge(&acc, "fuzz", (const char *)data, size, err, sizeof(err)))
		(void)hist_percentile(&acc.lat, 99);
	load_result_release(&acc);
	return 0;
}
