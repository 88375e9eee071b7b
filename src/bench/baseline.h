/*
 * baseline.h - saved results and comparisons with them. A baseline is a
 * result JSON of any kind (bench, load, mem, and libpinch's
 * pinch_bench_json) stored as .pinch/baselines/NAME.json with the
 * machine's facts and a "baseline" member (name, time saved) added.
 * A comparison is per kind:
 *   bench    per command: the median's change and the Mann-Whitney U test
 *            over the raw runs ("data"); with summaries only (libpinch
 *            without data), the mean's change and Welch's t-test;
 *   load     p50, p99, RPS, error rate: one run each, no test;
 *   mem      peak, total and leaked bytes: exact figures, no test.
 * A metric regresses when it is worse by more than the bound and, where a
 * test applies, the change is significant (p < alpha).
 * Library code: messages go to err, reports to a strbuf.
 */
#ifndef PINCH_BENCH_BASELINE_H
#define PINCH_BENCH_BASELINE_H

#include <stddef.h>

struct strbuf;

#define BASELINE_DIR ".pinch/baselines"

struct baseline_opts {
	double alpha;		/* significance level (0.01) */
	double fail_pct;	/* regression bound in percent; < 0: none */
};

/* The file of baseline name (checked: letters, digits, '.', '-', '_', not
 * starting with '.'). Returns 0 or -EINVAL with err set. */
int baseline_path(const char *name, struct strbuf *path, char *err, size_t errlen);
/* Saves result (a result JSON document) as baseline name. */
int baseline_save(const char *name, const char *result, char *err, size_t errlen);
/* Reads baseline name into *json (a jansson json_t *, returned as void *
 * so callers need not include jansson). -ENOENT: err lists the baselines. */
int baseline_load(const char *name, void **json, char *err, size_t errlen);
/* Frees what baseline_load returned. */
void baseline_free_json(void *json);
/* The names of the saved baselines, one per line, sorted; "" when none. */
int baseline_list_names(struct strbuf *out);
/* A table of the saved baselines: name, kind, saved, what it holds. */
int baseline_list(struct strbuf *out);
/* Removes baseline name. */
int baseline_remove(const char *name, char *err, size_t errlen);
/*
 * Compares result (JSON text) with baseline name and appends the table to
 * out. Returns 0 when nothing regressed, 1 when something did, or a
 * negative errno with err set (no such baseline, another kind, a newer
 * schema, a malformed file).
 */
int baseline_compare(const char *name, const char *result, const struct baseline_opts *o, struct strbuf *out,
		     char *err, size_t errlen);
/* The kind of a result document: "bench", "load", "mem", "stat", ... from
 * "kind"; libpinch's JSON before kinds ("pinch_bench": 1) is "bench".
 * Checks "schema" <= 1. Returns the kind (owned by json) or NULL with err. */
const char *result_kind(void *json, const char *what, char *err, size_t errlen);

#endif
