/*
 * threshold.h - pass/fail thresholds of a load run ("p99<200ms",
 * "errors<1%", "rps>=1000") and the default performance-target verdict
 * (Good / Acceptable / Marginal / Poor) for P50, P99 and the error rate.
 */
#ifndef PINCH_LOAD_THRESHOLD_H
#define PINCH_LOAD_THRESHOLD_H

#include <stddef.h>

struct load_result;

enum thr_metric { THR_PCT, THR_AVG, THR_MIN, THR_MAX, THR_ERR_RATE, THR_ERR_COUNT, THR_RPS, THR_CHECKS };
enum thr_op { THR_LT, THR_LE, THR_GT, THR_GE };

struct load_threshold {
	char text[64];
	enum thr_metric metric;
	double pct;		/* THR_PCT: the percentile */
	enum thr_op op;
	double value;		/* ns for latency, a fraction for error and check rates */
	int task;		/* judged on this task's requests; -1: the whole run */
	int check;		/* THR_CHECKS: this check; -1: all checks */
	char check_name[64];	/* THR_CHECKS: "checks{NAME}" as given */
};

/* Parses "p99<200ms", "p99.9<=1s", "avg<50ms", "max<2s", "errors<1%",
 * "errors<10" (a count), "rps>1000", "checks>99%" (the share of passed
 * checks), "checks{NAME}>=99.5%" (one check's). The threshold is for the
 * whole run (task -1). Returns 0 or -EINVAL with err set. */
int load_threshold_parse(const char *s, struct load_threshold *t, char *err, size_t errlen);
/* Resolves a checks{NAME} threshold against the check names (n of them).
 * Returns 0 or -EINVAL with err set. */
int load_threshold_bind(struct load_threshold *t, const char *const *names, size_t n, char *err,
			size_t errlen);
/* Returns 1 when the result meets the threshold; *actual gets the value
 * compared (ns, fraction, count or req/s). */
int load_threshold_eval(const struct load_threshold *t, const struct load_result *r, double *actual);
/* Formats a threshold's value or actual in its own unit. */
void load_threshold_format(const struct load_threshold *t, double v, char *buf, size_t size);

enum verdict_rating { V_GOOD, V_ACCEPTABLE, V_MARGINAL, V_POOR };
extern const char *const load_verdict_names[];

struct load_verdict_row {
	const char *metric;	/* "P50 latency" */
	double value;		/* ns or fraction */
	int is_rate;
	double good, acceptable, poor;
	enum verdict_rating rating;
};

/* Fills the three rows of the performance-target table. */
void load_verdict(const struct load_result *r, struct load_verdict_row rows[3]);

#endif
