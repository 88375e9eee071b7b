/*
 * view_flamegraph.c - a self-contained interactive flame graph SVG (view
 * layer). The whole call tree goes into <metadata> (compact varints) so
 * search stays exact; only frames wider than 0.1 % of the view are drawn,
 * here for the initial view and by the embedded script (flamegraph.js)
 * after a zoom.
 */
#include "view/view.h"
#include "view/view_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "flamegraph_js.h"
#include "core/banned.h"

#define FH 16		/* frame height */
#define TOP 70		/* title, subtitle, controls */
#define BOTTOM 28	/* details line */
#define PAD 10
#define MINFRAC 0.001	/* frames narrower than this share of the view are not drawn */
#define N_SHADES 64
#define KIND_FRAME 4	/* class set for the root and thread frames */

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base-32 varint: 5 data bits a character, 0x20 = more follows */
static void add_varint(struct strbuf *sb, uint64_t v)
{
	char tmp[16];
	size_t n = 0;

	do {
		unsigned d = v & 31;

		v >>= 5;
		tmp[n++] = alphabet[d | (v ? 32 : 0)];
	} while (v);
	strbuf_add(sb, tmp, n);
}

/* XML text/attribute escaping of an already sanitized string. */
static void add_xml(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		/* U+FFFE and U+FFFF are valid UTF-8 but not XML characters */
		if (i + 2 < len && (unsigned char)s[i] == 0xef && (unsigned char)s[i + 1] == 0xbf &&
		    ((unsigned char)s[i + 2] == 0xbe || (unsigned char)s[i + 2] == 0xbf)) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			i += 2;
			continue;
		}
		switch (s[i]) {
		case '&': strbuf_addstr(sb, "&amp;"); break;
		case '<': strbuf_addstr(sb, "&lt;"); break;
		case '>': strbuf_addstr(sb, "&gt;"); break;
		case '"': strbuf_addstr(sb, "&quot;"); break;
		case '\'': strbuf_addstr(sb, "&apos;"); break;
		default: strbuf_addch(sb, s[i]);
		}
	}
}

