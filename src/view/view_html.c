/*
 * view_html.c - one self-contained HTML report (view layer): inline CSS
 * and script (report.js, embedded at build time), no network. Sections
 * are appended one after another: a profile (summary, flame graph with
 * search, inverted toggle, tooltips and a samples-over-time strip, top
 * table, line listings), preformatted text, or trusted markup (the
 * memory timeline SVG, charts drawn by pinch).
 *
 * Data goes into <script type="application/json"> as JSON whose '<', '>'
 * and '&' are written as \u escapes, so no name can end the script; names
 * are made valid UTF-8 and control characters replaced when read in.
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
#include "report_js.h"
#include "core/banned.h"

#define N_BINS 200
#define LINE_FUNCS 3	/* line listings of the top functions by self */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;background:#fff}"
	"h1{font-size:20px;margin:0 0 8px}h2{font-size:17px;margin:24px 0 6px;border-bottom:1px solid #ccc}"
	"h3{font-size:15px;margin:16px 0 4px}"
	"pre{background:#f6f6f6;padding:8px;overflow-x:auto;font:12px/1.35 ui-monospace,monospace}"
	"pre.summary{background:#fff8e6;border-left:4px solid #e69500}"
	".fgbox{position:relative}canvas{display:block;cursor:pointer}canvas.strip{cursor:crosshair;border:1px solid #ddd}"
	".controls{margin:6px 0}.controls input.search{width:280px}.matched{margin:0 12px;font-weight:600;color:#8a2aa0}"
	".details{font:12px ui-monospace,monospace;min-height:1.4em;white-space:pre;overflow:hidden}"
	".tip{position:absolute;display:none;background:#fffff0;border:1px solid #999;padding:3px 6px;"
	"font:12px ui-monospace,monospace;pointer-events:none;max-width:640px;word-break:break-all;z-index:2}"
	".hint,.selinfo{font-size:12px;color:#555}"
	"table.top{border-collapse:collapse;font:12px ui-monospace,monospace}"
	"table.top td,table.top th{padding:1px 8px;text-align:left;white-space:nowrap}"
	"table.top th.sortable{cursor:pointer;background:#eee}td.num{text-align:right}"
	"table.top tr:nth-child(even){background:#fafafa}input.filter{margin:4px 0;width:280px}"
	".empty{color:#a00;font-weight:600}\n";

/* HTML text: valid UTF-8, control characters (not newlines/tabs) to '?'. */
void view_html_escape(struct strbuf *out, const char *s, size_t len)
{
	struct strbuf t = STRBUF_INIT;
	size_t i, start = 0;

	/* line by line: the sanitizer replaces control characters, newlines too */
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		strbuf_add_utf8_sanitized(&t, s + start, i - start);
		if (i < len)
			strbuf_addch(&t, '\n');
		start = i + 1;
	}
	for (i = 0; i < t.len; i++) {
		unsigned char c = (unsigned char)t.buf[i];

		switch (c) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		default:
			strbuf_addch(out, (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : c);
		}
	}
	strbuf_release(&t);
}

/* A JSON string safe inside <script>: '<', '>', '&' as \u escapes. */
static void add_jstr(struct strbuf *out, struct strbuf *tmp, const char *s)
{
	struct strbuf q = STRBUF_INIT;
	size_t i;

	strbuf_reset(tmp);
	view_add_name(tmp, s, 0);
	json_quote(&q, tmp->buf, tmp->len);
	for (i = 0; i < q.len; i++) {
		char c = q.buf[i];

		if (c == '<' || c == '>' || c == '&')
			strbuf_addf(out, "\\u%04x", (unsigned)c);
		else
			strbuf_addch(out, c);
	}
	strbuf_release(&q);
}

void view_html_json(struct strbuf *out, const char *json, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = json[i];

		if (c == '<' || c == '>' || c == '&')
			strbuf_addf(out, "\\u%04x", (unsigned)c);
		else
			strbuf_addch(out, c);
	}
}

static void add_u64(struct strbuf *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (strbuf_grow(out, n))
		return;
	while (n)
		out->buf[out->len++] = tmp[--n];
	out->buf[out->len] = 0;
}

