/*
 * t-lib-bench.c - libpinch's micro-benchmark harness: statistics against
 * pytest-benchmark's published test values, exact call counts for rounds,
 * iterations, warm-up and setup/teardown, calibration, and the JSON shape.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "pinch/pinch.h"
#include "tap.h"

static unsigned long calls, setups, teardowns;

static void fn(void *arg) { (void)arg; calls++; }
static void setup(void *arg) { (void)arg; setups++; }
static void teardown(void *arg) { (void)arg; teardowns++; }

int main(void)
{
	const double d5[] = { 4, 36, 45, 50, 75 }, d3[] = { 17, 19, 24 };
	const double d8[] = { 1, 2, 3, 4, 5, 6, 7, 100 };
	struct pinch_bench_stats st;
	struct pinch_bench_opts o = { 0 };
	struct pinch_bench_result res[2];
	json_t *root, *b, *stats;
	json_error_t jerr;
	char *text;

	pinch_bench_stats_compute(d5, 5, &st);
	near(st.mean, 42, 0, "mean");
	near(st.min, 4, 0, "min");
	near(st.max, 75, 0, "max");
	near(st.stddev, 25.700194551792794, 1e-12, "sample stddev");
	near(st.total, 210, 0, "total");
	near(st.ops, 0.023809523809523808, 1e-15, "ops");
	near(st.median, 45, 0, "median");
	near(st.q1, 28, 1e-12, "q1, odd n (method 3)");
	near(st.q3, 56.25, 1e-12, "q3, odd n (method 3)");
	near(st.iqr, 28.25, 1e-12, "iqr");
	is_uint(st.stddev_outliers, 2, "stddev outliers: 4 and 75");
	is_uint(st.iqr_outliers, 0, "no IQR outliers");
	pinch_bench_stats_compute(d3, 3, &st);
	near(st.stddev, 3.605551275463989, 1e-12, "stddev of 17 19 24");
	pinch_bench_stats_compute(d8, 8, &st);
	near(st.q1, 2.5, 0, "q1, even n (median of the lower half)");
	near(st.q3, 6.5, 0, "q3, even n");
	is_uint(st.iqr_outliers, 1, "100 is an IQR outlier");
	near(st.hd15iqr, 7, 0, "highest datum within 1.5 IQR");
	near(st.ld15iqr, 1, 0, "lowest datum within 1.5 IQR");

	o.rounds = 7;
	o.iterations = 3;
	o.warmup_rounds = 2;
	ok(pinch_bench("fixed", fn, NULL, &o, &res[0]) == 0, "bench with fixed rounds/iterations");
	is_uint(calls, (7 + 2) * 3, "fn calls = (rounds + warmup) x iterations");
	is_uint(res[0].stats.rounds, 7, "rounds");
	is_uint(res[0].stats.iterations, 3, "iterations");
	pinch_bench_result_release(&res[0]);

	memset(&o, 0, sizeof(o));
	o.rounds = 10;
	o.setup = setup;
	o.teardown = teardown;
	calls = 0;
	ok(pinch_bench("pedantic", fn, NULL, &o, &res[0]) == 0, "bench with setup/teardown");
	is_uint(res[0].opts.iterations, 1, "setup implies 1 iteration");
	is_uint(setups, 10, "setup once per round");
	is_uint(teardowns, 10, "teardown once per round");
	is_uint(calls, 10, "fn once per round");

	memset(&o, 0, sizeof(o));
	o.max_time = 0.05;
	ok(pinch_bench("calibrated", fn, NULL, &o, &res[1]) == 0, "calibrated bench");
	ok(res[1].opts.iterations > 1, "calibration picked %llu iterations",
	   (unsigned long long)res[1].opts.iterations);
	ok(res[1].stats.rounds >= 5, "at least min_rounds rounds (%llu)",
	   (unsigned long long)res[1].stats.rounds);

	ok(pinch_bench_json(res, 2, 1, &text, NULL) == 0, "json");
	root = json_loads(text, 0, &jerr);
	ok(root != NULL, "json parses");
	is_int(json_integer_value(json_object_get(root, "pinch_bench")), 1, "format version");
	ok(json_is_object(json_object_get(root, "machine_info")), "machine_info");
	b = json_array_get(json_object_get(root, "benchmarks"), 1);
	is_str(json_string_value(json_object_get(b, "name")), "calibrated", "name");
	stats = json_object_get(b, "stats");
	is_int(json_array_size(json_object_get(stats, "data")), res[1].stats.rounds, "data has every round");
	ok(json_is_string(json_object_get(stats, "outliers")), "outliers string");
	near(json_number_value(json_object_get(stats, "mean")), res[1].stats.mean,
	     res[1].stats.mean * 1e-8, "mean round-trips with 9 digits");
	json_decref(root);
	pinch_free(text);
	ok(pinch_bench_table(res, 2, &text, NULL) == 0 && strstr(text, "OPS/S") && strstr(text, "calibrated"),
	   "table");
	pinch_free(text);
	pinch_bench_result_release(&res[0]);
	pinch_bench_result_release(&res[1]);
	is_int(pinch_bench(NULL, fn, NULL, NULL, &res[0]), -EINVAL, "NULL name");
	o.min_time = -1;
	is_int(pinch_bench("x", fn, NULL, &o, &res[0]), -EINVAL, "negative min_time");
	return done_testing();
}
