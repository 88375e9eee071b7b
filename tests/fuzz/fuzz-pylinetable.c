/*
 * fuzz-pylinetable.c - the co_linetable decoder on arbitrary bytes: the
 * first 4 bytes are the first line, the rest the table; decode, look up
 * every code unit both ways, never read past the table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/pylinetable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_linerange r[512];
	int32_t first;
	size_t n;
	uint8_t *tab;
	volatile int64_t sink = 0;

	if (size < 4)
		return 0;
	memcpy(&first, data, 4);
	/* An exact-size copy so ASan sees any read past the end. */
	tab = malloc(size - 4 ? size - 4 : 1);
	if (!tab)
		return 0;
	memcpy(tab, data + 4, size - 4);
	py_linetable_decode(tab, size - 4, first, r, 512, &n);
	for (int64_t a = -2; a < 2048; a += 2) {
		sink += py_linerange_find(r, n, first, a);
		sink += py_linetable_line(tab, size - 4, first, a);
	}
	free(tab);
	return 0;
}
