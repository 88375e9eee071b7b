/*
 * view_diff.c - `pinch diff`: two profiles of one kind compared per
 * function (table, JSON) and as a differential flame graph (view layer).
 * Functions are matched by name across the two sides (the binaries may
 * differ: a rebuilt program, another path).
 */
#include "view/view.h"
#include "view/view_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "core/banned.h"

struct drow {
	const char *name;
	int64_t bs, bt, ns, nt;	/* self and total, BASE and NEW */
	double d_self, d_total;	/* change: points (shares) or bytes (absolute) */
};

struct dtab {
	struct drow *r;
	size_t n, alloc;
};

static int collect(struct dtab *t, const struct vctx *c, int is_new)
{
	size_t i;

	for (i = 0; i < c->n_funcs; i++) {
		const struct vfunc *f = &c->f[i];
		struct drow *r;

		if (!f->self && !f->total)
			continue;
		if (ARRAY_GROW(t->r, t->alloc, t->n + 1))
			return -ENOMEM;
		r = &t->r[t->n++];
		memset(r, 0, sizeof(*r));
		r->name = vctx_fname(c, (uint32_t)i);
		if (is_new) {
			r->ns = f->self;
			r->nt = f->total;
		} else {
			r->bs = f->self;
			r->bt = f->total;
		}
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct drow *)a)->name, ((const struct drow *)b)->name);
}

static double mag(const struct drow *r)
{
	return fabs(r->d_self);
}

