/*
 * lib-card.c - libpinch's label cardinality cost (bench/lib.sh): N counter
 * series of one family registered with pinch_counter_get and incremented
 * once, timed, with the heap (mallinfo2) and RSS growth per series; then
 * the same for histogram series observed once by one thread.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pinch/pinch.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static int run(const char *kind, size_t n)
{
	struct pinch_registry *r;
	char val[32];
	const char *labels[] = { "user", val, NULL };
	struct mallinfo2 m0, m1;
	long rss0, rss1;
	double t0, dt;
	size_t i;

	if (pinch_registry_new(&r) < 0 || pinch_registry_set_series_limit(r, n) < 0)
		return 1;
	m0 = mallinfo2();
	rss0 = rss_kb();
	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(val, sizeof(val), "user-%zu", i);
		if (!strcmp(kind, "counter")) {
			struct pinch_counter *c;

			if (pinch_counter_get(r, "card_total", NULL, labels, &c) < 0)
				break;
			pinch_counter_inc(c);
		} else {
			struct pinch_histogram *h;

			if (pinch_histogram_get(r, "card_seconds", NULL, labels, NULL, &h) < 0)
				break;
			pinch_histogram_observe(h, 0.001);
		}
	}
	dt = now_s() - t0;
	m1 = mallinfo2();
	rss1 = rss_kb();
	if (i != n) {
		fprintf(stderr, "lib-card: %s\n", pinch_last_error());
		return 1;
	}
	printf("%-9s %8zu series  %8.3f s  %8.0f ns/series  heap %8.0f B/series  RSS %8.0f B/series\n",
	       kind, n, dt, dt / (double)n * 1e9, (double)(m1.uordblks - m0.uordblks) / (double)n,
	       (double)(rss1 - rss0) * 1024 / (double)n);
	pinch_registry_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
	size_t nh = argc > 2 ? strtoull(argv[2], NULL, 10) : 5000;

	return run("counter", n) || run("histogram", nh);
}
