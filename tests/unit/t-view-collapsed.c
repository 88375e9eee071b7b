/*
 * t-view-collapsed.c - folded stacks: exact lines and values on the
 * synthetic profile, threads merged or prefixed, sums equal the profile
 * total, names sanitized (';', newline, invalid UTF-8).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/strbuf.h"
#include "view/view.h"
#include "tap.h"
#include "view-fixture.h"

/* Sum of the trailing numbers of every line; -1 when a line is malformed. */
static long long folded_sum(const char *s, int *lines)
{
	long long sum = 0;

	*lines = 0;
	while (*s) {
		const char *e = strchr(s, '\n'), *sp;

		if (!e)
			return -1;
		for (sp = e; sp > s && sp[-1] != ' '; sp--)
			;
		if (sp == s)
			return -1;
		sum += strtoll(sp, NULL, 10);
		(*lines)++;
		s = e + 1;
	}
	return sum;
}

int main(void)
{
	struct profile *p = fx_profile();
	struct view_opts o;
	struct strbuf out = STRBUF_INIT;
	char err[256] = "";
	int lines;

	view_opts_init(&o);
	o.value = 1;
	is_int(view_collapsed(p, &o, &out, err, sizeof(err)), 0, "collapsed ok");
	diag_out(&out);
	is_str(out.buf,
	       "main;c 10000000\n"
	       "main;rec;rec;rec 20000000\n"
	       "main;work;a 60000000\n"
	       "main;work;b 30000000\n",
	       "folded stacks, root first, merged by name, sorted");
	is_int(folded_sum(out.buf, &lines), profile_total(p, 1), "values sum to the total");

	strbuf_reset(&out);
	o.value = 0;
	o.by_thread = 1;
	is_int(view_collapsed(p, &o, &out, err, sizeof(err)), 0, "by thread");
	is_str(out.buf,
	       "main-100;main;work;a 60\n"
	       "main-100;main;work;b 30\n"
	       "worker-101;main;c 10\n"
	       "worker-101;main;rec;rec;rec 20\n",
	       "thread prefix, counts");
	is_int(folded_sum(out.buf, &lines), 120, "sum of counts");

	/* hostile names */
	{
		struct profile *q = profile_new();
		uint32_t t, l[3];
		int64_t v[1] = { 7 }, w[1] = { 5 };

		profile_add_type(q, "alloc", "bytes");
		t = profile_intern_thread(q, 1, 1, "x;y");
		l[0] = fx_loc(q, "std::map<int;int>::at", "", 0, "m", 0);
		l[1] = fx_loc(q, "bad\xff\xfe\nname", "", 0, "m", 0);
		l[2] = fx_loc(q, "root", "", 0, "m", 0);
		profile_add_sample(q, profile_intern_stack(q, l, 3), t, v);
		profile_add_sample(q, profile_intern_stack(q, l + 1, 2), t, w);
		profile_add_sample(q, profile_intern_stack(q, NULL, 0), t, w);
		view_opts_init(&o);
		strbuf_reset(&out);
		is_int(view_collapsed(q, &o, &out, err, sizeof(err)), 0, "hostile names");
		diag_out(&out);
		is_str(out.buf,
		       "[unknown] 5\n"
		       "root;bad\xef\xbf\xbd\xef\xbf\xbd?name 5\n"
		       "root;bad\xef\xbf\xbd\xef\xbf\xbd?name;std::map<int:int>::at 7\n",
		       "no ';' or newline inside a frame, invalid UTF-8 replaced");
		is_int(folded_sum(out.buf, &lines), profile_total(q, 0), "sum with empty stack");
		is_int(lines, 3, "three lines");
		o.by_thread = 1;
		strbuf_reset(&out);
		is_int(view_collapsed(q, &o, &out, err, sizeof(err)), 0, "hostile thread name");
		ok(!strncmp(out.buf, "x:y-1 5\n", 8), "thread name sanitized");
		profile_free(q);
	}
	strbuf_release(&out);
	profile_free(p);
	return done_testing();
}
