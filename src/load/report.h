/*
 * report.h - the human and JSON forms of a load result: counts, rates,
 * latency percentiles, status codes, errors by kind, the per-task
 * breakdown, the verdict table and the thresholds.
 */
#ifndef PINCH_LOAD_REPORT_H
#define PINCH_LOAD_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct load_result;
struct load_tick;
struct load_profile_info;
struct load_scenario;
struct load_threshold;

struct load_report {
	const char *target;		/* URL or "merged: N files" */
	const struct load_scenario *sc;	/* task names and weights, may be NULL */
	const struct load_threshold *thr;
	size_t n_thr;
	int verdict;			/* print the performance-target table */
	const struct load_profile_info *profile;	/* --profile-pid/-cmd, may be NULL */
};

/* Returns the number of failed thresholds. */
int load_report_text(struct strbuf *out, const struct load_result *r, const struct load_report *rep);
int load_report_json(struct strbuf *out, const struct load_result *r, const struct load_report *rep);
/* "0.55 ms", "1.23 s" */
void load_fmt_latency(char *buf, size_t size, double ns);
/* The progress line of a terminal (no newline): elapsed of planned time,
 * the time left, req/s and p99 of the last interval, errors so far.
 * planned_ns 0: no time bound; requests 0: no count bound (the time left
 * of a count bound is estimated from the rate so far). */
void load_report_progress(struct strbuf *out, const struct load_tick *t, uint64_t planned_ns,
			  uint64_t requests);
/* Warnings about the run itself (stderr): an open model that could not
 * keep its rate. */
void load_report_warnings(struct strbuf *out, const struct load_result *r);

#endif
