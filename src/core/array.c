/*
 * array.c - array growth by doubling (core layer), shared by the profile
 * model, the symbolizer and the recording readers.
 */
#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "banned.h"

int array_grow(void **arr, size_t *alloc, size_t need, size_t elem)
{
	size_t n;
	void *p;

	if (need <= *alloc)
		return 0;
	if (!elem || need > SIZE_MAX / 2 / elem)
		return -ENOMEM;
	n = *alloc ? *alloc : 16;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*alloc = n;
	return 0;
}
