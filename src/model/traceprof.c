/*
 * traceprof.c - pinch trace recordings -> calling-context trees per
 * thread -> cProfile's table, call edges, a profile for the views and a
 * Chrome trace (model layer, report side).
 */
#include "traceprof.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent/trace/wire.h"
#include "core/hmap.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "model/symbols.h"
#include "core/banned.h"

#define TRACEPROF_MAX_THREADS 4096

struct proc {
	uint32_t pid, flags;
	uint64_t tick0, mono0, tick1, mono1;
};

struct rframe {
	uint32_t node;
	uint64_t t0, child, fn;
};

struct thr {
	struct traceprof_thread pub;
	struct trw_cct cct;		/* replayed events */
	struct trw_node *nodes;		/* the tree: cct.v, or the agent's (counts mode) */
	uint32_t n;
	struct trw_node *own;		/* malloc'd nodes of TRW_CCT records */
	struct rframe *stack;
	size_t depth, cap;
	uint64_t last_tick, last_fn;
	uint32_t *func;			/* node -> function id */
	double ns_per_tick;
	uint64_t tick0, mono0;
};

struct addr {
	uint32_t pid;
	uint32_t func;
	uint64_t fn;
};

struct traceprof {
	struct proc *procs;
	size_t n_procs;
	struct thr *thr;
	size_t n_thr;
	struct traceprof_func *funcs;	/* names only; figures come from traceprof_table */
	size_t n_funcs, cap_funcs;
	struct hmap fmap;
	struct addr *addrs;
	size_t n_addrs, cap_addrs;
	struct hmap amap;
	struct symbolizer *sym;
	struct traceprof_stats st;
	char **meta;			/* key, value pairs */
	size_t n_meta;
	uint64_t start_mono;
};

static struct proc *find_proc(struct traceprof *tp, uint32_t pid)
{
	for (size_t i = tp->n_procs; i-- > 0;)
		if (tp->procs[i].pid == pid)
			return &tp->procs[i];
	return NULL;
}

static struct thr *find_thr(struct traceprof *tp, uint32_t pid, uint32_t tid)
{
	struct thr *t;

	for (size_t i = tp->n_thr; i-- > 0;)
		if (tp->thr[i].pub.pid == pid && tp->thr[i].pub.tid == tid)
			return &tp->thr[i];
	if (tp->n_thr >= TRACEPROF_MAX_THREADS)
		return NULL;	/* from inside the program: no unbounded growth */
	if (tp->n_thr % 16 == 0) {
		struct thr *nv = realloc(tp->thr, (tp->n_thr + 16) * sizeof(*nv));

		if (!nv)
			return NULL;
		tp->thr = nv;
	}
	t = &tp->thr[tp->n_thr];
	memset(t, 0, sizeof(*t));
	t->pub.pid = pid;
	t->pub.tid = tid;
	tp->n_thr++;
	return t;
}

/* ---- replaying events -------------------------------------------------- */

static void close_top(struct thr *t, uint64_t tick, int open)
{
	struct rframe *f = &t->stack[--t->depth];
	struct trw_node *nd = &t->cct.v[f->node];
	uint64_t d = tick > f->t0 ? tick - f->t0 : 0;

	nd->total += d;
	nd->self += d > f->child ? d - f->child : 0;
	if (open)
		nd->open++;
	if (t->depth)
		t->stack[t->depth - 1].child += d;
}

/* 0, or -1 when the chunk is cut short or impossible (what came before
 * it stays). */
