/*
 * t-lib-metrics.c - libpinch's registry: validation and return codes,
 * exact counter/gauge/histogram values, and the three renderings
 * (Prometheus lines compared exactly, JSON parsed back with jansson).
 */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pinch/pinch.h"
#include "tap.h"

static int contains(const char *hay, const char *needle)
{
	int found = strstr(hay, needle) != NULL;

	if (!found)
		printf("#   missing: %s\n", needle);
	return found;
}

static void test_errors(struct pinch_registry *r)
{
	struct pinch_counter *c = (void *)1;
	struct pinch_histogram *h;
	struct pinch_gauge *g;
	const char *bad_label[] = { "1abc", "x", NULL };
	const char *reserved[] = { "__name", "x", NULL };
	const char *odd[] = { "a", NULL };
	const char *bad_utf8[] = { "a", "\xff\xfe", NULL };
	const char *le[] = { "le", "1", NULL };
	const char *dup[] = { "a", "1", "a", "2", NULL };
	const double none[1] = { 0 }, unsorted[] = { 1, 0.5 };
	struct pinch_histogram_opts o = { .buckets = none, .n_buckets = 0 };

	is_int(pinch_counter_new(r, "http requests", NULL, NULL, &c), -EINVAL, "name with a space is -EINVAL");
	ok(c == NULL, "out is NULL after a failure");
	ok(strstr(pinch_last_error(), "invalid metric name 'http requests'") != NULL,
	   "last error names the bad metric: %s", pinch_last_error());
	is_int(pinch_counter_new(r, "9lives", NULL, NULL, &c), -EINVAL, "leading digit is -EINVAL");
	is_int(pinch_counter_new(r, "", NULL, NULL, &c), -EINVAL, "empty name is -EINVAL");
	is_int(pinch_counter_new(r, NULL, NULL, NULL, &c), -EINVAL, "NULL name is -EINVAL");
	is_int(pinch_counter_new(r, "ok_total", NULL, bad_label, &c), -EINVAL, "bad label name");
	is_int(pinch_counter_new(r, "ok_total", NULL, reserved, &c), -EINVAL, "__ label name");
	is_int(pinch_counter_new(r, "ok_total", NULL, odd, &c), -EINVAL, "odd label array");
	is_int(pinch_counter_new(r, "ok_total", NULL, bad_utf8, &c), -EINVAL, "invalid UTF-8 label value");
	is_int(pinch_counter_new(r, "ok_total", NULL, dup, &c), -EINVAL, "repeated label name");
	is_int(pinch_histogram_new(r, "h_seconds", NULL, le, NULL, &h), -EINVAL, "le label on a histogram");
	is_int(pinch_histogram_new(r, "h_seconds", NULL, NULL, &o, &h), -EINVAL, "histogram with no buckets");
	ok(strstr(pinch_last_error(), "no buckets") != NULL, "message says no buckets");
	o.buckets = unsorted;
	o.n_buckets = 2;
	is_int(pinch_histogram_new(r, "h_seconds", NULL, NULL, &o, &h), -EINVAL, "unsorted buckets");

	is_int(pinch_counter_new(r, "jobs_total", "Jobs.", NULL, &c), 0, "register a counter");
	is_int(pinch_counter_new(r, "jobs_total", "Jobs.", NULL, &c), -EEXIST, "double registration is -EEXIST");
	is_int(pinch_gauge_new(r, "jobs_total", NULL, NULL, &g), -EEXIST, "same name, other type is -EEXIST");
	is_int(pinch_counter_get(r, "jobs_total", NULL, NULL, &c), 0, "get returns the existing series");
	ok(c != NULL, "get handle");
	is_str(pinch_strerror(-EEXIST), "already registered", "pinch_strerror(-EEXIST)");
	is_str(pinch_strerror(-EADDRINUSE), "address already in use", "pinch_strerror(-EADDRINUSE)");
	/* NULL handles are ignored, not crashes */
	pinch_counter_inc(NULL);
	pinch_gauge_set(NULL, 1);
	pinch_histogram_observe(NULL, 1);
	ok(1, "updates on NULL handles are no-ops");
}

