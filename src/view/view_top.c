/*
 * view_top.c - the top-functions table (view layer): self and total of
 * every function (pstats tottime/cumtime, perf report --children), merged
 * or one table per thread, human or --json. Reads only struct profile.
 */
#include "view/view.h"
#include "view/view_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "core/banned.h"


static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct vctx *c = arg;
	const struct vfunc *x = &c->f[*(const uint32_t *)a], *y = &c->f[*(const uint32_t *)b];
	int64_t k1 = c->o->sort == VIEW_SORT_TOTAL ? x->total : x->self;
	int64_t k2 = c->o->sort == VIEW_SORT_TOTAL ? y->total : y->self;

	if (k1 != k2)
		return k1 > k2 ? -1 : 1;
	k1 = c->o->sort == VIEW_SORT_TOTAL ? x->self : x->total;
	k2 = c->o->sort == VIEW_SORT_TOTAL ? y->self : y->total;
	if (k1 != k2)
		return k1 > k2 ? -1 : 1;
	if (x->total_n != y->total_n)
		return x->total_n > y->total_n ? -1 : 1;
	return strcmp(profile_string(c->p, x->name), profile_string(c->p, y->name));
}

/* Functions with samples, sorted; limited to o->limit. */
static uint32_t *sorted_rows(const struct vctx *c, size_t *n)
{
	uint32_t *rows = malloc((c->n_funcs ? c->n_funcs : 1) * sizeof(uint32_t));
	size_t i, k = 0;

	if (!rows)
		return NULL;
	for (i = 0; i < c->n_funcs; i++)
		if (c->f[i].total || c->f[i].total_n || c->f[i].self)
			rows[k++] = (uint32_t)i;
	qsort_r(rows, k, sizeof(uint32_t), row_cmp, (void *)c);
	if (c->o->limit > 0 && (size_t)c->o->limit < k)
		k = (size_t)c->o->limit;
	*n = k;
	return rows;
}

/* "file:line", "file", the module, or "?" */
static void add_location(struct strbuf *sb, const struct vctx *c, const struct vfunc *f)
{
	const char *file = profile_string(c->p, f->file);
	const char *mod = profile_string(c->p, f->module);

	if (*file) {
		view_add_name(sb, file, 0);
		if (f->line)
			strbuf_addf(sb, ":%u", f->line);
	} else if (*mod) {
		view_add_name(sb, mod, 0);
	} else {
		strbuf_addch(sb, '?');
	}
}

/* The function with the largest self value (ties: larger total). */
static long hottest(const struct vctx *c)
{
	long best = -1;
	size_t i;

	for (i = 0; i < c->n_funcs; i++) {
		const struct vfunc *f = &c->f[i];

		if (!f->self)
			continue;
		if (best < 0 || f->self > c->f[best].self ||
		    (f->self == c->f[best].self && f->total > c->f[best].total))
			best = (long)i;
	}
	return best;
}

/* A function's name for the table's column: shortened (template
 * arguments first) to fit unless --wide. */
static void add_fname(struct strbuf *cell, const struct vctx *c, uint32_t f)
{
	struct strbuf name = STRBUF_INIT;

	view_add_name(&name, vctx_fname(c, f), 0);
	view_short_name(cell, name.buf, c->o->wide ? 0 : VIEW_NAME_WIDTH);
	strbuf_release(&name);
}

