/*
 * livetop.c - the live top table of `pinch top` (see livetop.h): sums own
 * and total time per function (name + file) over the profiles of each
 * interval, and renders them py-spy-top style or as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/hmap.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "view/livetop.h"
#include "core/banned.h"

struct fn {
	char *name, *file;
	uint32_t line;		/* its most-sampled line (the rule of pinch report's table) */
	struct fn_line { uint32_t line; uint64_t w; } *lines;	/* weight per line seen */
	size_t nlines, alines;
	int python;
	uint64_t own, total;		/* whole session, ns */
	uint64_t last_own, last_total;	/* last interval, ns */
	uint32_t mark;			/* stack-walk dedup */
};

/* A thread: its name (the latest: threading's, else the OS's), its CPU
 * time and its GIL share (averaged over the intervals that knew it). */
struct th {
	uint32_t pid, tid;
	char name[64];
	char cmd[256];			/* its process's command line when labelled, else "" */
	uint64_t cpu, last_cpu;		/* ns */
	uint64_t gil_w, gil_ns;		/* sum of permille * interval, intervals with GIL data */
	int last_gil;			/* permille in the last interval, -1 unknown */
};

struct livetop {
	struct th *th;
	size_t nth, ath;
	struct fn *v;
	size_t n, alloc;
	struct hmap idx;
	uint64_t all_ns, last_ns;	/* wall time: whole session, last interval */
	uint64_t samples;
	uint32_t mark;
};

struct key {
	const char *name, *file;
};

struct livetop *livetop_new(void)
{
	struct livetop *t = calloc(1, sizeof(*t));

	if (t)
		hmap_init(&t->idx);
	return t;
}

void livetop_free(struct livetop *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].file);
		free(t->v[i].lines);
	}
	free(t->v);
	free(t->th);
	hmap_release(&t->idx);
	free(t);
}

static int fn_eq(const void *ctx, uint32_t id, const void *k)
{
	const struct livetop *t = ctx;
	const struct key *key = k;

	return !strcmp(t->v[id].name, key->name) && !strcmp(t->v[id].file, key->file);
}

/* The index of (name, file)'s entry, added if new; UINT32_MAX when out of
 * memory. An index, not a pointer: the array moves when it grows. */
static uint32_t fn_get(struct livetop *t, const char *name, const char *file)
{
	struct key k = { name, file };
	uint64_t h = hash_bytes(name, strlen(name), hash_bytes(file, strlen(file), 7));
	uint32_t id = hmap_find(&t->idx, h, &k, fn_eq, t);
	struct fn *f;

	if (id != UINT32_MAX)
		return id;
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 64;
		struct fn *v = realloc(t->v, na * sizeof(*v));

		if (!v)
			return UINT32_MAX;
		t->v = v;
		t->alloc = na;
	}
	f = &t->v[t->n];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->file = strdup(file);
	if (!f->name || !f->file || hmap_insert(&t->idx, h, (uint32_t)t->n) < 0) {
		free(f->name);
		free(f->file);
		return UINT32_MAX;
	}
	return (uint32_t)t->n++;
}

static uint64_t line_weight(const struct fn *f, uint32_t line)
{
	for (size_t i = 0; i < f->nlines; i++)
		if (f->lines[i].line == line)
			return f->lines[i].w;
	return 0;
}

/*
 * One line-attribution rule with pinch report's table (view.c's
 * pick_lines): a function's line is the one with the most weight, a
 * sample weighing on the line of the function's innermost frame in its
 * stack; ties go to the lower line. A function's first line, its
 * definition, is not where its time goes.
 */
static int add_line(struct fn *f, uint32_t line, uint64_t v)
{
	size_t i;

	if (!line)
		return 0;
	for (i = 0; i < f->nlines && f->lines[i].line != line; i++)
		;
	if (i == f->nlines) {
		if (ARRAY_GROW(f->lines, f->alines, f->nlines + 1))
			return -ENOMEM;
		f->lines[f->nlines++] = (struct fn_line){ line, 0 };
	}
	f->lines[i].w += v;
	if (!f->line || f->lines[i].w > line_weight(f, f->line) ||
	    (f->lines[i].w == line_weight(f, f->line) && line < f->line))
		f->line = line;
	return 0;
}

