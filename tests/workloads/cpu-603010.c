/*
 * cpu-603010.c - a workload whose CPU time splits exactly 60/30/10 % over
 * three leaf functions by iteration counts: sixty(), thirty(), ten().
 * With "deep" as first argument they are called through middle().
 *
 * usage: cpu-603010 [deep] [ROUNDS]   (default 35 rounds, about 1 s here)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work.h"

#define UNIT 250000L	/* iterations per 1 % of a round */

__attribute__((noinline, noclone)) uint64_t sixty(uint64_t x)
{
	SPIN(x, 60 * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t thirty(uint64_t x)
{
	SPIN(x, 30 * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t ten(uint64_t x)
{
	SPIN(x, 10 * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t middle(uint64_t x)
{
	x = sixty(x);
	x = thirty(x);
	x = ten(x);
	__asm__ volatile("" : "+r"(x));	/* keep middle() a real frame, not a tail call */
	return x;
}

int main(int argc, char **argv)
{
	int deep = argc > 1 && !strcmp(argv[1], "deep");
	long rounds = 35, r;
	uint64_t x = 1;

	if (argc > 1 + deep)
		rounds = atol(argv[1 + deep]);
	for (r = 0; r < rounds; r++) {
		if (deep) {
			x = middle(x);
		} else {
			x = sixty(x);
			x = thirty(x);
			x = ten(x);
		}
	}
	printf("%llu\n", (unsigned long long)(x & 0xff));
	return 0;
}
