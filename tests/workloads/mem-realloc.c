/*
 * mem-realloc.c - realloc chains. grow(): one block grown 100 times by
 * 100 B (realloc(NULL) first), ends at 10,000 B and is leaked; shrink():
 * 8,000 B shrunk to 10 B in 10 steps then realloc(p, 0) frees it.
 * Allocation calls: 100 + 1 + 10 = 111 (realloc to 0 is a free).
 */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) static void grow(void)
{
	char *p = NULL;

	for (int i = 1; i <= 100; i++) {
		p = realloc(p, (size_t)i * 100);
		p[0] = 1;
	}
	sink = p;
}

__attribute__((noinline)) static void shrink(void)
{
	char *p = malloc(8000);

	for (int i = 9; i >= 0; i--) {
		p = realloc(p, i ? (size_t)i * 800 : 10);
		p[0] = 1;
	}
	p = realloc(p, 0);
	sink = p;
}

int main(void)
{
	grow();
	shrink();
	sink = NULL;
	return 0;
}
