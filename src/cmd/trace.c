/*
 * trace.c - `pinch trace [options] -- CMD` runs a program built with
 * -finstrument-functions under the tracing agent and prints cProfile's
 * table; `pinch trace report [FILE]` shows a recording again: the table,
 * --callers/--callees, --json, --chrome, and the common views (--svg,
 * --collapsed) through the profile model.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collect/tracerec.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "model/traceprof.h"
#include "view/view.h"
#include "core/banned.h"

#define MAX_PATTERNS 64

struct trace_opts {
	const char *output;
	const char *incl[MAX_PATTERNS], *excl[MAX_PATTERNS];
	size_t nincl, nexcl;
	long depth;
	uint64_t min_ns;
	int counts, quiet;
	const char *clock;
	/* report */
	const char *sort;
	long limit;
	int threads, json, collapsed, wide;
	const char *callers, *callees, *chrome, *svg;
};

static int pattern_cb(const struct opt *o, const char *arg, void *ctx)
{
	struct trace_opts *t = ctx;
	int ex = !strcmp(o->long_name, "exclude");
	size_t *n = ex ? &t->nexcl : &t->nincl;

	if (*n == MAX_PATTERNS) {
		fprintf(stderr, "pinch trace: at most %d --%s patterns\n", MAX_PATTERNS, o->long_name);
		return -1;
	}
	(ex ? t->excl : t->incl)[(*n)++] = arg;
	return 0;
}

#define REPORT_OPTS(o)												\
	{ OPT_GROUP, 0, NULL, NULL, NULL, "report", NULL, 0 },							\
	{ OPT_STRING, 's', "sort", &(o).sort, "KEY", "cumulative (default), tottime, ncalls or name", NULL, 0 },	\
	{ OPT_INT, 'n', "limit", &(o).limit, "N", "rows (default 30, 0 = all)", NULL, 0 },			\
	{ OPT_FLAG, 0, "threads", &(o).threads, NULL, "one table per thread instead of all merged", NULL, 0 },	\
	{ OPT_STRING, 0, "callers", &(o).callers, "FUNC", "who calls FUNC: per-edge calls and times", NULL, 0 },	\
	{ OPT_STRING, 0, "callees", &(o).callees, "FUNC", "what FUNC calls: per-edge calls and times", NULL, 0 },	\
	{ OPT_FLAG, 0, "json", &(o).json, NULL, "JSON instead of text", NULL, 0 },				\
	{ OPT_STRING, 0, "chrome", &(o).chrome, "FILE", "write a Chrome trace (Perfetto, chrome://tracing) to FILE", NULL, 0 }, \
	{ OPT_STRING, 0, "svg", &(o).svg, "FILE", "write a flame graph of self time to FILE", NULL, 0 },	\
	{ OPT_FLAG, 0, "collapsed", &(o).collapsed, NULL, "print folded stacks (self time in ns)", NULL, 0 },	\
	{ OPT_FLAG, 0, "wide", &(o).wide, NULL, "print function names in full", NULL, 0 }

static const char *const trace_usage[] = {
	"pinch trace [options] [--] CMD [ARGS...]",
	"pinch trace report [FILE] [options]",
	"",
	"Counts and times every call of a program built with -finstrument-functions",
	"(gcc or clang: -O2 -g -finstrument-functions) and prints cProfile's table.",
	NULL,
};

static const char *const report_usage[] = {
	"pinch trace report [FILE] [options]",
	"",
	"Shows a pinch trace recording again. FILE defaults to the newest",
	"pinch-trace-*.rec in the current directory.",
	NULL,
};

enum sort_key { SORT_CUM, SORT_TOT, SORT_CALLS, SORT_NAME };

static int sort_key(const char *s)
{
	if (!s || !strcmp(s, "cumulative") || !strcmp(s, "cumtime") || !strcmp(s, "cum"))
		return SORT_CUM;
	if (!strcmp(s, "tottime") || !strcmp(s, "time"))
		return SORT_TOT;
	if (!strcmp(s, "ncalls") || !strcmp(s, "calls"))
		return SORT_CALLS;
	if (!strcmp(s, "name"))
		return SORT_NAME;
	return -1;
}

static const struct traceprof_func *g_funcs;	/* for qsort's comparator */
static int g_sort;

