/*
 * trace-inline.c - pinch trace ground truth for optimised code: built
 * with -O2 -finstrument-functions and no noinline, so the compiler inlines
 * (skip() and bump() always: the hooks of an inlined copy run in its host's
 * frame). Each mode prints its own counters to stderr ("counts k=v ...").
 *   parse N    N rounds of 6 lines through a recursive-descent parser;
 *              2 lines have syntax errors that longjmp back to parse_line.
 *              Per round: expr 6 primitive of 18, term 10/28, factor
 *              15/36, number 23, fail 2, skip 72; 25 calls left by longjmp
 *   hof        Hofstadter's F and M (mutual recursion) for 0..14 from
 *              main: F 1941/120, M 1941/120; then qsort of 1000 ints
 *              (the calls of cmp_int come from uninstrumented libc)
 *   threads    two threads sort 100 ints each (cmp_int) and call burn 50
 *              and 100 times, one that qsorts, all inlined into worker
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

/* ---- parse ---------------------------------------------------------------- */

static const char *in;
static jmp_buf on_error;
static long n_expr, n_term, n_factor, n_number, n_fail, n_skip;

static void fail(void)
{
	n_fail++;
	longjmp(on_error, 1);
}

INLINE void skip(void)
{
	n_skip++;
	while (*in == ' ')
		in++;
}

static long number(void)
{
	long v = 0;

	n_number++;
	if (*in < '0' || *in > '9')
		fail();
	while (*in >= '0' && *in <= '9')
		v = v * 10 + (*in++ - '0');
	return v;
}

static long expr(void);

static long factor(void)
{
	long v;

	n_factor++;
	skip();
	if (*in == '(') {
		in++;
		v = expr();
		skip();
		if (*in != ')')
			fail();
		in++;
	} else if (*in == '-') {
		in++;
		v = -factor();
	} else {
		v = number();
	}
	skip();
	return v;
}

static long term(void)
{
	long v;

	n_term++;
	v = factor();
	while (*in == '*' || *in == '/') {
		char op = *in++;
		long r = factor();

		v = op == '*' ? v * r : (r ? v / r : 0);
	}
	return v;
}

static long expr(void)
{
	long v;

	n_expr++;
	v = term();
	while (*in == '+' || *in == '-') {
		char op = *in++;
		long r = term();

		v = op == '+' ? v + r : v - r;
	}
	return v;
}

static int parse_line(const char *s, long *out)
{
	in = s;
	if (setjmp(on_error))
		return -1;
	*out = expr();
	return 0;
}

static void parse(int rounds)
{
	static const char *lines[] = {
		"1 + 2 * 3",
		"(1 + 2) * (3 + 4) - -5",
		"((((7))))",
		"2 * (3 + )",				/* fails 8 calls deep */
		"10 / (5 - 3) * 4 + 1",
		"1 + (2 * (3 + (4 * (5 + x))))",	/* fails 17 calls deep */
	};
	long v, sum = 0;

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			if (parse_line(lines[i], &v) == 0)
				sum += v;
	printf("sum %ld\n", sum);
	fprintf(stderr, "counts expr=%ld term=%ld factor=%ld number=%ld fail=%ld skip=%ld\n",
		n_expr, n_term, n_factor, n_number, n_fail, n_skip);
}

/* ---- hof, threads ----------------------------------------------------------- */

static atomic_long n_cmp, n_F, n_M, n_burn;

INLINE void bump(atomic_long *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	bump(&n_cmp);
	return (x > y) - (x < y);
}

static int M(int n);

static int F(int n)
{
	bump(&n_F);
	return n == 0 ? 1 : n - M(F(n - 1));
}

static int M(int n)
{
	bump(&n_M);
	return n == 0 ? 0 : n - F(M(n - 1));
}

static void sort_some(int n, unsigned seed)
{
	int *a = malloc((size_t)n * sizeof(*a));

	for (int i = 0; i < n; i++)
		a[i] = (int)(rand_r(&seed) % 1000);
	qsort(a, (size_t)n, sizeof(*a), cmp_int);
	free(a);
}

static volatile unsigned long sink;

static void burn(void)
{
	bump(&n_burn);
	for (int i = 0; i < 1000; i++)
		sink += (unsigned long)i;
}

static void *worker(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < 50 * (int)id; i++)
		burn();
	sort_some(100, (unsigned)id);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "parse";

	if (!strcmp(mode, "parse")) {
		parse(argc > 2 ? atoi(argv[2]) : 1);
		return 0;
	}
	if (!strcmp(mode, "hof")) {
		int s = 0;

		for (int i = 0; i < 15; i++)
			s += F(i) + M(i);
		sort_some(1000, 42);
		printf("sum %d\n", s);
	} else if (!strcmp(mode, "threads")) {
		pthread_t t[2];

		for (long i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, worker, (void *)(i + 1));
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
	} else {
		fprintf(stderr, "usage: trace-inline parse [N]|hof|threads\n");
		return 2;
	}
	fprintf(stderr, "counts cmp_int=%ld F=%ld M=%ld burn=%ld\n",
		(long)n_cmp, (long)n_F, (long)n_M, (long)n_burn);
	return 0;
}