static int replay(struct traceprof *tp, struct thr *t, const struct trw_events *ev,
		  const unsigned char *p, const unsigned char *end)
{
	if (!t->cct.v && trw_cct_init(&t->cct))
		return -1;
	t->last_tick = ev->base_tick;
	t->last_fn = ev->base_fn;
	while (p < end) {
		uint64_t v, dt, tick;
		unsigned kind;

		if (trw_get(&p, end, &v))
			return -1;
		kind = (unsigned)(v & 3);
		if (kind == TRW_EV_ENTER) {
			uint64_t fn = t->last_fn + (uint64_t)trw_unzigzag(v >> 2);
			uint32_t node;

			if (trw_get(&p, end, &dt))
				return -1;
			tick = t->last_tick + dt;
			if (t->depth == t->cap) {
				size_t nc = t->cap ? t->cap * 2 : 256;
				struct rframe *ns;

				if (nc > (1u << 24) || !(ns = realloc(t->stack, nc * sizeof(*ns))))
					return -1;
				t->stack = ns;
				t->cap = nc;
			}
			node = trw_cct_child(&t->cct, t->depth ? t->stack[t->depth - 1].node : 0, fn);
			t->cct.v[node].calls++;
			t->stack[t->depth].node = node;
			t->stack[t->depth].t0 = tick;
			t->stack[t->depth].child = 0;
			t->stack[t->depth].fn = fn;
			t->depth++;
			t->last_fn = fn;
			t->pub.calls++;
		} else {
			tick = t->last_tick + (v >> 2);
			if (kind == TRW_EV_END) {
				t->pub.open += (uint32_t)t->depth;
				while (t->depth)
					close_top(t, tick, 1);
			} else if (!t->depth) {
				t->pub.bad_exits++;
			} else {
				close_top(t, tick, 0);
			}
		}
		t->last_tick = tick;
		tp->st.events++;
	}
	return 0;
}

static int add_cct(struct thr *t, const struct trw_cct_hdr *h, const struct trw_node *v)
{
	uint64_t need = (uint64_t)h->first + h->n;

	if (need > TRW_CCT_MAX_NODES)
		return -1;
	if (need > t->n) {
		struct trw_node *nv = realloc(t->own, need * sizeof(*nv));

		if (!nv)
			return -1;
		memset(nv + t->n, 0, (need - t->n) * sizeof(*nv));
		t->own = nv;
		t->n = (uint32_t)need;
	}
	memcpy(t->own + h->first, v, (size_t)h->n * sizeof(*v));
	for (uint32_t i = h->first; i < need; i++) {
		struct trw_node *nd = &t->own[i];

		/* from inside the program: a parent must come before its child */
		if (i == 0 || nd->parent >= i)
			nd->parent = 0;
		t->pub.calls += i ? nd->calls : 0;
	}
	return 0;
}

/* ---- symbols ----------------------------------------------------------- */

struct fkey {
	const char *name, *module;
};

static int func_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct traceprof *tp = ctx;
	const struct fkey *k = key;

	return !strcmp(tp->funcs[id].name, k->name) && !strcmp(tp->funcs[id].module, k->module);
}

static int addr_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct traceprof *tp = ctx;
	const struct addr *k = key;

	return tp->addrs[id].pid == k->pid && tp->addrs[id].fn == k->fn;
}

static uint32_t func_of(struct traceprof *tp, uint32_t pid, uint64_t fn)
{
	struct addr k = { pid, 0, fn };
	uint64_t h = hash_mix(fn ^ ((uint64_t)pid << 48));
	uint32_t id = hmap_find(&tp->amap, h, &k, addr_eq, tp), nfr, res;
	const struct sym_frame *fr;
	struct fkey fk;
	uint64_t fh;

	if (id != UINT32_MAX)
		return tp->addrs[id].func;
	res = sym_lookup(tp->sym, symbolizer_space(tp->sym, pid), fn);
	fr = sym_result(tp->sym, res, &nfr);
	if (!fr || !nfr)
		return UINT32_MAX;
	fr += nfr - 1;		/* the function itself, not what is inlined at its entry */
	fk.name = fr->function ? fr->function : "?";
	fk.module = fr->module ? fr->module : "?";
	fh = hash_bytes(fk.name, strlen(fk.name), hash_bytes(fk.module, strlen(fk.module), 7));
	id = hmap_find(&tp->fmap, fh, &fk, func_eq, tp);
	if (id == UINT32_MAX) {
		if (tp->n_funcs == tp->cap_funcs) {
			size_t nc = tp->cap_funcs ? tp->cap_funcs * 2 : 64;
			struct traceprof_func *nv = realloc(tp->funcs, nc * sizeof(*nv));

			if (!nv)
				return UINT32_MAX;
			tp->funcs = nv;
			tp->cap_funcs = nc;
		}
		id = (uint32_t)tp->n_funcs;
		memset(&tp->funcs[id], 0, sizeof(tp->funcs[id]));
		tp->funcs[id].name = fk.name;
		tp->funcs[id].module = fk.module;
		tp->funcs[id].file = fr->file;
		tp->funcs[id].line = fr->line;
		if (hmap_insert(&tp->fmap, fh, id))
			return UINT32_MAX;
		tp->n_funcs++;
	}
	if (tp->n_addrs == tp->cap_addrs) {
		size_t nc = tp->cap_addrs ? tp->cap_addrs * 2 : 64;
		struct addr *nv = realloc(tp->addrs, nc * sizeof(*nv));

		if (!nv)
			return UINT32_MAX;
		tp->addrs = nv;
		tp->cap_addrs = nc;
	}
	k.func = id;
	tp->addrs[tp->n_addrs] = k;
	if (hmap_insert(&tp->amap, h, (uint32_t)tp->n_addrs))
		return UINT32_MAX;
	tp->n_addrs++;
	return id;
}