static int func_cmp(const void *a, const void *b)
{
	const struct traceprof_func *x = &g_funcs[*(const uint32_t *)a], *y = &g_funcs[*(const uint32_t *)b];
	uint64_t kx = 0, ky = 0;

	switch (g_sort) {
	case SORT_CUM: kx = x->cumtime; ky = y->cumtime; break;
	case SORT_TOT: kx = x->tottime; ky = y->tottime; break;
	case SORT_CALLS: kx = x->ncalls; ky = y->ncalls; break;
	default: break;
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p;
}

/* cProfile's "filename:lineno(function)". */
static void add_where(struct strbuf *sb, const struct traceprof_func *f, int wide)
{
	if (f->file)
		strbuf_addf(sb, "%s:%u(", base_name(f->file), f->line);
	else
		strbuf_addf(sb, "%s:0(", f->module);
	if (wide)
		strbuf_addstr(sb, f->name);
	else
		view_short_name(sb, f->name, VIEW_NAME_WIDTH);
	strbuf_addch(sb, ')');
}

/* Times in the table: one unit for the whole table. */
struct unit {
	double div;
	const char *name;
};

static struct unit pick_unit(uint64_t total_ns)
{
	if (total_ns >= 10000000000ull)
		return (struct unit){ 1e9, "seconds" };
	if (total_ns >= 10000000ull)
		return (struct unit){ 1e6, "milliseconds" };
	return (struct unit){ 1e3, "microseconds" };
}

/* percall: its own unit, as wide as the column. */
static void add_percall(struct strbuf *sb, double ns)
{
	char buf[32];

	if (ns < 1e3)
		snprintf(buf, sizeof(buf), "%.1fns", ns);
	else if (ns < 1e6)
		snprintf(buf, sizeof(buf), "%.2fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, sizeof(buf), "%.2fms", ns / 1e6);
	else
		snprintf(buf, sizeof(buf), "%.2fs", ns / 1e9);
	strbuf_addf(sb, " %10s", buf);
}

/* "total/primitive" (or "total"), right-aligned in width; its length. */
static int add_ncalls(struct strbuf *sb, uint64_t n, uint64_t prim, int width)
{
	char buf[48];
	int len;

	if (n != prim)
		len = snprintf(buf, sizeof(buf), "%" PRIu64 "/%" PRIu64, n, prim);
	else
		len = snprintf(buf, sizeof(buf), "%" PRIu64, n);
	if (sb)
		strbuf_addf(sb, "%*s", width, buf);
	return len;
}

/* The ncalls column: 12 wide, wider when a count needs it (a space
 * before the widest one). */
static int ncalls_width(int width, uint64_t n, uint64_t prim)
{
	int len = add_ncalls(NULL, n, prim, 0) + 1;

	return len > width ? len : width;
}

static void add_table(struct strbuf *out, const struct traceprof_table *t, const struct trace_opts *o)
{
	uint32_t *idx = malloc((t->n_funcs ? t->n_funcs : 1) * sizeof(*idx));
	uint64_t prim = 0, shown = 0;
	struct unit u;
	size_t n = 0;
	int w = 12;

	if (!idx)
		return;
	for (size_t i = 0; i < t->n_funcs; i++) {
		if (t->funcs[i].ncalls)
			idx[n++] = (uint32_t)i;
		prim += t->funcs[i].prim;
	}
	/* the table's total: the traced time is the sum of all own times */
	u = pick_unit(t->total_ns);
	g_funcs = t->funcs;
	g_sort = sort_key(o->sort);
	qsort(idx, n, sizeof(*idx), func_cmp);
	strbuf_addf(out, "         %" PRIu64 " function call%s", t->calls, t->calls == 1 ? "" : "s");
	if (prim != t->calls)
		strbuf_addf(out, " (%" PRIu64 " primitive call%s)", prim, prim == 1 ? "" : "s");
	strbuf_addstr(out, " in ");
	strbuf_add_duration(out, (double)t->total_ns);
	strbuf_addf(out, "\n\n   Ordered by: %s\n",
		    (const char *[]){ "cumulative time", "internal time", "call count", "function name" }[g_sort]);
	strbuf_addf(out, "   tottime, cumtime in %s\n\n", u.name);
	for (size_t k = 0; k < n && (o->limit <= 0 || (long)k < o->limit); k++)
		w = ncalls_width(w, t->funcs[idx[k]].ncalls, t->funcs[idx[k]].prim);
	strbuf_addf(out, "%*s    tottime    percall    cumtime    percall filename:lineno(function)\n",
		    w, "ncalls");
	for (size_t k = 0; k < n; k++) {
		const struct traceprof_func *f = &t->funcs[idx[k]];

		if (o->limit > 0 && (long)k >= o->limit)
			break;
		add_ncalls(out, f->ncalls, f->prim, w);
		strbuf_addf(out, " %10.3f", (double)f->tottime / u.div);
		add_percall(out, f->ncalls ? (double)f->tottime / (double)f->ncalls : 0.0);
		strbuf_addf(out, " %10.3f", (double)f->cumtime / u.div);
		add_percall(out, f->prim ? (double)f->cumtime / (double)f->prim : 0.0);
		strbuf_addch(out, ' ');
		add_where(out, f, o->wide);
		if (f->open)
			strbuf_addf(out, "  [%" PRIu64 " open]", f->open);
		strbuf_addch(out, '\n');
		shown++;
	}
	if (shown < n)
		strbuf_addf(out, "   ... %zu more (--limit 0 shows all)\n", n - (size_t)shown);
	free(idx);
}

/* Functions whose name is func, or contains it when none is equal. */
static size_t match_funcs(const struct traceprof_table *t, const char *func, uint32_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_funcs; i++)
		if (t->funcs[i].ncalls && !strcmp(t->funcs[i].name, func))
			out[n++] = (uint32_t)i;
	if (!n)
		for (size_t i = 0; i < t->n_funcs; i++)
			if (t->funcs[i].ncalls && strstr(t->funcs[i].name, func))
				out[n++] = (uint32_t)i;
	return n;
}

static int add_edges(struct strbuf *out, const struct traceprof_table *t, const struct trace_opts *o,
		     int callers)
{
	const char *func = callers ? o->callers : o->callees;
	uint32_t *m = malloc((t->n_funcs ? t->n_funcs : 1) * sizeof(*m));
	struct unit u = pick_unit(t->total_ns);
	size_t nm;

	if (!m)
		return -ENOMEM;
	nm = match_funcs(t, func, m);
	if (!nm) {
		free(m);
		return -ENOENT;
	}
	strbuf_addf(out, "   tottime, cumtime in %s\n\n", u.name);
	for (size_t k = 0; k < nm; k++) {
		const struct traceprof_func *f = &t->funcs[m[k]];

		strbuf_addstr(out, "Function ");
		add_where(out, f, o->wide);
		strbuf_addf(out, " %s\n", callers ? "was called by..." : "called...");
		int w = 12;

		for (size_t e = 0; e < t->n_edges; e++)
			if ((callers ? t->edges[e].callee : t->edges[e].caller) == m[k])
				w = ncalls_width(w, t->edges[e].ncalls, t->edges[e].prim);
		strbuf_addf(out, "%*s    tottime    cumtime\n", w, "ncalls");
		for (size_t e = 0; e < t->n_edges; e++) {
			const struct traceprof_edge *ed = &t->edges[e];
			uint32_t other;

			if ((callers ? ed->callee : ed->caller) != m[k])
				continue;
			other = callers ? ed->caller : ed->callee;
			add_ncalls(out, ed->ncalls, ed->prim, w);
			strbuf_addf(out, " %10.3f %10.3f  %s ", (double)ed->tottime / u.div,
				    (double)ed->cumtime / u.div, callers ? "<-" : "->");
			if (other == TRACEPROF_ROOT)
				strbuf_addstr(out, "<thread start>");
			else
				add_where(out, &t->funcs[other], o->wide);
			strbuf_addch(out, '\n');
		}
		strbuf_addch(out, '\n');
	}
	free(m);
	return 0;
}

/* What a recording with --filter/--exclude/--depth/--min-time kept, in
 * the options' words, for its report. */
static void add_kept(struct strbuf *sb, const struct trace_opts *o)
{
	for (size_t i = 0; i < o->nincl; i++)
		strbuf_addf(sb, "%s--filter %s", sb->len ? " " : "", o->incl[i]);
	for (size_t i = 0; i < o->nexcl; i++)
		strbuf_addf(sb, "%s--exclude %s", sb->len ? " " : "", o->excl[i]);
	if (o->depth > 0)
		strbuf_addf(sb, "%s--depth %ld", sb->len ? " " : "", o->depth);
	if (o->min_ns) {
		strbuf_addf(sb, "%s--min-time ", sb->len ? " " : "");
		strbuf_add_duration(sb, (double)o->min_ns);
	}
}

static void add_header(struct strbuf *out, const struct traceprof *tp, const char *file)
{
	const struct traceprof_stats *st = traceprof_stats(tp);
	const char *cmd = traceprof_meta(tp, "command");
	const char *kept = traceprof_meta(tp, "kept");
	uint64_t unwound = 0, dropped = 0, open = 0, calls = 0;
	size_t nt = traceprof_n_threads(tp);

	for (size_t i = 0; i < nt; i++) {
		const struct traceprof_thread *t = traceprof_thread(tp, i);

		calls += t->calls;
		unwound += t->unwound;
		dropped += t->dropped;
		open += t->open;
	}
	strbuf_addf(out, "recording: %s\n", file);
	if (cmd)
		strbuf_addf(out, "command:   %s\n", cmd);
	strbuf_addf(out, "mode:      %s, %zu thread%s in %" PRIu64 " process%s, clock %s\n",
		    st->counts_only ? "counts only" : "events", nt, nt == 1 ? "" : "s", st->processes,
		    st->processes == 1 ? "" : "es",
		    st->tsc ? "TSC (wall time)" : st->cpu ? "thread CPU time" : "CLOCK_MONOTONIC (wall time)");
	if (kept)
		strbuf_addf(out, "kept:      %s\n", kept);
	if (!calls)
		strbuf_addf(out, "notes:     no call was recorded%s\n",
			    kept ? " (see what was kept)" : "");
	else if (unwound || dropped || open || st->truncated) {
		strbuf_addstr(out, "notes:     ");
		if (unwound)
			strbuf_addf(out, "%" PRIu64 " call%s left by longjmp/unwinding; ", unwound, unwound == 1 ? "" : "s");
		if (open)
			strbuf_addf(out, "%" PRIu64 " call%s still open at the end (timed to it); ", open, open == 1 ? "" : "s");
		if (dropped)
			strbuf_addf(out, "%" PRIu64 " call%s not recorded (--depth/--filter/too deep); ", dropped, dropped == 1 ? "" : "s");
		if (st->truncated)
			strbuf_addstr(out, "the recording is cut short: what is whole is shown; ");
		strbuf_setlen(out, out->len - 2);
		strbuf_addch(out, '\n');
	}
	strbuf_addch(out, '\n');
}

static void json_func(struct json_writer *w, const struct traceprof_func *f)
{
	json_kstr(w, "function", f->name);
	json_kstr(w, "file", f->file ? f->file : "");
	json_kuint(w, "line", f->line);
	json_kstr(w, "module", f->module);
}

static void add_json(struct strbuf *out, const struct traceprof *tp, const char *file,
		     const struct trace_opts *o)
{
	const struct traceprof_stats *st = traceprof_stats(tp);
	struct json_writer w;
	size_t nt = traceprof_n_threads(tp);

	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "trace");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "file", file);
	json_kstr(&w, "command", traceprof_meta(tp, "command") ? traceprof_meta(tp, "command") : "");
	json_kstr(&w, "mode", st->counts_only ? "counts" : "events");
	json_kstr(&w, "kept", traceprof_meta(tp, "kept") ? traceprof_meta(tp, "kept") : "");
	json_kbool(&w, "truncated", st->truncated);
	json_kint(&w, "exit_status", st->exit_status);
	json_key(&w, "threads");
	json_arr_begin(&w);
	for (size_t ti = 0; ti < nt; ti++) {
		const struct traceprof_thread *t = traceprof_thread(tp, ti);
		struct traceprof_table tb;

		json_obj_begin(&w);
		json_kuint(&w, "pid", t->pid);
		json_kuint(&w, "tid", t->tid);
		json_kuint(&w, "calls", t->calls);
		json_kuint(&w, "unwound", t->unwound);
		json_kuint(&w, "open", t->open);
		json_kuint(&w, "dropped", t->dropped);
		if (o->threads && !traceprof_table(tp, ti, &tb)) {
			json_key(&w, "functions");
			json_arr_begin(&w);
			for (size_t i = 0; i < tb.n_funcs; i++) {
				if (!tb.funcs[i].ncalls)
					continue;
				json_obj_begin(&w);
				json_func(&w, &tb.funcs[i]);
				json_kuint(&w, "ncalls", tb.funcs[i].ncalls);
				json_kuint(&w, "primitive", tb.funcs[i].prim);
				json_kuint(&w, "tottime_ns", tb.funcs[i].tottime);
				json_kuint(&w, "cumtime_ns", tb.funcs[i].cumtime);
				json_obj_end(&w);
			}
			json_arr_end(&w);
			traceprof_table_release(&tb);
		}
		json_obj_end(&w);
	}
	json_arr_end(&w);
	{
		struct traceprof_table tb;

		if (!traceprof_table(tp, TRACEPROF_ALL, &tb)) {
			json_kuint(&w, "calls", tb.calls);
			json_kuint(&w, "total_ns", tb.total_ns);
			json_key(&w, "functions");
			json_arr_begin(&w);
			for (size_t i = 0; i < tb.n_funcs; i++) {
				const struct traceprof_func *f = &tb.funcs[i];

				if (!f->ncalls)
					continue;
				json_obj_begin(&w);
				json_func(&w, f);
				json_kuint(&w, "ncalls", f->ncalls);
				json_kuint(&w, "primitive", f->prim);
				json_kuint(&w, "tottime_ns", f->tottime);
				json_kuint(&w, "cumtime_ns", f->cumtime);
				json_kuint(&w, "open", f->open);
				json_obj_end(&w);
			}
			json_arr_end(&w);
			json_key(&w, "edges");
			json_arr_begin(&w);
			for (size_t i = 0; i < tb.n_edges; i++) {
				const struct traceprof_edge *e = &tb.edges[i];

				json_obj_begin(&w);
				if (e->caller == TRACEPROF_ROOT)
					json_kstr(&w, "caller", "");
				else
					json_kstr(&w, "caller", tb.funcs[e->caller].name);
				json_kstr(&w, "callee", tb.funcs[e->callee].name);
				json_kuint(&w, "ncalls", e->ncalls);
				json_kuint(&w, "primitive", e->prim);
				json_kuint(&w, "tottime_ns", e->tottime);
				json_kuint(&w, "cumtime_ns", e->cumtime);
				json_obj_end(&w);
			}
			json_arr_end(&w);
			traceprof_table_release(&tb);
		}
	}
	json_obj_end(&w);
	strbuf_addch(out, '\n');
}

