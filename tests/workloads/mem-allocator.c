/*
 * mem-allocator.c - a program linked with another allocator (built twice:
 * -DUSE_JEMALLOC with -ljemalloc, -DUSE_TCMALLOC with -ltcmalloc) makes a
 * known set of calls, then prints the allocator's own statistics, so a run
 * under pinch mem can be compared with a plain run (the program must keep
 * its allocator) and pinch's figures with the truth:
 *   keep_small   10 x malloc(100), kept                   1000 B in 10
 *   churn         5 x calloc(3, 40), freed                  600 B in 5
 *   grow         malloc(50) -> realloc(5000), freed        5050 B in 2
 *   aligned      posix_memalign(64, 200) + aligned_alloc(4096, 8192)
 *                + memalign(256, 300) + valloc(5000), kept 13692 B in 4
 *   allocated in all 21 calls, 20342 B; in use at exit 14692 B in 14.
 * Output: "allocator NAME" then "stat KEY VALUE" lines.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef USE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#ifdef USE_TCMALLOC
#include <gperftools/malloc_extension_c.h>
#endif

static void *volatile sink[16];

__attribute__((noinline)) static void keep_small(void)
{
	for (int i = 0; i < 10; i++)
		sink[i] = malloc(100);
}

__attribute__((noinline)) static void churn(void)
{
	for (int i = 0; i < 5; i++) {
		char *p = calloc(3, 40);

		p[0] = 1;
		free(p);
	}
}

__attribute__((noinline)) static void grow(void)
{
	char *p = malloc(50);

	memset(p, 1, 50);
	p = realloc(p, 5000);
	p[4999] = 2;
	free(p);
}

__attribute__((noinline)) static void aligned(void)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, 200))
		abort();
	sink[10] = p;
	sink[11] = aligned_alloc(4096, 8192);
	sink[12] = memalign(256, 300);
	sink[13] = valloc(5000);
}

static void stats(void)
{
#ifdef USE_JEMALLOC
	static const char *const keys[] = {
		"stats.allocated", "stats.arenas.4096.small.nrequests", "stats.arenas.4096.large.nrequests",
		"stats.arenas.4096.small.ndalloc", "stats.arenas.4096.large.ndalloc",
	};
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch);

	printf("allocator jemalloc\n");
	mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	mallctl("epoch", &epoch, &sz, &epoch, sz);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint64_t v64 = 0;
		size_t v = 0;
		int rc;

		if (i == 0) {
			sz = sizeof(v);
			rc = mallctl(keys[i], &v, &sz, NULL, 0);
			v64 = v;
		} else {
			sz = sizeof(v64);
			rc = mallctl(keys[i], &v64, &sz, NULL, 0);
		}
		if (rc)
			printf("stat %s error %d\n", keys[i], rc);
		else
			printf("stat %s %llu\n", keys[i], (unsigned long long)v64);
	}
#endif
#ifdef USE_TCMALLOC
	size_t v = 0;

	printf("allocator tcmalloc\n");
	if (MallocExtension_GetNumericProperty("generic.current_allocated_bytes", &v))
		printf("stat generic.current_allocated_bytes %zu\n", v);
	else
		printf("stat generic.current_allocated_bytes unknown\n");
#endif
}

int main(void)
{
	keep_small();
	churn();
	grow();
	aligned();
	stats();
	return 0;
}