static void add_i64(struct strbuf *out, int64_t v)
{
	if (v < 0) {
		strbuf_addch(out, '-');
		add_u64(out, (uint64_t)(-(v + 1)) + 1);
	} else {
		add_u64(out, (uint64_t)v);
	}
}

void view_html_begin(struct strbuf *out, const char *title)
{
	strbuf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta name=\"generator\" content=\"pinch\"><title>");
	view_html_escape(out, title, strlen(title));
	strbuf_addstr(out, "</title>\n<style>");
	strbuf_addstr(out, css);
	strbuf_addstr(out, "</style></head>\n<body>\n<h1>");
	view_html_escape(out, title, strlen(title));
	strbuf_addstr(out, "</h1>\n");
}

void view_html_end(struct strbuf *out)
{
	strbuf_addstr(out, "<script>\n");
	strbuf_addstr(out, report_js);
	strbuf_addstr(out, "</script>\n</body></html>\n");
}

void view_html_text(struct strbuf *out, const char *heading, const char *text, const char *cls)
{
	if (heading && *heading) {
		strbuf_addstr(out, "<h3>");
		view_html_escape(out, heading, strlen(heading));
		strbuf_addstr(out, "</h3>\n");
	}
	strbuf_addf(out, "<pre%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	view_html_escape(out, text, strlen(text));
	strbuf_addstr(out, "</pre>\n");
}

void view_html_raw(struct strbuf *out, const char *heading, const char *markup)
{
	if (heading && *heading) {
		strbuf_addstr(out, "<h3>");
		view_html_escape(out, heading, strlen(heading));
		strbuf_addstr(out, "</h3>\n");
	}
	strbuf_addstr(out, "<div class=\"raw\">");
	strbuf_addstr(out, markup);
	strbuf_addstr(out, "</div>\n");
}

void view_html_heading(struct strbuf *out, const char *heading)
{
	strbuf_addstr(out, "<h2>");
	view_html_escape(out, heading, strlen(heading));
	strbuf_addstr(out, "</h2>\n");
}

/* The samples per time bin: "bins": {n, dur, v, c, e: [[node, value...]...]}. */
struct ent {
	uint32_t bin, node;
	int64_t v;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

static int add_bins(struct strbuf *out, const struct vctx *c, struct vtree *t,
		    const uint32_t *pre)
{
	const struct view_timeline *tl = c->o->timeline;
	uint32_t *stack_node = malloc((c->n_stacks ? c->n_stacks : 1) * sizeof(*stack_node));
	struct ent *e = NULL;
	size_t n0 = t->n;
	int64_t v[N_BINS] = { 0 }, cnt[N_BINS] = { 0 };
	uint64_t dur = tl->duration_ns;
	size_t i, k, ne = 0;

	for (i = 0; i < tl->n; i++)
		if (tl->t_ns[i] >= dur)
			dur = tl->t_ns[i] + 1;
	e = malloc((tl->n ? tl->n : 1) * sizeof(*e));
	if (!stack_node || !e) {
		free(stack_node);
		free(e);
		return -ENOMEM;
	}
	/* each stack's node in the tree (it is there: the tree holds every stack) */
	for (i = 0; i < c->n_stacks; i++) {
		uint32_t len, node = 0, j;
		const uint32_t *locs = profile_stack(c->p, (uint32_t)i, &len);

		for (j = len; j-- > 0 && node != UINT32_MAX;) {
			uint32_t f = c->loc_func[locs[j]];

			node = vtree_child(t, node, c->f[f].name, f);
		}
		stack_node[i] = node;
	}
	for (i = 0; i < tl->n; i++) {
		uint32_t b = (uint32_t)((double)tl->t_ns[i] * N_BINS / (double)dur);
		uint32_t node = stack_node[tl->stack[i]];

		if (b >= N_BINS)
			b = N_BINS - 1;
		if (node == UINT32_MAX || node >= n0)
			continue;
		v[b] += tl->value[i];
		cnt[b]++;
		e[ne].bin = b;
		e[ne].node = pre[node];
		e[ne].v = tl->value[i];
		ne++;
	}
	/* per bin: nodes merged (a counting pass keeps it linear) */
	strbuf_addf(out, ",\n\"bins\":{\"n\":%d,\"dur\":", N_BINS);
	add_u64(out, dur);
	strbuf_addstr(out, ",\"v\":[");
	for (k = 0; k < N_BINS; k++) {
		if (k)
			strbuf_addch(out, ',');
		add_i64(out, v[k]);
	}
	strbuf_addstr(out, "],\"c\":[");
	for (k = 0; k < N_BINS; k++) {
		if (k)
			strbuf_addch(out, ',');
		add_i64(out, cnt[k]);
	}
	strbuf_addstr(out, "],\"e\":[");
	{
		size_t *start = calloc(N_BINS + 1, sizeof(*start));
		struct ent *sorted = malloc((ne ? ne : 1) * sizeof(*sorted));

		if (!start || !sorted) {
			free(start);
			free(sorted);
			free(stack_node);
			free(e);
			return -ENOMEM;
		}
		for (i = 0; i < ne; i++)
			start[e[i].bin + 1]++;
		for (k = 0; k < N_BINS; k++)
			start[k + 1] += start[k];
		for (i = 0; i < ne; i++)
			sorted[start[e[i].bin]++] = e[i];
		/* start[k] is now the end of bin k */
		for (k = 0, i = 0; k < N_BINS; k++) {
			size_t end = start[k], j;

			strbuf_addstr(out, k ? ",[" : "[");
			/* equal nodes merged (samples of one stack) */
			qsort(sorted + i, end - i, sizeof(*sorted), ent_cmp);
			for (j = i; j < end; j++) {
				int64_t sum = sorted[j].v;

				while (j + 1 < end && sorted[j + 1].node == sorted[j].node)
					sum += sorted[++j].v;
				if (out->buf[out->len - 1] != '[')
					strbuf_addch(out, ',');
				add_u64(out, sorted[j].node);
				strbuf_addch(out, ',');
				add_i64(out, sum);
			}
			strbuf_addch(out, ']');
			i = end;
		}
		free(start);
		free(sorted);
	}
	strbuf_addstr(out, "]}");
	free(stack_node);
	free(e);
	return 0;
}

int view_html_profile(struct strbuf *out, const struct profile *p, const struct view_opts *o,
		      const char *heading, const char *summary, char *err, size_t errlen)
{
	struct vctx c;
	struct vtree t;
	struct strbuf tmp = STRBUF_INIT, js = STRBUF_INIT;
	uint32_t *first = NULL, *next = NULL, *stk = NULL, *pre = NULL, *order = NULL;
	size_t sp = 0, i, npre = 0;
	int rc;

	memset(&t, 0, sizeof(t));
	rc = vctx_init(&c, p, o, err, errlen);
	if (rc)
		return rc;
	if (heading)
		view_html_heading(out, heading);
	if (summary && *summary)
		view_html_text(out, NULL, summary, "summary");
	if (profile_total(p, o->value) <= 0) {
		strbuf_addstr(out, "<p class=\"empty\">No samples: there is nothing to draw.</p>\n");
		vctx_release(&c);
		return 0;
	}
	strbuf_addstr(out, "<section class=\"prof\">\n");
	if ((rc = vctx_sum(&c, UINT32_MAX)) || (rc = vctx_tree(&c, &t, 1, 0)) ||
	    (rc = vctx_rank_names(&c)) || (rc = vtree_children_by_name(&c, &t, &first, &next)))
		goto nomem;
	stk = malloc(t.n * sizeof(*stk));
	pre = malloc(t.n * sizeof(*pre));
	order = malloc(t.n * sizeof(*order));
	if (!stk || !pre || !order)
		goto nomem;
	/* preorder: children in name order */
	stk[sp++] = 0;
	while (sp) {
		uint32_t id = stk[--sp], n = 0, base, ch;

		pre[id] = (uint32_t)npre;
		order[npre++] = id;
		for (ch = first[id]; ch != UINT32_MAX; ch = next[ch])
			n++;
		base = (uint32_t)sp;
		sp += n;
		for (ch = first[id]; ch != UINT32_MAX; ch = next[ch])
			stk[base + --n] = ch;
	}
	strbuf_addstr(&js, "{\"unit\":");
	add_jstr(&js, &tmp, profile_type_unit(p, o->value));
	strbuf_addstr(&js, ",\"type\":");
	add_jstr(&js, &tmp, profile_type_name(p, o->value));
	strbuf_addstr(&js, ",\n\"names\":[");
	for (i = 0; i < c.n_funcs; i++) {
		if (i)
			strbuf_addch(&js, ',');
		add_jstr(&js, &tmp, vctx_fname(&c, (uint32_t)i));
	}
	strbuf_addstr(&js, "],\n\"kinds\":[");
	for (i = 0; i < c.n_funcs; i++) {
		if (i)
			strbuf_addch(&js, ',');
		add_u64(&js, c.f[i].kind);
	}
	strbuf_addstr(&js, "],\n\"locs\":[");
	for (i = 0; i < c.n_funcs; i++) {
		const struct vfunc *f = &c.f[i];
		struct strbuf loc = STRBUF_INIT;

		if (f->file) {
			strbuf_addstr(&loc, profile_string(p, f->file));
			if (f->line)
				strbuf_addf(&loc, ":%u", f->line);
		} else if (f->module) {
			strbuf_addf(&loc, "(%s)", profile_string(p, f->module));
		}
		if (i)
			strbuf_addch(&js, ',');
		add_jstr(&js, &tmp, loc.buf ? loc.buf : "");
		strbuf_release(&loc);
	}
	strbuf_addstr(&js, "],\n\"d\":[");
	for (i = 0; i < npre; i++) {
		if (i)
			strbuf_addch(&js, ',');
		add_u64(&js, t.nodes[order[i]].depth);
	}
	strbuf_addstr(&js, "],\n\"f\":[");
	for (i = 0; i < npre; i++) {
		uint32_t f = t.nodes[order[i]].func;

		if (i)
			strbuf_addch(&js, ',');
		if (f == UINT32_MAX)
			strbuf_addstr(&js, "-1");
		else
			add_u64(&js, f);
	}
	strbuf_addstr(&js, "],\n\"s\":[");
	for (i = 0; i < npre; i++) {
		if (i)
			strbuf_addch(&js, ',');
		add_i64(&js, t.nodes[order[i]].self);
	}
	strbuf_addch(&js, ']');
	if (o->timeline && o->timeline->n && (rc = add_bins(&js, &c, &t, pre)))
		goto nomem;
	strbuf_addstr(&js, "}");

	strbuf_addstr(out, "<div class=\"fgbox\"></div>\n<h3>Top functions</h3>\n<div class=\"topbox\"></div>\n");
	/* line listings of the top functions by self */
	{
		uint32_t best[LINE_FUNCS];
		size_t nb = 0, k;

		for (i = 0; i < c.n_funcs; i++) {
			if (c.f[i].self <= 0 || !c.f[i].file)
				continue;
			for (k = nb; k > 0 && c.f[best[k - 1]].self < c.f[i].self; k--)
				if (k < LINE_FUNCS)
					best[k] = best[k - 1];
			if (k < LINE_FUNCS) {
				best[k] = (uint32_t)i;
				if (nb < LINE_FUNCS)
					nb++;
			}
		}
		for (k = 0; k < nb; k++) {
			struct view_opts lo = *o;
			struct strbuf lines = STRBUF_INIT, h = STRBUF_INIT;
			char lerr[256];

			lo.func = vctx_fname(&c, best[k]);
			lo.json = 0;
			lo.color = 0;
			if (!view_lines(p, &lo, &lines, lerr, sizeof(lerr))) {
				strbuf_addf(&h, "Lines of %s", lo.func);
				view_html_text(out, h.buf, lines.buf, NULL);
			}
			strbuf_release(&lines);
			strbuf_release(&h);
		}
	}
	strbuf_addstr(out, "<script type=\"application/json\" class=\"pdata\">");
	strbuf_add(out, js.buf, js.len);
	strbuf_addstr(out, "</script>\n</section>\n");
	rc = 0;
	goto out;
nomem:
	rc = -ENOMEM;
	snprintf(err, errlen, "out of memory");
out:
	free(first);
	free(next);
	free(stk);
	free(pre);
	free(order);
	strbuf_release(&tmp);
	strbuf_release(&js);
	if (t.nodes)
		vtree_release(&t);
	vctx_release(&c);
	return rc;
}

