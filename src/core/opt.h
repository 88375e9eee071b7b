/*
 * opt.h - per-command option tables. Each command declares a table of
 * struct opt; opt_parse() fills the targets and opt_usage() prints the
 * table for `pinch CMD -h`. Errors are usage errors (exit status 2).
 */
#ifndef PINCH_CORE_OPT_H
#define PINCH_CORE_OPT_H

#include <stdint.h>
#include <stdio.h>

enum opt_type {
	OPT_END = 0,
	OPT_FLAG,	/* int *: set to 1 (--no-NAME sets 0) */
	OPT_INT,	/* long *: integer */
	OPT_DOUBLE,	/* double * */
	OPT_STRING,	/* const char **: last one wins */
	OPT_DURATION,	/* uint64_t *: "10s", "250ms", "2m", "1h", "500us"; bare number = seconds */
	OPT_CALLBACK,	/* int (*cb)(const struct opt *, const char *arg, void *ctx): repeatable */
	OPT_GROUP,	/* a heading in the usage text */
};

struct opt;
typedef int (*opt_cb)(const struct opt *o, const char *arg, void *ctx);

struct opt {
	enum opt_type type;
	int short_name;		/* 0 if none */
	const char *long_name;	/* NULL if none */
	void *value;
	const char *argh;	/* name of the argument in usage, NULL for flags */
	const char *help;
	opt_cb cb;		/* OPT_CALLBACK only */
	int takes_arg;		/* OPT_CALLBACK only: 1 if it takes an argument */
};

#define OPT_END_() { .type = OPT_END }

enum {
	OPT_STOP_AT_NONOPT = 1,	/* stop at the first non-option (commands to run) */
};

/*
 * Parses argv[1..argc) (argv[0] is the command name) against opts.
 * Non-option arguments are compacted to the front of argv; returns their
 * count, or -1 after printing "pinch CMD: ..." to stderr on a usage error,
 * or -2 when -h/--help printed usage (caller exits 0).
 * ctx is passed to callbacks.
 */
int opt_parse(int argc, char **argv, const struct opt *opts, const char *const *usage,
	      int flags, void *ctx);
void opt_usage(FILE *f, const char *const *usage, const struct opt *opts);

/* Parses a duration such as "1.5s", "200ms", "10us", "3m", "1h", "42" (s).
 * Returns 0 or -EINVAL. */
int opt_parse_duration(const char *s, uint64_t *ns);
/* Parses a size such as "64k", "8M", "1G" or plain bytes. */
int opt_parse_size(const char *s, uint64_t *bytes);

#endif
