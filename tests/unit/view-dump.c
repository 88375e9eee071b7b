/*
 * view-dump.c - test helper: renders one view of a synthetic profile to
 * stdout, so shell tests can lint JSON, parse SVG and drive a browser.
 *   view-dump VIEW [-j] [-t] [-f FUNC] [-s SEARCH] [-d DEPTH] [-p fixture|hostile|big]
 * VIEW: top lines callers callees collapsed flamegraph pprof speedscope chrome html.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/strbuf.h"
#include "view/view.h"
#include "view-fixture.h"

/* Names that break naive tools: markup, quotes, ';', invalid UTF-8, C++. */
static struct profile *hostile_profile(void)
{
	struct profile *p = profile_new();
	uint32_t t = 0, l[4];

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	profile_set_meta(p, "command", "./x <y> & \"z\"");
	t = profile_intern_thread(p, 1, 1, "m<a>in");
	l[0] = fx_loc(p, "std::vector<int>::operator[](unsigned long)", "v.h", 10, "x", 0);
	l[1] = fx_loc(p, "a&b \"quoted\" 'single'", "q.c", 3, "x", 0);
	l[2] = fx_loc(p, "bad\xff\xfeutf8;semi\nnewline", "", 0, "libbad.so", 3);
	l[3] = fx_loc(p, "py_func", "app.py", 7, "python", 1);
	fx_add(p, t, 30, l, 4);
	fx_add(p, t, 20, l + 1, 3);
	fx_add(p, t, 10, l + 2, 2);
	l[0] = fx_loc(p, "do_syscall_64", "", 0, "[kernel]", 2);
	fx_add(p, t, 40, l, 4);
	l[0] = fx_loc(p, "nonchar\xef\xbf\xbf\xef\xbf\xbe" "\xc2\x85" "end", "", 0, "x", 0);
	fx_add(p, t, 5, l, 4);
	return p;
}

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* 1 M samples over ~50,000 distinct stacks, deep and bushy. */
static struct profile *big_profile(void)
{
	struct profile *p = profile_new();
	enum { N_FUNCS = 6000, N_PREFIX = 1500, N_STACKS = 50000 };
	uint32_t *loc = malloc(N_FUNCS * sizeof(*loc)), prefix[N_PREFIX][12], plen[N_PREFIX];
	uint32_t st[64], t[4];
	char name[64];
	int i, k;
	int64_t left = 1000000;

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	profile_set_meta(p, "command", "synthetic-big");
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "worker-%d", i);
		t[i] = profile_intern_thread(p, 1, 1 + (uint32_t)i, name);
	}
	for (i = 0; i < N_FUNCS; i++) {
		snprintf(name, sizeof(name), "%s_fn_%d", i % 7 ? "mod" : "hot", i);
		loc[i] = fx_loc(p, name, "big.c", (uint32_t)i + 1, "big", i % 11 == 0 ? 2 : 0);
	}
	for (i = 0; i < N_PREFIX; i++) {
		plen[i] = 2 + rnd(10);
		prefix[i][0] = 0;	/* everything under fn 0 ("main") */
		for (k = 1; k < (int)plen[i]; k++)
			prefix[i][k] = i < 40 ? rnd(40) : (k < 3 ? prefix[rnd(40)][k] : rnd(N_FUNCS));
	}
	for (i = 0; i < N_STACKS; i++) {
		uint32_t pi = rnd(N_PREFIX), n = 0, extra = 3 + rnd(20), th = rnd(4);
		int64_t v[2];

		/* root first here; stacks are leaf first */
		for (k = 0; k < (int)plen[pi]; k++)
			st[n++] = loc[prefix[pi][k]];
		for (k = 0; k < (int)extra; k++)
			st[n++] = loc[rnd(N_FUNCS)];
		for (k = 0; k < (int)n / 2; k++) {
			uint32_t tmp = st[k];

			st[k] = st[n - 1 - (uint32_t)k];
			st[n - 1 - (uint32_t)k] = tmp;
		}
		v[0] = i == N_STACKS - 1 ? left : 1 + rnd(39);
		if (v[0] > left)
			v[0] = left;
		left -= v[0];
		v[1] = v[0] * 1001001;
		profile_add_sample(p, profile_intern_stack(p, st, n), t[th], v);
	}
	free(loc);
	return p;
}

int main(int argc, char **argv)
{
	struct profile *p;
	struct view_opts o;
	struct strbuf out = STRBUF_INIT;
	const char *view, *prof = "fixture";
	char err[512] = "";
	int c, rc, timing = 0;
	uint64_t t0, c0;

	view_opts_init(&o);
	o.value = 1;
	o.count_value = 0;
	while ((c = getopt(argc, argv, "jtf:s:d:p:T:w:r:m")) != -1) {
		switch (c) {
		case 'j': o.json = 1; break;
		case 't': o.by_thread = 1; break;
		case 'f': o.func = optarg; break;
		case 's': o.search = optarg; break;
		case 'd': o.depth = atoi(optarg); break;
		case 'p': prof = optarg; break;
		case 'T': o.title = optarg; break;
		case 'w': o.width = atoi(optarg); break;
		case 'r': o.source_root = optarg; break;
		case 'm': timing = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: view-dump VIEW [-j] [-t] [-f FUNC] [-s SEARCH] [-p PROFILE]\n");
		return 2;
	}
	view = argv[optind];
	p = !strcmp(prof, "big") ? big_profile() : !strcmp(prof, "hostile") ? hostile_profile() :
	    fx_profile();
	t0 = clock_mono_ns();
	c0 = clock_process_cpu_ns();
	if (!strcmp(view, "top"))
		rc = view_top(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "lines"))
		rc = view_lines(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "callers"))
		rc = view_callers(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "callees"))
		rc = view_callees(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "collapsed"))
		rc = view_collapsed(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "flamegraph"))
		rc = view_flamegraph(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "pprof"))
		rc = view_pprof(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "speedscope"))
		rc = view_speedscope(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "chrome"))
		rc = view_chrome(p, &o, &out, err, sizeof(err));
	else if (!strcmp(view, "html")) {
		view_html_begin(&out, o.title ? o.title : "view-dump <html> & \"test\"");
		rc = view_html_profile(&out, p, &o, prof, "hottest: <summary> & \"first\"", err, sizeof(err));
		view_html_end(&out);
	} else
		rc = -EINVAL;
	if (timing)
		fprintf(stderr, "view-dump: %s took %.3f s (cpu %.3f s), %zu bytes\n", view,
			(double)(clock_mono_ns() - t0) / 1e9,
			(double)(clock_process_cpu_ns() - c0) / 1e9, out.len);
	if (rc) {
		fprintf(stderr, "view-dump: %s: %s\n", view, err);
		profile_free(p);
		return 1;
	}
	fwrite(out.buf, 1, out.len, stdout);
	strbuf_release(&out);
	profile_free(p);
	return 0;
}
