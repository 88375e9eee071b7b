/*
 * check.c - response checks of pinch load (load layer): status sets and
 * POSIX extended regular expressions over the kept body and header values.
 */
#include "check.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "http.h"
#include "core/banned.h"

static void status_set(struct load_check *c, unsigned s)
{
	c->status[s / 8] |= (uint8_t)(1u << (s % 8));
}

static int status_has(const struct load_check *c, unsigned s)
{
	return s < 600 && (c->status[s / 8] >> (s % 8)) & 1;
}

/* "200", "2xx", "200,204,3xx" */
static int parse_status(struct load_check *c, const char *spec)
{
	const char *p = spec;

	if (!*p)
		return -EINVAL;
	for (;;) {
		size_t n = strcspn(p, ",");

		while (n && p[n - 1] == ' ')
			n--;
		if (n == 3 && p[0] >= '1' && p[0] <= '5' && (p[1] == 'x' || p[1] == 'X') &&
		    (p[2] == 'x' || p[2] == 'X')) {
			for (unsigned s = (unsigned)(p[0] - '0') * 100; s < (unsigned)(p[0] - '0') * 100 + 100; s++)
				status_set(c, s);
		} else if (n == 3 && isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
			   isdigit((unsigned char)p[2]) && p[0] >= '1' && p[0] <= '5') {
			status_set(c, (unsigned)atoi(p));
		} else {
			return -EINVAL;
		}
		p += strcspn(p, ",");
		if (!*p)
			return 0;
		p++;
		while (*p == ' ')
			p++;
	}
}

static int compile_re(struct load_check *c, const char *re, char *err, size_t errlen)
{
	int rc = regcomp(&c->re, re, REG_EXTENDED | REG_NOSUB);

	if (rc) {
		char msg[200];

		regerror(rc, &c->re, msg, sizeof(msg));
		snprintf(err, errlen, "bad regular expression '%s': %s", re, msg);
		return -EINVAL;
	}
	c->has_re = 1;
	return 0;
}

int load_check_compile(struct load_check *c, enum load_check_kind kind, const char *spec,
		       const char *name, int task, char *err, size_t errlen)
{
	struct strbuf nm = STRBUF_INIT;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->task = task;
	switch (kind) {
	case LOAD_CHECK_STATUS:
		if (parse_status(c, spec)) {
			snprintf(err, errlen, "bad status check '%s': want a code, Nxx or a list (200, 2xx, 200,301)",
				 spec);
			return -EINVAL;
		}
		strbuf_addf(&nm, "status %s", spec);
		break;
	case LOAD_CHECK_BODY:
		if (compile_re(c, spec, err, errlen))
			return -EINVAL;
		strbuf_addf(&nm, "body ~ %s", spec);
		break;
	case LOAD_CHECK_HEADER: {
		const char *colon = strchr(spec, ':'), *re;

		if (!colon || colon == spec) {
			snprintf(err, errlen, "bad header check '%s': want 'Name: REGEX'", spec);
			return -EINVAL;
		}
		for (const char *q = spec; q < colon; q++)
			if (*q <= ' ' || *q >= 0x7f) {
				snprintf(err, errlen, "bad header name in check '%s'", spec);
				return -EINVAL;
			}
		re = colon + 1;
		while (*re == ' ')
			re++;
		c->header = strndup(spec, (size_t)(colon - spec));
		if (!c->header || compile_re(c, re, err, errlen)) {
			load_check_release(c);
			return -EINVAL;
		}
		strbuf_addf(&nm, "header %s ~ %s", c->header, re);
		break;
	}
	}
	if (name) {
		strbuf_reset(&nm);
		strbuf_addstr(&nm, name);
	}
	c->name = strbuf_detach(&nm, NULL);
	return 0;
}

void load_check_release(struct load_check *c)
{
	free(c->name);
	free(c->header);
	if (c->has_re)
		regfree(&c->re);
	memset(c, 0, sizeof(*c));
}

static int match(const regex_t *re, const char *s, size_t len)
{
	regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)len };

	return regexec(re, s, 1, &m, REG_STARTEND) == 0;
}

int load_check_eval(const struct load_check *c, unsigned status, const struct load_resp *r)
{
	switch (c->kind) {
	case LOAD_CHECK_STATUS:
		return status_has(c, status);
	case LOAD_CHECK_BODY:
		return match(&c->re, r->bodybuf.buf, r->bodybuf.len);
	case LOAD_CHECK_HEADER: {
		size_t pos = 0, len;
		const char *v;

		while ((v = load_resp_header(r, c->header, &pos, &len)))
			if (match(&c->re, v, len))
				return 1;
		return 0;
	}
	}
	return 0;
}
