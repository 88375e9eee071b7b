/*
 * array.h - growing the plain arrays that interning tables and readers
 * keep (pointer + count + capacity), by doubling.
 */
#ifndef PINCH_CORE_ARRAY_H
#define PINCH_CORE_ARRAY_H

#include <stddef.h>

/* Makes *arr (of elem-byte elements, *alloc of them allocated) hold at
 * least need elements. Returns 0, or -ENOMEM leaving *arr untouched. */
int array_grow(void **arr, size_t *alloc, size_t need, size_t elem);

#define ARRAY_GROW(arr, alloc, need) \
	array_grow((void **)&(arr), &(alloc), (need), sizeof(*(arr)))

#endif