/* Names whose samples would clash on /metrics (a second TYPE line for
 * promtool), reserved names, and errors that must name their own cause. */
static void test_collisions(void)
{
	struct pinch_registry *r;
	struct pinch_counter *c;
	struct pinch_gauge *g;
	struct pinch_histogram *h;
	const char *span_label[] = { "span", "x", NULL };
	const char *other_label[] = { "op", "x", NULL };
	uint64_t id;

	ok(pinch_registry_new(&r) == 0, "collisions: registry");
	is_int(pinch_histogram_new(r, "x", NULL, NULL, NULL, &h), 0, "histogram x");
	is_int(pinch_counter_new(r, "x_bucket", NULL, NULL, &c), -EEXIST, "counter x_bucket is -EEXIST");
	ok(strstr(pinch_last_error(), "sample name of histogram 'x'") != NULL, "message: %s",
	   pinch_last_error());
	is_int(pinch_gauge_new(r, "x_count", NULL, NULL, &g), -EEXIST, "gauge x_count is -EEXIST");
	is_int(pinch_gauge_new(r, "x_sum", NULL, NULL, &g), -EEXIST, "gauge x_sum is -EEXIST");
	is_int(pinch_gauge_new(r, "x_counts", NULL, NULL, &g), 0, "gauge x_counts is fine");
	is_int(pinch_gauge_new(r, "y_count", NULL, NULL, &g), 0, "gauge y_count");
	is_int(pinch_histogram_new(r, "y", NULL, NULL, NULL, &h), -EEXIST, "then histogram y is -EEXIST");
	ok(strstr(pinch_last_error(), "would expose 'y_count', already registered as a gauge") != NULL,
	   "message: %s", pinch_last_error());
	is_int(pinch_counter_new(r, "process_cpu_seconds_total", NULL, NULL, &c), -EEXIST,
	       "process_cpu_seconds_total is reserved");
	ok(strstr(pinch_last_error(), "reserved") != NULL, "message says reserved");
	is_int(pinch_histogram_new(r, "process_open", NULL, NULL, NULL, &h), 0,
	       "histogram process_open (exposes no reserved name)");
	is_int(pinch_counter_new(r, "pinch_span_duration_seconds", NULL, NULL, &c), -EEXIST,
	       "the span histogram's name as a counter is -EEXIST");
	is_int(pinch_histogram_new(r, "pinch_span_duration_seconds", NULL, other_label, NULL, &h), -EEXIST,
	       "the span histogram's name with another label is -EEXIST");
	is_int(pinch_histogram_get(r, "pinch_span_duration_seconds", NULL, span_label, NULL, &h), 0,
	       "the span histogram itself");
	pinch_registry_free(r);

	/* In the default registry, spans register their histogram: a counter
	 * there first made every span fail (-EINVAL whatever the cause). */
	is_int(pinch_counter_new(NULL, "pinch_span_duration_seconds", NULL, NULL, &c), -EEXIST,
	       "default registry: span name as a counter is -EEXIST");
	is_int(pinch_span_begin("s", 0, &id), 0, "so spans still work");
	is_int(pinch_span_end(id), 0, "span end");
	is_int(pinch_span_begin("\xff", 0, &id), -EINVAL, "span name not UTF-8 is -EINVAL");
	ok(strstr(pinch_last_error(), "UTF-8") != NULL, "with the cause: %s", pinch_last_error());

	is_int(pinch_counter_new(NULL, "no_out_total", NULL, NULL, NULL), -EINVAL, "counter: out NULL is -EINVAL");
	ok(strstr(pinch_last_error(), "NULL out") != NULL, "message: %s", pinch_last_error());
	is_int(pinch_gauge_get(NULL, "no_out", NULL, NULL, NULL), -EINVAL, "gauge: out NULL is -EINVAL");
	is_int(pinch_histogram_new(NULL, "no_out_seconds", NULL, NULL, NULL, NULL), -EINVAL,
	       "histogram: out NULL is -EINVAL");
	is_int(pinch_log_open_file("/nonexistent-dir/x", NULL, NULL), -EINVAL, "log: out NULL is -EINVAL");
}

