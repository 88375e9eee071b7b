/*
 * view_calls.c - callers and callees of one function (view layer), with
 * their share of the function's total, one or two levels deep. Callers
 * come from the function's outermost frame in each sample, callees from
 * its innermost one, so under recursion every sample counts once and the
 * shares (with [self] or [root]) add up to 100 %.
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

struct calls {
	struct vctx c;
	struct vtree t;
	uint32_t *first, *next;
	int fi, callers, depth;
	size_t wtime, wcnt;
};

static int by_value(const void *ctx, const struct vtree_node *a, const struct vtree_node *b)
{
	const struct vctx *c = ctx;

	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return strcmp(vctx_fname(c, a->func), vctx_fname(c, b->func));
}

static int build(struct calls *k)
{
	const struct vctx *c = &k->c;
	uint32_t s;
	int rc = vtree_init(&k->t);

	if (rc)
		return rc;
	for (s = 0; s < c->n_stacks; s++) {
		int64_t v = c->sval[s], n = c->scnt[s];
		uint32_t len, i, at = UINT32_MAX, node = 0;
		const uint32_t *locs;
		int d;

		if (!v && !n)
			continue;
		locs = profile_stack(c->p, s, &len);
		for (i = 0; i < len; i++) {
			if (c->loc_func[locs[i]] != (uint32_t)k->fi)
				continue;
			at = i;
			if (!k->callers)
				break;	/* innermost for callees, outermost for callers */
		}
		if (at == UINT32_MAX)
			continue;
		for (d = 1; d <= k->depth && node != UINT32_MAX; d++) {
			uint32_t f;

			if (k->callers ? at + d >= len : at < (uint32_t)d)
				break;
			f = c->loc_func[locs[k->callers ? at + d : at - d]];
			node = vtree_child(&k->t, node, f, f);
		}
		if (node == UINT32_MAX)
			return -ENOMEM;
		vtree_add(&k->t, node, v, n);
	}
	return vtree_children(&k->t, &k->first, &k->next, by_value, c);
}

static void human_row(struct calls *k, struct strbuf *out, const char *name, int64_t v, int64_t n,
		      int indent, const struct vfunc *f)
{
	const struct vctx *c = &k->c;
	const char *unit = profile_type_unit(c->p, c->o->value);
	struct strbuf cell = STRBUF_INIT;

	strbuf_addf(out, "%8.1f  ", view_pct(v, c->f[k->fi].total));
	view_add_value(&cell, unit, v);
	view_add_col(out, cell.buf, k->wtime, 1);
	strbuf_addstr(out, "  ");
	if (c->has_count) {
		strbuf_reset(&cell);
		strbuf_addf(&cell, "%lld", (long long)n);
		view_add_col(out, cell.buf, k->wcnt, 1);
		strbuf_addstr(out, "  ");
	}
	strbuf_addchars(out, ' ', (size_t)indent * 2);
	view_add_name(out, name, 0);
	if (f && f->file) {
		strbuf_addstr(out, "  (");
		view_add_name(out, profile_string(c->p, f->file), 0);
		if (f->line)
			strbuf_addf(out, ":%u", f->line);
		strbuf_addch(out, ')');
	} else if (f && f->module) {
		strbuf_addstr(out, "  (");
		view_add_name(out, profile_string(c->p, f->module), 0);
		strbuf_addch(out, ')');
	}
	strbuf_addch(out, '\n');
	strbuf_release(&cell);
}

static const char *end_name(const struct calls *k)
{
	return k->callers ? "[root: no caller]" : "[self]";
}

static void human_level(struct calls *k, struct strbuf *out, uint32_t node, int indent)
{
	const struct vtree_node *nd = &k->t.nodes[node];
	uint32_t ch;
	int self_shown = 0;

	/* the [self]/[root] row sits among the children, in value order */
	for (ch = k->first[node]; ch != UINT32_MAX; ch = k->next[ch]) {
		const struct vtree_node *cn = &k->t.nodes[ch];

		if (!self_shown && (nd->self || nd->self_n) && nd->self >= cn->value &&
		    (node == 0 || k->first[node] != UINT32_MAX)) {
			human_row(k, out, end_name(k), nd->self, nd->self_n, indent, NULL);
			self_shown = 1;
		}
		human_row(k, out, vctx_fname(&k->c, cn->func), cn->value, cn->n, indent,
			  &k->c.f[cn->func]);
		if (k->first[ch] != UINT32_MAX)
			human_level(k, out, ch, indent + 1);
	}
	if (!self_shown && (nd->self || nd->self_n) && (node == 0 || k->first[node] != UINT32_MAX))
		human_row(k, out, end_name(k), nd->self, nd->self_n, indent, NULL);
}

