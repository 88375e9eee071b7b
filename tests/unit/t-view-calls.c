/*
 * t-view-calls.c - callers and callees: shares of the function's total,
 * [self] and [root] rows, recursion counted once, two levels, JSON.
 */
#include <errno.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "view/view.h"
#include "tap.h"
#include "view-fixture.h"

static int has(const struct strbuf *sb, const char *s)
{
	return strstr(sb->buf, s) != NULL;
}

int main(void)
{
	struct profile *p = fx_profile();
	struct view_opts o;
	struct strbuf out = STRBUF_INIT;
	char err[256] = "";

	view_opts_init(&o);
	o.value = 1;
	o.count_value = 0;
	o.func = "work";
	is_int(view_callees(p, &o, &out, err, sizeof(err)), 0, "callees of work");
	diag_out(&out);
	ok(has(&out, "Callees of work: 90.0 ms (90 samples), 75.0 % of all\n"), "header");
	ok(has(&out, "    66.7  60.0 ms       60  a  (src/a.c:12)\n"), "a is 2/3 of work");
	ok(has(&out, "    33.3  30.0 ms       30  b  (src/b.c:20)\n"), "b is 1/3 of work");
	ok(!has(&out, "[self]"), "no self row when self is 0");

	strbuf_reset(&out);
	o.func = "main";
	o.depth = 2;
	is_int(view_callees(p, &o, &out, err, sizeof(err)), 0, "callees of main, two levels");
	diag_out(&out);
	ok(has(&out, "    75.0   90.0 ms       90  work  (src/w.c:5)\n"
		     "    50.0   60.0 ms       60    a  (src/a.c:12)\n"
		     "    25.0   30.0 ms       30    b  (src/b.c:20)\n"), "second level indented");
	ok(has(&out, "    16.7   20.0 ms       20  rec  (src/r.c:4)\n"
		     "    16.7   20.0 ms       20    rec  (src/r.c:4)\n"), "recursion shown once per level");

	strbuf_reset(&out);
	o.func = "rec";
	o.depth = 1;
	is_int(view_callees(p, &o, &out, err, sizeof(err)), 0, "callees of rec");
	ok(has(&out, "   100.0  20.0 ms       20  [self]\n"), "recursive leaf: all self, once");

	strbuf_reset(&out);
	is_int(view_callers(p, &o, &out, err, sizeof(err)), 0, "callers of rec");
	diag_out(&out);
	ok(has(&out, "   100.0  20.0 ms       20  main  (src/m.c:3)\n"), "outermost caller only");
	ok(!has(&out, "  rec  ("), "rec is not its own caller");

	strbuf_reset(&out);
	o.func = "main";
	is_int(view_callers(p, &o, &out, err, sizeof(err)), 0, "callers of main");
	ok(has(&out, "   100.0   120 ms      120  [root: no caller]\n") ||
	   has(&out, "   100.0  120.0 ms      120  [root: no caller]\n"), "root row");

	strbuf_reset(&out);
	o.func = "a";
	o.depth = 2;
	o.json = 1;
	is_int(view_callers(p, &o, &out, err, sizeof(err)), 0, "callers json");
	diag_out(&out);
	ok(has(&out, "\"view\": \"callers\""), "json view");
	ok(has(&out, "\"function\": \"work\""), "json caller");
	ok(has(&out, "\"function\": \"main\""), "json second level");
	ok(has(&out, "\"total\": 60000000"), "json total");

	o.func = "nope";
	is_int(view_callers(p, &o, &out, err, sizeof(err)), -ENOENT, "unknown function");
	strbuf_release(&out);
	profile_free(p);
	return done_testing();
}
