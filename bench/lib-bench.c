/*
 * lib-bench.c - ns per update of libpinch's counter and histogram, on one
 * thread and with 2 threads hammering the same series, next to a
 * mutex-protected baseline (what prometheus-client-c does: one lock per
 * update) and a single shared atomic counter. Run by bench/lib.sh.
 * Built against the installed API only (pkg-config pinch), plus the
 * model's hist.h for the baseline histogram.
 */
#include <pinch/pinch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/hist.h"

#define ROUNDS 9

static uint64_t N = 20000000;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the baselines ---- */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mu_counter;
static struct hist mu_hist;
static _Atomic uint64_t atomic_counter;

__attribute__((noinline)) static void mutex_inc(void)
{
	pthread_mutex_lock(&mu);
	mu_counter++;
	pthread_mutex_unlock(&mu);
}

__attribute__((noinline)) static void mutex_observe(uint64_t ns)
{
	pthread_mutex_lock(&mu);
	hist_record(&mu_hist, ns);
	pthread_mutex_unlock(&mu);
}

__attribute__((noinline)) static void atomic_inc(void)
{
	atomic_fetch_add_explicit(&atomic_counter, 1, memory_order_relaxed);
}

static struct pinch_counter *counter;
static struct pinch_histogram *histo;

static __thread _Atomic uint64_t local_counter;

/* Control: each thread its own counter, nothing shared. Shows what a
 * second busy thread costs on this machine by itself. */
__attribute__((noinline)) static void local_inc(void)
{
	atomic_store_explicit(&local_counter,
		atomic_load_explicit(&local_counter, memory_order_relaxed) + 1, memory_order_relaxed);
}

enum op { PINCH_INC, PINCH_OBSERVE, MUTEX_INC, MUTEX_OBSERVE, ATOMIC_INC, LOCAL_INC, N_OPS };
static const char *const op_name[] = {
	"pinch counter inc", "pinch histogram observe", "mutex counter inc",
	"mutex histogram observe", "shared atomic inc", "thread-local inc (control)",
};

struct job {
	enum op op;
	pthread_barrier_t *start;
	double ns_per_op;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	uint64_t i, t0, v = 1000;

	pthread_barrier_wait(j->start);
	t0 = now_ns();
	switch (j->op) {
	case PINCH_INC:
		for (i = 0; i < N; i++)
			pinch_counter_inc(counter);
		break;
	case PINCH_OBSERVE:
		for (i = 0; i < N; i++, v = v * 7 % 1000003)	/* values spread over buckets */
			pinch_histogram_observe_ns(histo, v);
		break;
	case MUTEX_INC:
		for (i = 0; i < N; i++)
			mutex_inc();
		break;
	case MUTEX_OBSERVE:
		for (i = 0; i < N; i++, v = v * 7 % 1000003)
			mutex_observe(v);
		break;
	case ATOMIC_INC:
		for (i = 0; i < N; i++)
			atomic_inc();
		break;
	case LOCAL_INC:
	case N_OPS:
		for (i = 0; i < N; i++)
			local_inc();
		break;
	}
	j->ns_per_op = (double)(now_ns() - t0) / (double)N;
	return NULL;
}

/* Mean per-thread ns/op of one round with `threads` threads. */
static double round_ns(enum op op, int threads)
{
	pthread_t t[2];
	struct job j[2];
	pthread_barrier_t b;
	double sum = 0;
	int i;

	pthread_barrier_init(&b, NULL, (unsigned)threads);
	for (i = 0; i < threads; i++) {
		j[i].op = op;
		j[i].start = &b;
		pthread_create(&t[i], NULL, worker, &j[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		sum += j[i].ns_per_op;
	}
	pthread_barrier_destroy(&b);
	return sum / threads;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double r[ROUNDS], med[N_OPS][2], best[N_OPS][2];
	int op, th, k;

	if (argc > 1)
		N = strtoull(argv[1], NULL, 10);
	if (pinch_counter_new(NULL, "bench_total", NULL, NULL, &counter) < 0 ||
	    pinch_histogram_new(NULL, "bench_seconds", NULL, NULL, NULL, &histo) < 0 ||
	    hist_init(&mu_hist, 0) < 0) {
		fprintf(stderr, "lib-bench: setup: %s\n", pinch_last_error());
		return 1;
	}
	printf("%-26s %12s %12s %8s %10s %10s\n", "OPERATION", "1 THREAD", "2 THREADS", "RATIO",
	       "BEST 1T", "BEST 2T");
	for (op = 0; op < N_OPS; op++) {
		for (th = 1; th <= 2; th++) {
			for (k = 0; k < ROUNDS; k++)
				r[k] = round_ns((enum op)op, th);
			qsort(r, ROUNDS, sizeof(r[0]), dcmp);
			med[op][th - 1] = r[ROUNDS / 2];
			best[op][th - 1] = r[0];
		}
		printf("%-26s %9.2f ns %9.2f ns %7.2fx %7.2f ns %7.2f ns\n", op_name[op], med[op][0],
		       med[op][1], med[op][1] / med[op][0], best[op][0], best[op][1]);
	}
	printf("\nmutex/pinch (1 thread):  counter %.1fx, histogram %.1fx\n",
	       med[MUTEX_INC][0] / med[PINCH_INC][0], med[MUTEX_OBSERVE][0] / med[PINCH_OBSERVE][0]);
	printf("mutex/pinch (2 threads): counter %.1fx, histogram %.1fx\n",
	       med[MUTEX_INC][1] / med[PINCH_INC][1], med[MUTEX_OBSERVE][1] / med[PINCH_OBSERVE][1]);
	printf("checks: counter %llu (want %llu)\n", (unsigned long long)pinch_counter_value(counter),
	       (unsigned long long)(N * ROUNDS * 3));
	return pinch_counter_value(counter) == N * ROUNDS * 3 ? 0 : 1;
}