static int by_change(const void *a, const void *b)
{
	const struct drow *x = a, *y = b;
	double mx = mag(x), my = mag(y);

	if (mx != my)
		return mx < my ? 1 : -1;
	if (fabs(x->d_total) != fabs(y->d_total))
		return fabs(x->d_total) < fabs(y->d_total) ? 1 : -1;
	/* unchanged: the biggest first */
	if ((x->bs > x->ns ? x->bs : x->ns) != (y->bs > y->ns ? y->bs : y->ns))
		return (x->bs > x->ns ? x->bs : x->ns) < (y->bs > y->ns ? y->bs : y->ns) ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* One row per function name: same-named functions of several modules
 * summed (the two sides may be different binaries). */
static void merge(struct dtab *t)
{
	size_t i, k = 0;

	qsort(t->r, t->n, sizeof(*t->r), by_name);
	for (i = 0; i < t->n; i++) {
		if (k && !strcmp(t->r[k - 1].name, t->r[i].name)) {
			struct drow *d = &t->r[k - 1];

			d->bs += t->r[i].bs;
			d->bt += t->r[i].bt;
			d->ns += t->r[i].ns;
			d->nt += t->r[i].nt;
		} else {
			t->r[k++] = t->r[i];
		}
	}
	t->n = k;
}

static double share(int64_t v, int64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0;
}

static const char *status_of(const struct drow *r)
{
	if (!r->bt && r->nt)
		return "new";
	if (r->bt && !r->nt)
		return "vanished";
	return r->ns > r->bs ? "grew" : r->ns < r->bs ? "shrank" : "same";
}

/* Relative change of the self figure: NAN when BASE has none. */
static double relative(const struct drow *r, int absolute, int64_t btot, int64_t ntot)
{
	double b = absolute ? (double)r->bs : share(r->bs, btot);
	double n = absolute ? (double)r->ns : share(r->ns, ntot);

	if (b == 0)
		return NAN;
	return 100.0 * (n - b) / b;
}

/* Exact figures with thousands separators: "-200,000". */
static void add_exact(struct strbuf *sb, int64_t v, int sign)
{
	char digits[32];
	int n, i;

	n = snprintf(digits, sizeof(digits), "%llu",
		     (unsigned long long)(v < 0 ? -(uint64_t)v : (uint64_t)v));
	if (v < 0 || (sign && v > 0))
		strbuf_addch(sb, v < 0 ? '-' : '+');
	for (i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			strbuf_addch(sb, ',');
		strbuf_addch(sb, digits[i]);
	}
}

/* One right-aligned column of exact bytes, built in the scratch buffer. */
static void add_exact_col(struct strbuf *out, struct strbuf *cell, int64_t v, int sign, int width)
{
	strbuf_reset(cell);
	add_exact(cell, v, sign);
	view_add_col(out, cell->buf, width, 1);
}

static void add_side_json(struct json_writer *w, const char *key, const struct view_diff_side *s,
			  const struct vctx *c)
{
	const char *cmd = profile_meta(s->p, "command");

	json_key(w, key);
	json_obj_begin(w);
	json_kstr(w, "file", s->file);
	if (cmd)
		json_kstr(w, "command", cmd);
	json_kint(w, "total", c->total);
	json_obj_end(w);
}

static void add_json(struct strbuf *out, const struct dtab *t, size_t shown,
		     const struct view_diff_side *base, const struct view_diff_side *new_,
		     const struct vctx *cb, const struct vctx *cn, int absolute)
{
	struct json_writer w;
	size_t i;

	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", absolute ? "mem" : "cpu");
	json_kstr(&w, "value", profile_type_name(new_->p, cn->o->value));
	json_kstr(&w, "unit", profile_type_unit(new_->p, cn->o->value));
	add_side_json(&w, "base", base, cb);
	add_side_json(&w, "new", new_, cn);
	json_kuint(&w, "functions", t->n);
	json_key(&w, "rows");
	json_arr_begin(&w);
	for (i = 0; i < shown; i++) {
		const struct drow *r = &t->r[i];
		double rel = relative(r, absolute, cb->total, cn->total);

		json_obj_begin(&w);
		json_kstr(&w, "function", r->name);
		json_kstr(&w, "status", status_of(r));
		json_kint(&w, "base_self", r->bs);
		json_kint(&w, "new_self", r->ns);
		json_kint(&w, "base_total", r->bt);
		json_kint(&w, "new_total", r->nt);
		if (absolute) {
			json_kint(&w, "self_change", r->ns - r->bs);
			json_kint(&w, "total_change", r->nt - r->bt);
		} else {
			json_kdouble(&w, "base_self_pct", share(r->bs, cb->total));
			json_kdouble(&w, "new_self_pct", share(r->ns, cn->total));
			json_kdouble(&w, "base_total_pct", share(r->bt, cb->total));
			json_kdouble(&w, "new_total_pct", share(r->nt, cn->total));
			json_kdouble(&w, "self_change_pp", r->d_self);
			json_kdouble(&w, "total_change_pp", r->d_total);
		}
		json_key(&w, "self_relative_pct");
		if (isnan(rel))
			json_null(&w);
		else
			json_double(&w, rel);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(out, '\n');
}

static void add_side_line(struct strbuf *out, const char *label, const struct view_diff_side *s,
			  const struct vctx *c, const char *unit)
{
	const char *cmd = profile_meta(s->p, "command");

	strbuf_addf(out, "%s %s", label, s->file);
	if (cmd)
		strbuf_addf(out, " (%s)", cmd);
	strbuf_addstr(out, ", ");
	view_add_value(out, unit, c->total);
	if (!strcmp(unit, "bytes")) {
		strbuf_addstr(out, " (");
		add_exact(out, c->total, 0);
		strbuf_addstr(out, " B)");
	}
	strbuf_addch(out, '\n');
}

static void add_text(struct strbuf *out, const struct dtab *t, size_t shown,
		     const struct view_diff_side *base, const struct view_diff_side *new_,
		     const struct vctx *cb, const struct vctx *cn, int absolute)
{
	const char *unit = profile_type_unit(new_->p, cn->o->value);
	struct strbuf cell = STRBUF_INIT;
	size_t i;

	add_side_line(out, "base:", base, cb, unit);
	add_side_line(out, "new: ", new_, cn, unit);
	strbuf_addf(out, "%zu function%s, %zu shown, biggest change first (self %s)\n\n", t->n,
		    t->n == 1 ? "" : "s", shown, absolute ? profile_type_name(new_->p, cn->o->value) :
		    "share, percentage points");
	if (absolute)
		strbuf_addstr(out, " base self B   new self B     change B  relative "
			      "base total B  new total B  function\n");
	else
		strbuf_addstr(out, "base self  new self   change  relative  "
			      "base total  new total   change  function\n");
	for (i = 0; i < shown; i++) {
		const struct drow *r = &t->r[i];
		double rel = relative(r, absolute, cb->total, cn->total);
		const char *st = status_of(r);

		if (absolute) {
			add_exact_col(out, &cell, r->bs, 0, 12);
			add_exact_col(out, &cell, r->ns, 0, 13);
			add_exact_col(out, &cell, r->ns - r->bs, 1, 13);
		} else {
			strbuf_addf(out, "%7.2f %% %7.2f %% %+8.2f", share(r->bs, cb->total),
				    share(r->ns, cn->total), r->d_self);
		}
		if (isnan(rel))
			strbuf_addstr(out, "         -");
		else
			strbuf_addf(out, " %+8.1f%%", rel);
		if (absolute) {
			add_exact_col(out, &cell, r->bt, 0, 13);
			add_exact_col(out, &cell, r->nt, 0, 13);
			strbuf_addstr(out, "  ");
		} else {
			strbuf_addf(out, "  %7.2f %% %7.2f %% %+8.2f  ", share(r->bt, cb->total),
				    share(r->nt, cn->total), r->d_total);
		}
		strbuf_reset(&cell);
		view_short_name(&cell, r->name, cn->o->wide ? 0 : VIEW_NAME_WIDTH);
		view_add_name(out, cell.buf, 0);
		if (!strcmp(st, "new") || !strcmp(st, "vanished"))
			strbuf_addf(out, "  [%s]", st);
		strbuf_addch(out, '\n');
	}
	strbuf_release(&cell);
}

int view_diff(const struct view_diff_side *base, const struct view_diff_side *new_,
	      const struct view_opts *o, int absolute, struct strbuf *out, char *err,
	      size_t errlen)
{
	struct vctx cb, cn;
	struct dtab t = { 0 };
	size_t i, shown;
	int rc;

	memset(&cb, 0, sizeof(cb));
	memset(&cn, 0, sizeof(cn));
	rc = vctx_init(&cb, base->p, o, err, errlen);
	if (!rc)
		rc = vctx_init(&cn, new_->p, o, err, errlen);
	if (!rc)
		rc = vctx_sum(&cb, UINT32_MAX);
	if (!rc)
		rc = vctx_sum(&cn, UINT32_MAX);
	if (!rc)
		rc = collect(&t, &cb, 0);
	if (!rc)
		rc = collect(&t, &cn, 1);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-rc));
		goto out;
	}
	merge(&t);
	for (i = 0; i < t.n; i++) {
		struct drow *r = &t.r[i];

		if (absolute) {
			r->d_self = (double)(r->ns - r->bs);
			r->d_total = (double)(r->nt - r->bt);
		} else {
			r->d_self = share(r->ns, cn.total) - share(r->bs, cb.total);
			r->d_total = share(r->nt, cn.total) - share(r->bt, cb.total);
		}
	}
	qsort(t.r, t.n, sizeof(*t.r), by_change);
	shown = o->limit > 0 && (size_t)o->limit < t.n ? (size_t)o->limit : t.n;
	if (o->json)
		add_json(out, &t, shown, base, new_, &cb, &cn, absolute);
	else
		add_text(out, &t, shown, base, new_, &cb, &cn, absolute);
