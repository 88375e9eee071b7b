/*
 * mem-align.c - every aligned allocator. memalign leaks 1,000,000 B (the
 * block heaptrack misses); the others are freed:
 *   memalign(64, 1000000)        leaked
 *   aligned_alloc(4096, 8192)    freed
 *   valloc(3000)                 freed
 *   posix_memalign(256, 500)     freed
 *   pvalloc(100)                 freed (counted as its 100 requested bytes)
 * total 5 calls, 1,011,792 B; peak 1,011,792 B; leaked 1,000,000 B in 1 block.
 */
#include <malloc.h>
#include <stdlib.h>

static void *volatile sink;

int main(void)
{
	void *a = memalign(64, 1000000);
	void *b = aligned_alloc(4096, 8192);
	void *c = valloc(3000);
	void *d = NULL;
	void *e = pvalloc(100);

	if (posix_memalign(&d, 256, 500))
		return 1;
	sink = a;
	free(b);
	free(c);
	free(d);
	free(e);
	sink = NULL;
	return 0;
}
