/*
 * deep-stack.c - a stack deeper than the 8 KiB copy a sample takes: main
 * calls descend() 60 levels deep, each level with a 512-byte frame, and
 * the work is done at the bottom (leaf()), about 30 KiB below main. With
 * frame pointers (-fp) the kernel's chain continues the CFI walk above the
 * copy, so every stack reaches main; without them (-nofp) nothing can,
 * and the stacks must be marked partial, never garbage.
 *
 * usage: deep-stack [ROUNDS]   (default 4; about 0.1 s of CPU per round)
 */
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

static volatile uint64_t sink;

__attribute__((noinline)) static void leaf(long n)
{
	uint64_t v = (uint64_t)n;

	SPIN(v, n);
	sink = v;
}

__attribute__((noinline)) static void descend(int depth, long n)
{
	volatile char pad[512];

	pad[depth % 512] = (char)depth;
	if (depth > 0)
		descend(depth - 1, n);
	else
		leaf(n);
	sink += (uint64_t)pad[depth % 512];	/* no tail call: every level keeps its frame */
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 4;

	for (int r = 0; r < rounds; r++)
		descend(60, 40 * 1000 * 1000);
	printf("%llu\n", (unsigned long long)sink);
	return 0;
}