static void human_table(const struct vctx *c, struct strbuf *out)
{
	const char *unit = profile_type_unit(c->p, c->o->value);
	struct strbuf cell = STRBUF_INIT;
	size_t n, i, wname = strlen("Function"), wself = 4, wtot = 5, wcnt = 7;
	uint32_t *rows = sorted_rows(c, &n);

	if (!rows)
		return;
	for (i = 0; i < n; i++) {
		const struct vfunc *f = &c->f[rows[i]];
		size_t w;

		strbuf_reset(&cell);
		add_fname(&cell, c, rows[i]);
		w = view_utf8_width(cell.buf);
		if (w > wname)
			wname = w > VIEW_NAME_WIDTH && !c->o->wide ? VIEW_NAME_WIDTH : w;
		strbuf_reset(&cell);
		view_add_value(&cell, unit, f->self);
		if (cell.len > wself)
			wself = cell.len;
		strbuf_reset(&cell);
		view_add_value(&cell, unit, f->total);
		if (cell.len > wtot)
			wtot = cell.len;
		strbuf_reset(&cell);
		strbuf_addf(&cell, "%lld", (long long)f->total_n);
		if (cell.len > wcnt)
			wcnt = cell.len;
	}
	strbuf_addstr(out, "Self %  Total %  ");
	view_add_col(out, "Self", wself, 1);
	strbuf_addstr(out, "  ");
	view_add_col(out, "Total", wtot, 1);
	strbuf_addstr(out, "  ");
	if (c->has_count) {
		view_add_col(out, "Samples", wcnt, 1);
		strbuf_addstr(out, "  ");
	}
	view_add_col(out, "Function", wname, 0);
	strbuf_addstr(out, "  Location\n");
	for (i = 0; i < n; i++) {
		const struct vfunc *f = &c->f[rows[i]];

		if (c->o->color)	/* hot rows red, warm rows yellow */
			strbuf_addstr(out, view_pct(f->self, c->total) >= 10 ? "\033[31m" :
				      view_pct(f->self, c->total) >= 2 ? "\033[33m" : "");
		strbuf_addf(out, "%6.1f  %7.1f  ", view_pct(f->self, c->total),
			    view_pct(f->total, c->total));
		strbuf_reset(&cell);
		view_add_value(&cell, unit, f->self);
		view_add_col(out, cell.buf, wself, 1);
		strbuf_addstr(out, "  ");
		strbuf_reset(&cell);
		view_add_value(&cell, unit, f->total);
		view_add_col(out, cell.buf, wtot, 1);
		strbuf_addstr(out, "  ");
		if (c->has_count) {
			strbuf_reset(&cell);
			strbuf_addf(&cell, "%lld", (long long)f->total_n);
			view_add_col(out, cell.buf, wcnt, 1);
			strbuf_addstr(out, "  ");
		}
		strbuf_reset(&cell);
		add_fname(&cell, c, rows[i]);
		view_add_col(out, cell.buf, wname, 0);
		strbuf_addstr(out, "  ");
		add_location(out, c, f);
		strbuf_rtrim(out);
		if (c->o->color && view_pct(f->self, c->total) >= 2)
			strbuf_addstr(out, "\033[0m");
		strbuf_addch(out, '\n');
	}
	strbuf_release(&cell);
	free(rows);
}

static void human_hottest(const struct vctx *c, struct strbuf *out)
{
	long h = hottest(c);

	if (h < 0) {
		strbuf_addstr(out, "hottest: none (no samples)\n");
		return;
	}
	strbuf_addstr(out, c->o->color ? "hottest: \033[1;31m" : "hottest: ");
	view_add_name(out, vctx_fname(c, (uint32_t)h), 0);
	if (c->o->color)
		strbuf_addstr(out, "\033[0m");
	strbuf_addf(out, " \xe2\x80\x94 %.1f %% self (", view_pct(c->f[h].self, c->total));
	add_location(out, c, &c->f[h]);
	strbuf_addstr(out, ")\n");
}

static void human_summary(const struct vctx *c, struct strbuf *out)
{
	const char *unit = profile_type_unit(c->p, c->o->value);

	strbuf_addstr(out, profile_type_name(c->p, c->o->value));
	strbuf_addstr(out, ": ");
	view_add_value(out, unit, c->total);
	strbuf_addstr(out, " total");
	if (c->has_count) {
		strbuf_addstr(out, ", ");
		view_add_count(out, (long long)c->total_n, profile_type_name(c->p, c->o->count_value));
	}
	strbuf_addch(out, '\n');
}

static void json_row(const struct vctx *c, struct json_writer *w, uint32_t i)
{
	const struct vfunc *f = &c->f[i];

	json_obj_begin(w);
	json_kstr(w, "function", vctx_fname(c, i));
	json_kstr(w, "module", profile_string(c->p, f->module));
	json_kstr(w, "file", profile_string(c->p, f->file));
	json_kuint(w, "line", f->line);
	json_kstr(w, "kind", view_kind_name(f->kind));
	json_kint(w, "self", f->self);
	json_kint(w, "total", f->total);
	if (c->has_count) {
		json_kint(w, "self_count", f->self_n);
		json_kint(w, "total_count", f->total_n);
	}
	json_kdouble(w, "self_pct", view_pct(f->self, c->total));
	json_kdouble(w, "total_pct", view_pct(f->total, c->total));
	json_obj_end(w);
}

static void json_rows(const struct vctx *c, struct json_writer *w)
{
	size_t n, i;
	uint32_t *rows = sorted_rows(c, &n);

	json_key(w, "rows");
	json_arr_begin(w);
	for (i = 0; rows && i < n; i++)
		json_row(c, w, rows[i]);
	json_arr_end(w);
	free(rows);
}

struct thread_share {
	uint32_t id;
	int64_t total;
};