/* ---- building ---------------------------------------------------------- */

static int add_meta(struct traceprof *tp, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *k = p, *v = memchr(p, 0, (size_t)(end - p)), *e;
		char **nm;

		if (!v || !(e = memchr(v + 1, 0, (size_t)(end - v - 1))))
			return 0;
		nm = realloc(tp->meta, (tp->n_meta + 1) * 2 * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		tp->meta = nm;
		nm[tp->n_meta * 2] = strdup(k);
		nm[tp->n_meta * 2 + 1] = strdup(v + 1);
		if (!nm[tp->n_meta * 2] || !nm[tp->n_meta * 2 + 1])
			return -ENOMEM;
		tp->n_meta++;
		p = e + 1;
	}
	return 0;
}

static int handle(struct traceprof *tp, const struct rec *rec, struct proc **cur)
{
	const unsigned char *d = rec->data;

	switch (rec->type) {
	case REC_META:
		return add_meta(tp, rec->data, rec->size);
	case REC_MMAP:
		if (rec->size > sizeof(struct rec_mmap) && d[rec->size - 1] == 0)
			return symbolizer_mmap(tp->sym, rec->data, (const char *)d + sizeof(struct rec_mmap));
		return 0;
	case REC_FINISH:
		if (rec->size >= sizeof(struct rec_finish)) {
			const struct rec_finish *f = rec->data;

			tp->st.finished = 1;
			tp->st.exit_status = f->exit_status;
			tp->st.term_signal = f->term_signal;
			if (f->end_mono_ns > tp->start_mono)
				tp->st.duration_ns = f->end_mono_ns - tp->start_mono;
		}
		return 0;
	case TRW_PROC:
		if (rec->size >= sizeof(struct trw_proc)) {
			const struct trw_proc *pr = rec->data;
			struct proc *np = realloc(tp->procs, (tp->n_procs + 1) * sizeof(*np));

			if (!np)
				return -ENOMEM;
			/* an exec'd image: the old image's calls ended with it */
			for (size_t i = 0; i < tp->n_thr; i++) {
				struct thr *t = &tp->thr[i];

				if (t->pub.pid != pr->pid || !t->depth)
					continue;
				t->pub.open += (uint32_t)t->depth;
				while (t->depth)
					close_top(t, t->last_tick, 1);
			}
			tp->procs = np;
			*cur = &np[tp->n_procs++];
			memset(*cur, 0, sizeof(**cur));
			(*cur)->pid = pr->pid;
			(*cur)->flags = pr->flags;
			(*cur)->tick0 = (*cur)->tick1 = pr->tick0;
			(*cur)->mono0 = (*cur)->mono1 = pr->mono0;
			tp->st.processes++;
			if (pr->flags & TRW_F_COUNTS)
				tp->st.counts_only = 1;
			if (pr->flags & TRW_F_TSC)
				tp->st.tsc = 1;
			if (pr->flags & TRW_F_CPU)
				tp->st.cpu = 1;
		}
		return 0;
	case TRW_CLOCK:
		if (*cur && rec->size >= sizeof(struct trw_clock)) {
			const struct trw_clock *c = rec->data;

			if (c->tick > (*cur)->tick1 && c->mono_ns > (*cur)->mono1) {
				(*cur)->tick1 = c->tick;
				(*cur)->mono1 = c->mono_ns;
			}
		}
		return 0;
	case TRW_EVENTS:
		if (rec->size >= sizeof(struct trw_events)) {
			const struct trw_events *ev = rec->data;
			struct thr *t = find_thr(tp, ev->pid, ev->tid);

			if (!t)
				return 0;
			if (replay(tp, t, ev, d + sizeof(*ev), d + rec->size))
				tp->st.truncated = 1;
		}
		return 0;
	case TRW_CCT:
		if (rec->size >= sizeof(struct trw_cct_hdr)) {
			const struct trw_cct_hdr *h = rec->data;
			struct thr *t;

			if ((uint64_t)h->n * sizeof(struct trw_node) > rec->size - sizeof(*h))
				return 0;
			t = find_thr(tp, h->pid, h->tid);
			if (t && add_cct(t, h, (const struct trw_node *)(d + sizeof(*h))))
				tp->st.truncated = 1;
		}
		return 0;
	case TRW_THREAD:
		if (rec->size >= sizeof(struct trw_thread)) {
			const struct trw_thread *th = rec->data;
			struct thr *t = find_thr(tp, th->pid, th->tid);

			if (!t)
				return 0;
			t->pub.ended = 1;
			t->pub.at_exit = !!(th->flags & TRW_T_AT_EXIT);
			t->pub.unwound += th->unwound;
			t->pub.dropped += th->dropped;
			t->pub.bad_exits += th->bad_exits;
			if (tp->st.counts_only)
				t->pub.open += th->open;
		}
		return 0;
	default:
		return 0;
	}
}

