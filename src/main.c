/*
 * main.c - the command table and the runner: global options, dispatch to
 * src/cmd/<name>.c, and a final check that stdout really reached its
 * destination (a full disk must not look like success).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/strdist.h"
#include "core/banned.h"

#ifndef PINCH_VERSION
#define PINCH_VERSION "0.0.0"
#endif

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Keep sorted by name; "pinch help" lists them in this order. */
static const struct cmd_struct commands[] = {
	{ "baseline", cmd_baseline, "list, show, remove, save and compare saved results" },
	{ "bench", cmd_bench, "time commands repeatedly: mean ± σ, CPU, RSS; baselines and comparisons" },
	{ "check", cmd_check, "judge results against performance targets: good, acceptable, degraded, poor" },
	{ "db", cmd_db, "database profiling: trace libpq/SQLite statements, explain plans, top statements" },
	{ "diff", cmd_diff, "compare two recordings: the functions whose share or bytes changed most" },
	{ "doctor", cmd_doctor, "one run, one diagnosis: the bottleneck (CPU, blocked, allocations, faults), evidence, next command" },
	{ "dump", cmd_dump, "print what every thread of a running process is doing now (Python: names, GIL, locals)" },
	{ "help", NULL, "show help for pinch or one of its commands" },
	{ "io", cmd_io, "block device I/O rates like iostat -x, a process's I/O, block I/O latency" },
	{ "load", cmd_load, "load an HTTP server: throughput, latency percentiles, verdict" },
	{ "mem", cmd_mem, "profile allocations: peak, leaks, top sites, memory over time" },
	{ "record", cmd_record, "sample a command's or process's CPU use into a recording" },
	{ "report", cmd_report, "show where a CPU recording spent its time" },
	{ "stat", cmd_stat, "what a command and its children used: CPU, memory, I/O, faults, over time" },
	{ "syscalls", cmd_syscalls, "count a command's system calls (strace -c, in the kernel with eBPF); --trace lists them" },
	{ "top", cmd_top, "live view of the hottest functions of a running process" },
	{ "trace", cmd_trace, "count and time every call of an instrumented program (cProfile for C)" },
	{ "version", NULL, "print the version of pinch" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_overview(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pinch [--version] [--help] <command> [<options>] [-- <program> [<args>]]\n\n");
	fprintf(f, "pinch measures programs and names their bottlenecks.\n\nCommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "   %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSee 'pinch help <command>' or 'pinch <command> -h' for a command's options.\n");
}

static const struct cmd_struct *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void suggest(const char *name)
{
	size_t i, best = 99;
	const char *hit = NULL;

	for (i = 0; i < N_COMMANDS; i++) {
		size_t d = str_distance(name, commands[i].name, 0);

		if (d < best || (strlen(name) >= 2 && !strncmp(commands[i].name, name, strlen(name)) && d < best + 1)) {
			best = d;
			hit = commands[i].name;
		}
	}
	if (hit && best <= 2)
		fprintf(stderr, "hint: did you mean 'pinch %s'?\n", hit);
	else
		fprintf(stderr, "hint: see 'pinch help' for the list of commands\n");
}

static int run_help(int argc, char **argv)
{
	const struct cmd_struct *c;
	char *sub[3];

	if (argc < 2) {
		print_overview(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "pinch help: '%s' is not a pinch command\n", argv[1]);
		suggest(argv[1]);
		return EXIT_USAGE;
	}
	if (!c->fn) {
		printf("pinch %s: %s\n", c->name, c->summary);
		return EXIT_OK;
	}
	sub[0] = (char *)c->name;
	sub[1] = (char *)"--help";
	sub[2] = NULL;
	return c->fn(2, sub);
}

static int finish_stdout(int status)
{
	/* Output that never reached its destination is a failure. */
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "pinch: write failure on standard output: %s\n", strerror(errno));
		return status ? status : EXIT_FAIL;
	}
	if (fclose(stdout) && errno != EBADF) {
		fprintf(stderr, "pinch: close failed on standard output: %s\n", strerror(errno));
		return status ? status : EXIT_FAIL;
	}
	return status;
}

int main(int argc, char **argv)
{
	const struct cmd_struct *c;
	int status;

	/* A closed pipe (pinch report | head) ends quietly, not with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
		printf("pinch version %s\n", PINCH_VERSION);
		return finish_stdout(EXIT_OK);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return finish_stdout(run_help(1, argv + 1));
	if (!strcmp(argv[1], "help"))
		return finish_stdout(run_help(argc - 1, argv + 1));
	if (argv[1][0] == '-') {
		fprintf(stderr, "pinch: unknown option '%s'\n", argv[1]);
		print_overview(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[1]);
	if (!c || !c->fn) {
		fprintf(stderr, "pinch: '%s' is not a pinch command\n", argv[1]);
		suggest(argv[1]);
		return EXIT_USAGE;
	}
	status = c->fn(argc - 1, argv + 1);
	return finish_stdout(status);
}
