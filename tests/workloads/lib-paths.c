/*
 * lib-paths.c - hot code reached only through glibc, which Debian builds
 * without frame pointers: a qsort comparator, snprintf of doubles, a
 * bsearch comparator, and a pthread_once initializer. Every sample's
 * stack must reach main through the library frames, and each hot
 * function must have its phase function (the caller above the library)
 * on its stack. Built -fp and -nofp (all of the program without frame
 * pointers too).
 *
 * usage: lib-paths [ROUNDS]   (default 4; about 0.1 s of CPU per round)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work.h"

static volatile uint64_t sink;

__attribute__((noinline)) static int cmp_sort(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	uint64_t v = (uint64_t)x;

	SPIN(v, 150);
	sink = v;
	return (x > y) - (x < y);
}

__attribute__((noinline)) static int cmp_search(const void *key, const void *elem)
{
	int x = *(const int *)key, y = *(const int *)elem;
	uint64_t v = (uint64_t)y;

	SPIN(v, 400);
	sink = v;
	return (x > y) - (x < y);
}

__attribute__((noinline)) static void phase_sort(int *v, int n)
{
	for (int i = 0; i < n; i++)
		v[i] = (int)((unsigned)i * 2654435761u >> 8);
	qsort(v, (size_t)n, sizeof(*v), cmp_sort);
	sink = (uint64_t)v[n / 2];	/* no tail call: phase_sort keeps its frame */
}

__attribute__((noinline)) static void phase_format(int n)
{
	char buf[128];
	size_t t = 0;

	for (int i = 0; i < n; i++)
		t += (size_t)snprintf(buf, sizeof(buf), "%.17g %.6e", i * 1.000001, i / 3.0);
	sink = t;
}

__attribute__((noinline)) static void phase_search(const int *v, int n, int lookups)
{
	size_t found = 0;

	for (int i = 0; i < lookups; i++) {
		int key = v[(i * 7919) % n];

		found += bsearch(&key, v, (size_t)n, sizeof(*v), cmp_search) != NULL;
	}
	sink = found;
}

static long once_iters;

__attribute__((noinline)) static void once_init(void)
{
	uint64_t v = 1;

	SPIN(v, once_iters);
	sink = v;
}

__attribute__((noinline)) static void phase_once(void)
{
	pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, once_init);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 4, n = 20000;
	int *v = malloc((size_t)n * sizeof(*v));

	if (!v || rounds < 1)
		return 2;
	once_iters = 20 * 1000 * 1000;
	for (int r = 0; r < rounds; r++) {
		phase_sort(v, n);
		phase_format(60000);
		phase_search(v, n, 6000);
		phase_once();
	}
	printf("%llu\n", (unsigned long long)sink);
	free(v);
	return 0;
}
