/*
 * fuzz-agentstream.c - the CPU agent's record stream reader on arbitrary
 * bytes (they come from inside the profiled program): every indexed
 * record lies inside the buffer and the index is sorted by time.
 */
#include <stdint.h>
#include <stdlib.h>

#include "collect/agentstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agentstream_rec *v;
	size_t n, i;
	int torn;

	if (agentstream_index(data, size, &v, &n, &torn))
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i].off > size || v[i].size > size - v[i].off)
			abort();
		if (i && v[i].time < v[i - 1].time)
			abort();
	}
	free(v);
	return 0;
}