static struct th *th_get(struct livetop *t, uint32_t pid, uint32_t tid)
{
	for (size_t i = 0; i < t->nth; i++)
		if (t->th[i].pid == pid && t->th[i].tid == tid)
			return &t->th[i];
	if (t->nth >= 4096 || ARRAY_GROW(t->th, t->ath, t->nth + 1))
		return NULL;
	memset(&t->th[t->nth], 0, sizeof(t->th[0]));
	t->th[t->nth].pid = pid;
	t->th[t->nth].tid = tid;
	t->th[t->nth].last_gil = -1;
	return &t->th[t->nth++];
}

/* Per-thread CPU and GIL share of one interval. */
static void add_threads(struct livetop *t, const struct profile *p, size_t value,
			uint64_t interval_ns)
{
	for (size_t i = 0; i < t->nth; i++) {
		t->th[i].last_cpu = 0;
		t->th[i].last_gil = -1;
	}
	for (size_t i = 0; i < profile_n_threads(p); i++) {
		const struct profile_thread *pt = profile_thread(p, (uint32_t)i);
		const char *name = profile_string(p, pt->name);
		struct th *h = th_get(t, pt->pid, pt->tid);

		if (!h)
			continue;
		if (name && *name)
			snprintf(h->name, sizeof(h->name), "%s", name);
		if (profile_process_cmdline(p, pt->pid))
			snprintf(h->cmd, sizeof(h->cmd), "%s", profile_process_cmdline(p, pt->pid));
		if (pt->gil_permille >= 0) {
			h->gil_w += (uint64_t)pt->gil_permille * interval_ns;
			h->gil_ns += interval_ns;
			h->last_gil = pt->gil_permille;
		}
	}
	for (size_t s = 0; s < profile_n_samples(p); s++) {
		const struct profile_sample *sm = profile_sample(p, s);
		const struct profile_thread *pt = profile_thread(p, sm->thread);
		struct th *h = pt ? th_get(t, pt->pid, pt->tid) : NULL;
		uint64_t v = (uint64_t)profile_sample_values(p, s)[value];

		if (h) {
			h->cpu += v;
			h->last_cpu += v;
		}
	}
}

int livetop_add(struct livetop *t, const struct profile *p, size_t value, uint64_t interval_ns)
{
	size_t ns = profile_n_samples(p);
	uint32_t *byloc;
	size_t nloc = profile_n_locations(p);

	add_threads(t, p, value, interval_ns);

	for (size_t i = 0; i < t->n; i++)
		t->v[i].last_own = t->v[i].last_total = 0;
	t->last_ns = interval_ns;
	t->all_ns += interval_ns;
	/* One function per location, looked up once. */
	byloc = calloc(nloc ? nloc : 1, sizeof(*byloc));
	if (!byloc)
		return -ENOMEM;
	for (size_t l = 0; l < nloc; l++) {
		const struct profile_location *loc = profile_location(p, (uint32_t)l);
		const char *name = profile_string(p, loc->function);
		const char *file = profile_string(p, loc->file);
		struct fn *f;

		if (!file || !*file)
			file = profile_string(p, loc->module);
		byloc[l] = fn_get(t, name ? name : "?", file ? file : "");
		if (byloc[l] == UINT32_MAX) {
			free(byloc);
			return -ENOMEM;
		}
		f = &t->v[byloc[l]];
		f->python = loc->kind == LOC_PYTHON;
	}
	for (size_t s = 0; s < ns; s++) {
		const struct profile_sample *sm = profile_sample(p, s);
		uint64_t v = (uint64_t)profile_sample_values(p, s)[value];
		uint32_t n;
		const uint32_t *stack = profile_stack(p, sm->stack, &n);
		struct fn *leaf;

		t->samples++;
		if (!n)
			continue;
		t->mark++;
		leaf = &t->v[byloc[stack[0]]];
		leaf->own += v;
		leaf->last_own += v;
		for (uint32_t k = 0; k < n; k++) {
			struct fn *f = &t->v[byloc[stack[k]]];

			if (f->mark == t->mark)
				continue;	/* recursion: count once */
			f->mark = t->mark;
			f->total += v;
			f->last_total += v;
			if (add_line(f, profile_location(p, stack[k])->line, v)) {
				free(byloc);
				return -ENOMEM;
			}
		}
	}
	free(byloc);
	return 0;
}

