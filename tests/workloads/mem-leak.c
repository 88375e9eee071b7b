/*
 * mem-leak.c - the leaky program: exactly known leak, peak and per-site
 * calls (no stdio, so libc allocates nothing of its own).
 *   leak_small  24 x malloc(50)      leaked      1,200 B in 24 blocks
 *   churn       10000 x malloc(100)  freed at once (temporary)
 *   leak_big    1000 x malloc(1000)  leaked      1,000,000 B in 1000 blocks
 *   spike       malloc(64 MiB)       freed       peak = 68,110,064 B, 1025 blocks
 *   table       calloc(256, 16)      freed
 * total 11,026 calls, 69,114,160 B; leaked 1,001,200 B in 1,024 blocks.
 */
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

__attribute__((noinline)) static void leak_small(void)
{
	for (int i = 0; i < 24; i++) {
		char *p = malloc(50);
		p[0] = 1;
		sink = p;
	}
}

__attribute__((noinline)) static void churn(void)
{
	for (int i = 0; i < 10000; i++) {
		char *p = malloc(100);
		p[0] = 1;
		sink = p;
		free(p);
	}
}

__attribute__((noinline)) static void leak_big(void)
{
	for (int i = 0; i < 1000; i++) {
		char *p = malloc(1000);	/* the leaking line */
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

__attribute__((noinline)) static void table(void)
{
	char *p = calloc(256, 16);
	sink = p;
	free(p);
}

int main(void)
{
	leak_small();
	churn();
	leak_big();
	spike();
	table();
	sink = NULL;
	return 0;
}
