/*
 * fuzz-pgplan.c - pinch db explain's plan reader (pgplan_parse: jansson,
 * the tree, the findings) and the filter-column extraction on arbitrary
 * bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/pgplan.h"

volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgplan p;
	char err[256], cols[64], *s;

	if (pgplan_parse(&p, (const char *)data, size, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < p.n_nodes; i++)
			sink += (uint64_t)p.nodes[i].rows + strlen(p.nodes[i].type);
		for (size_t i = 0; i < p.n_findings; i++)
			sink += strlen(p.findings[i].text);
		pgplan_release(&p);
	}
	s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
		sink += (uint64_t)pgplan_filter_columns(s, cols, sizeof(cols));
		free(s);
	}
	return 0;
}