out:
	free(t.r);
	vctx_release(&cb);
	vctx_release(&cn);
	return rc;
}

/* ---- the differential flame graph ---- */

#define DFH 16
#define DTOP 60
#define DPAD 10

struct dfg {
	struct vtree t;		/* value: NEW inclusive, n: BASE inclusive */
	struct profile *names;	/* a string table: node keys are its ids */
	int64_t btot, ntot;
	double *w;		/* per node: drawn width, in shares (0..1+) */
	uint32_t *first, *next;
	double maxd;		/* biggest |change| of a frame, in shares */
	uint32_t maxdepth;
};

static int add_side(struct dfg *g, const struct vctx *c, int is_new)
{
	const struct profile *p = c->p;
	size_t ns = profile_n_samples(p), i;

	for (i = 0; i < ns; i++) {
		const struct profile_sample *sm = profile_sample(p, i);
		int64_t v = profile_sample_values(p, i)[c->o->value];
		uint32_t node = 0, len, k;
		const uint32_t *locs;

		if (!v)
			continue;
		locs = profile_stack(p, sm->stack, &len);
		for (k = len; k-- > 0 && node != UINT32_MAX;) {
			uint32_t id = profile_intern_string(g->names, vctx_fname(c, c->loc_func[locs[k]]));

			if (id == UINT32_MAX)
				return -ENOMEM;
			node = vtree_child(&g->t, node, id, id);
		}
		if (node == UINT32_MAX)
			return -ENOMEM;
		vtree_add(&g->t, node, is_new ? v : 0, is_new ? 0 : v);
	}
	return 0;
}

