/*
 * check.h - k6-style response checks of pinch load: the status is one of
 * a set ("200", "2xx", "200,301"), the body matches a regular expression,
 * a header's value matches one. Each check is counted (passes, failures)
 * on its own; a failed check does not make the request failed.
 */
#ifndef PINCH_LOAD_CHECK_H
#define PINCH_LOAD_CHECK_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

struct load_resp;

#define LOAD_MAX_CHECKS 64

enum load_check_kind { LOAD_CHECK_STATUS, LOAD_CHECK_BODY, LOAD_CHECK_HEADER };

struct load_check {
	char *name;		/* shown in reports, named in thresholds */
	enum load_check_kind kind;
	int task;		/* -1: every task */
	uint8_t status[75];	/* a bit per status code 0..599 */
	char *header;		/* LOAD_CHECK_HEADER: the header's name */
	regex_t re;
	int has_re;
};

/* Compiles a check from its command-line form: "200", "2xx,304" (status),
 * a POSIX extended regular expression (body), "Name: REGEX" (header).
 * name NULL: a name is made from the form ("status 200", "body ~ REGEX",
 * "header Name ~ REGEX"). Returns 0 or -EINVAL with err set. */
int load_check_compile(struct load_check *c, enum load_check_kind kind, const char *spec,
		       const char *name, int task, char *err, size_t errlen);
void load_check_release(struct load_check *c);
/* 1 when the response passes. r's headers and body must have been kept
 * for header and body checks. */
int load_check_eval(const struct load_check *c, unsigned status, const struct load_resp *r);

#endif
