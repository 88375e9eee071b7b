/*
 * mem-threads.c - an 8-thread allocation storm. Thread t (0..7) makes
 * 20000 malloc(64 + t)/free pairs and leaks t + 1 blocks of 100 B:
 * the workers' leak is 3,600 B in 36 blocks; their calls 160,036.
 */
#include <pthread.h>
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) static void storm(long t)
{
	for (int i = 0; i < 20000; i++) {
		char *p = malloc(64 + (size_t)t);
		p[0] = 1;
		free(p);
	}
}

__attribute__((noinline)) static void leak_some(long t)
{
	for (long i = 0; i <= t; i++)
		sink = malloc(100);
}

static void *worker(void *arg)
{
	long t = (long)arg;

	storm(t);
	leak_some(t);
	return NULL;
}

int main(void)
{
	pthread_t th[8];

	for (long t = 0; t < 8; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			return 1;
	for (int t = 0; t < 8; t++)
		pthread_join(th[t], NULL);
	sink = NULL;
	return 0;
}