static double nshare(const struct dfg *g, const struct vtree_node *nd)
{
	return g->ntot ? (double)nd->value / (double)g->ntot : 0;
}

static double bshare(const struct dfg *g, const struct vtree_node *nd)
{
	return g->btot ? (double)nd->n / (double)g->btot : 0;
}

static int name_order(const void *ctx, const struct vtree_node *a, const struct vtree_node *b)
{
	const struct dfg *g = ctx;

	return strcmp(profile_string(g->names, a->key), profile_string(g->names, b->key));
}

/* Widths bottom-up: a frame in NEW is its NEW share plus the BASE width
 * of its vanished descendants; a vanished frame keeps its BASE share.
 * Children have larger ids than their parent, so a reverse pass works. */
static void widths(struct dfg *g)
{
	size_t i;

	for (i = g->t.n; i-- > 0;) {
		const struct vtree_node *nd = &g->t.nodes[i];
		double kids = 0, d;
		uint32_t ch;

		for (ch = g->first[i]; ch != UINT32_MAX; ch = g->next[ch])
			kids += g->w[ch];
		if (nd->value) {
			double extra = 0;

			for (ch = g->first[i]; ch != UINT32_MAX; ch = g->next[ch])
				if (!g->t.nodes[ch].value)
					extra += g->w[ch];
			g->w[i] = nshare(g, nd) + extra;
		} else {
			g->w[i] = bshare(g, nd);
		}
		if (g->w[i] < kids)
			g->w[i] = kids;
		d = fabs(nshare(g, nd) - bshare(g, nd));
		if (i && d > g->maxd)
			g->maxd = d;
		if (nd->depth > g->maxdepth)
			g->maxdepth = nd->depth;
	}
}

static void add_color(struct strbuf *sb, const struct dfg *g, const struct vtree_node *nd)
{
	double d = nshare(g, nd) - bshare(g, nd);
	double k = g->maxd > 0 ? fabs(d) / g->maxd : 0;
	int c = 235 - (int)(185 * (k > 1 ? 1 : k));

	if (!nd->value)
		strbuf_addstr(sb, "fill=\"url(#vanished)\"");
	else if (fabs(d) < 0.0005)	/* under 0.05 points: unchanged */
		strbuf_addstr(sb, "fill=\"#e8e8e8\"");
	else if (d > 0)
		strbuf_addf(sb, "fill=\"#ff%02x%02x\"", c, c);
	else
		strbuf_addf(sb, "fill=\"#%02x%02xff\"", c, c);
}