static void finish_thread(struct traceprof *tp, struct thr *t)
{
	const struct proc *pr = find_proc(tp, t->pub.pid);
	uint64_t last = t->last_tick;

	/* a recording cut short: calls still open end at the last event */
	if (t->depth) {
		t->pub.open += (uint32_t)t->depth;
		while (t->depth)
			close_top(t, last, 1);
	}
	if (t->own) {
		t->nodes = t->own;
	} else {
		t->nodes = t->cct.v;
		t->n = t->cct.v ? t->cct.n : 0;
	}
	t->pub.folded = t->cct.full;
	t->ns_per_tick = 1.0;
	if (pr && (pr->flags & TRW_F_TSC)) {
		t->ns_per_tick = 0.0;
		if (pr->tick1 > pr->tick0 && pr->mono1 > pr->mono0)
			t->ns_per_tick = (double)(pr->mono1 - pr->mono0) / (double)(pr->tick1 - pr->tick0);
	}
	if (pr) {
		t->tick0 = pr->tick0;
		t->mono0 = pr->mono0;
	}
	/* truncated, not rounded: a function's cumtime (one outermost node's
	 * total) stays at least its tottime (the sum of every node's self),
	 * however many nodes deep recursion makes */
	for (uint32_t i = 0; i < t->n; i++) {
		t->nodes[i].self = (uint64_t)((double)t->nodes[i].self * t->ns_per_tick);
		t->nodes[i].total = (uint64_t)((double)t->nodes[i].total * t->ns_per_tick);
	}
	t->func = calloc(t->n ? t->n : 1, sizeof(*t->func));
	if (!t->func)
		return;
	t->func[0] = UINT32_MAX;
	for (uint32_t i = 1; i < t->n; i++)
		t->func[i] = func_of(tp, t->pub.pid, t->nodes[i].fn);
}

static int thr_cmp(const void *a, const void *b)
{
	const struct thr *x = a, *y = b;

	if (x->pub.pid != y->pub.pid)
		return x->pub.pid < y->pub.pid ? -1 : 1;
	return x->pub.tid < y->pub.tid ? -1 : x->pub.tid > y->pub.tid;
}

