/*
 * mem-wrap.c - allocations behind wrappers, with exact figures: caller_a
 * makes 1,000 x 100 B and caller_b 500 x 300 B through my_alloc() (a
 * wrapper pinch cannot know), caller_c 200 x 50 B through xmalloc() (a
 * wrapper it knows, as git's). By default the sites are my_alloc
 * (250,000 B in 1,500 calls) and caller_c (10,000 B in 200 calls); with
 * --alloc-fn my_alloc, caller_a (100,000 B) and caller_b (150,000 B).
 * Everything is freed.
 */
#include <stdlib.h>

static void *keep[1700];
static int nkeep;

__attribute__((noinline)) void *my_alloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) void caller_a(void)
{
	for (int i = 0; i < 1000; i++)
		keep[nkeep++] = my_alloc(100);
}

__attribute__((noinline)) void caller_b(void)
{
	for (int i = 0; i < 500; i++)
		keep[nkeep++] = my_alloc(300);
}

__attribute__((noinline)) void caller_c(void)
{
	for (int i = 0; i < 200; i++)
		keep[nkeep++] = xmalloc(50);
}

int main(void)
{
	caller_a();
	caller_b();
	caller_c();
	for (int i = 0; i < nkeep; i++)
		free(keep[i]);
	return 0;
}