static void json_level(struct calls *k, struct json_writer *w, uint32_t node)
{
	const struct vctx *c = &k->c;
	uint32_t ch;

	json_key(w, k->callers ? "callers" : "callees");
	json_arr_begin(w);
	for (ch = k->first[node]; ch != UINT32_MAX; ch = k->next[ch]) {
		const struct vtree_node *cn = &k->t.nodes[ch];
		const struct vfunc *f = &c->f[cn->func];

		json_obj_begin(w);
		json_kstr(w, "function", vctx_fname(c, cn->func));
		json_kstr(w, "module", profile_string(c->p, f->module));
		json_kstr(w, "file", profile_string(c->p, f->file));
		json_kuint(w, "line", f->line);
		json_kint(w, "value", cn->value);
		if (c->has_count)
			json_kint(w, "count", cn->n);
		json_kdouble(w, "pct", view_pct(cn->value, c->f[k->fi].total));
		if (k->first[ch] != UINT32_MAX) {
			json_kint(w, k->callers ? "root" : "self", cn->self);
			json_level(k, w, ch);
		}
		json_obj_end(w);
	}
	json_arr_end(w);
}

static int view_calls(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		      char *err, size_t errlen, int callers)
{
	struct calls k;
	const char *unit;
	struct strbuf cell = STRBUF_INIT;
	size_t i;
	int rc;

	memset(&k, 0, sizeof(k));
	k.callers = callers;
	k.depth = o->depth >= 2 ? 2 : 1;
	rc = vctx_init(&k.c, p, o, err, errlen);
	if (rc)
		return rc;
	if ((rc = vctx_sum(&k.c, UINT32_MAX)))
		goto nomem;
	k.fi = vctx_match(&k.c, o->func, err, errlen);
	if (k.fi < 0) {
		rc = k.fi;
		goto out;
	}
	if ((rc = build(&k)))
		goto nomem;
	unit = profile_type_unit(p, o->value);
	k.wtime = 4;
	k.wcnt = 7;
	for (i = 0; i < k.t.n; i++) {
		strbuf_reset(&cell);
		view_add_value(&cell, unit, k.t.nodes[i].value);
		if (cell.len > k.wtime)
			k.wtime = cell.len;
	}
	if (o->json) {
		struct json_writer w;
		const struct vfunc *f = &k.c.f[k.fi];

		json_init(&w, out, 1);
		json_obj_begin(&w);
		json_kstr(&w, "view", callers ? "callers" : "callees");
		view_json_types(&k.c, &w);
		json_kstr(&w, "function", vctx_fname(&k.c, (uint32_t)k.fi));
		json_kstr(&w, "module", profile_string(p, f->module));
		json_kstr(&w, "file", profile_string(p, f->file));
		json_kuint(&w, "line", f->line);
		json_kint(&w, "total", f->total);
		if (k.c.has_count)
			json_kint(&w, "total_count", f->total_n);
		json_kdouble(&w, "total_pct", view_pct(f->total, k.c.total));
		json_kint(&w, callers ? "root" : "self", k.t.nodes[0].self);
		json_kdouble(&w, callers ? "root_pct" : "self_pct",
			     view_pct(k.t.nodes[0].self, f->total));
		json_level(&k, &w, 0);
		json_obj_end(&w);
		strbuf_addch(out, '\n');
		goto out;
	}
	strbuf_addstr(out, callers ? "Callers of " : "Callees of ");
	view_add_name(out, vctx_fname(&k.c, (uint32_t)k.fi), 0);
	strbuf_addstr(out, ": ");
	view_add_value(out, unit, k.c.f[k.fi].total);
	if (k.c.has_count) {
		strbuf_addstr(out, " (");
		view_add_count(out, (long long)k.c.f[k.fi].total_n, profile_type_name(p, o->count_value));
		strbuf_addch(out, ')');
	}
	strbuf_addf(out, ", %.1f %% of all\n\n", view_pct(k.c.f[k.fi].total, k.c.total));
	strbuf_addstr(out, "  % func  ");
	view_add_col(out, view_unit_label(unit), k.wtime, 1);
	strbuf_addstr(out, "  ");
	if (k.c.has_count) {
		view_add_col(out, "Samples", k.wcnt, 1);
		strbuf_addstr(out, "  ");
	}
	strbuf_addstr(out, callers ? "Caller\n" : "Callee\n");
	human_level(&k, out, 0, 0);
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	strbuf_release(&cell);
	free(k.first);
	free(k.next);
	if (k.t.nodes)
		vtree_release(&k.t);
	vctx_release(&k.c);
	return rc;
}

int view_callers(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		 char *err, size_t errlen)
{
	return view_calls(p, o, out, err, errlen, 1);
}

int view_callees(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		 char *err, size_t errlen)
{
	return view_calls(p, o, out, err, errlen, 0);
}
