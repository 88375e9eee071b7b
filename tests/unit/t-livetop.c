/*
 * t-livetop.c - the table behind `pinch top`: own and total time per
 * function over intervals. More distinct functions than the table's first
 * allocation arrive in one interval (the array grows while locations are
 * being mapped to functions: a use-after-free once, under exec).
 */
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "model/profile.h"
#include "view/livetop.h"
#include "tap.h"

enum { NFUNC = 300 };

/* One sample whose stack holds NFUNC distinct functions, plus one more
 * sample of the leaf alone. */
static struct profile *deep_profile(void)
{
	struct profile *p = profile_new();
	uint32_t locs[NFUNC], th;
	int64_t v[2] = { 1, 1000 };
	char name[32];

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	for (int i = 0; i < NFUNC; i++) {
		struct profile_location l;

		memset(&l, 0, sizeof(l));
		snprintf(name, sizeof(name), "fn%03d", i);
		l.function = profile_intern_string(p, name);
		l.file = profile_intern_string(p, "app.py");
		l.line = (uint32_t)i + 1;
		l.kind = LOC_PYTHON;
		locs[i] = profile_intern_location(p, &l);
	}
	th = profile_intern_thread(p, 1, 1, "main");
	profile_add_sample(p, profile_intern_stack(p, locs, NFUNC), th, v);
	profile_add_sample(p, profile_intern_stack(p, locs, 1), th, v);
	return p;
}

int main(void)
{
	struct livetop *t = livetop_new();
	struct profile *p = deep_profile();
	struct strbuf out = STRBUF_INIT;

	ok(t && p, "set-up");
	is_int(livetop_add(t, p, 1, 2000), 0, "an interval with %d functions", NFUNC);
	is_int(livetop_add(t, p, 1, 2000), 0, "a second interval of the same functions");
	is_int(livetop_render(t, LIVETOP_ALL, 0, 0, 0, &out), 0, "renders");
	ok(strstr(out.buf, "fn000") != NULL, "the leaf is listed");
	ok(strstr(out.buf, "fn299") != NULL, "the root is listed");
	strbuf_reset(&out);
	is_int(livetop_render(t, LIVETOP_ALL, 1, 0, 1, &out), 0, "renders JSON");
	/* fn000 is the leaf of both samples: 4 us own of 4 us wall. */
	ok(strstr(out.buf, "\"fn000\"") != NULL, "JSON's first row is the leaf");
	strbuf_release(&out);
	profile_free(p);
	livetop_free(t);
	return done_testing();
}