static int report_file(const char *path, const struct trace_opts *o)
{
	struct rec_reader *r = NULL;
	struct traceprof *tp = NULL;
	struct strbuf out = STRBUF_INIT, warn = STRBUF_INIT;
	struct profile *p = NULL;
	char err[512];
	int rc;

	rc = rec_reader_open(&r, path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch trace: cannot read '%s': %s\n", path, err);
		return EXIT_FAIL;
	}
	if (rec_reader_header(r)->kind != REC_KIND_TRACE) {
		fprintf(stderr, "pinch trace: '%s' is not a pinch trace recording\n", path);
		fprintf(stderr, "hint: CPU recordings are read by 'pinch report', memory ones by 'pinch mem report'\n");
		rec_reader_close(r);
		return EXIT_FAIL;
	}
	rc = traceprof_build(r, &tp, &warn, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch trace: cannot read '%s': %s\n", path, err);
		rec_reader_close(r);
		return EXIT_FAIL;
	}
	if (warn.len)
		fprintf(stderr, "%s", warn.buf);
	rc = EXIT_OK;
	if (o->chrome) {
		FILE *f = fopen_private(o->chrome);
		long n;

		if (!f) {
			fprintf(stderr, "pinch trace: cannot write '%s': %s\n", o->chrome, strerror(errno));
			rc = EXIT_FAIL;
			goto out;
		}
		n = traceprof_chrome(tp, r, f);
		if (fclose(f) || n < 0) {
			fprintf(stderr, "pinch trace: cannot write '%s': %s\n", o->chrome,
				n == -ENODATA ? "a --counts-only recording has no timeline" : strerror(n < 0 ? (int)-n : errno));
			rc = EXIT_FAIL;
			goto out;
		}
		fprintf(stderr, "wrote %s: %ld calls as a Chrome trace (open it in https://ui.perfetto.dev)\n", o->chrome, n);
	}
	if (o->svg || o->collapsed) {
		struct view_opts vo;

		p = traceprof_profile(tp);
		if (!p) {
			fprintf(stderr, "pinch trace: out of memory\n");
			rc = EXIT_FAIL;
			goto out;
		}
		view_opts_init(&vo);
		vo.value = 1;		/* self time */
		vo.count_value = 0;	/* calls */
		vo.title = traceprof_meta(tp, "command");
		vo.by_thread = o->threads;
		rc = o->svg ? view_flamegraph(p, &vo, &out, err, sizeof(err))
			    : view_collapsed(p, &vo, &out, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "pinch trace: %s\n", err);
			rc = EXIT_FAIL;
			goto out;
		}
		if (o->svg) {
			if ((rc = strbuf_write_file(&out, o->svg))) {
				fprintf(stderr, "pinch trace: cannot write '%s': %s\n", o->svg, strerror(-rc));
				rc = EXIT_FAIL;
				goto out;
			}
			fprintf(stderr, "wrote %s: flame graph of self time\n", o->svg);
			strbuf_reset(&out);
		} else {
			fwrite(out.buf, 1, out.len, stdout);
			goto out;
		}
	}
	if (o->json) {
		add_json(&out, tp, path, o);
	} else {
		size_t nt = traceprof_n_threads(tp);

		add_header(&out, tp, path);
		for (size_t ti = 0; ti < (o->threads ? nt : 1); ti++) {
			struct traceprof_table tb;
			size_t which = o->threads ? ti : TRACEPROF_ALL;

			if (traceprof_table(tp, which, &tb)) {
				fprintf(stderr, "pinch trace: out of memory\n");
				rc = EXIT_FAIL;
				goto out;
			}
			if (o->threads)
				strbuf_addf(&out, "thread %u (pid %u)%s\n", traceprof_thread(tp, ti)->tid,
					    traceprof_thread(tp, ti)->pid,
					    traceprof_thread(tp, ti)->at_exit ? ", still running at exit" : "");
			if (o->callers || o->callees) {
				int e = add_edges(&out, &tb, o, o->callers != NULL);

				if (e == -ENOENT && !o->threads) {
					fprintf(stderr, "pinch trace: no traced function matches '%s'\n",
						o->callers ? o->callers : o->callees);
					fprintf(stderr, "hint: 'pinch trace report --sort name -n 0' lists them\n");
					traceprof_table_release(&tb);
					rc = EXIT_FAIL;
					goto out;
				}
			} else {
				add_table(&out, &tb, o);
			}
			strbuf_addch(&out, '\n');
			traceprof_table_release(&tb);
		}
	}
	fwrite(out.buf, 1, out.len, stdout);
