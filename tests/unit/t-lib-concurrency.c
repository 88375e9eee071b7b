/*
 * t-lib-concurrency.c - libpinch under many threads: N threads x M updates
 * give exactly N x M, histograms merge exactly, more threads than slots
 * share one correctly, slots are reused after threads exit. Also built
 * with -fsanitize=thread by tests/tsan.sh.
 */
#include <pthread.h>
#include <string.h>

#include "pinch/pinch.h"
#include "tap.h"

#define M 20000

static struct pinch_counter *counter;
static struct pinch_gauge *gauge;
static struct pinch_histogram *hist;

static void scoped(void)
{
	PINCH_TIME_SCOPE("conc_scope");	/* the call-site cache races on purpose */
}

static void *worker(void *arg)
{
	long id = (long)arg;
	uint64_t span;
	int i;

	for (i = 0; i < M; i++) {
		if (i % 100 == 0) {
			scoped();
			if (pinch_span_begin("conc_span", PINCH_SPAN_CURRENT, &span) == 0)
				pinch_span_end(span);
		}
		pinch_counter_inc(counter);
		pinch_gauge_add(gauge, 1);
		/* values 1..1000 us, same multiset in every thread */
		pinch_histogram_observe_ns(hist, (uint64_t)(i % 1000 + 1) * 1000);
	}
	(void)id;
	return NULL;
}

static void run(int n)
{
	pthread_t t[100];
	long i;

	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	struct pinch_registry *r;
	struct pinch_histogram_summary s;
	const double b[] = { 0.0001, 0.0005, 0.001 };
	struct pinch_histogram_opts o = { .buckets = b, .n_buckets = 3 };
	char *text;
	uint64_t want;

	ok(pinch_registry_new(&r) == 0, "registry");
	ok(pinch_counter_new(r, "c_total", NULL, NULL, &counter) == 0, "counter");
	ok(pinch_gauge_new(r, "g", NULL, NULL, &gauge) == 0, "gauge");
	ok(pinch_histogram_new(r, "h_seconds", NULL, NULL, &o, &hist) == 0, "histogram");

	run(8);
	want = 8ull * M;
	is_uint(pinch_counter_value(counter), want, "8 threads x %d increments", M);
	near(pinch_gauge_value(gauge), (double)want, 0, "gauge adds are exact");
	pinch_histogram_read(hist, &s);
	is_uint(s.count, want, "histogram count exact");
	near(s.sum, 8.0 * (M / 1000) * 500500e-6, 1e-6, "histogram sum exact");
	near(s.min, 1e-6, 0, "histogram min");
	near(s.max, 1e-3, 0, "histogram max");

	/* 100 threads > 64 slots: the rest share the locked/atomic slot;
	 * the slots of the 8 earlier threads were given back and reused. */
	run(100);
	want += 100ull * M;
	is_uint(pinch_counter_value(counter), want, "plus 100 threads (more than the slots)");
	pinch_histogram_read(hist, &s);
	is_uint(s.count, want, "histogram count after 108 threads");
	ok(pinch_registry_format(r, PINCH_FORMAT_PROMETHEUS, &text, NULL) == 0, "format");
	{
		char line[128];

		/* each thread: i%1000+1 us; <= 100us: 100 per 1000; <= 500: 500 */
		snprintf(line, sizeof(line), "h_seconds_bucket{le=\"0.0001\"} %llu\n",
			 (unsigned long long)(want / 10));
		ok(strstr(text, line) != NULL, "le 0.0001 bucket exact: %s", line);
		snprintf(line, sizeof(line), "h_seconds_bucket{le=\"0.0005\"} %llu\n",
			 (unsigned long long)(want / 2));
		ok(strstr(text, line) != NULL, "le 0.0005 bucket exact");
		snprintf(line, sizeof(line), "h_seconds_count %llu\n", (unsigned long long)want);
		ok(strstr(text, line) != NULL, "_count exact");
	}
	pinch_free(text);
	{
		const char *l1[] = { "span", "conc_scope", NULL }, *l2[] = { "span", "conc_span", NULL };
		struct pinch_histogram *hs;

		ok(pinch_histogram_get(NULL, "pinch_span_duration_seconds", NULL, l1, NULL, &hs) == 0, "scope histogram");
		pinch_histogram_read(hs, &s);
		is_uint(s.count, 108 * (M / 100), "every scope of 108 threads recorded");
		ok(pinch_histogram_get(NULL, "pinch_span_duration_seconds", NULL, l2, NULL, &hs) == 0, "span histogram");
		pinch_histogram_read(hs, &s);
		is_uint(s.count, 108 * (M / 100), "every explicit span of 108 threads recorded");
	}
	pinch_registry_free(r);
	return done_testing();
}
