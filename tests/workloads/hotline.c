/*
 * hotline.c - one function, hot(), whose time is ~90 % on a single line,
 * marked with the comment HOT LINE (tests grep this file for it); the
 * line before it does about a tenth of the work.
 *
 * usage: hotline [ROUNDS]   (default 60000000, about 0.7 s)
 */
#include <stdio.h>
#include <stdlib.h>

#include "work.h"

__attribute__((noinline, noclone)) uint64_t hot(long n)
{
	uint64_t a = 1, b = 2;

	for (long i = 0; i < n; i++) {
		a = a * 6364136223846793005ull + (uint64_t)i; __asm__ volatile("" : "+r"(a));
		for (int j = 0; j < 9; j++) { b = b * 2862933555777941757ull + a; __asm__ volatile("" : "+r"(b)); } /* HOT LINE */
	}
	return a ^ b;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 60000000;

	printf("%llu\n", (unsigned long long)(hot(n) & 0xff));
	return 0;
}
