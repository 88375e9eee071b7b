/*
 * pinch/metrics.h - the metrics registry: counters, gauges and histograms
 * with optional labels, in Prometheus' data model.
 *
 * A metric *family* is a name + help + type (+ label names, + buckets for
 * histograms); a *series* is one family with one set of label values. Every
 * pinch_counter / pinch_gauge / pinch_histogram handle is one series.
 * Handles are created once (slow path, under the registry lock) and stay
 * valid until the registry is freed; updating them takes no lock: counters
 * and histograms write to a per-thread slot (cache-line padded, merged when
 * read), gauges are one atomic value.
 *
 * Labels are passed as a NULL-terminated array of name, value pairs:
 *     const char *labels[] = { "method", "GET", "code", "200", NULL };
 * NULL means no labels.
 */
#ifndef PINCH_METRICS_H
#define PINCH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#ifndef PINCH_API
#define PINCH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct pinch_registry;
struct pinch_counter;
struct pinch_gauge;
struct pinch_histogram;
struct pinch_histogram_opts;

/* Creates an empty registry. Returns 0 or -ENOMEM. Free with
 * pinch_registry_free(). */
PINCH_API int pinch_registry_new(struct pinch_registry **out);

/* Frees the registry and every handle created in it. No other thread may
 * use the registry or its handles any more. NULL and the default registry
 * (which lives as long as the process) are ignored. */
PINCH_API void pinch_registry_free(struct pinch_registry *reg);

/* Cardinality guard: a family (one metric name) with labels holds at most
 * limit series (default 10000). Registering a new label set past it
 * returns, with 0, the family's overflow series (every label value
 * "_overflow_") and counts the registration in
 * pinch_series_dropped_total{metric="<name>"}. reg NULL means the default
 * registry. 0, -EINVAL (limit 0) or -ENOMEM. Lowering it keeps the series
 * already there. */
PINCH_API int pinch_registry_set_series_limit(struct pinch_registry *reg, size_t limit);

/* The process-wide default registry, created on first use (never freed).
 * Spans, PINCH_TIME_SCOPE and pinch_serve() use it. NULL only when out of
 * memory. Every function below accepts NULL for reg to mean this one. */
PINCH_API struct pinch_registry *pinch_registry_default(void);

/*
 * Registration. _new creates a series and fails with -EEXIST when the same
 * name and label values are already registered (double registration).
 * _get returns the existing series or creates it (the way to reach series
 * with label values known only at run time; cache the handle).
 * Both fail with:
 *   -EINVAL  out is NULL, a name not matching [a-zA-Z_:][a-zA-Z0-9_:]*, a label name not
 *            matching [a-zA-Z_][a-zA-Z0-9_]* or starting with "__", a label
 *            value that is not valid UTF-8, an odd label array, "le" as a
 *            histogram label, or (histograms) no buckets / unsorted buckets;
 *   -EEXIST  (also for _get) the name exists with another type, other label
 *            names, or other buckets; or the name is reserved
 *            (pinch_span_duration_seconds but as the spans' histogram,
 *            pinch_series_dropped_total, the process_* names /metrics adds)
 *            or its samples would clash with another family's: a
 *            histogram x exposes x_bucket, x_sum and x_count;
 *   -ENOMEM.
 * help may be NULL. Strings are copied.
 */
PINCH_API int pinch_counter_new(struct pinch_registry *reg, const char *name,
				const char *help, const char *const *labels,
				struct pinch_counter **out);
PINCH_API int pinch_counter_get(struct pinch_registry *reg, const char *name,
				const char *help, const char *const *labels,
				struct pinch_counter **out);

PINCH_API int pinch_gauge_new(struct pinch_registry *reg, const char *name,
			      const char *help, const char *const *labels,
			      struct pinch_gauge **out);
PINCH_API int pinch_gauge_get(struct pinch_registry *reg, const char *name,
			      const char *help, const char *const *labels,
			      struct pinch_gauge **out);

/* A callback gauge: fn(arg) is called for its value whenever it is read
 * (each scrape of /metrics, pinch_gauge_value, pinch_registry_format),
 * from the reading thread, with no libpinch lock held; it must be
 * thread-safe and quick. pinch_gauge_set/add on it are ignored. Returns
 * like pinch_gauge_new, and -EINVAL for a NULL fn. */
PINCH_API int pinch_gauge_func_new(struct pinch_registry *reg, const char *name,
				   const char *help, const char *const *labels,
				   double (*fn)(void *arg), void *arg,
				   struct pinch_gauge **out);

