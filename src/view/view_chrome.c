/*
 * view_chrome.c - Chrome's trace event format (view layer), read by
 * Perfetto, chrome://tracing and speedscope. With a timeline (CPU
 * recordings) each thread's samples become nested complete ("X") events:
 * a frame stays open while consecutive samples of its thread have it at
 * the same depth under the same callers. Without one (memory profiles,
 * imports) the call tree is laid out like a flame graph, one unit of the
 * shown value per microsecond.
 *
 * Timeline events start and end on whole microseconds (each boundary
 * rounded, dur = end - start): readers compute an event's end as ts + dur
 * in doubles, and with fractions a frame could end a hair after its
 * sibling starts (speedscope then nests the sibling inside it).
 *
 * Facts kept: ts/dur in microseconds; parents written before children
 * when ts ties; no displayTimeUnit; names as raw UTF-8 with control
 * characters replaced (Perfetto decodes no \uXXXX escapes).
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

struct cev {
	uint32_t thread, depth, func;
	uint64_t ts, dur;	/* nanoseconds (timeline) or value units */
};

struct cevs {
	struct cev *e;
	size_t n, alloc;
};

static int cev_add(struct cevs *v, uint32_t thread, uint32_t depth, uint32_t func, uint64_t ts,
		   uint64_t dur)
{
	if (v->n == v->alloc) {
		size_t na = v->alloc ? v->alloc * 2 : 1024;
		struct cev *ne = realloc(v->e, na * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		v->e = ne;
		v->alloc = na;
	}
	v->e[v->n++] = (struct cev){ thread, depth, func, ts, dur };
	return 0;
}

static int cev_cmp(const void *a, const void *b)
{
	const struct cev *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return 0;
}

static int tl_cmp(const void *a, const void *b, void *ctx)
{
	const struct view_timeline *sort_tl = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (sort_tl->thread[i] != sort_tl->thread[j])
		return sort_tl->thread[i] < sort_tl->thread[j] ? -1 : 1;
	if (sort_tl->t_ns[i] != sort_tl->t_ns[j])
		return sort_tl->t_ns[i] < sort_tl->t_ns[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Samples of each thread, merged into nested events. */
static int chrome_timeline(struct vctx *c, const struct view_timeline *tl, struct cevs *ev)
{
	size_t *ord = malloc((tl->n ? tl->n : 1) * sizeof(*ord)), i, maxd = 1, s;
	uint32_t *ofunc = NULL, cur_thread = UINT32_MAX;
	uint64_t *ostart = NULL, prev_end = 0;
	uint32_t open = 0;
	int rc = 0;

	for (s = 0; s < c->n_stacks; s++) {
		uint32_t len;

		profile_stack(c->p, (uint32_t)s, &len);
		if (len > maxd)
			maxd = len;
	}
	ofunc = malloc(maxd * sizeof(*ofunc));
	ostart = malloc(maxd * sizeof(*ostart));
	if (!ord || !ofunc || !ostart) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < tl->n; i++)
		ord[i] = i;
	qsort_r(ord, tl->n, sizeof(*ord), tl_cmp, (void *)tl);
	for (i = 0; i <= tl->n && !rc; i++) {
		size_t k = i < tl->n ? ord[i] : 0;
		uint32_t len = 0, d, same = 0;
		const uint32_t *locs = NULL;
		uint64_t t = 0, dur = 0, at;
		int cont;

		if (i < tl->n) {
			locs = profile_stack(c->p, tl->stack[k], &len);
			t = tl->t_ns[k];
			dur = tl->value[k] > 0 ? (uint64_t)tl->value[k] : 1;
		}
		/* frames kept open: same thread, no gap (the sampling clock's
		 * jitter aside: 1/20 of a period, so a thread that was off CPU
		 * between samples does not stretch its frames), same callers */
		cont = i < tl->n && tl->thread[k] == cur_thread && t <= prev_end + dur / 20;
		if (cont)
			while (same < open && same < len &&
			       ofunc[same] == c->loc_func[locs[len - 1 - same]])
				same++;
		at = cont && prev_end > t ? prev_end : t;	/* the new sample's start */
		for (d = open; d-- > same;)
			if ((rc = cev_add(ev, cur_thread, d, ofunc[d], ostart[d],
					  (cont ? at : prev_end) - ostart[d])))
				break;
		if (i == tl->n)
			break;
		cur_thread = tl->thread[k];
		for (d = same; d < len; d++) {
			ofunc[d] = c->loc_func[locs[len - 1 - d]];
			ostart[d] = at;
		}
		open = len;
		prev_end = at + dur;
	}
out:
	free(ord);
	free(ofunc);
	free(ostart);
	return rc;
}

/* The call tree laid out: children after each other from their parent's start. */
static int chrome_tree(struct vctx *c, struct cevs *ev)
{
	struct vtree t;
	uint32_t *first = NULL, *next = NULL, *stk = NULL;
	uint64_t *start = NULL, *used = NULL;
	size_t sp = 0;
	int rc = vctx_tree(c, &t, 1, 1);

	if (rc)
		return rc;
	rc = vctx_rank_names(c);
	if (!rc)
		rc = vtree_children_by_name(c, &t, &first, &next);
	stk = malloc(t.n * sizeof(*stk));
	start = calloc(t.n, sizeof(*start));
	used = calloc(t.n, sizeof(*used));
	if (rc || !stk || !start || !used) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t ch = first[0]; ch != UINT32_MAX; ch = next[ch])
		stk[sp++] = ch;	/* threads: each starts at 0 */
	while (sp && !rc) {
		uint32_t id = stk[--sp], n = 0, base;
		const struct vtree_node *nd = &t.nodes[id];

		if (nd->parent && nd->func != UINT32_MAX) {
			start[id] = start[nd->parent] + used[nd->parent];
			used[nd->parent] += (uint64_t)nd->value;
		}
		if (nd->func != UINT32_MAX && nd->value > 0) {
			uint32_t th = id, depth = 0;

			while (t.nodes[th].parent)
				th = t.nodes[th].parent, depth++;
			rc = cev_add(ev, t.nodes[th].key, depth - 1, nd->func,
				     start[id], (uint64_t)nd->value);
		}
		for (uint32_t ch = first[id]; ch != UINT32_MAX; ch = next[ch])
			n++;
		base = (uint32_t)sp;
		sp += n;
		for (uint32_t ch = first[id]; ch != UINT32_MAX; ch = next[ch])
			stk[base + --n] = ch;
	}
out:
	free(first);
	free(next);
	free(stk);
	free(start);
	free(used);
	vtree_release(&t);
	return rc;
}

/* A name Perfetto accepts: view_add_name's sanitizing, plus C1 controls
 * to '?' and the noncharacters U+FFFE/U+FFFF to U+FFFD. */
static void add_trace_name(struct strbuf *sb, const char *s)
{
	struct strbuf t = STRBUF_INIT;
	size_t i;

	view_add_name(&t, s, 0);
	for (i = 0; i < t.len; i++) {
		unsigned char c = (unsigned char)t.buf[i];

		if (c == 0xc2 && i + 1 < t.len && (unsigned char)t.buf[i + 1] < 0xa0) {
			strbuf_addch(sb, '?');
			i++;
		} else if (c == 0xef && i + 2 < t.len && (unsigned char)t.buf[i + 1] == 0xbf &&
			   (unsigned char)t.buf[i + 2] >= 0xbe) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			i += 2;
		} else {
			strbuf_addch(sb, c);
		}
	}
	strbuf_release(&t);
}

