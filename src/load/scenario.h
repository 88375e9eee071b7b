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

struct strbuf;

enum tmpl_kind { TMPL_LIT, TMPL_SEQ, TMPL_USER, TMPL_RAND };

struct tmpl_part {
	enum tmpl_kind kind;
	char *lit;		/* TMPL_LIT */
	size_t len;
	int64_t lo, hi;		/* TMPL_RAND, inclusive */
};

struct load_tmpl {
	struct tmpl_part *parts;
	size_t n;
	int is_const;		/* only literals */
};

/* Compiles "/items/{rand:1..1000}". Returns 0 or -EINVAL with err set. */
int load_tmpl_compile(struct load_tmpl *t, const char *s, size_t len, char *err, size_t errlen);
void load_tmpl_release(struct load_tmpl *t);
/* Appends the expansion; *rng is a xorshift state, seq and user the values
 * of {seq} and {user}. */
void load_tmpl_expand(const struct load_tmpl *t, struct strbuf *out, uint64_t *rng,
		      uint64_t seq, unsigned user);

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
	int user_host;		/* the user gave Host: pinch sends no Host of its own */
	struct load_tmpl body;
	int has_body;
	unsigned weight;
};

struct load_stage {
	uint64_t duration_ns;
	unsigned users;		/* target at the end of the stage */
};

#define LOAD_MAX_THRESHOLDS 32

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
	size_t n_thresholds;
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
/* Picks a task index by weight from a random number. */
size_t load_scenario_pick(const struct load_scenario *s, uint64_t r);
/* Users wanted at t ns after the start (stages, spawn rate or all). */
unsigned load_scenario_users_at(const struct load_scenario *s, uint64_t t_ns, unsigned all);
/* Total length of the stages, 0 without stages. */
uint64_t load_scenario_stages_ns(const struct load_scenario *s);

#endif
