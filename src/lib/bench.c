/*
 * bench.c - libpinch's micro-benchmark harness (src/lib): calibration of
 * iterations per round, rounds, untimed setup/teardown per round, the
 * statistics as pytest-benchmark defines them, and the JSON document that
 * `pinch bench` shares (docs/lib.md, "Benchmark JSON").
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/banned.h"

#define MAX_ROUNDS 10000000ull
#define MAX_ITERATIONS (1ull << 40)

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_sorted(const double *d, size_t n)
{
	return n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
}

PINCH_API void pinch_bench_stats_compute(const double *data, size_t n, struct pinch_bench_stats *st)
{
	double *d, sum = 0, var = 0, lo, hi;
	size_t i, k, r;

	memset(st, 0, sizeof(*st));
	if (!data || !n)
		return;
	st->rounds = n;
	d = malloc(n * sizeof(*d));
	if (!d)
		return;
	memcpy(d, data, n * sizeof(*d));
	qsort(d, n, sizeof(*d), dcmp);
	for (i = 0; i < n; i++)
		sum += d[i];
	st->total = sum;
	st->min = d[0];
	st->max = d[n - 1];
	st->mean = sum / (double)n;
	for (i = 0; i < n && n > 1; i++)
		var += (d[i] - st->mean) * (d[i] - st->mean);
	st->stddev = n > 1 ? sqrt(var / (double)(n - 1)) : 0;
	st->median = median_sorted(d, n);
	/* Quartiles: Wikipedia's method 3 for odd n, the medians of the two
	 * halves for even n (pytest-benchmark's choice). */
	if (n == 1) {
		st->q1 = st->q3 = d[0];
	} else if (n % 2) {
		k = n / 4, r = n % 4;
		if (r == 1) {
			st->q1 = 0.25 * d[k - 1] + 0.75 * d[k];
			st->q3 = 0.75 * d[3 * k] + 0.25 * d[3 * k + 1];
		} else {
			st->q1 = 0.75 * d[k] + 0.25 * d[k + 1];
			st->q3 = 0.25 * d[3 * k + 1] + 0.75 * d[3 * k + 2];
		}
	} else {
		st->q1 = median_sorted(d, n / 2);
		st->q3 = median_sorted(d + n / 2, n / 2);
	}
	st->iqr = st->q3 - st->q1;
	lo = st->q1 - 1.5 * st->iqr;
	hi = st->q3 + 1.5 * st->iqr;
	st->ld15iqr = st->hd15iqr = d[0];
	for (i = 0; i < n; i++)
		if (d[i] >= lo) {
			st->ld15iqr = d[i];
			break;
		}
	for (i = n; i-- > 0;)
		if (d[i] <= hi) {
			st->hd15iqr = d[i];
			break;
		}
	for (i = 0; i < n; i++) {
		if (d[i] < lo || d[i] > hi)
			st->iqr_outliers++;
		if (d[i] < st->mean - st->stddev || d[i] > st->mean + st->stddev)
			st->stddev_outliers++;
	}
	st->ops = st->mean > 0 ? 1 / st->mean : 0;
	free(d);
}

