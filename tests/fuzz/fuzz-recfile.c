/*
 * fuzz-recfile.c - the recording-file reader on arbitrary bytes: open,
 * walk every record, parse samples, never read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "model/recfile.h"

volatile uint64_t sink;	/* keeps the reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader *r;
	struct rec rec;
	struct rec_sample_view v;
	char err[256];

	if (rec_reader_open_mem(&r, data, size, err, sizeof(err)))
		return 0;
	while (rec_reader_next(r, &rec) == 1) {
		if (rec.type == REC_SAMPLE && rec_sample_parse(&rec, &v) == 0) {
			for (uint32_t i = 0; i < v.s->nr_ips; i++)
				sink += v.ips[i];
			for (uint32_t i = 0; i < v.nr_regs; i++)
				sink += v.regs[i];
			if (v.stack && v.s->stack_size)
				sink += v.stack[v.s->stack_size - 1];
		}
	}
	rec_reader_close(r);
	return 0;
}
