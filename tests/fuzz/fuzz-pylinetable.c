/*
 * fuzz-pylinetable.c - the co_linetable decoder on arbitrary bytes: the
 * first 4 bytes are the first line, the rest the table; decode, then look
 * up the code units around every range boundary both ways (decoded ranges
 * and the allocation-free walk), never read past the table, and when the
 * whole table decodes both ways agree. The lookups are bounded (at most
 * MAX_PROBES addresses) so an input costs microseconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/pylinetable.h"

#define MAX_RANGES 512
#define MAX_PROBES 64

volatile int64_t sink;	/* keeps the reads from being optimised away */

static void probe(const uint8_t *tab, size_t len, int32_t first,
		  const struct py_linerange *r, size_t n, int whole, int64_t a)
{
	int32_t x = py_linerange_find(r, n, first, a);
	int32_t y = py_linetable_line(tab, len, first, a);

	if (whole && x != y)
		abort();	/* the two lookups disagree on a valid table */
	sink += (int64_t)x + y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct py_linerange r[MAX_RANGES];
	int32_t first;
	size_t n, i, step;
	uint8_t *tab;
	int rc, whole;

	if (size < 4)
		return 0;
	memcpy(&first, data, 4);
	/* An exact-size copy so ASan sees any read past the end. */
	tab = malloc(size - 4 ? size - 4 : 1);
	if (!tab)
		return 0;
	memcpy(tab, data + 4, size - 4);
	rc = py_linetable_decode(tab, size - 4, first, r, MAX_RANGES, &n);
	whole = rc == 0;
	for (int64_t a = -2; a < 2; a++)
		probe(tab, size - 4, first, r, n, whole, a);
	probe(tab, size - 4, first, r, n, whole, INT64_MAX);
	/* Each range's first and last unit and the one after it; spread
	 * over the table when there are more ranges than probes. */
	step = n > MAX_PROBES / 4 ? n / (MAX_PROBES / 4) + 1 : 1;
	for (i = 0; i < n; i += step) {
		probe(tab, size - 4, first, r, n, whole, r[i].start);
		probe(tab, size - 4, first, r, n, whole, (int64_t)r[i].end - 1);
		probe(tab, size - 4, first, r, n, whole, r[i].end);
	}
	if (n)
		probe(tab, size - 4, first, r, n, whole, r[n - 1].end + 1);
	free(tab);
	return 0;
}