/* Sanitizes (UTF-8, control characters) then XML-escapes. */
static void add_xml_name(struct strbuf *sb, const char *s)
{
	struct strbuf t = STRBUF_INIT;

	view_add_name(&t, s, 0);
	add_xml(sb, t.buf, t.len);
	strbuf_release(&t);
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The palette: N_SHADES classes per kind, hue family by kind. The same
 * for every graph, so it is formatted once (about 7 KB). */
static struct strbuf palette = STRBUF_INIT;
static pthread_once_t palette_once = PTHREAD_ONCE_INIT;

static void make_palette(void)
{
	struct strbuf *sb = &palette;
	int k, v;

	for (k = 0; k <= KIND_FRAME; k++) {
		for (v = 0; v < N_SHADES; v++) {
			double f = v / (double)(N_SHADES - 1);
			double g = ((v * 37) % N_SHADES) / (double)(N_SHADES - 1);
			int r, gr, b;

			switch (k) {
			case LOC_NATIVE:	/* warm: red to yellow */
				r = 205 + (int)(50 * g); gr = (int)(230 * f); b = (int)(55 * g);
				break;
			case LOC_PYTHON:	/* green */
				r = 50 + (int)(70 * g); gr = 170 + (int)(60 * f); b = 50 + (int)(60 * g);
				break;
			case LOC_KERNEL:	/* blue-aqua */
				r = 60 + (int)(50 * g); gr = 140 + (int)(70 * f); b = 205 + (int)(50 * g);
				break;
			case LOC_UNKNOWN:	/* grey */
				r = gr = b = 165 + (int)(50 * f);
				break;
			default:		/* root and threads: lavender */
				r = 185 + (int)(35 * f); gr = 170 + (int)(30 * f); b = 225 + (int)(30 * g);
				break;
			}
			strbuf_addf(sb, ".c%d{fill:#%02x%02x%02x}", k * N_SHADES + v, r, gr, b);
		}
		strbuf_addch(sb, '\n');
	}
}

static void add_palette(struct strbuf *sb)
{
	pthread_once(&palette_once, make_palette);
	strbuf_add(sb, palette.buf, palette.len);
}

struct fg {
	struct vctx c;
	struct vtree t;
	uint32_t *first, *next;
	uint32_t *order;	/* preorder index -> tree node (value > 0 only) */
	uint32_t *depth, *end;	/* per preorder index */
	double *x;		/* per preorder index: start, in value units */
	uint32_t *name;		/* per preorder index: names table index */
	size_t n;
	/* names table */
	uint32_t *func_name, *thread_name;
	struct strbuf names;	/* sanitized names, NUL-separated */
	uint32_t *name_off, *name_cls;
	size_t n_names, names_alloc;
};

static uint32_t add_name(struct fg *g, const struct vtree_node *nd, unsigned kind)
{
	struct strbuf tmp = STRBUF_INIT;
	uint32_t id;

	if (g->n_names == g->names_alloc) {
		size_t na = g->names_alloc ? g->names_alloc * 2 : 256;
		uint32_t *o = realloc(g->name_off, na * sizeof(*o));
		uint32_t *c;

		if (!o)
			return UINT32_MAX;
		g->name_off = o;
		c = realloc(g->name_cls, na * sizeof(*c));
		if (!c)
			return UINT32_MAX;
		g->name_cls = c;
		g->names_alloc = na;
	}
	id = (uint32_t)g->n_names++;
	g->name_off[id] = (uint32_t)g->names.len;
	if (!nd)
		strbuf_addstr(&tmp, "all");
	else
		view_add_frame_name(&g->c, nd, &tmp, 0);
	strbuf_add(&g->names, tmp.buf, tmp.len + 1);
	g->name_cls[id] = (kind > KIND_FRAME ? LOC_UNKNOWN : kind) * N_SHADES +
			  fnv1a(tmp.buf) % N_SHADES;
	strbuf_release(&tmp);
	return id;
}

static const char *name_str(const struct fg *g, uint32_t i)
{
	return g->names.buf + g->name_off[i];
}

static uint32_t node_name(struct fg *g, uint32_t node)
{
	const struct vtree_node *nd = &g->t.nodes[node];
	uint32_t *slot;

	if (node == 0)
		return add_name(g, NULL, KIND_FRAME);
	if (nd->func == UINT32_MAX) {
		slot = &g->thread_name[nd->key];
		if (*slot == UINT32_MAX)
			*slot = add_name(g, nd, KIND_FRAME);
	} else {
		slot = &g->func_name[nd->func];
		if (*slot == UINT32_MAX)
			*slot = add_name(g, nd, g->c.f[nd->func].kind);
	}
	return *slot;
}

/* Preorder of nodes with a positive value, children in name order;
 * depth, subtree end, start offset and name per preorder index. */
static int flatten(struct fg *g)
{
	size_t nt = g->t.n, sp = 0, i;
	uint32_t *stk = malloc(nt * sizeof(uint32_t)), *open = malloc(nt * sizeof(uint32_t));
	double *cur = malloc(nt * sizeof(double));
	size_t nthreads = profile_n_threads(g->c.p);

	g->order = malloc(nt * sizeof(uint32_t));
	g->depth = malloc(nt * sizeof(uint32_t));
	g->end = malloc(nt * sizeof(uint32_t));
	g->x = malloc(nt * sizeof(double));
	g->name = malloc(nt * sizeof(uint32_t));
	g->func_name = malloc((g->c.n_funcs ? g->c.n_funcs : 1) * sizeof(uint32_t));
	g->thread_name = malloc((nthreads ? nthreads : 1) * sizeof(uint32_t));
	if (!stk || !open || !cur || !g->order || !g->depth || !g->end || !g->x || !g->name ||
	    !g->func_name || !g->thread_name) {
		free(stk);
		free(open);
		free(cur);
		return -ENOMEM;
	}
	memset(g->func_name, 0xff, (g->c.n_funcs ? g->c.n_funcs : 1) * sizeof(uint32_t));
	memset(g->thread_name, 0xff, (nthreads ? nthreads : 1) * sizeof(uint32_t));
	g->n = 0;
	if (g->t.nodes[0].value > 0)
		stk[sp++] = 0;
	while (sp) {
		uint32_t id = stk[--sp], ch, k = 0, base;
		const struct vtree_node *nd = &g->t.nodes[id];
		size_t pi = g->n++;
		uint32_t d = nd->depth, j;

		/* close the subtrees this node is not in */
		for (j = pi ? g->depth[pi - 1] + 1 : 0; j-- > d;)
			g->end[open[j]] = (uint32_t)pi;
		g->order[pi] = id;
		g->depth[pi] = d;
		g->name[pi] = node_name(g, id);
		if (g->name[pi] == UINT32_MAX) {
			free(stk);
			free(open);
			free(cur);
			return -ENOMEM;
		}
		open[d] = (uint32_t)pi;
		if (d == 0) {
			g->x[pi] = 0;
		} else {
			g->x[pi] = cur[open[d - 1]];
			cur[open[d - 1]] += (double)nd->value;
		}
		cur[pi] = g->x[pi];
		for (ch = g->first[id]; ch != UINT32_MAX; ch = g->next[ch])
			if (g->t.nodes[ch].value > 0)
				k++;
		base = (uint32_t)sp;
		sp += k;
		for (ch = g->first[id]; ch != UINT32_MAX; ch = g->next[ch])
			if (g->t.nodes[ch].value > 0)
				stk[base + --k] = ch;
	}
	for (i = g->n ? g->depth[g->n - 1] + 1 : 0; i-- > 0;)
		g->end[open[i]] = (uint32_t)g->n;
	free(stk);
	free(open);
	free(cur);
	return 0;
}

/* Value of the samples with a frame containing q (each sample once). */
static int64_t fg_search(const struct fg *g, const char *q)
{
	unsigned char *hit = calloc(g->n_names ? g->n_names : 1, 1);
	int64_t matched = 0;
	size_t i;

	if (!hit)
		return -1;
	for (i = 0; i < g->n_names; i++)
		hit[i] = strstr(name_str(g, (uint32_t)i), q) != NULL;
	for (i = 1; i < g->n;) {
		if (hit[g->name[i]]) {
			matched += g->t.nodes[g->order[i]].value;
			i = g->end[i];
		} else {
			i++;
		}
	}
	free(hit);
	return matched;
}

/* The label that fits w pixels (7 px a character), as the script does. */
static void add_label(struct strbuf *sb, const char *name, double w)
{
	long chars = (long)((w - 6) / 7);
	size_t len = view_utf8_width(name), i, cps = 0;

	if (chars < 3)
		return;
	if ((long)len <= chars) {
		add_xml(sb, name, strlen(name));
		return;
	}
	for (i = 0; name[i]; i++) {
		if (((unsigned char)name[i] & 0xc0) != 0x80) {
			if ((long)cps == chars - 2)
				break;
			cps++;
		}
	}
	add_xml(sb, name, i);
	strbuf_addstr(sb, "..");
}

static void add_tip(struct strbuf *sb, const struct fg *g, size_t i, const char *unit, int64_t total)
{
	int64_t v = g->t.nodes[g->order[i]].value;

	add_xml(sb, name_str(g, g->name[i]), strlen(name_str(g, g->name[i])));
	strbuf_addstr(sb, " (");
	view_add_value(sb, unit, v);
	strbuf_addf(sb, ", %.2f %%)", view_pct(v, total));
}

/* The initial view, drawn exactly as the script's render(0) would. */
static void render_static(const struct fg *g, struct strbuf *out, int width, const char *unit,
			  uint32_t *maxdp)
{
	double W = width - 2 * PAD, scale, minw = W * MINFRAC;
	int64_t total = g->n ? g->t.nodes[0].value : 0;
	uint32_t maxd = 0;
	size_t i, pass;

	*maxdp = 0;
	if (!total)
		return;
	scale = W / (double)total;
	/* pass 0 finds the depth drawn, pass 1 draws */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < g->n;) {
			double w = (double)g->t.nodes[g->order[i]].value * scale, x, y;

			if (w < minw) {
				i = g->end[i];
				continue;
			}
			if (!pass) {
				if (g->depth[i] > maxd)
					maxd = g->depth[i];
				i++;
				continue;
			}
			x = PAD + g->x[i] * scale;
			y = TOP + (double)(maxd - g->depth[i]) * FH;
			strbuf_addf(out, "<g class=\"f\" data-i=\"%zu\"><title>", i);
			add_tip(out, g, i, unit, total);
			strbuf_addf(out, "</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
				    "class=\"c%u\"/>", x, y, w, FH - 1, g->name_cls[g->name[i]]);
			if ((long)((w - 6) / 7) >= 3) {
				strbuf_addf(out, "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + FH - 4);
				add_label(out, name_str(g, g->name[i]), w);
				strbuf_addstr(out, "</text>");
			}
			strbuf_addstr(out, "</g>\n");
			i++;
		}
	}
	*maxdp = maxd;
}