/* The smallest step the clock shows, in seconds. */
static double timer_precision(void)
{
	uint64_t best = UINT64_MAX;
	int i;

	for (i = 0; i < 20; i++) {
		uint64_t t0 = clock_mono_ns(), t1;

		while ((t1 = clock_mono_ns()) == t0)
			;
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return (double)best / 1e9;
}

static double run_round(void (*fn)(void *), void *arg, const struct pinch_bench_opts *o,
			uint64_t iterations)
{
	uint64_t t0, t1, i;

	if (o->setup)
		o->setup(arg);
	t0 = clock_mono_ns();
	for (i = 0; i < iterations; i++)
		fn(arg);
	t1 = clock_mono_ns();
	if (o->teardown)
		o->teardown(arg);
	return (double)(t1 - t0) / 1e9;
}

PINCH_API int pinch_bench(const char *name, void (*fn)(void *arg), void *arg,
			  const struct pinch_bench_opts *opts, struct pinch_bench_result *res)
{
	struct pinch_bench_opts o = { 0 };
	double round_time, target;
	uint64_t r, t_start;
	int auto_rounds;

	if (!name || !fn || !res)
		return lib_err(-EINVAL, "pinch_bench: NULL name, function or result");
	memset(res, 0, sizeof(*res));
	if (opts)
		o = *opts;
	if (!(o.min_time >= 0) || !(o.max_time >= 0) || o.rounds > MAX_ROUNDS ||
	    o.iterations > MAX_ITERATIONS || o.warmup_rounds > MAX_ROUNDS)
		return lib_err(-EINVAL, "pinch_bench '%s': negative time or too many rounds/iterations", name);
	if (!o.min_rounds)
		o.min_rounds = 5;
	if (!o.min_time)
		o.min_time = 5e-6;
	if (!o.max_time)
		o.max_time = 1.0;
	if (!o.iterations && (o.setup || o.teardown))
		o.iterations = 1;
	if (!o.iterations) {
		/* Calibrate: double until a round lasts the target. */
		target = fmax(o.min_time, timer_precision() * 100);
		for (o.iterations = 1;; o.iterations *= 2) {
			round_time = run_round(fn, arg, &o, o.iterations);
			if (round_time >= target || o.iterations >= MAX_ITERATIONS)
				break;
		}
	}
	for (r = 0; r < o.warmup_rounds; r++)
		run_round(fn, arg, &o, o.iterations);
	auto_rounds = !o.rounds;
	if (!o.rounds) {
		round_time = run_round(fn, arg, &o, o.iterations);
		o.rounds = round_time > 0 ? (uint64_t)ceil(o.max_time / round_time) : MAX_ROUNDS;
		if (o.rounds < o.min_rounds)
			o.rounds = o.min_rounds;
		if (o.rounds > MAX_ROUNDS)
			o.rounds = MAX_ROUNDS;
	}
	res->name = strdup(name);
	res->data = malloc(o.rounds * sizeof(*res->data));
	if (!res->name || !res->data) {
		pinch_bench_result_release(res);
		return lib_err(-ENOMEM, "out of memory");
	}
	t_start = clock_mono_ns();
	for (r = 0; r < o.rounds; r++) {
		res->data[r] = run_round(fn, arg, &o, o.iterations) / (double)o.iterations;
		/* The estimate came from one round; if rounds turn out slower
		 * (a loaded machine), max_time still bounds the run. */
		if (auto_rounds && r + 1 >= o.min_rounds &&
		    (double)(clock_mono_ns() - t_start) / 1e9 > o.max_time) {
			o.rounds = r + 1;
			break;
		}
	}
	res->opts = o;
	pinch_bench_stats_compute(res->data, o.rounds, &res->stats);
	res->stats.iterations = o.iterations;
	res->stats.total *= (double)o.iterations;
	return 0;
}

PINCH_API void pinch_bench_result_release(struct pinch_bench_result *res)
{
	if (!res)
		return;
	free(res->name);
	free(res->data);
	memset(res, 0, sizeof(*res));
}

PINCH_API int pinch_bench_json(const struct pinch_bench_result *res, size_t n, int with_data,
			       char **out, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	struct utsname u;
	char host[256] = "", stamp[32], outl[48];
	uint64_t now = clock_real_ns();
	size_t i, k;

	if (!out || (n && !res))
		return lib_err(-EINVAL, "pinch_bench_json: NULL argument");
	gethostname(host, sizeof(host) - 1);
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	clock_format_iso8601(now, stamp, sizeof(stamp));
	json_result_begin(&w, &sb, "bench");
	json_kint(&w, "pinch_bench", 1);
	json_kstr(&w, "version", PINCH_VERSION);
	json_kstr(&w, "datetime", stamp);
	json_key(&w, "machine_info");
	json_obj_begin(&w);
	json_kstr(&w, "node", host);
	json_kstr(&w, "system", u.sysname);
	json_kstr(&w, "release", u.release);
	json_kstr(&w, "machine", u.machine);
	json_kint(&w, "cpu_count", sysconf(_SC_NPROCESSORS_ONLN));
	json_obj_end(&w);
	json_key(&w, "benchmarks");
	json_arr_begin(&w);
	for (i = 0; i < n; i++) {
		const struct pinch_bench_result *r = &res[i];
		const struct pinch_bench_stats *s = &r->stats;

		json_obj_begin(&w);
		json_kstr(&w, "name", r->name);
		json_key(&w, "options");
		json_obj_begin(&w);
		json_kuint(&w, "rounds", r->opts.rounds);
		json_kuint(&w, "iterations", r->opts.iterations);
		json_kuint(&w, "warmup_rounds", r->opts.warmup_rounds);
		json_kuint(&w, "min_rounds", r->opts.min_rounds);
		json_kdouble_g(&w, "min_time", r->opts.min_time, 9);
		json_kdouble_g(&w, "max_time", r->opts.max_time, 9);
		json_kbool(&w, "setup", r->opts.setup || r->opts.teardown);
		json_kstr(&w, "timer", "CLOCK_MONOTONIC");
		json_obj_end(&w);
		json_key(&w, "stats");
		json_obj_begin(&w);
		json_kdouble_g(&w, "min", s->min, 9);
		json_kdouble_g(&w, "max", s->max, 9);
		json_kdouble_g(&w, "mean", s->mean, 9);
		json_kdouble_g(&w, "stddev", s->stddev, 9);
		json_kuint(&w, "rounds", s->rounds);
		json_kdouble_g(&w, "median", s->median, 9);
		json_kdouble_g(&w, "iqr", s->iqr, 9);
		json_kdouble_g(&w, "q1", s->q1, 9);
		json_kdouble_g(&w, "q3", s->q3, 9);
		json_kuint(&w, "iqr_outliers", s->iqr_outliers);
		json_kuint(&w, "stddev_outliers", s->stddev_outliers);
		snprintf(outl, sizeof(outl), "%llu;%llu", (unsigned long long)s->stddev_outliers,
			 (unsigned long long)s->iqr_outliers);
		json_kstr(&w, "outliers", outl);
		json_kdouble_g(&w, "ld15iqr", s->ld15iqr, 9);
		json_kdouble_g(&w, "hd15iqr", s->hd15iqr, 9);
		json_kdouble_g(&w, "ops", s->ops, 9);
		json_kdouble_g(&w, "total", s->total, 9);
		json_kuint(&w, "iterations", s->iterations);
		if (with_data && r->data) {
			json_key(&w, "data");
			json_arr_begin(&w);
			for (k = 0; k < s->rounds; k++) {
				json_double_g(&w, r->data[k], 9);
			}
			json_arr_end(&w);
		}
		json_obj_end(&w);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(&sb, '\n');
	*out = strbuf_detach(&sb, len);
	return *out ? 0 : lib_err(-ENOMEM, "out of memory");
}

PINCH_API int pinch_bench_table(const struct pinch_bench_result *res, size_t n, char **out, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, width = 4;
	int k;

	if (!out || (n && !res))
		return lib_err(-EINVAL, "pinch_bench_table: NULL argument");
	for (i = 0; i < n; i++)
		if (res[i].name && strlen(res[i].name) > width)
			width = strlen(res[i].name);
	strbuf_addf(&sb, "%-*s  %10s  %10s  %10s  %10s  %10s  %9s  %12s  %8s  %10s\n", (int)width,
		    "NAME", "MIN", "MEAN", "MEDIAN", "STDDEV", "IQR", "OUTLIERS", "OPS/S",
		    "ROUNDS", "ITERATIONS");
	for (i = 0; i < n; i++) {
		const struct pinch_bench_stats *s = &res[i].stats;
		struct strbuf c[5] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
		double v[5] = { s->min, s->mean, s->median, s->stddev, s->iqr };
		char outl[48];

		for (k = 0; k < 5; k++)
			strbuf_add_duration(&c[k], v[k] * 1e9);
		snprintf(outl, sizeof(outl), "%llu;%llu", (unsigned long long)s->stddev_outliers,
			 (unsigned long long)s->iqr_outliers);
		strbuf_addf(&sb, "%-*s  %10s  %10s  %10s  %10s  %10s  %9s  %12.1f  %8llu  %10llu\n",
			    (int)width, res[i].name ? res[i].name : "", c[0].buf, c[1].buf, c[2].buf,
			    c[3].buf, c[4].buf, outl, s->ops, (unsigned long long)s->rounds,
			    (unsigned long long)s->iterations);
		for (k = 0; k < 5; k++)
			strbuf_release(&c[k]);
	}
	*out = strbuf_detach(&sb, len);
	return *out ? 0 : lib_err(-ENOMEM, "out of memory");
}
