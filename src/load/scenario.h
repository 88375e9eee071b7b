/*
 * scenario.h - what pinch load sends: weighted tasks (method, path
 * template, headers, body), think time, users with a spawn rate or ramp
 * stages, bounds and thresholds; read from a YAML file (libyaml) or built
 * from command-line options. Path and body templates expand {seq},
 * {user} and {rand:A..B} per request.
 */
#ifndef PINCH_LOAD_SCENARIO_H
#define PINCH_LOAD_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

struct strbuf;

enum tmpl_kind { TMPL_LIT, TMPL_SEQ, TMPL_USER, TMPL_RAND, TMPL_FIELD };

struct tmpl_part {
	enum tmpl_kind kind;
	char *lit;		/* TMPL_LIT */
	size_t len;		/* TMPL_LIT; TMPL_FIELD: the column */
	int64_t lo, hi;		/* TMPL_RAND, inclusive */
};

struct load_tmpl {
	struct tmpl_part *parts;
	size_t n;
	int is_const;		/* only literals */
};

/* Compiles "/items/{rand:1..1000}". Returns 0 or -EINVAL with err set. */
int load_tmpl_compile(struct load_tmpl *t, const char *s, size_t len, char *err, size_t errlen);
/* The same, where {NAME} of one of the n cols is a data field. */
int load_tmpl_compile_cols(struct load_tmpl *t, const char *s, size_t len, char *const *cols,
			   size_t n, char *err, size_t errlen);
void load_tmpl_release(struct load_tmpl *t);
/* Appends the expansion; *rng is a xorshift state, seq and user the values
 * of {seq} and {user}. */
void load_tmpl_expand(const struct load_tmpl *t, struct strbuf *out, uint64_t *rng,
		      uint64_t seq, unsigned user);
/* The same with a data row (the fields by column; NULL: fields are empty). */
void load_tmpl_expand_row(const struct load_tmpl *t, struct strbuf *out, uint64_t *rng,
			  uint64_t seq, unsigned user, char *const *row);

/* A CSV data feeder: a header line naming the columns, then rows. */
struct load_data {
	char *file;		/* as given in the scenario */
	char **cols;
	size_t n_cols;
	char **cells;		/* n_rows x n_cols */
	size_t n_rows;
	int per_request;	/* a row per request (in turn); else a row per user */
};

/* Parses CSV text (RFC 4180: commas, "quoted, ""fields""", LF or CRLF);
 * column names are identifiers. name is for messages ("name:line: what").
 * Returns 0 or -EINVAL. */
int load_data_parse(struct load_data *d, const char *name, const char *text, size_t len,
		    char *err, size_t errlen);
void load_data_release(struct load_data *d);

static inline uint64_t load_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

struct load_task {
	char *name;
	char *method;
	struct load_tmpl path;
	char *headers;		/* "Name: value\r\n" lines: the user's, then defaults they lack */
	struct load_tmpl hdr;	/* the same as a template (data fields) */
	int user_host;		/* the user gave Host: pinch sends no Host of its own */
	int user_cookie;	/* the user gave Cookie: the jar is not sent */
	struct load_tmpl body;
	int has_body;
	unsigned weight;
	int has_wait;		/* its own think time */
	uint64_t wait_min_ns, wait_max_ns;
	int redirects;		/* redirects to follow, -1: the scenario's */
};

struct load_stage {
	uint64_t duration_ns;
	unsigned users;		/* target at the end of the stage */
};

#define LOAD_MAX_THRESHOLDS 32
#define LOAD_MAX_REDIRECTS 20

struct load_scenario {
	char *base_url;			/* NULL: from the command line */
	struct load_task *tasks;
	size_t n_tasks;
	unsigned total_weight;
	unsigned users;			/* 0: not set */
	double spawn_rate;		/* users per second, 0: all at once */
	struct load_stage *stages;
	size_t n_stages;
	uint64_t wait_min_ns, wait_max_ns;	/* think time per user */
	uint64_t duration_ns;		/* 0: not set */
	uint64_t requests;		/* 0: not set */
	double rate;			/* 0: not set */
	char *thresholds[LOAD_MAX_THRESHOLDS];
	int thr_task[LOAD_MAX_THRESHOLDS];	/* -1: the whole run */
	size_t thr_line[LOAD_MAX_THRESHOLDS], thr_col[LOAD_MAX_THRESHOLDS];	/* 0: not from a file */
	size_t n_thresholds;
	struct load_check checks[LOAD_MAX_CHECKS];
	size_t n_checks;
	struct load_data data;		/* n_cols 0: none */
	int cookies;			/* keep a cookie jar per user */
	unsigned redirects;		/* redirects to follow (0: none) */
	int no_files;			/* do not read data files (fuzzing) */
};

void load_scenario_init(struct load_scenario *s);
void load_scenario_release(struct load_scenario *s);
/* Parses a YAML scenario from memory; name is used in messages, which
 * read "name:line:column: what". Returns 0 or -EINVAL. */
int load_scenario_parse(struct load_scenario *s, const char *name, const char *text, size_t len,
			char *err, size_t errlen);
/* Adds one task (the command-line form). body may be NULL. */
int load_scenario_add_task(struct load_scenario *s, const char *name, const char *method,
			   const char *path, const char *headers, const char *body, size_t body_len,
			   unsigned weight, char *err, size_t errlen);
/* Adds a check (the command-line form, see load_check_compile) for every
 * task (task -1) or one. Returns 0 or -EINVAL with err set. */
int load_scenario_add_check(struct load_scenario *s, enum load_check_kind kind, const char *spec,
			    const char *name, int task, char *err, size_t errlen);
/* Picks a task index by weight from a random number. */
size_t load_scenario_pick(const struct load_scenario *s, uint64_t r);
/* Users wanted at t ns after the start (stages, spawn rate or all). */
unsigned load_scenario_users_at(const struct load_scenario *s, uint64_t t_ns, unsigned all);
/* Total length of the stages, 0 without stages. */
uint64_t load_scenario_stages_ns(const struct load_scenario *s);

#endif
