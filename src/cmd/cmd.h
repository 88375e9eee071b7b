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
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
