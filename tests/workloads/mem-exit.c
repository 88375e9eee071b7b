/*
 * mem-exit.c - ends through _exit (no atexit, no destructors): the tail of
 * the recording must survive. Leak 1,000,000 B in 1000 blocks; peak
 * 68,108,864 B (64 MiB spike on top of the leak).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) static void leak(void)
{
	for (int i = 0; i < 1000; i++) {
		char *p = malloc(1000);
		p[0] = 1;
		sink = p;
	}
}

__attribute__((noinline)) static void spike(void)
{
	char *p = malloc(64 << 20);
	memset(p, 1, 64 << 20);
	sink = p;
	free(p);
}

int main(void)
{
	leak();
	spike();
	sink = NULL;
	_exit(0);
}
