/*
 * pinch/bench.h - a micro-benchmark harness for C functions, modelled on
 * pytest-benchmark: calibrated iterations per round, rounds, optional
 * setup/teardown around each round (like benchmark.pedantic), statistics
 * with the same definitions (min, max, mean, stddev, median, IQR, the
 * "stddev;iqr" outlier counts, ops/s), and JSON whose shape is documented
 * in docs/lib.md and shared with `pinch bench`.
 */
#ifndef PINCH_BENCH_H
#define PINCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifndef PINCH_API
#define PINCH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct pinch_bench_opts {
	/* 0 = calibrate: enough iterations that a round lasts min_time. With a
	 * setup or teardown, 0 means 1 (pytest-benchmark's rule). */
	uint64_t iterations;
	/* 0 = as many as fit in max_time, at least min_rounds. */
	uint64_t rounds;
	uint64_t warmup_rounds;	/* rounds run and discarded first */
	uint64_t min_rounds;	/* 0 means 5 */
	double min_time;	/* seconds; 0 means 5e-6 */
	double max_time;	/* seconds; 0 means 1.0 */
	/* Called before / after every round, outside the timing. */
	void (*setup)(void *arg);
	void (*teardown)(void *arg);
};

/* Statistics of the per-iteration times, in seconds. */
struct pinch_bench_stats {
	uint64_t rounds, iterations;
	double min, max, mean, stddev, median, q1, q3, iqr;
	double ld15iqr, hd15iqr;	/* lowest/highest datum within 1.5 IQR */
	uint64_t iqr_outliers;		/* beyond (q1 - 1.5 iqr, q3 + 1.5 iqr) */
	uint64_t stddev_outliers;	/* beyond (mean - stddev, mean + stddev) */
	double ops;			/* 1 / mean */
	double total;			/* seconds spent in timed rounds */
};

struct pinch_bench_result {
	char *name;
	struct pinch_bench_opts opts;	/* as run (calibrated values filled in) */
	struct pinch_bench_stats stats;
	double *data;			/* per-round time per iteration, seconds */
};

/* Runs fn(arg) under opts (NULL for defaults) and fills *res, which the
 * caller releases with pinch_bench_result_release(). Returns 0, -EINVAL
 * (NULL name/fn/res, negative or NaN times, more than 10,000,000 rounds or
 * 2^40 iterations), -ENOMEM. fn, setup and teardown run on the calling
 * thread; the harness keeps no state between calls, so benchmarks on
 * different threads may run at once (they will disturb each other's times). */
PINCH_API int pinch_bench(const char *name, void (*fn)(void *arg), void *arg,
			  const struct pinch_bench_opts *opts,
			  struct pinch_bench_result *res);
PINCH_API void pinch_bench_result_release(struct pinch_bench_result *res);

/* Computes stats from n per-iteration times (seconds). n >= 1. */
PINCH_API void pinch_bench_stats_compute(const double *data, size_t n,
					 struct pinch_bench_stats *st);

/* Renders n results as the documented JSON document ({"pinch_bench":1,
 * "machine_info":..,"datetime":..,"benchmarks":[..]}) into *out (free with
 * pinch_free). with_data adds every round's time. 0 or -ENOMEM. */
PINCH_API int pinch_bench_json(const struct pinch_bench_result *res, size_t n,
			       int with_data, char **out, size_t *len);
/* One aligned table line per result (name, min, mean, median, stddev, IQR,
 * outliers, ops/s, rounds, iterations) with a header line. */
PINCH_API int pinch_bench_table(const struct pinch_bench_result *res, size_t n,
				char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
