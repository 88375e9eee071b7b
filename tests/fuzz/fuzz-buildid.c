/*
 * fuzz-buildid.c - the ELF build-id note reader (libelf) on arbitrary
 * bytes: never reads out of bounds, never returns more than 20 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/buildid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[BUILDID_MAX];
	char *copy = malloc(size ? size : 1);
	int rc;

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);	/* libelf wants a mutable image */
	rc = buildid_from_mem(copy, size, id);
	if (rc > BUILDID_MAX)
		abort();
	free(copy);
	return 0;
}
