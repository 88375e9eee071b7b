/*
 * offcpu-locks.c - lock contention ground truth for `pinch record
 * --off-cpu`: 8 threads take one mutex ROUNDS times each, hold it for
 * HOLD_US of computing, and sleep 200 us between rounds. Each thread
 * measures its own time inside pthread_mutex_lock (take_lock); the total
 * is printed to stderr as "lock_wait_ns NS".
 * Usage: offcpu-locks [ROUNDS [HOLD_US [TAG]]] (defaults 40, 1000).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "work.h"

#define NTHREADS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long rounds = 40, hold_ns = 1000000;
static long waited[NTHREADS];

static long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

__attribute__((noinline)) static void take_lock(void)
{
	pthread_mutex_lock(&lock);
	__asm__ volatile("");	/* no tail call: take_lock stays on the stack */
}

__attribute__((noinline)) static void hold(void)
{
	long end = now_ns(CLOCK_THREAD_CPUTIME_ID) + hold_ns;
	uint64_t x = 1;

	while (now_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		SPIN(x, 2000);
	__asm__ volatile("" : : "r"(x));
}

static void *locker(void *arg)
{
	long *w = arg;
	struct timespec pause = { 0, 200000 };

	for (long i = 0; i < rounds; i++) {
		long t0 = now_ns(CLOCK_MONOTONIC);

		take_lock();
		*w += now_ns(CLOCK_MONOTONIC) - t0;
		hold();
		pthread_mutex_unlock(&lock);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	long total = 0;

	if (argc > 1)
		rounds = atol(argv[1]);
	if (argc > 2)
		hold_ns = atol(argv[2]) * 1000;
	if (rounds <= 0 || hold_ns <= 0)
		return 2;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, locker, &waited[i]))
			return 2;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		total += waited[i];
	}
	fprintf(stderr, "lock_wait_ns %ld\n", total);
	return 0;
}