static double queue_len(void *arg)
{
	return (double)++*(int *)arg;
}

/* Callback gauges, OpenMetrics rendering and its name clashes. */
static void test_openmetrics(void)
{
	struct pinch_registry *r;
	struct pinch_counter *c;
	struct pinch_gauge *g;
	int calls = 0;
	char *text;

	ok(pinch_registry_new(&r) == 0, "openmetrics: registry");
	is_int(pinch_gauge_func_new(r, "queue_length", "Queued.", NULL, NULL, NULL, &g), -EINVAL,
	       "callback gauge without a function is -EINVAL");
	is_int(pinch_gauge_func_new(r, "queue_length", "Queued.", NULL, queue_len, &calls, &g), 0,
	       "callback gauge");
	near(pinch_gauge_value(g), 1, 0, "read calls the function");
	pinch_gauge_set(g, 99);
	near(pinch_gauge_value(g), 2, 0, "set is ignored, the function is read again");
	is_int(pinch_counter_new(r, "jobs_total", "Jobs \"done\".", NULL, &c), 0, "counter jobs_total");
	pinch_counter_add(c, 3);
	is_int(pinch_counter_new(r, "retries", NULL, NULL, &c), 0, "counter retries (no _total)");
	is_int(pinch_gauge_new(r, "jobs", NULL, NULL, &g), -EEXIST, "gauge jobs: the OpenMetrics family of jobs_total");
	is_int(pinch_gauge_new(r, "retries_total", NULL, NULL, &g), -EEXIST, "gauge retries_total: a sample of counter retries");
	ok(pinch_registry_format(r, PINCH_FORMAT_OPENMETRICS, &text, NULL) == 0, "format OpenMetrics");
	ok(contains(text, "# HELP jobs Jobs \\\"done\\\".\n# TYPE jobs counter\njobs_total 3\n") &&
	   contains(text, "# TYPE retries counter\nretries_total 0\n") &&
	   contains(text, "# TYPE queue_length gauge\nqueue_length 3\n"),
	   "counter families without _total, samples with it, HELP quotes escaped, gauge read at render");
	ok(strlen(text) > 6 && !strcmp(text + strlen(text) - 6, "# EOF\n"), "ends with # EOF");
	pinch_free(text);
	{
		struct pinch_histogram *sm;
		const char *q[] = { "quantile", "x", NULL }, *op[] = { "op", "read", NULL };
		int v;

		is_int(pinch_summary_new(r, "rpc_seconds", "RPCs.", q, NULL, &sm), -EINVAL,
		       "summary with a quantile label is -EINVAL");
		is_int(pinch_summary_new(r, "rpc_seconds", "RPCs.", op, NULL, &sm), 0, "summary");
		for (v = 1; v <= 100; v++)
			pinch_histogram_observe(sm, v / 1000.0);
		is_int(pinch_gauge_new(r, "rpc_seconds_count", NULL, NULL, &g), -EEXIST, "gauge rpc_seconds_count clashes");
		ok(pinch_registry_format(r, PINCH_FORMAT_PROMETHEUS, &text, NULL) == 0, "format with a summary");
		ok(contains(text, "# TYPE rpc_seconds summary\n") &&
		   contains(text, "rpc_seconds{op=\"read\",quantile=\"0.5\"} 0.0499") &&
		   contains(text, "rpc_seconds{op=\"read\",quantile=\"0.99\"} 0.0988") &&
		   contains(text, "rpc_seconds_sum{op=\"read\"} 5.05\n") &&
		   contains(text, "rpc_seconds_count{op=\"read\"} 100\n"),
		   "summary quantiles (bucket midpoints, within 0.5 %%), _sum, _count");
	}
	pinch_free(text);
	pinch_registry_free(r);
}

static struct pinch_registry *remove_reg;