static int share_cmp(const void *a, const void *b)
{
	const struct thread_share *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Threads with samples of the shown value, largest first. */
static struct thread_share *thread_shares(const struct profile *p, size_t value, size_t *n)
{
	size_t nt = profile_n_threads(p), ns = profile_n_samples(p), i, k = 0;
	struct thread_share *ts = calloc(nt ? nt : 1, sizeof(*ts));

	if (!ts)
		return NULL;
	for (i = 0; i < nt; i++)
		ts[i].id = (uint32_t)i;
	for (i = 0; i < ns; i++)
		ts[profile_sample(p, i)->thread].total += profile_sample_values(p, i)[value];
	qsort(ts, nt, sizeof(*ts), share_cmp);
	while (k < nt && ts[k].total)
		k++;
	*n = k;
	return ts;
}

int view_top(const struct profile *p, const struct view_opts *o, struct strbuf *out,
	     char *err, size_t errlen)
{
	struct vctx c;
	struct json_writer w;
	struct thread_share *ts = NULL;
	int64_t grand, grand_n;
	size_t nts = 0, i;
	int rc;

	rc = vctx_init(&c, p, o, err, errlen);
	if (rc)
		return rc;
	rc = vctx_sum(&c, UINT32_MAX);
	if (rc)
		goto nomem;
	grand = c.total;
	grand_n = c.total_n;
	if (o->by_thread) {
		ts = thread_shares(p, o->value, &nts);
		if (!ts) {
			rc = -ENOMEM;
			goto nomem;
		}
	}
	if (o->json) {
		json_init(&w, out, 1);
		json_obj_begin(&w);
		json_kstr(&w, "view", "top");
		view_json_types(&c, &w);
		json_kint(&w, "total", grand);
		if (c.has_count)
			json_kint(&w, "total_count", grand_n);
		json_kstr(&w, "sort", o->sort == VIEW_SORT_TOTAL ? "total" : "self");
		json_key(&w, "hottest");
		if (hottest(&c) >= 0)
			json_row(&c, &w, (uint32_t)hottest(&c));
		else
			json_null(&w);
		if (!o->by_thread) {
			json_rows(&c, &w);
		} else {
			json_key(&w, "threads");
			json_arr_begin(&w);
			for (i = 0; i < nts; i++) {
				const struct profile_thread *t = profile_thread(p, ts[i].id);

				if ((rc = vctx_sum(&c, ts[i].id)))
					goto nomem;
				json_obj_begin(&w);
				json_kuint(&w, "pid", t->pid);
				json_kuint(&w, "tid", t->tid);
				json_kstr(&w, "name", profile_string(p, t->name));
				if (profile_process_cmdline(p, t->pid))
					json_kstr(&w, "command", profile_process_cmdline(p, t->pid));
				json_kint(&w, "total", c.total);
				if (c.has_count)
					json_kint(&w, "total_count", c.total_n);
				json_kdouble(&w, "share_pct", view_pct(c.total, grand));
				if (t->gil_permille >= 0)
					json_kdouble(&w, "gil_pct", t->gil_permille / 10.0);
				json_rows(&c, &w);
				json_obj_end(&w);
			}
			json_arr_end(&w);
		}
		json_obj_end(&w);
		strbuf_addch(out, '\n');
		goto out;
	}
	human_hottest(&c, out);
	human_summary(&c, out);
	if (!o->by_thread) {
		strbuf_addch(out, '\n');
		human_table(&c, out);
		goto out;
	}
	for (i = 0; i < nts; i++) {
		const struct profile_thread *t = profile_thread(p, ts[i].id);

		if ((rc = vctx_sum(&c, ts[i].id)))
			goto nomem;
		strbuf_addstr(out, "\nthread ");
		view_add_name(out, profile_string(p, t->name), 0);
		strbuf_addf(out, " (pid %u", t->pid);
		if (profile_process_cmdline(p, t->pid)) {
			strbuf_addstr(out, ": ");
			view_add_name(out, profile_process_cmdline(p, t->pid), 0);
		}
		strbuf_addf(out, ", tid %u): %.1f %% (", t->tid, view_pct(c.total, grand));
		view_add_value(out, profile_type_unit(p, o->value), c.total);
		if (c.has_count) {
			strbuf_addstr(out, ", ");
			view_add_count(out, (long long)c.total_n, profile_type_name(p, o->count_value));
		}
		strbuf_addstr(out, ")");
		if (t->gil_permille >= 0)
			strbuf_addf(out, ", GIL held %.1f %%", t->gil_permille / 10.0);
		strbuf_addstr(out, "\n");
		human_table(&c, out);
	}
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	free(ts);
	vctx_release(&c);
	return rc;
}
