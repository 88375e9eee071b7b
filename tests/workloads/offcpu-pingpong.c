/*
 * offcpu-pingpong.c - the context-switch benchmark of bench/offcpu.sh: two
 * threads pass one byte back and forth through two pipes ROUNDS times,
 * each computing SPIN iterations per message (0: as fast as switches go).
 * On one CPU every message is two context switches. Prints the rounds and
 * its own wall time to stderr.
 * Usage: offcpu-pingpong ROUNDS [SPIN]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "work.h"

static int ab[2], ba[2];
static long rounds = 100000, spin;

static void *pong(void *arg)
{
	char c;
	uint64_t x = 1;

	(void)arg;
	for (long i = 0; i < rounds; i++) {
		if (read(ab[0], &c, 1) != 1)
			break;
		SPIN(x, spin);
		if (write(ba[1], &c, 1) != 1)
			break;
	}
	__asm__ volatile("" : : "r"(x));
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	struct timespec t0, t1;
	uint64_t x = 1;
	char c = 'x';

	if (argc > 1)
		rounds = atol(argv[1]);
	if (argc > 2)
		spin = atol(argv[2]);
	if (rounds <= 0 || spin < 0 || pipe(ab) || pipe(ba))
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pthread_create(&t, NULL, pong, NULL))
		return 2;
	for (long i = 0; i < rounds; i++) {
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			return 1;
		SPIN(x, spin);
	}
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	__asm__ volatile("" : : "r"(x));
	fprintf(stderr, "rounds %ld wall_ns %ld\n", rounds,
		(t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
