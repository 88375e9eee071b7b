/*
 * run.h - pinch bench's runner: each command is forked and exec'd without
 * a shell (its text split by bench_split_args) or through one (--shell,
 * whose own spawn time is measured and subtracted), timed with the
 * monotonic clock around fork..wait4, and charged the rusage wait4 gives:
 * user and system CPU, max RSS, page faults, context switches.
 * Library code: it never prints except through the progress callback.
 */
#ifndef PINCH_BENCH_RUN_H
#define PINCH_BENCH_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "core/stats.h"

struct bench_run {
	double wall_s, user_s, sys_s;
	uint64_t max_rss_bytes;
	uint64_t minflt, majflt, nvcsw, nivcsw;
	int exit_status;	/* 0..255, or 128 + signal */
};

struct bench_cmd {
	char *name;		/* as shown: the command text after parameter expansion */
	char *param_name, *param_value;	/* -P NAME LIST; NULL otherwise */
	struct bench_run *runs;
	size_t n_runs, alloc_runs;
	struct stats_summary wall, user, sys;
	uint64_t max_rss_bytes;	/* the largest of the runs */
	/* pinch's own peak RSS when it spawned the runs: the kernel counts the
	 * spawner's memory, shared until exec, in the child's max RSS, so a
	 * figure at or below this is only an upper bound */
	uint64_t rss_floor_bytes;
	size_t failed_runs;
};

struct bench_cfg {
	long warmup;		/* untimed runs first (default 0) */
	long runs;		/* exact count; 0: from the time budget */
	long min_runs, max_runs;	/* bounds of the budgeted count (10, 0 = none) */
	uint64_t max_time_ns;	/* the time budget per command (3 s) */
	const char *prepare, *setup, *cleanup;	/* shell commands */
	const char *shell;	/* NULL: no shell; else the shell's path */
	int ignore_failure;
	int show_output;
	/* progress: called after every run (warmup included); may be NULL */
	void (*progress)(void *ctx, const struct bench_cmd *c, size_t done, size_t total, int warmup,
			 double eta_s);
	void *progress_ctx;
};

/* The shell's own cost, measured once for --shell and subtracted. */
struct bench_shell_cost {
	double wall_s, user_s, sys_s;
	size_t runs;
};

/*
 * Splits a command line into words: blanks separate, '...' is literal,
 * "..." keeps blanks and takes \" \\ \$ \` escapes, \x outside quotes is x.
 * Returns the count and a NULL-terminated *argv (one allocation, free it)
 * or -EINVAL with err set (an unclosed quote, an empty command).
 */
int bench_split_args(const char *line, char ***argv, char *err, size_t errlen);

/* Measures the shell's spawn cost (sh -c '' n times). */
int bench_measure_shell(const struct bench_cfg *cfg, size_t n, struct bench_shell_cost *cost, char *err,
			size_t errlen);

/*
 * Benchmarks one command: setup, warmups, timed runs (prepare before
 * each), cleanup. shell_cost (may be NULL) is subtracted from every run.
 * Returns 0; -ENOENT/-EACCES when the program cannot be started;
 * -ECHILD when a run failed and !ignore_failure (err names the status);
 * -EINTR when interrupted. err gets the message.
 */
int bench_run_cmd(const struct bench_cfg *cfg, struct bench_cmd *c, const struct bench_shell_cost *shell_cost,
		  volatile int *stop, char *err, size_t errlen);
/* Recomputes c's summaries from its runs. */
void bench_cmd_summarize(struct bench_cmd *c);
void bench_cmd_release(struct bench_cmd *c);

#endif