/* A callback gauge that removes a series while the render reads them. */
static double remove_during_render(void *arg)
{
	const char *labels[] = { "user", "b", NULL };

	*(int *)arg = pinch_series_remove(remove_reg, "seen_total", labels);
	return 1;
}

/* Series deletion, also in the middle of a render. */
static void test_remove(void)
{
	struct pinch_counter *a, *b, *again;
	struct pinch_gauge *g;
	const char *la[] = { "user", "a", NULL }, *lb[] = { "user", "b", NULL };
	const char *lx[] = { "user", "x", NULL }, *wrong[] = { "who", "a", NULL };
	const char *span[] = { "span", "s", NULL };
	int removed = 1;
	char *text;

	ok(pinch_registry_new(&remove_reg) == 0, "remove: registry");
	ok(pinch_gauge_func_new(remove_reg, "aaa_remover", NULL, NULL, remove_during_render, &removed, &g) == 0,
	   "a gauge rendered first");
	ok(pinch_counter_get(remove_reg, "seen_total", NULL, la, &a) == 0 &&
	   pinch_counter_get(remove_reg, "seen_total", NULL, lb, &b) == 0, "two series");
	pinch_counter_add(a, 5);
	pinch_counter_add(b, 7);
	is_int(pinch_series_remove(remove_reg, "seen_total", lx), -ENOENT, "no such label value: -ENOENT");
	is_int(pinch_series_remove(remove_reg, "nope_total", la), -ENOENT, "no such metric: -ENOENT");
	is_int(pinch_series_remove(remove_reg, "seen_total", wrong), -ENOENT, "other label name: -ENOENT");
	is_int(pinch_series_remove(NULL, "pinch_span_duration_seconds", span), -EPERM, "spans' series: -EPERM");
	ok(pinch_registry_format(remove_reg, PINCH_FORMAT_PROMETHEUS, &text, NULL) == 0, "render");
	is_int(removed, 0, "series b removed by the gauge during the render");
	ok(contains(text, "seen_total{user=\"b\"} 7\n"), "that render still read b (kept until it ended)");
	pinch_free(text);
	ok(pinch_registry_format(remove_reg, PINCH_FORMAT_PROMETHEUS, &text, NULL) == 0 &&
	   contains(text, "seen_total{user=\"a\"} 5\n") && !strstr(text, "user=\"b\""),
	   "the next render has a, not b");
	pinch_free(text);
	ok(pinch_counter_get(remove_reg, "seen_total", NULL, lb, &again) == 0 && pinch_counter_value(again) == 0,
	   "registering b again starts from zero");
	ok(pinch_counter_get(remove_reg, "seen_total", NULL, la, &again) == 0 && again == a,
	   "a is still found after the re-index");
	pinch_registry_free(remove_reg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Label cardinality: the per-family limit and its overflow series, the
 * default limit, registration time (was a linear search: 100k series took
 * 178 s) and memory per counter series (was 65 cache lines each). */
static void test_cardinality(void)
{
	struct pinch_registry *r;
	struct pinch_counter *c[5], *c2;
	char val[32], *text;
	const char *labels[] = { "user", val, NULL };
	size_t i, n = 50000;
	double t0, dt;
	int i5;

	ok(pinch_registry_new(&r) == 0, "cardinality: registry");
	is_int(pinch_registry_set_series_limit(r, 0), -EINVAL, "limit 0 is -EINVAL");
	is_int(pinch_registry_set_series_limit(r, 3), 0, "limit 3");
	for (i5 = 0; i5 < 5; i5++) {
		snprintf(val, sizeof(val), "u%d", i5);
		is_int(pinch_counter_get(r, "logins_total", "Logins.", labels, &c[i5]), 0, "series %d", i5);
		pinch_counter_inc(c[i5]);
	}
	ok(c[0] != c[1] && c[1] != c[2] && c[0] != c[2], "three series under the limit");
	ok(c[3] == c[4] && c[3] != c[2], "past the limit: one overflow series");
	snprintf(val, sizeof(val), "u1");
	ok(pinch_counter_get(r, "logins_total", NULL, labels, &c2) == 0 && c2 == c[1],
	   "an existing series is still found");
	is_int(pinch_counter_new(r, "pinch_series_dropped_total", NULL, NULL, &c2), -EEXIST,
	       "pinch_series_dropped_total is reserved");
	ok(pinch_registry_format(r, PINCH_FORMAT_PROMETHEUS, &text, NULL) == 0, "format");
	ok(contains(text, "logins_total{user=\"_overflow_\"} 2\n") &&
	   contains(text, "pinch_series_dropped_total{metric=\"logins_total\"} 2\n"),
	   "overflow series and dropped counter exposed");
	pinch_free(text);
	pinch_registry_free(r);

	/* the default limit, 10000 */
	ok(pinch_registry_new(&r) == 0, "registry with the default limit");
	for (i = 0; i <= 10000; i++) {
		snprintf(val, sizeof(val), "%zu", i);
		if (pinch_counter_get(r, "reqs_total", NULL, labels, &c2) < 0)
			break;
		if (i == 0)
			c[0] = c2;
	}
	ok(pinch_registry_format(r, PINCH_FORMAT_PROMETHEUS, &text, NULL) == 0 &&
	   contains(text, "pinch_series_dropped_total{metric=\"reqs_total\"} 1\n") &&
	   contains(text, "reqs_total{user=\"_overflow_\"} 0\n") &&
	   contains(text, "reqs_total{user=\"9999\"} 0\n") && !strstr(text, "{user=\"10000\"}"),
	   "series 10001 goes to the overflow series");
	pinch_free(text);
	pinch_registry_free(r);

	/* time and memory: n series registered, each incremented once */
	ok(pinch_registry_new(&r) == 0 && pinch_registry_set_series_limit(r, n) == 0, "registry, limit %zu", n);
	{
		struct mallinfo2 m0 = mallinfo2(), m1;
		size_t per;

		t0 = now_s();
		for (i = 0; i < n; i++) {
			snprintf(val, sizeof(val), "user-%zu", i);
			if (pinch_counter_get(r, "n_total", NULL, labels, &c2) < 0)
				break;
			pinch_counter_inc(c2);
		}
		dt = now_s() - t0;
		m1 = mallinfo2();
		is_uint(i, n, "%zu series registered", n);
		/* hashed: ~50 ms here; a linear search took ~45 s. The bound
		 * is generous for loaded machines and sanitizers. */
		ok(dt < 10, "%zu series registered in %.3f s (< 10 s)", n, dt);
		per = (m1.uordblks - m0.uordblks) / n;
		if (getenv("PINCH_SANITIZED") && !strcmp(getenv("PINCH_SANITIZED"), "1"))
			printf("ok %d - memory per counter series # SKIP the sanitizer's allocator\n", ++tap_count);
		else
			ok(per < 1024, "%zu bytes allocated per counter series (< 1 KB)", per);
	}
	pinch_registry_free(r);

	/* a histogram series observed by one thread: was ~37 KB (every HDR
	 * bucket of the thread's slot), now the pages its values touch */
	ok(pinch_registry_new(&r) == 0, "registry for histograms");
	{
		struct mallinfo2 m0 = mallinfo2(), m1;
		struct pinch_histogram *h;
		size_t per, nh = 2000;

		for (i = 0; i < nh; i++) {
			snprintf(val, sizeof(val), "user-%zu", i);
			if (pinch_histogram_get(r, "n_seconds", NULL, labels, NULL, &h) < 0)
				break;
			pinch_histogram_observe(h, 0.001);
		}
		m1 = mallinfo2();
		per = (m1.uordblks - m0.uordblks) / nh;
		if (getenv("PINCH_SANITIZED") && !strcmp(getenv("PINCH_SANITIZED"), "1"))
			printf("ok %d - memory per histogram series # SKIP the sanitizer's allocator\n", ++tap_count);
		else
			ok(per < 4096, "%zu bytes allocated per histogram series (< 4 KB)", per);
		pinch_histogram_observe(h, 100);
		pinch_histogram_observe(h, 1e-6);
		{
			struct pinch_histogram_summary hs;

			pinch_histogram_read(h, &hs);
			is_uint(hs.count, 3, "values on other pages counted");
			near(hs.max, 100, 0.5, "max from another page");
		}
	}
	pinch_registry_free(r);
}

static void test_values(struct pinch_registry *r)
{
	const char *get[] = { "method", "GET", NULL }, *post[] = { "method", "POST", NULL };
	const char *wrong[] = { "verb", "GET", NULL };
	const double b[] = { 0.01, 0.05, 0.1 };
	struct pinch_histogram_opts o = { .buckets = b, .n_buckets = 3 };
	struct pinch_counter *cg, *cp, *again;
	struct pinch_gauge *g;
	struct pinch_histogram *h;
	struct pinch_histogram_summary s;
	int i;

	ok(pinch_counter_new(r, "req_total", "Requests.", get, &cg) == 0, "labelled counter GET");
	ok(pinch_counter_new(r, "req_total", "Requests.", post, &cp) == 0, "labelled counter POST");
	is_int(pinch_counter_new(r, "req_total", NULL, wrong, &again), -EEXIST, "other label names is -EEXIST");
	ok(pinch_counter_get(r, "req_total", NULL, get, &again) == 0 && again == cg, "get finds the GET series");
	for (i = 0; i < 1000; i++)
		pinch_counter_inc(cg);
	pinch_counter_add(cp, 42);
	is_uint(pinch_counter_value(cg), 1000, "counter inc x1000");
	is_uint(pinch_counter_value(cp), 42, "counter add 42");

	ok(pinch_gauge_new(r, "queue_depth", "Queue depth.", NULL, &g) == 0, "gauge");
	pinch_gauge_set(g, 10);
	pinch_gauge_add(g, -2.5);
	near(pinch_gauge_value(g), 7.5, 0, "gauge set 10 add -2.5");

	ok(pinch_histogram_new(r, "lat_seconds", "Latency.", NULL, &o, &h) == 0, "histogram");
	{
		struct pinch_histogram *h2;

		is_int(pinch_histogram_get(r, "lat_seconds", NULL, NULL, NULL, &h2), -EEXIST,
		       "same histogram name with other buckets is -EEXIST");
		ok(pinch_histogram_get(r, "lat_seconds", NULL, NULL, &o, &h2) == 0 && h2 == h,
		   "same buckets: get returns it");
	}
	for (i = 1; i <= 100; i++)
		pinch_histogram_observe(h, i / 1000.0);	/* 1 .. 100 ms */
	pinch_histogram_read(h, &s);
	is_uint(s.count, 100, "histogram count");
	near(s.sum, 5.05, 1e-9, "histogram sum exact");
	near(s.avg, 0.0505, 1e-12, "histogram avg");
	near(s.min, 0.001, 0, "histogram min exact");
	near(s.max, 0.1, 0, "histogram max exact");
	near(s.p50, 0.050, 0.050 * 0.005, "p50 within 0.5%%");
	near(s.p95, 0.095, 0.095 * 0.005, "p95 within 0.5%%");
	near(s.p99, 0.099, 0.099 * 0.005, "p99 within 0.5%%");
	pinch_histogram_observe_ns(h, 7000000);	/* 7 ms */
	pinch_histogram_observe(h, -1);		/* counts as 0 */
	pinch_histogram_read(h, &s);
	is_uint(s.count, 102, "observe_ns and a negative value count");
	near(s.min, 0, 0, "negative value recorded as 0");
}

static void test_prometheus(struct pinch_registry *r)
{
	char *text = NULL;
	size_t len = 0;
	struct pinch_counter *c;
	struct pinch_gauge *g;
	const char *lv[] = { "path", "a\"b\\c\nd", NULL };

	ok(pinch_counter_new(r, "esc_total", "Line one\nback\\slash", lv, &c) == 0, "counter with odd label value");
	pinch_counter_inc(c);
	ok(pinch_gauge_new(r, "temp_celsius", NULL, NULL, &g) == 0, "gauge without help");
	pinch_gauge_set(g, 0.1);
	ok(pinch_registry_format(r, PINCH_FORMAT_PROMETHEUS, &text, &len) == 0, "format prometheus");
	is_uint(len, strlen(text), "length returned");
	ok(contains(text, "# HELP req_total Requests.\n# TYPE req_total counter\n"
			  "req_total{method=\"GET\"} 1000\nreq_total{method=\"POST\"} 42\n"), "counter family");
	ok(contains(text, "# TYPE queue_depth gauge\nqueue_depth 7.5\n"), "gauge");
	ok(contains(text, "temp_celsius 0.1\n"), "shortest float form");
	pinch_gauge_set(g, 10);
	pinch_free(text);
	ok(pinch_registry_format(r, PINCH_FORMAT_PROMETHEUS, &text, &len) == 0, "format again");
	ok(contains(text, "temp_celsius 10\n"), "10, not 1e+01");
	ok(contains(text, "lat_seconds_bucket{le=\"0.01\"} 12\n"), "bucket 0.01: 0, 1..10 ms and 7 ms");
	ok(contains(text, "lat_seconds_bucket{le=\"0.05\"} 52\n"), "bucket 0.05 cumulative");
	ok(contains(text, "lat_seconds_bucket{le=\"0.1\"} 102\n"), "bucket 0.1 includes 100 ms exactly");
	ok(contains(text, "lat_seconds_bucket{le=\"+Inf\"} 102\n"), "bucket +Inf");
	ok(contains(text, "lat_seconds_sum 5.057\n"), "sum");
	ok(contains(text, "lat_seconds_count 102\n"), "count");
	ok(contains(text, "# HELP esc_total Line one\\nback\\\\slash\n"), "HELP escaped");
	ok(contains(text, "esc_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"), "label value escaped");
	pinch_free(text);
}

static void test_json_text(struct pinch_registry *r)
{
	char *text = NULL;
	json_t *root, *m;
	json_error_t jerr;
	size_t i;
	int seen = 0;

	ok(pinch_registry_format(r, PINCH_FORMAT_JSON, &text, NULL) == 0, "format json");
	root = json_loads(text, 0, &jerr);
	ok(root != NULL, "json parses: %s", root ? "" : jerr.text);
	json_array_foreach(json_object_get(root, "metrics"), i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));

		if (name && !strcmp(name, "lat_seconds")) {
			seen++;
			is_int(json_integer_value(json_object_get(m, "count")), 102, "json count");
			near(json_number_value(json_object_get(m, "max")), 0.1, 0, "json max");
			ok(json_object_get(m, "p95") != NULL && json_object_get(m, "p99") != NULL, "json p95, p99");
		}
		if (name && !strcmp(name, "req_total") &&
		    !strcmp(json_string_value(json_object_get(json_object_get(m, "labels"), "method")), "POST")) {
			seen++;
			is_int(json_integer_value(json_object_get(m, "value")), 42, "json counter value");
		}
	}
	is_int(seen, 2, "json holds the histogram and the POST counter");
	json_decref(root);
	pinch_free(text);

	ok(pinch_registry_format(r, PINCH_FORMAT_TEXT, &text, NULL) == 0, "format text");
	ok(contains(text, "METRIC") && contains(text, "P99") && contains(text, "req_total{method=GET}"),
	   "text table has a header and labelled rows");
	pinch_free(text);
	is_int(pinch_registry_format(r, (enum pinch_format)99, &text, NULL), -EINVAL, "unknown format");
}

int main(void)
{
	struct pinch_registry *r;

	ok(pinch_registry_new(&r) == 0, "registry");
	test_errors(r);
	test_values(r);
	test_prometheus(r);
	test_json_text(r);
	pinch_registry_free(r);
	test_collisions();
	test_cardinality();
	test_openmetrics();
	test_remove();
	ok(pinch_registry_default() == pinch_registry_default(), "default registry is one");
	return done_testing();
}
