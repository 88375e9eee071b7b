/*
 * targets.h - pinch check's performance targets: a built-in table (P50
 * and P99 latency, error rate, CPU usage, memory) that a YAML file can
 * override or extend, and their evaluation against any pinch result
 * (load, bench, mem, stat). A value is Good, Acceptable, Degraded (between
 * the acceptable and the poor bound) or Poor.
 */
#ifndef PINCH_BENCH_TARGETS_H
#define PINCH_BENCH_TARGETS_H

#include <stddef.h>

struct strbuf;

enum target_unit { TU_SECONDS, TU_PERCENT, TU_BYTES, TU_NUMBER };
enum target_verdict { TV_GOOD, TV_ACCEPTABLE, TV_DEGRADED, TV_POOR, TV_NONE };
extern const char *const target_verdict_names[];

struct target_bound {
	int set;
	int higher;	/* 1: "> v" holds; 0: "< v" */
	double v;	/* in the metric's unit: seconds, percent, bytes, number */
};

struct target {
	char metric[64];	/* "p99", "cpu", "mean", or a JSON path "stats.ops" */
	char kind[16];		/* "" any kind that has the metric */
	char endpoint[128];	/* "" the whole result; else a load task / benchmark name */
	struct target_bound good, acceptable, poor;
	char origin[160];	/* "built in" or "FILE:LINE" */
};

struct targets {
	struct target *t;
	size_t n, alloc;
};

/* The built-in table of the issue: p50, p99, error_rate, cpu, memory. */
int targets_init_builtin(struct targets *ts);
/*
 * Adds the targets of a YAML file (text of len bytes, named path in
 * messages); a target with the same metric, kind and endpoint as an
 * earlier one replaces it. Returns 0 or -EINVAL with err "path:line:col:
 * what is wrong".
 */
int targets_load_yaml(struct targets *ts, const char *path, const char *text, size_t len, char *err,
		      size_t errlen);
void targets_release(struct targets *ts);

/*
 * Evaluates result (JSON text, named label) against the targets and
 * appends rows to out: "label  metric  value  good  acceptable  poor
 * verdict". *worst gets the worst verdict seen (TV_NONE when no target
 * applied). Returns 0 or -EINVAL with err (not JSON, unknown kind, newer
 * schema).
 */
int targets_check(const struct targets *ts, const char *label, const char *result, struct strbuf *out,
		  enum target_verdict *worst, size_t *n_rows, char *err, size_t errlen);
/* The table's header line. */
void targets_header(struct strbuf *out);

#endif
