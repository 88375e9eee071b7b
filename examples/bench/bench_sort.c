/*
 * bench_sort.c - libpinch's micro-benchmark harness on two C functions:
 * a calibrated benchmark (iterations chosen automatically) and a
 * "pedantic" one whose setup refills the array before every round.
 * Prints the table, and the JSON document when given a path.
 *   bench_sort [OUT.json]
 */
#include <pinch/pinch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 1000

static int data[N];

static int icmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void shuffle(void *arg)
{
	unsigned *seed = arg;
	int i;

	for (i = 0; i < N; i++)
		data[i] = (int)(rand_r(seed) % 100000);
}

static void sort_shuffled(void *arg)
{
	(void)arg;
	qsort(data, N, sizeof(data[0]), icmp);
}

static volatile long sink;

static void sum_array(void *arg)
{
	long s = 0;
	int i;

	(void)arg;
	for (i = 0; i < N; i++)
		s += data[i];
	sink = s;	/* keeps the loop */
}

int main(int argc, char **argv)
{
	struct pinch_bench_result res[2];
	struct pinch_bench_opts pedantic = { .setup = shuffle, .rounds = 200, .warmup_rounds = 5 };
	unsigned seed = 42;
	char *text;
	int rc;

	rc = pinch_bench("sum_array", sum_array, NULL, NULL, &res[0]);
	if (rc == 0)
		rc = pinch_bench("qsort_1000", sort_shuffled, &seed, &pedantic, &res[1]);
	if (rc < 0) {
		fprintf(stderr, "bench_sort: %s\n", pinch_last_error());
		return 1;
	}
	if (pinch_bench_table(res, 2, &text, NULL) == 0)
		fputs(text, stdout);
	pinch_free(text);
	if (argc > 1) {
		FILE *f = fopen(argv[1], "w");

		if (!f || pinch_bench_json(res, 2, 0, &text, NULL) < 0) {
			fprintf(stderr, "bench_sort: cannot write %s\n", argv[1]);
			return 1;
		}
		fputs(text, f);
		fclose(f);
		pinch_free(text);
	}
	pinch_bench_result_release(&res[0]);
	pinch_bench_result_release(&res[1]);
	return 0;
}