int traceprof_build(struct rec_reader *r, struct traceprof **out, struct strbuf *warnings,
		    char *err, size_t errlen)
{
	const struct rec_file_header *h = rec_reader_header(r);
	struct traceprof *tp;
	struct proc *cur = NULL;
	struct rec rec;
	int rc = 0;

	*out = NULL;
	if (h->kind != REC_KIND_TRACE) {
		snprintf(err, errlen, "not a pinch trace recording (kind %u)", h->kind);
		return -EPROTO;
	}
	tp = calloc(1, sizeof(*tp));
	if (!tp || !(tp->sym = symbolizer_new())) {
		free(tp);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	hmap_init(&tp->fmap);
	hmap_init(&tp->amap);
	tp->start_mono = h->start_mono_ns;
	tp->st.exit_status = -1;
	while (!rc && rec_reader_next(r, &rec))
		rc = handle(tp, &rec, &cur);
	if (rec_reader_truncated(r) || !tp->st.finished)
		tp->st.truncated = 1;
	tp->st.bytes = rec_reader_size(r);
	/* threads in (pid, tid) order: a process's main thread first */
	if (tp->n_thr > 1)
		qsort(tp->thr, tp->n_thr, sizeof(*tp->thr), thr_cmp);
	for (size_t i = 0; i < tp->n_thr && !rc; i++) {
		finish_thread(tp, &tp->thr[i]);
		if (!tp->thr[i].func)
			rc = -ENOMEM;
	}
	if (rc) {
		traceprof_free(tp);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (warnings)
		for (size_t i = 0; i < sym_n_warnings(tp->sym); i++)
			strbuf_addf(warnings, "%s\n", sym_warning(tp->sym, i));
	*out = tp;
	return 0;
}

void traceprof_free(struct traceprof *tp)
{
	if (!tp)
		return;
	for (size_t i = 0; i < tp->n_thr; i++) {
		trw_cct_release(&tp->thr[i].cct);
		free(tp->thr[i].own);
		free(tp->thr[i].stack);
		free(tp->thr[i].func);
	}
	for (size_t i = 0; i < tp->n_meta * 2; i++)
		free(tp->meta[i]);
	free(tp->meta);
	free(tp->thr);
	free(tp->procs);
	free(tp->funcs);
	free(tp->addrs);
	hmap_release(&tp->fmap);
	hmap_release(&tp->amap);
	symbolizer_free(tp->sym);
	free(tp);
}

const struct traceprof_stats *traceprof_stats(const struct traceprof *tp)
{
	return &tp->st;
}

const char *traceprof_meta(const struct traceprof *tp, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < tp->n_meta; i++)
		if (!strcmp(tp->meta[i * 2], key))
			v = tp->meta[i * 2 + 1];
	return v;
}

size_t traceprof_n_threads(const struct traceprof *tp)
{
	return tp->n_thr;
}

const struct traceprof_thread *traceprof_thread(const struct traceprof *tp, size_t i)
{
	return i < tp->n_thr ? &tp->thr[i].pub : NULL;
}

/* ---- the table --------------------------------------------------------- */

struct ekey {
	uint32_t caller, callee;
};

static int edge_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct traceprof_table *t = ctx;
	const struct ekey *k = key;

	return t->edges[id].caller == k->caller && t->edges[id].callee == k->callee;
}

/* 1 when a caller of node i up the path is the same function. */
static int recursive(const struct thr *t, uint32_t i)
{
	uint32_t f = t->func[i], j = t->nodes[i].parent, steps = 0;

	while (j && steps++ < TRW_CCT_MAX_DEPTH + 8) {
		if (t->func[j] == f)
			return 1;
		j = t->nodes[j].parent;
	}
	return 0;
}

int traceprof_table(const struct traceprof *tp, size_t thread, struct traceprof_table *out)
{
	struct hmap em;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	hmap_init(&em);
	out->n_funcs = tp->n_funcs;
	out->funcs = calloc(tp->n_funcs ? tp->n_funcs : 1, sizeof(*out->funcs));
	if (!out->funcs)
		return -ENOMEM;
	for (size_t i = 0; i < tp->n_funcs; i++) {
		out->funcs[i] = tp->funcs[i];
		out->funcs[i].ncalls = out->funcs[i].prim = 0;
		out->funcs[i].tottime = out->funcs[i].cumtime = out->funcs[i].open = 0;
	}
	for (size_t ti = 0; ti < tp->n_thr; ti++) {
		const struct thr *t = &tp->thr[ti];

		if (thread != TRACEPROF_ALL && thread != ti)
			continue;
		for (uint32_t i = 1; i < t->n; i++) {
			const struct trw_node *nd = &t->nodes[i];
			uint32_t f = t->func[i];
			struct ekey k;
			struct traceprof_func *fu;
			struct traceprof_edge *e;
			uint64_t h;
			uint32_t id;
			int rec;

			if (f == UINT32_MAX || !nd->calls)
				continue;
			rec = recursive(t, i);
			fu = &out->funcs[f];
			fu->ncalls += nd->calls;
			fu->tottime += nd->self;
			fu->open += nd->open;
			if (!rec) {
				fu->prim += nd->calls;
				fu->cumtime += nd->total;
			}
			out->total_ns += nd->self;
			out->calls += nd->calls;
			k.caller = nd->parent ? t->func[nd->parent] : TRACEPROF_ROOT;
			k.callee = f;
			h = hash_mix(((uint64_t)k.caller << 32) | k.callee);
			id = hmap_find(&em, h, &k, edge_eq, out);
			if (id == UINT32_MAX) {
				if (out->n_edges == cap) {
					size_t nc = cap ? cap * 2 : 64;
					struct traceprof_edge *nv = realloc(out->edges, nc * sizeof(*nv));

					if (!nv)
						goto nomem;
					out->edges = nv;
					cap = nc;
				}
				id = (uint32_t)out->n_edges++;
				memset(&out->edges[id], 0, sizeof(out->edges[id]));
				out->edges[id].caller = k.caller;
				out->edges[id].callee = k.callee;
				if (hmap_insert(&em, h, id))
					goto nomem;
			}
			e = &out->edges[id];
			e->ncalls += nd->calls;
			e->tottime += nd->self;
			if (!rec) {
				e->prim += nd->calls;
				e->cumtime += nd->total;
			}
		}
	}
	hmap_release(&em);
	return 0;
nomem:
	hmap_release(&em);
	traceprof_table_release(out);
	return -ENOMEM;
}

