/*
 * view-fixture.h - a synthetic profile with known shares for the view
 * tests: 120 samples of 1 ms; a 50 % (self) under work 75 %, b 25 %,
 * c 8.3 % on another thread, rec recursing three deep 16.7 %.
 */
#ifndef PINCH_TESTS_VIEW_FIXTURE_H
#define PINCH_TESTS_VIEW_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "model/profile.h"

static uint32_t fx_loc(struct profile *p, const char *fn, const char *file, uint32_t line,
		       const char *mod, int kind)
{
	struct profile_location l = { 0 };

	l.function = profile_intern_string(p, fn);
	l.file = profile_intern_string(p, file);
	l.line = line;
	l.module = profile_intern_string(p, mod);
	l.kind = (uint16_t)kind;
	l.address = line * 16u;
	return profile_intern_location(p, &l);
}

static void fx_add(struct profile *p, uint32_t thread, int64_t n, const uint32_t *locs, uint32_t len)
{
	int64_t v[2] = { n, n * 1000000 };

	profile_add_sample(p, profile_intern_stack(p, locs, len), thread, v);
}

/* Prints a view's output as TAP comments. */
static __attribute__((unused)) void diag_out(const struct strbuf *sb)
{
	const char *s = sb->buf, *e;

	while (*s) {
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		printf("# %.*s\n", (int)(e - s), s);
		s = *e ? e + 1 : e;
	}
}

/* Stacks are leaf first. */
static struct profile *fx_profile(void)
{
	struct profile *p = profile_new();
	uint32_t tm, tw, a, a2, b, w5, w6, m, c, r4, r5;

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	profile_set_meta(p, "command", "./work --fast");
	tm = profile_intern_thread(p, 100, 100, "main");
	tw = profile_intern_thread(p, 100, 101, "worker");
	a = fx_loc(p, "a", "src/a.c", 12, "work", 0);
	a2 = fx_loc(p, "a", "src/a.c", 13, "work", 0);
	b = fx_loc(p, "b", "src/b.c", 20, "work", 0);
	w5 = fx_loc(p, "work", "src/w.c", 5, "work", 0);
	w6 = fx_loc(p, "work", "src/w.c", 6, "work", 0);
	m = fx_loc(p, "main", "src/m.c", 3, "work", 0);
	c = fx_loc(p, "c", "src/c.c", 7, "work", 0);
	r4 = fx_loc(p, "rec", "src/r.c", 4, "work", 0);
	r5 = fx_loc(p, "rec", "src/r.c", 5, "work", 0);
	{
		uint32_t s1[] = { a, w5, m }, s1b[] = { a2, w5, m }, s2[] = { b, w6, m };
		uint32_t s3[] = { c, m }, s4[] = { r4, r5, r5, m };

		fx_add(p, tm, 45, s1, 3);
		fx_add(p, tm, 15, s1b, 3);
		fx_add(p, tm, 30, s2, 3);
		fx_add(p, tw, 10, s3, 2);
		fx_add(p, tw, 20, s4, 4);
	}
	return p;
}

#endif
