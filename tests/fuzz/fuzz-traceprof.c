/*
 * fuzz-traceprof.c - the pinch trace recording reader on arbitrary bytes:
 * event chunks (varints, nesting), agent call trees (parents, sizes),
 * clocks; then every table, the profile and the Chrome trace.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/profile.h"
#include "model/recfile.h"
#include "model/traceprof.h"

volatile uint64_t sink;	/* keeps the reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader *r;
	struct traceprof *tp;
	char err[256];

	if (rec_reader_open_mem(&r, data, size, err, sizeof(err)))
		return 0;
	if (traceprof_build(r, &tp, NULL, err, sizeof(err)) == 0) {
		for (size_t i = 0; i <= traceprof_n_threads(tp); i++) {
			struct traceprof_table t;

			if (traceprof_table(tp, i == traceprof_n_threads(tp) ? TRACEPROF_ALL : i, &t))
				continue;
			for (size_t k = 0; k < t.n_edges; k++)
				sink += t.edges[k].ncalls + t.edges[k].cumtime;
			sink += t.total_ns;
			traceprof_table_release(&t);
		}
		{
			struct profile *p = traceprof_profile(tp);
			FILE *f = fopen("/dev/null", "w");

			if (p)
				sink += profile_n_samples(p);
			profile_free(p);
			if (f) {
				sink += (uint64_t)traceprof_chrome(tp, r, f);
				fclose(f);
			}
		}
		traceprof_free(tp);
	}
	rec_reader_close(r);
	return 0;
}
