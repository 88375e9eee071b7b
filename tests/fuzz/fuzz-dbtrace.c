/*
 * fuzz-dbtrace.c - pinch db trace's readers on arbitrary bytes: the agent
 * file reader (dbtrace_add, then the merge) and the SQL normalizer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent/db/sqlnorm.h"
#include "collect/dbtrace.h"

volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbtrace t;
	char out[64];
	size_t n;

	dbtrace_init(&t);
	if (dbtrace_add(&t, data, size) == 0 && dbtrace_finish(&t) == 0)
		for (size_t i = 0; i < t.n_stmts; i++)
			sink += t.stmts[i].calls + strlen(t.stmts[i].text) +
				hist_percentile(&t.stmts[i].hist, 95);
	dbtrace_release(&t);
	n = sqlnorm((const char *)data, size, out, sizeof(out));
	if (n >= sizeof(out) || out[n])
		__builtin_trap();
	sink += n;
	return 0;
}
