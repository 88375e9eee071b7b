/*
 * mem-shift.c - exact allocation sites whose counts are the arguments,
 * for `pinch diff` ground truth (no stdio: libc allocates nothing else):
 *   site_a  A x malloc(100)   freed
 *   site_b  B x malloc(200)   leaked
 *   site_c  C x malloc(1000)  freed (never called when C is 0)
 * usage: mem-shift A B C
 */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) static void site_a(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(100);

		p[0] = 1;
		sink = p;
		free(p);
	}
}

__attribute__((noinline)) static void site_b(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(200);

		p[0] = 1;
		sink = p;
	}
}

__attribute__((noinline)) static void site_c(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(1000);

		p[0] = 1;
		sink = p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	long n[3] = { 0, 0, 0 };

	for (int i = 0; i < 3 && i + 1 < argc; i++)
		n[i] = atol(argv[i + 1]);
	site_a(n[0]);
	site_b(n[1]);
	if (n[2])
		site_c(n[2]);
	sink = NULL;	/* no block stays reachable: site_b's all leak */
	return 0;
}
