/*
 * spin-forever.c - burns CPU in spin() until killed, with an optional
 * second thread ("spinner-2"); writes "ready" to stdout once running.
 * For SIGKILL and --pid attach tests.
 *
 * usage: spin-forever [THREADS]   (default 1)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

__attribute__((noinline, noclone)) uint64_t spin(uint64_t x)
{
	for (;;)
		SPIN(x, 1000000L);
	return x;
}

static void *spinner(void *arg)
{
	pthread_setname_np(pthread_self(), "spinner-2");
	spin((uint64_t)(uintptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1, k;
	pthread_t t;

	for (k = 1; k < n; k++)
		pthread_create(&t, NULL, spinner, (void *)k);
	printf("ready\n");
	fflush(stdout);
	spin(7);
	return 0;
}
