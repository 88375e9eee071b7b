/*
 * work.h - the unit of work the workloads repeat: a dependent chain of
 * multiply-adds the compiler cannot fold, vectorize or shorten, so time
 * is proportional to the iteration count.
 */
#ifndef PINCH_TESTS_WORK_H
#define PINCH_TESTS_WORK_H

#include <stdint.h>

#define SPIN(x, n)                                                             \
	do {                                                                   \
		for (long i_ = 0; i_ < (n); i_++) {                            \
			(x) = (x) * 6364136223846793005ull + 1442695040888963407ull; \
			__asm__ volatile("" : "+r"(x));                        \
		}                                                              \
	} while (0)

#endif
