/*
 * mem-classes.c - blocks in use at exit in each of memcheck's leak classes,
 * exactly (glibc, x86-64):
 *   definitely lost  3 x 1000 B (definite), the 64 B list head (indirect),
 *                    one 200 B block of a two-block cycle (cycle)
 *                    = 3,264 B in 5 blocks;
 *   indirectly lost  5 x 48 B list nodes + the cycle's other 200 B block
 *                    = 440 B in 6 blocks;
 *   possibly lost    2,000 B in 1 block (only a pointer into its middle);
 *   still reachable  4,096 B in 1 block (a global points at it) and a
 *                    3-block tree of 3 x 32 B under it = 4,192 B in 4 blocks.
 */
#include <stdlib.h>
#include <string.h>

struct node {
	struct node *next;
	char pad[40];
};

void **reach;		/* still reachable */
char *mid;		/* possibly lost: points 100 B into its block */

__attribute__((noinline)) void definite(void)
{
	for (int i = 0; i < 3; i++)
		memset(malloc(1000), 1, 1000);
}

__attribute__((noinline)) void indirect(void)
{
	struct node *head = NULL, **h;

	for (int i = 0; i < 5; i++) {
		struct node *n = malloc(sizeof(*n));

		memset(n, 0, sizeof(*n));
		n->next = head;
		head = n;
	}
	h = malloc(64);
	memset(h, 0, 64);
	*h = head;
}

__attribute__((noinline)) void cycle(void)
{
	void **a = malloc(200), **b = malloc(200);

	memset(a, 0, 200);
	memset(b, 0, 200);
	a[0] = b;
	b[0] = a;
}

__attribute__((noinline)) void reachable(void)
{
	reach = malloc(4096);
	memset(reach, 0, 4096);
	for (int i = 0; i < 3; i++) {
		reach[i] = malloc(32);
		memset(reach[i], 0, 32);
	}
}

__attribute__((noinline)) void possible(void)
{
	char *p = malloc(2000);

	memset(p, 0, 2000);
	mid = p + 100;
}

int main(void)
{
	definite();
	indirect();
	cycle();
	reachable();
	possible();
	return 0;
}