static void add_subtitle(struct strbuf *sb, const struct vctx *c, int64_t total, int width)
{
	const struct profile *p = c->p;
	const char *unit = profile_type_unit(p, c->o->value), *cmd = profile_meta(p, "command");
	struct strbuf t = STRBUF_INIT;
	size_t i, shown = 0;

	if (cmd && *cmd)
		strbuf_addf(&t, "%s \xc2\xb7 ", cmd);
	strbuf_addf(&t, "%s ", profile_type_name(p, c->o->value));
	view_add_value(&t, unit, total);
	if (c->has_count) {
		int64_t n = profile_total(p, c->o->count_value);

		strbuf_addstr(&t, ", ");
		view_add_count(&t, (long long)n, profile_type_name(p, c->o->count_value));
	}
	for (i = 0; i < profile_n_meta(p) && shown < 6; i++) {
		const char *k, *v;

		profile_meta_at(p, i, &k, &v);
		if (!strcmp(k, "command") || !strncmp(k, "cmdline.", 8) || !*v)
			continue;
		strbuf_addf(&t, "%s%s %s", shown++ ? ", " : " \xc2\xb7 ", k, v);
	}
	{	/* keep it on the page: about 6.5 px a character at 12 px */
		struct strbuf cut = STRBUF_INIT;
		size_t max = (size_t)(width - 2 * PAD) * 2 / 13;

		view_add_name(&cut, t.buf, 0);
		if (view_utf8_width(cut.buf) > max) {
			strbuf_reset(&t);
			view_add_col(&t, cut.buf, max, 0);
		}
		add_xml_name(sb, view_utf8_width(cut.buf) > max ? t.buf : cut.buf);
		strbuf_release(&cut);
	}
	strbuf_release(&t);
}