/* ns (timeline) or value units to whole microseconds, rounded */
static unsigned long long to_us(uint64_t v, int timeline)
{
	return timeline ? (unsigned long long)((v + 500) / 1000) : (unsigned long long)v;
}

int view_chrome(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		char *err, size_t errlen)
{
	struct vctx c;
	struct cevs ev = { 0 };
	struct strbuf name = STRBUF_INIT;
	const struct view_timeline *tl = o->timeline;
	size_t i;
	int rc;

	rc = vctx_init(&c, p, o, err, errlen);
	if (rc)
		return rc;
	rc = tl ? chrome_timeline(&c, tl, &ev) : chrome_tree(&c, &ev);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (ev.n)
		qsort(ev.e, ev.n, sizeof(*ev.e), cev_cmp);
	strbuf_addstr(out, "{\"traceEvents\":[\n");
	for (i = 0; i < profile_n_threads(p); i++) {
		const struct profile_thread *t = profile_thread(p, (uint32_t)i);

		strbuf_reset(&name);
		add_trace_name(&name, profile_string(p, t->name));
		strbuf_addf(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":",
			    t->pid, t->tid);
		json_quote(out, name.buf, name.len);
		strbuf_addstr(out, "}},\n");
	}
	for (i = 0; i < ev.n; i++) {
		const struct cev *e = &ev.e[i];
		const struct profile_thread *t = profile_thread(p, e->thread);

		strbuf_reset(&name);
		add_trace_name(&name, vctx_fname(&c, e->func));
		strbuf_addstr(out, "{\"name\":");
		json_quote(out, name.buf, name.len);
		strbuf_addf(out, ",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":", profile_type_name(p, o->value));
		strbuf_addf(out, "%llu,\"dur\":%llu", to_us(e->ts, tl != NULL),
			    to_us(e->ts + e->dur, tl != NULL) - to_us(e->ts, tl != NULL));
		strbuf_addf(out, ",\"pid\":%u,\"tid\":%u},\n", t->pid, t->tid);
	}
	strbuf_addstr(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":\"pinch\"}}\n],\n\"otherData\":{\"exporter\":\"pinch\",\"layout\":");
	strbuf_addstr(out, tl ? "\"timeline\"" : "\"call tree (1 unit = 1 us)\"");
	strbuf_addstr(out, ",\"value\":");
	json_quote(out, profile_type_name(p, o->value), strlen(profile_type_name(p, o->value)));
	strbuf_addstr(out, "}}\n");
out:
	free(ev.e);
	strbuf_release(&name);
	vctx_release(&c);
	return rc;
}