out:
	profile_free(p);
	traceprof_free(tp);
	rec_reader_close(r);
	strbuf_release(&out);
	strbuf_release(&warn);
	return rc;
}

static void opts_init(struct trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->limit = 30;
	o->depth = LONG_MIN;	/* not given: unlimited */
}

static int check_report_opts(const struct trace_opts *o)
{
	if (sort_key(o->sort) < 0) {
		fprintf(stderr, "pinch trace: --sort '%s' is not cumulative, tottime, ncalls or name\n", o->sort);
		return EXIT_USAGE;
	}
	if (o->limit < 0) {
		fprintf(stderr, "pinch trace: --limit must be 0 or more\n");
		return EXIT_USAGE;
	}
	if (o->callers && o->callees) {
		fprintf(stderr, "pinch trace: --callers and --callees go one at a time\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* The newest pinch-trace-*.rec in the current directory. */
static int newest(struct strbuf *out)
{
	DIR *d = opendir(".");
	struct dirent *de;
	time_t best = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct stat st;

		if (strncmp(de->d_name, "pinch-trace-", 12) || n < 16 || strcmp(de->d_name + n - 4, ".rec") ||
		    stat(de->d_name, &st) || !S_ISREG(st.st_mode) || (out->len && st.st_mtime < best))
			continue;
		best = st.st_mtime;
		strbuf_reset(out);
		strbuf_addstr(out, de->d_name);
	}
	closedir(d);
	return out->len ? 0 : -1;
}

static int cmd_trace_report(int argc, char **argv)
{
	struct trace_opts o;
	const struct opt opts[] = {
		REPORT_OPTS(o),
		OPT_END_(),
	};
	struct strbuf path = STRBUF_INIT;
	int n, rc;

	opts_init(&o);
	n = opt_parse(argc, argv, opts, report_usage, 0, &o);
	if ((rc = cmd_opt_exit(n)) >= 0)
		return rc;
	if ((rc = check_report_opts(&o)) >= 0)
		return rc;
	if (n > 1) {
		fprintf(stderr, "pinch trace report: one recording at a time\n");
		return EXIT_USAGE;
	}
	if (n == 1) {
		strbuf_addstr(&path, argv[0]);
	} else if (newest(&path)) {
		fprintf(stderr, "pinch trace report: no pinch-trace-*.rec recording here\n");
		fprintf(stderr, "hint: pinch trace report FILE, or record one: pinch trace -- ./program\n");
		return EXIT_USAGE;
	}
	rc = report_file(path.buf, &o);
	strbuf_release(&path);
	return rc;
}

static void default_output(char *buf, size_t len)
{
	char stamp[32];
	size_t j;

	clock_format_utc(clock_real_ns(), stamp, sizeof(stamp));	/* "2026-11-25 12:47:14" */
	snprintf(buf, len, "pinch-trace-");
	j = strlen(buf);
	for (size_t i = 0; stamp[i] && j + 5 < len; i++)
		if (stamp[i] != '-' && stamp[i] != ':')
			buf[j++] = stamp[i] == ' ' ? '-' : stamp[i];
	snprintf(buf + j, len - j, ".rec");
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o;
	const struct opt opts[] = {
		{ OPT_STRING, 'o', "output", &o.output, "FILE", "write the recording to FILE (default pinch-trace-DATE-TIME.rec)", NULL, 0 },
		{ OPT_CALLBACK, 0, "filter", NULL, "PATTERN", "trace only inside functions matching PATTERN (glob or exact name; repeatable)", pattern_cb, 1 },
		{ OPT_CALLBACK, 0, "exclude", NULL, "PATTERN", "leave out functions matching PATTERN and what they call (repeatable)", pattern_cb, 1 },
		{ OPT_INT, 0, "depth", &o.depth, "N", "record calls at most N deep (from the first traced one)", NULL, 0 },
		{ OPT_DURATION, 0, "min-time", &o.min_ns, "TIME", "drop calls shorter than TIME (e.g. 10us; not with --counts-only)", NULL, 0 },
		{ OPT_FLAG, 0, "counts-only", &o.counts, NULL, "aggregate in the program: a recording of a few KiB whatever the run's length, no timeline", NULL, 0 },
		{ OPT_STRING, 0, "clock", &o.clock, "CLOCK", "tsc (wall time, default on x86-64), ns (clock_gettime) or cpu (each thread's CPU time: a system call per event)", NULL, 0 },
		{ OPT_FLAG, 'q', "quiet", &o.quiet, NULL, "record only; print no report", NULL, 0 },
		REPORT_OPTS(o),
		OPT_END_(),
	};
	struct tracerec_opts ro;
	struct tracerec_result res;
	struct rec_writer *w = NULL;
	struct strbuf filter = STRBUF_INIT, cmdline = STRBUF_INIT, kept = STRBUF_INIT;
	char path[4096], agent[4096], outbuf[256], dir[4200], err[512];
	const char *out;
	int n, rc, procs, status;

	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_trace_report(argc - 1, argv + 1);
	opts_init(&o);
	n = opt_parse(argc, argv, opts, trace_usage, OPT_STOP_AT_NONOPT, &o);
	if ((rc = cmd_opt_exit(n)) >= 0)
		return rc;
	if ((rc = check_report_opts(&o)) >= 0)
		return rc;
	if (n < 1) {
		fprintf(stderr, "pinch trace: no command to run\n");
		fprintf(stderr, "hint: pinch trace -- ./program args, or pinch trace report FILE\n");
		return EXIT_USAGE;
	}
	if (o.depth == LONG_MIN)
		o.depth = 0;
	else if (o.depth < 1 || o.depth > 65535) {
		fprintf(stderr, "pinch trace: --depth must be between 1 and 65535\n");
		return EXIT_USAGE;
	}
	if (o.counts && o.min_ns) {
		fprintf(stderr, "pinch trace: --min-time needs the events; it does not go with --counts-only\n");
		return EXIT_USAGE;
	}
	if (o.clock && strcmp(o.clock, "tsc") && strcmp(o.clock, "ns") && strcmp(o.clock, "cpu")) {
		fprintf(stderr, "pinch trace: --clock '%s' is not tsc, ns or cpu\n", o.clock);
		return EXIT_USAGE;
	}
	rc = tracerec_check_target(argv[0], path, sizeof(path), err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch trace: cannot trace %s\n", err);
		if (rc == -ENOTSUP)
			fprintf(stderr, "hint: rebuild it with instrumentation, e.g. gcc -O2 -g -finstrument-functions (clang too), and link dynamically\n");
		else if (rc == -ENOEXEC)
			fprintf(stderr, "hint: link it dynamically (no -static): the agent is an LD_PRELOAD library\n");
		else if (rc == -EINVAL)
			fprintf(stderr, "hint: run the instrumented program itself: pinch trace -- ./program args\n");
		return EXIT_USAGE;
	}
	if (o.nincl || o.nexcl) {
		rc = tracerec_filter(path, o.incl, o.nincl, o.excl, o.nexcl, &filter, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "pinch trace: cannot read the functions of %s\n", err);
			return EXIT_FAIL;
		}
		if (rc == 0) {
			fprintf(stderr, "pinch trace: no function of '%s' matches the --filter/--exclude patterns\n", path);
			fprintf(stderr, "hint: patterns are function names or globs such as 'parse_*' (functions of the program itself)\n");
			return EXIT_USAGE;
		}
		if (o.nincl && !strstr(filter.buf, "i:")) {
			fprintf(stderr, "pinch trace: no function of '%s' matches the --filter patterns\n", path);
			strbuf_release(&filter);
			return EXIT_USAGE;
		}
	}
	if (tracerec_find_agent(agent, sizeof(agent))) {
		fprintf(stderr, "pinch trace: cannot find the agent libpinch-trace.so next to pinch\n");
		fprintf(stderr, "hint: set PINCH_TRACE_AGENT to its path\n");
		strbuf_release(&filter);
		return EXIT_FAIL;
	}
	if (!o.output) {
		default_output(outbuf, sizeof(outbuf));
		out = outbuf;
	} else {
		out = o.output;
	}
	if (cmd_workdir("trace", out, dir, sizeof(dir))) {
		strbuf_release(&filter);
		return EXIT_FAIL;
	}
	rc = rec_writer_open(&w, out, REC_KIND_TRACE);
	if (rc) {
		fprintf(stderr, "pinch trace: cannot create '%s': %s\n", out, strerror(-rc));
		tracerec_cleanup(dir);
		strbuf_release(&filter);
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++)
		strbuf_addf(&cmdline, "%s%s", i ? " " : "", argv[i]);
	rec_writer_meta(w, "command", cmdline.buf);
	rec_writer_meta(w, "mode", o.counts ? "counts" : "events");
	add_kept(&kept, &o);
	if (kept.len)
		rec_writer_meta(w, "kept", kept.buf);
	argv[0] = path;
	memset(&ro, 0, sizeof(ro));
	ro.argv = argv;
	ro.agent = agent;
	ro.dir = dir;
	ro.filter = filter.len ? filter.buf : NULL;
	ro.counts = o.counts;
	ro.depth = o.depth;
	ro.min_ns = o.min_ns;
	ro.clock = o.clock;
	rc = tracerec_run(&ro, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch trace: %s\n", err);
		rec_writer_close(w);
		unlink(out);
		tracerec_cleanup(dir);
		strbuf_release(&filter);
		strbuf_release(&cmdline);
		strbuf_release(&kept);
		return EXIT_FAIL;
	}
	procs = tracerec_write(dir, &res, w, err, sizeof(err));
	tracerec_cleanup(dir);
	rc = rec_writer_close(w);
	strbuf_release(&filter);
	strbuf_release(&cmdline);
	strbuf_release(&kept);
	if (procs < 0 || rc) {
		fprintf(stderr, "pinch trace: %s\n", procs < 0 ? err : strerror(-rc));
		return EXIT_FAIL;
	}
	fprintf(stderr, "pinch trace: wrote %s (%d process%s", out, procs, procs == 1 ? "" : "es");
	if (res.term_signal)
		fprintf(stderr, ", the command was killed by signal %d", res.term_signal);
	else if (res.exit_status)
		fprintf(stderr, ", the command exited with %d", res.exit_status);
	fprintf(stderr, ")\n");
	/* Like time(1) and pinch record: the command's status, or 128 + the
	 * signal that ended it, once the recording is written. */
	status = res.term_signal ? 128 + res.term_signal : res.exit_status > 0 ? res.exit_status : EXIT_OK;
	if (o.quiet)
		return status;
	fflush(stderr);
	rc = report_file(out, &o);
	return rc != EXIT_OK ? rc : status;
}