void view_add_xml_name(struct strbuf *sb, const char *s)
{
	add_xml_name(sb, s);
}

void view_add_fg_label(struct strbuf *sb, const char *name, double w)
{
	add_label(sb, name, w);
}

static void fg_release(struct fg *g)
{
	free(g->first);
	free(g->next);
	free(g->order);
	free(g->depth);
	free(g->end);
	free(g->x);
	free(g->name);
	free(g->func_name);
	free(g->thread_name);
	free(g->name_off);
	free(g->name_cls);
	strbuf_release(&g->names);
	if (g->t.nodes)
		vtree_release(&g->t);
	vctx_release(&g->c);
}

int view_flamegraph(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		    char *err, size_t errlen)
{
	struct fg g;
	struct strbuf frames = STRBUF_INIT, tmp = STRBUF_INIT;
	struct json_writer w;
	const char *unit;
	int width = o->width >= 200 ? o->width : 1200, height, rc;
	uint32_t maxd = 0, prev;
	int64_t total, matched = 0, scale = 0;
	size_t i;

	memset(&g, 0, sizeof(g));
	strbuf_init(&g.names, 0);
	rc = vctx_init(&g.c, p, o, err, errlen);
	if (rc)
		return rc;
	unit = profile_type_unit(p, o->value);
	if ((rc = vctx_tree(&g.c, &g.t, 1, o->by_thread)) ||
	    (rc = vctx_rank_names(&g.c)) ||
	    (rc = vtree_children_by_name(&g.c, &g.t, &g.first, &g.next)) ||
	    (rc = flatten(&g))) {
		snprintf(err, errlen, "out of memory");
		fg_release(&g);
		return rc;
	}
	total = g.n ? g.t.nodes[0].value : 0;
	if (o->search && *o->search)
		matched = fg_search(&g, o->search);
	render_static(&g, &frames, width, unit, &maxd);
	/* values are written divided by their common divisor (a fixed
	 * sampling period makes them small integers) */
	for (i = 0; i < g.n; i++)
		scale = gcd64(scale, g.t.nodes[g.order[i]].value);
	if (scale <= 0)
		scale = 1;
	height = TOP + (int)(maxd + 1) * FH + BOTTOM;

	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
	strbuf_addf(out, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		    "height=\"%d\" viewBox=\"0 0 %d %d\" data-total=\"%lld\"", width, height,
		    width, height, (long long)total);
	if (o->search && *o->search) {
		strbuf_addstr(out, " data-search=\"");
		add_xml_name(out, o->search);
		strbuf_addf(out, "\" data-search-value=\"%lld\" data-search-pct=\"%.2f\"",
			    (long long)matched, view_pct(matched, total));
	}
	strbuf_addstr(out, ">\n<style>\n"
		"text{font-family:Verdana,'DejaVu Sans',sans-serif;font-size:12px;fill:#000}\n"
		"#title{font-size:17px;text-anchor:middle}\n"
		"#subtitle{fill:#555;text-anchor:middle}\n"
		"#matched{text-anchor:end}\n"
		".btn{cursor:pointer;fill:#1a5fb4;text-decoration:underline}\n"
		".btn.on{fill:#c01c28;font-weight:bold}\n"
		".hide{display:none}\n"
		".f{cursor:pointer}\n"
		".f text{pointer-events:none}\n"
		".f:hover rect{stroke:#000;stroke-width:0.6}\n"
		".a{opacity:0.55}\n"
		"input{font:12px Verdana,sans-serif;width:190px;box-sizing:border-box}\n");
	add_palette(out);
	strbuf_addstr(out, "rect.m{fill:#e600e6}\n</style>\n");
	strbuf_addf(out, "<rect id=\"bg\" x=\"0\" y=\"0\" width=\"100%%\" height=\"%d\" fill=\"#f6f6f4\"/>\n",
		    height);
	strbuf_addf(out, "<text id=\"title\" x=\"%d\" y=\"24\">", width / 2);
	add_xml_name(out, o->title && *o->title ? o->title : "Flame Graph");
	strbuf_addf(out, "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"44\">", width / 2);
	add_subtitle(out, &g.c, total, width);
	strbuf_addstr(out, "</text>\n");
	strbuf_addf(out, "<text id=\"unzoom\" class=\"btn hide\" x=\"%d\" y=\"24\">Reset Zoom</text>\n", PAD);
	strbuf_addf(out, "<foreignObject x=\"%d\" y=\"9\" width=\"200\" height=\"24\">"
		    "<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"q\" type=\"search\" "
		    "placeholder=\"search (Ctrl-F)\"/></foreignObject>\n", width - PAD - 236);
	strbuf_addf(out, "<text id=\"ci\" class=\"btn\" x=\"%d\" y=\"26\"><title>case-insensitive search"
		    "</title>Aa</text>\n", width - PAD - 24);
	strbuf_addstr(out, "<g id=\"frames\">\n");
	strbuf_add(out, frames.buf, frames.len);
	if (!total)
		strbuf_addf(out, "<text x=\"%d\" y=\"%d\">no samples</text>\n", PAD, TOP + 12);
	strbuf_addstr(out, "</g>\n");
	strbuf_addf(out, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", PAD, height - 10);
	strbuf_addf(out, "<text id=\"matched\" x=\"%d\" y=\"%d\"></text>\n", width - PAD, height - 10);

	/* the data: configuration, names, classes, nodes */
	json_init(&w, &tmp, 0);
	json_obj_begin(&w);
	json_kuint(&w, "n", g.n);
	json_kint(&w, "W", width);
	json_kint(&w, "pad", PAD);
	json_kint(&w, "fh", FH);
	json_kint(&w, "top", TOP);
	json_kint(&w, "bottom", BOTTOM);
	json_kdouble(&w, "minfrac", MINFRAC);
	json_kstr(&w, "unit", unit);
	json_kstr(&w, "type", profile_type_name(p, o->value));
	json_kstr(&w, "search", o->search ? o->search : "");
	json_kint(&w, "scale", scale);
	json_obj_end(&w);
	strbuf_addstr(out, "<metadata id=\"fg-cfg\">");
	add_xml(out, tmp.buf, tmp.len);
	strbuf_addstr(out, "</metadata>\n<metadata id=\"fg-names\">[");
	for (i = 0; i < g.n_names; i++) {
		const char *s = name_str(&g, (uint32_t)i);

		strbuf_reset(&tmp);
		if (i)
			strbuf_addch(&tmp, ',');
		json_quote(&tmp, s, strlen(s));
		add_xml(out, tmp.buf, tmp.len);
	}
	strbuf_addstr(out, "]</metadata>\n<metadata id=\"fg-cls\">");
	for (i = 0; i < g.n_names; i++)
		add_varint(out, g.name_cls[i]);
	strbuf_addstr(out, "</metadata>\n<metadata id=\"fg-nodes\">");
	prev = UINT32_MAX;	/* depth -1 */
	for (i = 0; i < g.n; i++) {
		add_varint(out, (uint64_t)(prev + 1) - g.depth[i]);
		add_varint(out, g.name[i]);
		add_varint(out, (uint64_t)(g.t.nodes[g.order[i]].value / scale));
		prev = g.depth[i];
		if (i % 4096 == 4095)
			strbuf_addch(out, '\n');
	}
	strbuf_addstr(out, "</metadata>\n<script type=\"text/ecmascript\"><![CDATA[\n");
	strbuf_addstr(out, flamegraph_js);
	strbuf_addstr(out, "]]></script>\n</svg>\n");

	strbuf_release(&frames);
	strbuf_release(&tmp);
	fg_release(&g);
	return 0;
}
