/*
 * mem-cache.c - a cache that grows between two snapshots. Between
 * "warm" and "grown": cache_put() adds 500 entries of 200 B (+100,000 B,
 * +500 blocks), log_line() adds 10 x 64 B (+640 B), and scratch()
 * allocates and frees (no growth). Snapshots come from libpinch's
 * pinch_mem_snapshot(), or from SIGUSR2 sent to itself when run with
 * the argument "signal" (then named signal-1, signal-2).
 * With the argument "twice", between "warm" and "grown" there are two
 * cache_put() calls on one line, of 3 and 4 entries (+600 B and +800 B):
 * two stacks that differ only in the call's address.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pinch/mem.h"

static void *cache[1000];
static int cache_n;
static void *logs[100];
static int logs_n;
static void *volatile sink;

__attribute__((noinline)) static void cache_put(int n)
{
	for (int i = 0; i < n; i++)
		cache[cache_n++] = malloc(200);
}

__attribute__((noinline)) static void log_line(int n)
{
	for (int i = 0; i < n; i++)
		logs[logs_n++] = malloc(64);
}

__attribute__((noinline)) static void scratch(void)
{
	for (int i = 0; i < 100; i++) {
		char *p = malloc(512);
		p[0] = 1;
		sink = p;
		free(p);
	}
}

static void snap(int sig, const char *label)
{
	if (sig)
		kill(getpid(), SIGUSR2);
	else
		pinch_mem_snapshot(label);
}

int main(int argc, char **argv)
{
	int sig = argc > 1 && !strcmp(argv[1], "signal");

	if (argc > 1 && !strcmp(argv[1], "twice")) {
		cache_put(100);
		snap(0, "warm");
		cache_put(3); cache_put(4);	/* two calls on one line */
		snap(0, "grown");
		return 0;
	}

	cache_put(100);
	log_line(5);
	snap(sig, "warm");
	cache_put(500);
	log_line(10);
	scratch();
	snap(sig, "grown");
	for (int i = 0; i < cache_n; i++)
		free(cache[i]);
	for (int i = 0; i < logs_n; i++)
		free(logs[i]);
	sink = NULL;
	return 0;
}