void traceprof_table_release(struct traceprof_table *t)
{
	free(t->funcs);
	free(t->edges);
	memset(t, 0, sizeof(*t));
}

/* ---- the profile for the views ----------------------------------------- */

struct profile *traceprof_profile(const struct traceprof *tp)
{
	struct profile *p = profile_new();
	uint32_t *locs = NULL, *path = NULL;

	if (!p)
		return NULL;
	if (profile_add_type(p, "calls", "count") < 0 || profile_add_type(p, "self", "nanoseconds") < 0 ||
	    profile_add_type(p, "total", "nanoseconds") < 0)
		goto fail;
	locs = malloc((tp->n_funcs ? tp->n_funcs : 1) * sizeof(*locs));
	path = malloc((TRW_CCT_MAX_DEPTH + 2) * sizeof(*path));
	if (!locs || !path)
		goto fail;
	for (size_t i = 0; i < tp->n_funcs; i++) {
		struct profile_location l;

		memset(&l, 0, sizeof(l));
		l.function = profile_intern_string(p, tp->funcs[i].name);
		l.file = profile_intern_string(p, tp->funcs[i].file ? tp->funcs[i].file : "");
		l.line = tp->funcs[i].line;
		l.module = profile_intern_string(p, tp->funcs[i].module);
		l.kind = LOC_NATIVE;
		locs[i] = profile_intern_location(p, &l);
		if (locs[i] == UINT32_MAX)
			goto fail;
	}
	for (size_t i = 0; i < tp->n_meta; i++)
		profile_set_meta(p, tp->meta[i * 2], tp->meta[i * 2 + 1]);
	for (size_t ti = 0; ti < tp->n_thr; ti++) {
		const struct thr *t = &tp->thr[ti];
		uint32_t th = profile_intern_thread(p, t->pub.pid, t->pub.tid, "");

		for (uint32_t i = 1; i < t->n; i++) {
			const struct trw_node *nd = &t->nodes[i];
			int64_t v[3] = { (int64_t)nd->calls, (int64_t)nd->self, (int64_t)nd->total };
			uint32_t n = 0, j = i, st;

			if (!nd->calls)
				continue;
			while (j && n < TRW_CCT_MAX_DEPTH + 2) {
				if (t->func[j] != UINT32_MAX)
					path[n++] = locs[t->func[j]];
				j = t->nodes[j].parent;
			}
			if (!n)
				continue;
			st = profile_intern_stack(p, path, n);
			if (st == UINT32_MAX || profile_add_sample(p, st, th, v))
				goto fail;
		}
	}
	free(locs);
	free(path);
	return p;
fail:
	free(locs);
	free(path);
	profile_free(p);
	return NULL;
}

/* ---- Chrome trace ------------------------------------------------------- */

struct cframe {
	uint64_t fn, t0;
};

static double to_us(const struct traceprof *tp, const struct thr *t, uint64_t tick)
{
	double ns = (double)t->mono0 + ((double)tick - (double)t->tick0) * t->ns_per_tick;

	return (ns - (double)tp->start_mono) / 1000.0;
}