/* Summaries: recorded like histograms (pinch_histogram_observe* on the
 * handle, pinch_histogram_read) and exposed as quantile 0.5, 0.9 and 0.99
 * of every value so far (within 0.5 %), _sum and _count. "quantile" is a
 * reserved label name; opts' buckets are ignored but for the name check. */
PINCH_API int pinch_summary_new(struct pinch_registry *reg, const char *name,
				const char *help, const char *const *labels,
				const struct pinch_histogram_opts *opts,
				struct pinch_histogram **out);
PINCH_API int pinch_summary_get(struct pinch_registry *reg, const char *name,
				const char *help, const char *const *labels,
				const struct pinch_histogram_opts *opts,
				struct pinch_histogram **out);

/* Removes the series name{labels} (labels as at registration) from reg:
 * it is no longer exported, its handle becomes invalid (no thread may use
 * it any more), and registering the same labels again starts from zero.
 * Returns 0, -ENOENT (no such series), -EINVAL, -EPERM (the spans'
 * pinch_span_duration_seconds series: call sites cache them). */
PINCH_API int pinch_series_remove(struct pinch_registry *reg, const char *name,
				  const char *const *labels);

/* Histogram options. buckets: the Prometheus upper bounds (`le`), strictly
 * increasing and finite, at most 1000; NULL selects the default latency
 * buckets in seconds (.005 .. 10); a non-NULL pointer with n_buckets 0 is
 * -EINVAL. scale: resolution, ticks per unit of the observed values (the
 * percentiles come from an HDR-style log-linear histogram of integer
 * ticks, within 0.4 %); 0 means 1e9, i.e. nanoseconds for values in
 * seconds. */
struct pinch_histogram_opts {
	const double *buckets;
	size_t n_buckets;
	double scale;
};

/* opts may be NULL (default buckets, scale 1e9). */
PINCH_API int pinch_histogram_new(struct pinch_registry *reg, const char *name,
				  const char *help, const char *const *labels,
				  const struct pinch_histogram_opts *opts,
				  struct pinch_histogram **out);
PINCH_API int pinch_histogram_get(struct pinch_registry *reg, const char *name,
				  const char *help, const char *const *labels,
				  const struct pinch_histogram_opts *opts,
				  struct pinch_histogram **out);

/*
 * Updates: lock-free, callable from any thread, never fail. A NULL handle is
 * ignored (so a failed registration does not crash the host program).
 */
PINCH_API void pinch_counter_inc(struct pinch_counter *c);
PINCH_API void pinch_counter_add(struct pinch_counter *c, uint64_t n);
PINCH_API void pinch_gauge_set(struct pinch_gauge *g, double v);
PINCH_API void pinch_gauge_add(struct pinch_gauge *g, double delta);
/* Records one value in the histogram's unit. Negative values count as 0. */
PINCH_API void pinch_histogram_observe(struct pinch_histogram *h, double v);
/* Records one duration in nanoseconds into a histogram whose unit is
 * seconds (the default scale): no floating point on the way. */
PINCH_API void pinch_histogram_observe_ns(struct pinch_histogram *h, uint64_t ns);

/* Reads: merge the per-thread slots. Exact once the writers are quiet;
 * while they write, each slot is read atomically. */
PINCH_API uint64_t pinch_counter_value(const struct pinch_counter *c);
PINCH_API double pinch_gauge_value(const struct pinch_gauge *g);

struct pinch_histogram_summary {
	uint64_t count;
	double sum, avg, min, max, p50, p95, p99;	/* in the histogram's unit */
};
PINCH_API void pinch_histogram_read(const struct pinch_histogram *h,
				    struct pinch_histogram_summary *out);

enum pinch_format {
	PINCH_FORMAT_TEXT,		/* aligned table for people */
	PINCH_FORMAT_JSON,		/* {"metrics":[...]} */
	PINCH_FORMAT_PROMETHEUS,	/* text exposition format 0.0.4 */
	PINCH_FORMAT_OPENMETRICS,	/* OpenMetrics 1.0 text (counter families
					 * without _total, "# EOF" last) */
};

/* Renders every series of reg into *out (NUL-terminated; caller frees with
 * pinch_free); *len gets its length when len is not NULL. Histograms show
 * count, avg, min, max, p50, p95, p99 in TEXT and JSON, and _bucket/_sum/
 * _count in PROMETHEUS. Returns 0, -EINVAL (unknown format) or -ENOMEM. */
PINCH_API int pinch_registry_format(struct pinch_registry *reg, enum pinch_format fmt,
				    char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
