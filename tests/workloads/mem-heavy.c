/*
 * mem-heavy.c - the malloc-heavy benchmark workload (a): N malloc/free
 * pairs (default 10,000,000) over 5 call sites (malloc, calloc,
 * posix_memalign, realloc, malloc), then a leak of 1,000,000 B in 1000
 * blocks and a 64 MiB spike on top of it: peak 68,108,864 B exactly.
 * Usage: mem-heavy [PAIRS]
 */
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

__attribute__((noinline)) static void site_malloc(size_t n)
{
	char *p = malloc(n);
	p[0] = 1;
	sink = p;
	free(p);
}

__attribute__((noinline)) static void site_calloc(size_t n)
{
	char *p = calloc(1, n);
	sink = p;
	free(p);
}

__attribute__((noinline)) static void site_memalign(size_t n)
{
	void *p;

	if (posix_memalign(&p, 32, n))
		abort();
	sink = p;
	free(p);
}

__attribute__((noinline)) static void site_realloc(size_t n)
{
	char *p = realloc(NULL, n);
	p[0] = 1;
	sink = p;
	free(p);
}

__attribute__((noinline)) static void site_small(size_t n)
{
	char *p = malloc(n / 2 + 1);
	p[0] = 1;
	sink = p;
	free(p);
}

__attribute__((noinline)) static void leak(void)
{
	for (int i = 0; i < 1000; i++)
		sink = malloc(1000);
}

__attribute__((noinline)) static void spike(void)
{
	char *p = malloc(64 << 20);
	memset(p, 1, 64 << 20);
	sink = p;
	free(p);
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 10000000;

	for (long i = 0; i < pairs; i++) {
		size_t n = 16 + (size_t)(i & 127);

		switch (i % 5) {
		case 0: site_malloc(n); break;
		case 1: site_calloc(n); break;
		case 2: site_memalign(n); break;
		case 3: site_realloc(n); break;
		default: site_small(n); break;
		}
	}
	leak();
	spike();
	sink = NULL;
	return 0;
}
