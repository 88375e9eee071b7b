/*
 * threads.c - N worker threads (default 3), worker k (1-based) named
 * "worker-k" doing k shares of work in thread_work(): with 3 workers the
 * shares are 1/6, 2/6, 3/6. main() only waits.
 *
 * usage: threads [N] [ROUNDS]   (default 3 workers, 60 rounds per share, about 1 s of CPU)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

#define UNIT 2500000L

static long rounds = 60;

__attribute__((noinline, noclone)) uint64_t thread_work(uint64_t x, long n)
{
	SPIN(x, n * UNIT);
	return x;
}

static void *worker(void *arg)
{
	long k = (long)arg;
	char name[16];
	uint64_t x = (uint64_t)k;

	snprintf(name, sizeof(name), "worker-%ld", k);
	pthread_setname_np(pthread_self(), name);
	x = thread_work(x, k * rounds);
	return (void *)(uintptr_t)(x & 1);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3, k;
	pthread_t *t;

	if (argc > 2)
		rounds = atol(argv[2]);
	if (n < 1 || n > 64)
		return 2;
	t = calloc((size_t)n, sizeof(*t));
	for (k = 0; k < n; k++)
		pthread_create(&t[k], NULL, worker, (void *)(k + 1));
	for (k = 0; k < n; k++)
		pthread_join(t[k], NULL);
	free(t);
	printf("done %ld threads\n", n);
	return 0;
}
