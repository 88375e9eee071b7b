/*
 * diff-shift.c - cpu-603010's functions with their work set by the
 * arguments, for `pinch diff` ground truth: sixty(), thirty(), ten() and
 * planted() spin S, T, U and P units a round (1 unit = 1 % of a
 * cpu-603010 round); a function given 0 is never called (it vanishes).
 * Called through middle() like `cpu-603010 deep`.
 *
 * usage: diff-shift S T U P [ROUNDS]   (default 35 rounds)
 *        diff-shift 60 30 10 0 is cpu-603010 deep
 */
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

#define UNIT 250000L

static long units[4];

__attribute__((noinline, noclone)) uint64_t sixty(uint64_t x)
{
	SPIN(x, units[0] * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t thirty(uint64_t x)
{
	SPIN(x, units[1] * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t ten(uint64_t x)
{
	SPIN(x, units[2] * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t planted(uint64_t x)
{
	SPIN(x, units[3] * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t middle(uint64_t x)
{
	if (units[0])
		x = sixty(x);
	if (units[1])
		x = thirty(x);
	if (units[2])
		x = ten(x);
	if (units[3])
		x = planted(x);
	__asm__ volatile("" : "+r"(x));	/* keep middle() a real frame, not a tail call */
	return x;
}

int main(int argc, char **argv)
{
	long rounds = 35, r;
	uint64_t x = 1;
	int i;

	if (argc < 5) {
		fprintf(stderr, "usage: diff-shift S T U P [ROUNDS]\n");
		return 2;
	}
	for (i = 0; i < 4; i++)
		units[i] = atol(argv[1 + i]);
	if (argc > 5)
		rounds = atol(argv[5]);
	for (r = 0; r < rounds; r++)
		x = middle(x);
	printf("%llu\n", (unsigned long long)(x & 0xff));
	return 0;
}