static void draw(struct strbuf *out, const struct dfg *g, uint32_t id, double x, double scale,
		 double minw)
{
	const struct vtree_node *nd = &g->t.nodes[id];
	const char *name = id ? profile_string(g->names, nd->key) : "all";
	double w = g->w[id] * scale, y = DTOP + (double)(g->maxdepth - nd->depth) * DFH;
	double b = 100 * bshare(g, nd), n = 100 * nshare(g, nd);
	uint32_t ch;

	if (w < minw)
		return;
	strbuf_addstr(out, "<g><title>");
	view_add_xml_name(out, name);
	if (!nd->value)
		strbuf_addf(out, " (vanished: %.2f %% in BASE, 0 in NEW)", b);
	else if (!nd->n)
		strbuf_addf(out, " (new: %.2f %% in NEW, 0 in BASE)", n);
	else
		strbuf_addf(out, " (%.2f %% in BASE, %.2f %% in NEW, %+.2f points)", b, n, n - b);
	strbuf_addf(out, "</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" ", x, y, w,
		    DFH - 1);
	add_color(out, g, nd);
	strbuf_addstr(out, "/>");
	if ((long)((w - 6) / 7) >= 3) {
		strbuf_addf(out, "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + DFH - 4);
		view_add_fg_label(out, name, w);
		strbuf_addstr(out, "</text>");
	}
	strbuf_addstr(out, "</g>\n");
	for (ch = g->first[id]; ch != UINT32_MAX; ch = g->next[ch]) {
		draw(out, g, ch, x, scale, minw);
		x += g->w[ch] * scale;
	}
}

int view_diff_flamegraph(const struct view_diff_side *base, const struct view_diff_side *new_,
			 const struct view_opts *o, struct strbuf *out, char *err, size_t errlen)
{
	struct vctx cb, cn;
	struct dfg g;
	int width = o->width > 0 ? o->width : 1200, height, rc;
	double scale;

	memset(&cb, 0, sizeof(cb));
	memset(&cn, 0, sizeof(cn));
	memset(&g, 0, sizeof(g));
	rc = vctx_init(&cb, base->p, o, err, errlen);
	if (!rc)
		rc = vctx_init(&cn, new_->p, o, err, errlen);
	if (!rc)
		rc = vtree_init(&g.t);
	if (!rc && !(g.names = profile_new()))
		rc = -ENOMEM;
	if (!rc)
		rc = add_side(&g, &cb, 0);
	if (!rc)
		rc = add_side(&g, &cn, 1);
	if (!rc)
		rc = vtree_children(&g.t, &g.first, &g.next, name_order, &g);
	if (!rc && !(g.w = calloc(g.t.n ? g.t.n : 1, sizeof(double))))
		rc = -ENOMEM;
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-rc));
		goto out;
	}
	g.btot = g.t.nodes[0].n;
	g.ntot = g.t.nodes[0].value;
	widths(&g);
	height = DTOP + (int)(g.maxdepth + 1) * DFH + 40;
	scale = g.w[0] > 0 ? (width - 2 * DPAD) / g.w[0] : 0;
	strbuf_addf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		    "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">\n", width, height,
		    width, height);
	strbuf_addstr(out, "<defs><pattern id=\"vanished\" width=\"6\" height=\"6\" "
		      "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
		      "<rect width=\"6\" height=\"6\" fill=\"#c8d0ff\"/>"
		      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#6070c0\" stroke-width=\"2\"/>"
		      "</pattern></defs>\n");
	strbuf_addf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
	strbuf_addf(out, "<text x=\"%d\" y=\"20\" font-size=\"16\" text-anchor=\"middle\">", width / 2);
	view_add_xml_name(out, o->title ? o->title : "differential flame graph");
	strbuf_addstr(out, "</text>\n");
	strbuf_addf(out, "<text x=\"%d\" y=\"40\">", DPAD);
	strbuf_addstr(out, "NEW's shape; red: share grew, blue: share shrank (darker: more), "
		      "hatched: vanished (BASE width); base ");
	view_add_xml_name(out, base->file);
	strbuf_addstr(out, ", new ");
	view_add_xml_name(out, new_->file);
	strbuf_addstr(out, "</text>\n");
	if (g.t.n > 1 && scale > 0)
		draw(out, &g, 0, DPAD, scale, 0.1);
	strbuf_addstr(out, "</svg>\n");
out:
	free(g.w);
	free(g.first);
	free(g.next);
	if (g.t.nodes)
		vtree_release(&g.t);
	profile_free(g.names);
	vctx_release(&cb);
	vctx_release(&cn);
	return rc;
}
