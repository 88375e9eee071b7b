/*
 * cmd.h - the subcommands of pinch. Each lives in src/cmd/<name>.c as
 * int cmd_<name>(int argc, char **argv), with argv[0] the command name.
 * It parses its own option table, calls into the modules and prints;
 * it returns the exit status: 0 ok, 1 failure, 2 usage, 3 check failed.
 *
 * To add a command: write src/cmd/<name>.c, declare it here, add it to
 * src/cmd/meson.build and to the table in src/main.c.
 */
#ifndef PINCH_CMD_CMD_H
#define PINCH_CMD_CMD_H

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_CHECK = 3,
};

int cmd_record(int argc, char **argv);

/* Turns opt_parse()'s result into an early exit status, or -1 to go on. */
static inline int cmd_opt_exit(int nargs)
{
	if (nargs == -2)
		return EXIT_OK;
	if (nargs < 0)
		return EXIT_USAGE;
	return -1;
}

int cmd_mem(int argc, char **argv);
/* pinch report --html: a memory recording's sections appended to page, its
 * summary's first line to lead (src/cmd/mem.c). An exit status. */
struct strbuf;
int mem_html_section(const char *path, struct strbuf *page, struct strbuf *lead);
/* pinch report --html: a result JSON with a "kind" (pinch load's, ...)
 * as a section of page, its lead line and rank (0 first) for the summary;
 * 1 when path is one, 0 when not (src/cmd/report_results.c). */
int report_json_section(const char *path, struct strbuf *page, struct strbuf *lead, int *prio);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_syscalls(int argc, char **argv);
int cmd_io(int argc, char **argv);

#include <stdint.h>
struct profile;
/* Another tool's profile (perf.data through perf script, perf script text,
 * folded stacks, pprof; src/cmd/import_file.c) where a pinch recording is
 * expected. -1 when path is a pinch recording or cannot be opened (the
 * recording reader then says why); else EXIT_OK with *p and *samples set,
 * or an exit status after a "pinch CMD: ..." message. */
int cmd_import_profile(const char *cmd, const char *path, struct profile **p, uint64_t *samples);
int cmd_bench(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Prints "pinch CMD: <message>" and a newline to stderr (src/cmd/cmd.c). */
void cmd_errorf(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Creates the directory ".pinch-CMD.XXXXXX" next to the file out (in the
 * same directory), where an agent keeps its working files; dir receives
 * its path. 0, or -1 after saying why. */
int cmd_workdir(const char *cmd, const char *out, char *dir, size_t len);

#include <stdio.h>
#include "bench/baseline.h"

/* --save NAME, --compare NAME, --fail-if-slower PCT, --alpha P of a
 * command whose result is a JSON document (bench, load, mem). */
struct cmd_baseline {
	const char *save, *compare, *fail;
	double alpha;
	struct baseline_opts opts;	/* filled by cmd_baseline_prepare */
};

/* The four options as struct opt initializers, for a command's table. */
#define CMD_BASELINE_OPTS(b) \
	{ .type = OPT_STRING, .long_name = "save", .value = &(b).save, .argh = "NAME", \
	  .help = "save the result as baseline NAME (.pinch/baselines)" }, \
	{ .type = OPT_STRING, .long_name = "compare", .value = &(b).compare, .argh = "NAME", \
	  .help = "compare the result with baseline NAME" }, \
	{ .type = OPT_STRING, .long_name = "fail-if-slower", .value = &(b).fail, .argh = "PCT", \
	  .help = "with --compare: exit 3 when a metric is worse by more than PCT %" }, \
	{ .type = OPT_DOUBLE, .long_name = "alpha", .value = &(b).alpha, .argh = "P", \
	  .help = "significance level of --compare's test (0.01)" }

/* Checks the options (and that the --compare baseline exists) before the
 * work: an exit status, or -1 to go on. */
int cmd_baseline_prepare(const char *cmd, struct cmd_baseline *b);
/* Compares (the table to out) and saves result; returns status, or 3 on
 * a regression, 2 or 1 on errors. */
int cmd_baseline_finish(const char *cmd, const struct cmd_baseline *b, const char *result, FILE *out, int status);
int cmd_trace(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#endif
