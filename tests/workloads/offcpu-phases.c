/*
 * offcpu-phases.c - ground truth for `pinch record --off-cpu/--wall`: the
 * main thread computes, sleeps, blocks on a pipe and waits on a mutex, one
 * phase after another, each in its own function, and prints each phase's
 * own CLOCK_MONOTONIC duration to stderr ("phase NAME NS"):
 *   compute_phase  on CPU (CLOCK_THREAD_CPUTIME_ID reaches the phase length)
 *   sleep_phase    nanosleep
 *   pipe_phase     read() on a pipe; pipe_writer writes after the phase length
 *   mutex_phase    pthread_mutex_lock; lock_holder holds it the phase length
 * Usage: offcpu-phases [SECONDS_PER_PHASE [TAG]] (default 0.3; TAG only
 * names the run for pgrep).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "work.h"

static long phase_ns = 300000000;
static int fds[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t locked;

static long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void nap(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) static void compute_phase(void)
{
	long end = now_ns(CLOCK_THREAD_CPUTIME_ID) + phase_ns;
	uint64_t x = 1;

	while (now_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		SPIN(x, 20000);
	__asm__ volatile("" : : "r"(x));
}

__attribute__((noinline)) static void sleep_phase(void)
{
	nap(phase_ns);
	__asm__ volatile("");	/* no tail call: sleep_phase stays on the stack */
}

static void *pipe_writer(void *arg)
{
	(void)arg;
	nap(phase_ns);
	if (write(fds[1], "x", 1) != 1)
		abort();
	return NULL;
}

__attribute__((noinline)) static void pipe_phase(void)
{
	char c;

	if (read(fds[0], &c, 1) != 1)
		abort();
}

static void *lock_holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	sem_post(&locked);
	nap(phase_ns);
	pthread_mutex_unlock(&lock);
	return NULL;
}

__attribute__((noinline)) static void mutex_phase(void)
{
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
	pthread_t t;
	long t0;

	if (argc > 1)
		phase_ns = (long)(atof(argv[1]) * 1e9);
	if (phase_ns <= 0 || pipe(fds) || sem_init(&locked, 0, 0))
		return 2;

	t0 = now_ns(CLOCK_MONOTONIC);
	compute_phase();
	fprintf(stderr, "phase compute %ld\n", now_ns(CLOCK_MONOTONIC) - t0);

	t0 = now_ns(CLOCK_MONOTONIC);
	sleep_phase();
	fprintf(stderr, "phase sleep %ld\n", now_ns(CLOCK_MONOTONIC) - t0);

	if (pthread_create(&t, NULL, pipe_writer, NULL))
		return 2;
	t0 = now_ns(CLOCK_MONOTONIC);
	pipe_phase();
	fprintf(stderr, "phase pipe %ld\n", now_ns(CLOCK_MONOTONIC) - t0);
	pthread_join(t, NULL);

	if (pthread_create(&t, NULL, lock_holder, NULL))
		return 2;
	while (sem_wait(&locked))
		;
	t0 = now_ns(CLOCK_MONOTONIC);
	mutex_phase();
	fprintf(stderr, "phase mutex %ld\n", now_ns(CLOCK_MONOTONIC) - t0);
	pthread_join(t, NULL);
	return 0;
}