static void chrome_event(const struct traceprof *tp, struct thr *t, const struct cframe *f,
			 uint64_t end, int open, FILE *out, struct strbuf *sb, long *n)
{
	struct addr k = { t->pub.pid, 0, f->fn };
	uint32_t id = hmap_find(&tp->amap, hash_mix(f->fn ^ ((uint64_t)t->pub.pid << 48)), &k,
				addr_eq, tp);
	const char *name = id != UINT32_MAX ? tp->funcs[tp->addrs[id].func].name : "?";

	strbuf_reset(sb);
	json_quote(sb, name, strlen(name));
	fprintf(out, "%s\n{\"name\":%s,\"cat\":\"call\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%u,\"tid\":%u%s}",
		*n ? "," : "", sb->buf, to_us(tp, t, f->t0),
		(double)(end - f->t0) * t->ns_per_tick / 1000.0, t->pub.pid, t->pub.tid,
		open ? ",\"args\":{\"open\":true}" : "");
	(*n)++;
}

long traceprof_chrome(const struct traceprof *tp, struct rec_reader *r, FILE *out)
{
	struct cframe **stacks;
	size_t *depth;
	uint64_t *last;
	struct strbuf sb = STRBUF_INIT;
	struct rec rec;
	long n = 0;

	if (tp->st.counts_only)
		return -ENODATA;
	stacks = calloc(tp->n_thr + 1, sizeof(*stacks));
	depth = calloc(tp->n_thr + 1, sizeof(*depth));
	last = calloc(tp->n_thr + 1, sizeof(*last));
	if (!stacks || !depth || !last) {
		free(stacks);
		free(depth);
		free(last);
		return -ENOMEM;
	}
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
	rec_reader_rewind(r);
	while (rec_reader_next(r, &rec)) {
		const struct trw_events *ev = rec.data;
		const unsigned char *p, *end;
		struct thr *t = NULL;
		size_t ti;
		uint64_t tick, fn;

		if (rec.type != TRW_EVENTS || rec.size < sizeof(*ev))
			continue;
		for (ti = 0; ti < tp->n_thr; ti++)
			if (tp->thr[ti].pub.pid == ev->pid && tp->thr[ti].pub.tid == ev->tid) {
				t = &tp->thr[ti];
				break;
			}
		if (!t)
			continue;
		if (!stacks[ti] && !(stacks[ti] = malloc((1u << 16) * sizeof(struct cframe))))
			break;
		p = (const unsigned char *)rec.data + sizeof(*ev);
		end = (const unsigned char *)rec.data + rec.size;
		tick = ev->base_tick;
		fn = ev->base_fn;
		while (p < end) {
			uint64_t v, dt;

			if (trw_get(&p, end, &v))
				break;
			if ((v & 3) == TRW_EV_ENTER) {
				fn += (uint64_t)trw_unzigzag(v >> 2);
				if (trw_get(&p, end, &dt))
					break;
				tick += dt;
				last[ti] = tick;
				if (depth[ti] < (1u << 16)) {
					stacks[ti][depth[ti]].fn = fn;
					stacks[ti][depth[ti]].t0 = tick;
				}
				depth[ti]++;
				continue;
			}
			tick += v >> 2;
			last[ti] = tick;
			do {
				if (!depth[ti])
					break;
				depth[ti]--;
				if (depth[ti] < (1u << 16))
					chrome_event(tp, t, &stacks[ti][depth[ti]], tick, (v & 3) == TRW_EV_END,
						     out, &sb, &n);
			} while ((v & 3) == TRW_EV_END);
		}
	}
	/* a recording cut short: the calls open at a thread's last event
	 * end there, marked open (as in the table) */
	for (size_t ti = 0; ti < tp->n_thr; ti++)
		while (stacks[ti] && depth[ti]) {
			depth[ti]--;
			if (depth[ti] < (1u << 16))
				chrome_event(tp, &tp->thr[ti], &stacks[ti][depth[ti]], last[ti], 1, out, &sb, &n);
		}
	for (size_t ti = 0; ti < tp->n_thr; ti++) {
		fprintf(out, "%s\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":\"%s %u\"}}",
			n || ti ? "," : "", tp->thr[ti].pub.pid, tp->thr[ti].pub.tid,
			tp->thr[ti].pub.tid == tp->thr[ti].pub.pid ? "main" : "thread", tp->thr[ti].pub.tid);
		free(stacks[ti]);
	}
	fprintf(out, "\n]}\n");
	free(stacks);
	free(depth);
	free(last);
	strbuf_release(&sb);
	return n;
}
