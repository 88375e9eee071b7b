/*
 * fuzz-views.c - fuzz target for the views: the input drives the
 * building of a profile (hostile names: any bytes; deep, recursive or
 * empty stacks; zero and negative values; threads), then every view
 * renders it. Checks the folded stacks sum to the total. The first byte
 * picks one view and one of eight option sets, and a profile has at most
 * MAX_SAMPLES samples, so an input is cheap (libFuzzer runs thousands a
 * second) and the fuzzer still reaches every view and every form.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "model/profile.h"
#include "view/view.h"

#define MAX_SAMPLES 32

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static long long folded_sum(const struct strbuf *sb)
{
	const char *s = sb->buf;
	long long sum = 0;

	while (*s) {
		const char *e = strchr(s, '\n'), *sp = e;

		if (!e)
			abort();
		while (sp > s && sp[-1] != ' ')
			sp--;
		sum += strtoll(sp, NULL, 10);
		s = e + 1;
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct profile *p = profile_new();
	uint32_t locs[16], stack[64], threads[3];
	char func[32] = "";
	struct strbuf out = STRBUF_INIT, name = STRBUF_INIT;
	struct view_opts o;
	char err[256];
	size_t i, k, n_samples = 0;
	unsigned sel = byte(&in), set = sel % 8, which = (sel / 8) % 8;

	profile_add_type(p, "samples", "count");
	profile_add_type(p, byte(&in) & 1 ? "alloc" : "cpu", byte(&in) & 1 ? "bytes" : "nanoseconds");
	for (i = 0; i < 3; i++)
		threads[i] = profile_intern_thread(p, 1, (uint32_t)i + 1, i ? "w;k\n" : "main");
	/* locations: names are raw input bytes (length-prefixed) */
	for (i = 0; i < 16; i++) {
		struct profile_location l = { 0 };
		unsigned len = byte(&in) % 24;

		strbuf_reset(&name);
		for (k = 0; k < len && in.n; k++)
			strbuf_addch(&name, (int)(byte(&in) ? in.p[-1] : 'x'));
		l.function = profile_intern_stringn(p, name.buf, name.len);
		l.file = profile_intern_string(p, i & 1 ? "fuzz-nonexistent/src.c" : "");
		l.line = byte(&in) % 8;
		l.module = profile_intern_string(p, i & 2 ? "mod" : "");
		l.kind = (uint16_t)(byte(&in) % 4);
		locs[i] = profile_intern_location(p, &l);
		if (i == 3)	/* copied: string pointers move as the profile grows */
			snprintf(func, sizeof(func), "%s", profile_string(p, l.function));
	}
	while (in.n && n_samples++ < MAX_SAMPLES) {
		unsigned depth = byte(&in) % 64, t = byte(&in) % 3;
		int64_t v[2];

		for (k = 0; k < depth; k++)
			stack[k] = locs[byte(&in) % 16];
		v[0] = byte(&in);
		v[1] = (int64_t)(int8_t)byte(&in) * 1000;
		profile_add_sample(p, profile_intern_stack(p, stack, depth), threads[t], v);
	}
	view_opts_init(&o);
	o.value = 1;
	o.count_value = set & 1 ? 0 : SIZE_MAX;
	o.json = !!(set & 2);
	o.by_thread = !!(set & 4);
	o.sort = set & 2 ? VIEW_SORT_TOTAL : VIEW_SORT_SELF;
	o.limit = (int)set;
	o.depth = 1 + (int)(set & 1);
	o.color = !!(set & 4);
	o.func = set == 7 ? "" : func;
	o.search = func;
	o.source_root = "fuzz-nonexistent";
	switch (which) {
	case 0: view_top(p, &o, &out, err, sizeof(err)); break;
	case 1: view_lines(p, &o, &out, err, sizeof(err)); break;
	case 2: view_callers(p, &o, &out, err, sizeof(err)); break;
	case 3: view_callees(p, &o, &out, err, sizeof(err)); break;
	case 4: view_flamegraph(p, &o, &out, err, sizeof(err)); break;
	case 5: view_speedscope(p, &o, &out, err, sizeof(err)); break;
	case 6: view_pprof(p, &o, &out, err, sizeof(err)); break;
	default:
		if (o.json) {	/* the JSON form of the folded stacks */
			view_collapsed(p, &o, &out, err, sizeof(err));
			strbuf_reset(&out);
			o.json = 0;
		}
		if (view_collapsed(p, &o, &out, err, sizeof(err)) == 0 &&
		    folded_sum(&out) != profile_total(p, 1))
			abort();
		break;
	}
	strbuf_release(&out);
	strbuf_release(&name);
	profile_free(p);
	return 0;
}