static const struct livetop *sort_ctx;
static enum livetop_span sort_span;

static int by_own(const void *a, const void *b)
{
	const struct fn *x = &sort_ctx->v[*(const uint32_t *)a], *y = &sort_ctx->v[*(const uint32_t *)b];
	uint64_t ox = sort_span == LIVETOP_LAST ? x->last_own : x->own;
	uint64_t oy = sort_span == LIVETOP_LAST ? y->last_own : y->own;
	uint64_t tx = sort_span == LIVETOP_LAST ? x->last_total : x->total;
	uint64_t ty = sort_span == LIVETOP_LAST ? y->last_total : y->total;

	if (ox != oy)
		return ox > oy ? -1 : 1;
	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void add_secs(struct strbuf *out, uint64_t ns)
{
	strbuf_addf(out, "%9.2fs", (double)ns / 1e9);
}

/* The thread's GIL share in percent over span, -1 when unknown. */
static double thread_gil(const struct th *h, enum livetop_span span)
{
	if (span == LIVETOP_LAST)
		return h->last_gil < 0 ? -1 : h->last_gil / 10.0;
	return h->gil_ns ? (double)h->gil_w / (double)h->gil_ns / 10.0 : -1;
}

/* The threads table under the functions, only for processes whose GIL
 * was read (Python): %CPU of one CPU and GIL held %, busiest first. */
static void render_threads(const struct livetop *t, enum livetop_span span, double wall,
			   struct strbuf *out)
{
	size_t shown = 0;
	int any = 0;
	uint32_t done[16];

	for (size_t i = 0; i < t->nth; i++)
		any |= thread_gil(&t->th[i], span) >= 0;
	if (!any)
		return;
	strbuf_addf(out, "\n%7s %9s  %s\n", "%CPU", "GIL held", "Thread");
	/* The 16 busiest, selected in turn (few threads: no sort needed). */
	while (shown < 16) {
		const struct th *best = NULL;
		uint64_t bcpu = 0;

		for (size_t i = 0; i < t->nth; i++) {
			const struct th *h = &t->th[i];
			uint64_t cpu = span == LIVETOP_LAST ? h->last_cpu : h->cpu;
			int seen = 0;

			for (size_t k = 0; k < shown; k++)
				seen |= done[k] == i;
			if (seen || (thread_gil(h, span) < 0 && !cpu))
				continue;
			if (!best || cpu > bcpu) {
				best = h;
				bcpu = cpu;
			}
		}
		if (!best)
			break;
		done[shown++] = (uint32_t)(best - t->th);
		strbuf_addf(out, "%6.1f%% ", 100.0 * (double)bcpu / wall);
		if (thread_gil(best, span) >= 0)
			strbuf_addf(out, "%8.1f%%  ", thread_gil(best, span));
		else
			strbuf_addf(out, "%9s  ", "-");
		strbuf_add_utf8_sanitized(out, best->name, strlen(best->name));
		strbuf_addf(out, " (tid %u", best->tid);
		if (best->cmd[0]) {
			strbuf_addf(out, ", pid %u: ", best->pid);
			strbuf_add_utf8_sanitized(out, best->cmd, strlen(best->cmd));
		}
		strbuf_addstr(out, ")\n");
	}
}

int livetop_render(const struct livetop *t, enum livetop_span span, int rows, int width,
		   int json, struct strbuf *out)
{
	uint32_t *order = malloc((t->n ? t->n : 1) * sizeof(*order));
	double wall = (double)(span == LIVETOP_LAST ? t->last_ns : t->all_ns);
	size_t shown = 0;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		order[i] = (uint32_t)i;
	/* qsort has no context argument: the table is not shared between threads. */
	sort_ctx = t;
	sort_span = span;
	qsort(order, t->n, sizeof(*order), by_own);
	if (wall <= 0)
		wall = 1;
	if (json) {
		struct json_writer jw;

		json_init(&jw, out, 1);
		json_obj_begin(&jw);
		json_kuint(&jw, "interval_ns", span == LIVETOP_LAST ? t->last_ns : t->all_ns);
		json_key(&jw, "rows");
		json_arr_begin(&jw);
		for (size_t i = 0; i < t->n && (!rows || shown < (size_t)rows); i++) {
			const struct fn *f = &t->v[order[i]];
			uint64_t own = span == LIVETOP_LAST ? f->last_own : f->own;
			uint64_t tot = span == LIVETOP_LAST ? f->last_total : f->total;

			if (!tot)
				continue;
			shown++;
			json_obj_begin(&jw);
			json_kstr(&jw, "function", f->name);
			json_kstr(&jw, "file", f->file);
			json_kuint(&jw, "line", f->line);
			json_kstr(&jw, "kind", f->python ? "python" : "native");
			json_kdouble(&jw, "own_pct", 100.0 * (double)own / wall);
			json_kdouble(&jw, "total_pct", 100.0 * (double)tot / wall);
			json_kuint(&jw, "own_ns", f->own);
			json_kuint(&jw, "total_ns", f->total);
			json_obj_end(&jw);
		}
		json_arr_end(&jw);
		json_key(&jw, "threads");
		json_arr_begin(&jw);
		for (size_t i = 0; i < t->nth; i++) {
			const struct th *h = &t->th[i];
			uint64_t cpu = span == LIVETOP_LAST ? h->last_cpu : h->cpu;
			double gil = thread_gil(h, span);

			if (!cpu && gil <= 0)
				continue;
			json_obj_begin(&jw);
			json_kuint(&jw, "pid", h->pid);
			json_kuint(&jw, "tid", h->tid);
			json_kstr(&jw, "name", h->name);
			if (h->cmd[0])
				json_kstr(&jw, "command", h->cmd);
			json_kdouble(&jw, "cpu_pct", 100.0 * (double)cpu / wall);
			if (gil >= 0)
				json_kdouble(&jw, "gil_pct", gil);
			json_obj_end(&jw);
		}
		json_arr_end(&jw);
		json_obj_end(&jw);
		strbuf_addch(out, '\n');
		free(order);
		return 0;
	}
	strbuf_addf(out, "%7s %7s %10s %10s  %s\n", "%Own", "%Total", "OwnTime", "TotalTime",
		    "Function (filename:line)");
	for (size_t i = 0; i < t->n && (!rows || shown < (size_t)rows); i++) {
		const struct fn *f = &t->v[order[i]];
		uint64_t own = span == LIVETOP_LAST ? f->last_own : f->own;
		uint64_t tot = span == LIVETOP_LAST ? f->last_total : f->total;
		size_t start = out->len;

		if (!tot)
			continue;
		shown++;
		strbuf_addf(out, "%6.1f%% %6.1f%% ", 100.0 * (double)own / wall,
			    100.0 * (double)tot / wall);
		add_secs(out, f->own);
		strbuf_addch(out, ' ');
		add_secs(out, f->total);
		strbuf_addstr(out, "  ");
		strbuf_add_utf8_sanitized(out, f->name, strlen(f->name));
		if (f->line)
			strbuf_addf(out, " (%s:%u)", f->file, f->line);
		else if (*f->file)
			strbuf_addf(out, " (%s)", f->file);
		if (width > 0 && out->len - start > (size_t)width)
			strbuf_setlen(out, start + (size_t)width);
		strbuf_addch(out, '\n');
	}
	render_threads(t, span, wall, out);
	free(order);
	return 0;
}
