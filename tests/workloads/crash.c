/*
 * crash.c - works for a while in before_crash(), then dies of SIGSEGV
 * (a write through a null pointer): recordings must survive it.
 *
 * usage: crash [ROUNDS]   (default 100, about 0.3 s)
 */
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

#define UNIT 2500000L

__attribute__((noinline, noclone)) uint64_t before_crash(uint64_t x, long n)
{
	SPIN(x, n * UNIT);
	return x;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100;
	volatile int *volatile p = NULL;

	if (before_crash(1, rounds) == 42)
		printf("unlikely\n");
	*p = 1;
	return 0;
}
