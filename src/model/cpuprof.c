/*
 * cpuprof.c - recording -> profile for CPU recordings (model layer,
 * report side): replays maps and tasks into the symbolizer, unwinds or
 * repairs each sample's stack, and interns symbolized stacks into a
 * struct profile. Address -> location-ids is memoized per symbolizer
 * result, so each distinct address is resolved once.
 */
#include "cpuprof.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/hmap.h"
#include "../core/strbuf.h"
#include "profile.h"
#include "pymerge.h"
#include "recfile.h"
#include "symbols.h"
#include "unwind.h"
#include "../core/array.h"
#include "../core/banned.h"

#define MAX_LOCS 2048		/* locations per stack after inline expansion */
#define PERF_CONTEXT_MAX ((uint64_t)-4095)

struct memo {
	uint32_t first, n;	/* into builder.locpool; n == UINT32_MAX: not yet */
};

struct thr {
	uint32_t pid, tid;
	uint32_t id;		/* profile thread id */
};

struct comm {
	uint32_t tid, pid;
	const char *name;	/* points into the reader's data */
	size_t len;
};

struct builder {
	struct profile *p;
	struct symbolizer *sym;
	const struct cpuprof_opts *opts;
	struct cpuprof_stats *st;
	int dwarf_mode;
	uint64_t default_period;
	uint64_t start_ns;

	struct memo *memo;
	size_t nmemo;
	uint32_t *locpool;
	size_t nloc, aloc;

	struct thr *thr;
	size_t nthr, athr;
	struct hmap thr_idx;

	struct comm *comm;
	size_t ncomm, acomm;
	struct hmap comm_idx;
	struct comm *pyname;	/* REC_PYTHREAD: names given through threading */
	size_t npyname, apyname;
	/* REC_PYGIL: per process, who holds the GIL since when; per thread,
	 * the time it held it. */
	struct gilproc { uint32_t pid, holder; uint64_t since, observed; } *gilp;
	size_t ngilp, agilp;
	struct gilacc { uint32_t pid, tid; uint64_t ns; } *gila;
	size_t ngila, agila;

	uint64_t pcs[UNWIND_MAX_DEPTH + 4];
	uint64_t fixed[UNWIND_MAX_DEPTH + 4];
	uint32_t locs[MAX_LOCS];
	struct pymerge *py;	/* interpreter (Python) frames */
	uint32_t partial_loc;	/* "[partial stack]", interned on first use */

	/* Blocked time: what the recording holds (meta "offcpu"), what is
	 * shown, and per thread the interval under way. */
	enum cpuprof_view view;
	struct offpend {
		uint32_t pid, tid;
		uint32_t *locs, nlocs, alocs;	/* the native stack sampled at switch-out */
		uint64_t out_ns;
		uint8_t have_out, have_stack, preempt, filtered;
		uint8_t reason;		/* enum cpuprof_reason of the stack */
	} *pend;
	size_t npend, apend;
	struct hmap pend_idx;
	uint32_t reason_loc[OFF_NREASONS];

	/* REC_KSYM: sampled kernel addresses and their names. */
	struct ksym { uint64_t addr, offset; const char *name; size_t len; } *ksym;
	size_t nksym, aksym;
	struct hmap ksym_idx;
};


/* ---- threads and names ---------------------------------------------------- */

static int comm_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct builder *b = ctx;

	return b->comm[id].tid == *(const uint32_t *)key;
}

static struct comm *comm_find(struct builder *b, uint32_t tid)
{
	uint32_t id = hmap_find(&b->comm_idx, hash_mix(tid + 7), &tid, comm_eq, b);

	return id == UINT32_MAX ? NULL : &b->comm[id];
}

static int on_comm(struct builder *b, const struct rec *rec)
{
	const struct rec_comm *c = rec->data;
	const char *name;
	size_t len;
	struct comm *e;

	if (rec->size < sizeof(*c))
		return 0;
	name = (const char *)(c + 1);
	len = strnlen(name, rec->size - sizeof(*c));
	e = comm_find(b, c->tid);
	if (!e) {
		if (ARRAY_GROW(b->comm, b->acomm, b->ncomm + 1) ||
		    hmap_insert(&b->comm_idx, hash_mix(c->tid + 7), (uint32_t)b->ncomm))
			return -ENOMEM;
		e = &b->comm[b->ncomm++];
		e->tid = c->tid;
	}
	/* The latest name wins (exec and prctl rename threads). */
	e->pid = c->pid;
	e->name = name;
	e->len = len;
	return 0;
}

/* The name the program gave a thread through Python's threading; it
 * names the thread in reports in place of the OS name (few threads, few
 * renames: a list is enough). */
static int on_pythread(struct builder *b, const struct rec *rec)
{
	const struct rec_comm *c = rec->data;
	struct comm *e = NULL;

	if (rec->size <= sizeof(*c))
		return 0;
	for (size_t i = 0; i < b->npyname && !e; i++)
		if (b->pyname[i].tid == c->tid)
			e = &b->pyname[i];
	if (!e) {
		if (ARRAY_GROW(b->pyname, b->apyname, b->npyname + 1))
			return -ENOMEM;
		e = &b->pyname[b->npyname++];
		e->tid = c->tid;
	}
	e->pid = c->pid;
	e->name = (const char *)(c + 1);
	e->len = strnlen(e->name, rec->size - sizeof(*c));
	return 0;
}

static struct gilproc *gil_proc(struct builder *b, uint32_t pid)
{
	for (size_t i = 0; i < b->ngilp; i++)
		if (b->gilp[i].pid == pid)
			return &b->gilp[i];
	return NULL;
}

/* Credits the holder of g's GIL with the time up to now, when the read
 * at now found next holding it. A gap longer than GIL_GAP_NS between two
 * reads (the sampler was not scheduled) counts only when both reads saw
 * the same holder (or nobody): it most likely held it throughout. A gap
 * across a change is left out of both the held and the observed time.
 * (Leaving out every gap undercounts a holder that runs: on a loaded
 * machine the sampler misses its reads mostly while the holder has the
 * CPU.) */
#define GIL_GAP_NS (10ull * 1000000ull)

static int gil_credit(struct builder *b, struct gilproc *g, uint64_t now, uint32_t next)
{
	struct gilacc *a = NULL;

	if (now <= g->since || (now - g->since > GIL_GAP_NS && next != g->holder))
		return 0;
	g->observed += now - g->since;
	if (!g->holder)
		return 0;
	for (size_t i = 0; i < b->ngila && !a; i++)
		if (b->gila[i].pid == g->pid && b->gila[i].tid == g->holder)
			a = &b->gila[i];
	if (!a) {
		if (ARRAY_GROW(b->gila, b->agila, b->ngila + 1))
			return -ENOMEM;
		a = &b->gila[b->ngila++];
		a->pid = g->pid;
		a->tid = g->holder;
		a->ns = 0;
	}
	a->ns += now - g->since;
	return 0;
}

static int on_pygil(struct builder *b, const struct rec *rec)
{
	const struct rec_pygil *e = rec->data;
	struct gilproc *g;

	if (rec->size < sizeof(*e))
		return 0;
	g = gil_proc(b, e->pid);
	if (!g) {
		if (ARRAY_GROW(b->gilp, b->agilp, b->ngilp + 1))
			return -ENOMEM;
		g = &b->gilp[b->ngilp++];
		g->pid = e->pid;
		g->holder = 0;
		g->since = e->time_ns;
		g->observed = 0;
	}
	if (e->time_ns < g->since)
		return 0;	/* out of order: keep the newer state */
	if (gil_credit(b, g, e->time_ns, e->tid))
		return -ENOMEM;
	g->holder = e->tid;
	g->since = e->time_ns;
	return 0;
}

/* Each thread of a process whose GIL was observed gets its share of the
 * observed time. */
static int gil_finish(struct builder *b)
{
	for (size_t i = 0; i < b->nthr; i++) {
		struct gilproc *g = gil_proc(b, b->thr[i].pid);
		uint64_t held = 0, span;

		if (!g)
			continue;
		span = g->observed;
		for (size_t j = 0; j < b->ngila; j++)
			if (b->gila[j].pid == b->thr[i].pid && b->gila[j].tid == b->thr[i].tid)
				held = b->gila[j].ns;
		profile_set_thread_gil(b->p, b->thr[i].id,
				       span ? (int32_t)(held * 1000 / span) : 0);
	}
	return 0;
}

/* A forked task has its parent's name until it execs or renames itself,
 * and the kernel sends no COMM for that: inherit it (a later COMM wins). */
static int on_fork(struct builder *b, const struct rec_task *t)
{
	struct comm *parent = comm_find(b, t->ptid), *e;
	const char *name;
	size_t len;

	if (!parent)
		parent = comm_find(b, t->ppid);
	if (!parent || comm_find(b, t->tid))
		return 0;
	name = parent->name;	/* copied before the array may move */
	len = parent->len;
	if (ARRAY_GROW(b->comm, b->acomm, b->ncomm + 1) ||
	    hmap_insert(&b->comm_idx, hash_mix(t->tid + 7), (uint32_t)b->ncomm))
		return -ENOMEM;
	e = &b->comm[b->ncomm++];
	e->tid = t->tid;
	e->pid = t->pid;
	e->name = name;
	e->len = len;
	return 0;
}

/* The thread's name at this point of the recording (its own, else its
 * process's) is name. */
static int comm_matches(struct builder *b, uint32_t pid, uint32_t tid, const char *name)
{
	struct comm *c = comm_find(b, tid);

	if (!c)
		c = comm_find(b, pid);
	return c && c->len == strlen(name) && !memcmp(c->name, name, c->len);
}

/* "libc" matches the module "libc.so.6", as perf's --dsos does. */
static int dso_matches(const char *module, const char *dso)
{
	size_t n = strlen(dso);

	if (!module || strncmp(module, dso, n))
		return 0;
	return !module[n] || module[n] == '.' || module[n] == '-';
}

static int thr_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct builder *b = ctx;
	const uint32_t *k = key;

	return b->thr[id].pid == k[0] && b->thr[id].tid == k[1];
}

static uint32_t thread_id(struct builder *b, uint32_t pid, uint32_t tid)
{
	uint32_t k[2] = { pid, tid };
	uint64_t h = hash_mix(((uint64_t)pid << 32) | tid);
	uint32_t id = hmap_find(&b->thr_idx, h, k, thr_eq, b);
	struct thr *t;

	if (id != UINT32_MAX)
		return b->thr[id].id;
	if (ARRAY_GROW(b->thr, b->athr, b->nthr + 1) ||
	    hmap_insert(&b->thr_idx, h, (uint32_t)b->nthr))
		return UINT32_MAX;
	t = &b->thr[b->nthr++];
	t->pid = pid;
	t->tid = tid;
	t->id = profile_intern_thread(b->p, pid, tid, "");
	return t->id;
}

/* Names are applied at the end, so a later rename wins everywhere. */
static void name_threads(struct builder *b)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < b->nthr; i++) {
		struct comm *c = NULL;

		for (size_t j = 0; j < b->npyname && !c; j++)
			if (b->pyname[j].tid == b->thr[i].tid && b->pyname[j].len)
				c = &b->pyname[j];
		if (!c)
			c = comm_find(b, b->thr[i].tid);
		if (!c)
			c = comm_find(b, b->thr[i].pid);	/* the process's name */
		strbuf_reset(&sb);
		if (c)
			strbuf_add_utf8_sanitized(&sb, c->name, c->len);
		else
			strbuf_addf(&sb, "[%u]", b->thr[i].tid);
		profile_set_thread_name(b->p, b->thr[i].id, sb.buf);
	}
	strbuf_release(&sb);
}

/* ---- metadata --------------------------------------------------------------- */

static void on_meta(struct builder *b, const struct rec *rec)
{
	const char *p = rec->data, *end = p + rec->size;

	while (p < end) {
		size_t klen = strnlen(p, (size_t)(end - p));
		const char *v;
		size_t vlen;

		if (p + klen >= end)
			break;
		v = p + klen + 1;
		vlen = strnlen(v, (size_t)(end - v));
		if (v + vlen >= end)
			break;
		if (klen) {
			struct strbuf k = STRBUF_INIT, val = STRBUF_INIT;

			strbuf_add_utf8_sanitized(&k, p, klen);
			strbuf_add_utf8_sanitized(&val, v, vlen);
			profile_set_meta(b->p, k.buf, val.buf);
			if (!strcmp(k.buf, "offcpu")) {
				b->st->off.recorded = 1;
				if (!b->opts || b->opts->view == CPUPROF_VIEW_DEFAULT)
					b->view = !strcmp(val.buf, "wall") ? CPUPROF_VIEW_WALL :
						  CPUPROF_VIEW_OFF;
			}
			if (!strcmp(k.buf, "call_graph"))
				b->dwarf_mode = !strcmp(val.buf, "dwarf");
			if (!strcmp(k.buf, "frequency")) {
				long hz = strtol(val.buf, NULL, 10);

				if (hz > 0 && hz < 1000000)
					b->default_period = 1000000000ull / (uint64_t)hz;
			}
			strbuf_release(&k);
			strbuf_release(&val);
		}
		p = v + vlen + 1;
	}
}

/* ---- stacks ------------------------------------------------------------------- */

/* Location ids for one symbolizer result, memoized. */
static int result_locs(struct builder *b, uint32_t res, const uint32_t **locs, uint32_t *n)
{
	const struct sym_frame *f;
	uint32_t nf;

	if (res >= b->nmemo) {
		size_t old = b->nmemo, want = res + 1;
		size_t nn = old ? old : 256;
		struct memo *m;

		while (nn < want)
			nn *= 2;
		m = realloc(b->memo, nn * sizeof(*m));
		if (!m)
			return -ENOMEM;
		for (size_t i = old; i < nn; i++)
			m[i].n = UINT32_MAX;
		b->memo = m;
		b->nmemo = nn;
	}
	if (b->memo[res].n == UINT32_MAX) {
		f = sym_result(b->sym, res, &nf);
		if (b->opts && b->opts->no_inline && nf > 1) {
			f += nf - 1;
			nf = 1;
		}
		if (ARRAY_GROW(b->locpool, b->aloc, b->nloc + nf))
			return -ENOMEM;
		b->memo[res].first = (uint32_t)b->nloc;
		for (uint32_t i = 0; i < nf; i++) {
			struct profile_location l;
			uint32_t id;

			memset(&l, 0, sizeof(l));
			l.function = profile_intern_string(b->p, f[i].function ? f[i].function : "?");
			l.file = f[i].file ? profile_intern_string(b->p, f[i].file) : 0;
			l.line = f[i].line;
			l.module = profile_intern_string(b->p, f[i].module ? f[i].module : "");
			l.address = f[i].rel;
			l.kind = f[i].kind;
			l.inlined = f[i].inlined;
			id = profile_intern_location(b->p, &l);
			if (id == UINT32_MAX)
				return -ENOMEM;
			b->locpool[b->nloc++] = id;
		}
		b->memo[res].n = nf;
	}
	*locs = b->locpool + b->memo[res].first;
	*n = b->memo[res].n;
	return 0;
}

/*
 * The hook for interpreter frames: a later change merges REC_SYMSTACK
 * frames (Python) into the native stack here, replacing each native
 * eval-loop frame range with the interpreter frames it ran. locs holds
 * *n native location ids, leaf first; the function may rewrite them
 * (room for max). Native-only recordings pass through unchanged.
 */
static int merge_interpreter_frames(struct builder *b, const struct rec_sample_view *v,
				    uint32_t *locs, uint32_t *n, uint32_t max)
{
	return pymerge_stack(b->py, v->s->tid, locs, n, max);
}

static int ksym_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct builder *b = ctx;

	return b->ksym[id].addr == *(const uint64_t *)key;
}

/* REC_KSYM records sit at the end of a recording: read them first. */
static int load_ksyms(struct builder *b, struct rec_reader *r)
{
	struct rec rec;
	int rc = 0;

	while (!rc && rec_reader_next(r, &rec) == 1) {
		const struct rec_ksym *k = rec.data;
		uint64_t h;

		if (rec.type != REC_KSYM || rec.size < sizeof(*k))
			continue;
		h = hash_mix(k->addr);
		if (hmap_find(&b->ksym_idx, h, &k->addr, ksym_eq, b) != UINT32_MAX)
			continue;
		if (ARRAY_GROW(b->ksym, b->aksym, b->nksym + 1) ||
		    hmap_insert(&b->ksym_idx, h, (uint32_t)b->nksym)) {
			rc = -ENOMEM;
			break;
		}
		b->ksym[b->nksym].addr = k->addr;
		b->ksym[b->nksym].offset = k->offset;
		b->ksym[b->nksym].name = (const char *)(k + 1);
		b->ksym[b->nksym].len = strnlen((const char *)(k + 1), rec.size - sizeof(*k));
		b->nksym++;
	}
	rec_reader_rewind(r);
	return rc;
}

/* The location of a kernel address: "[k] function" (one location per
 * function), or "[k] [kernel]" when the recording could not name it. */
static uint32_t kernel_loc(struct builder *b, uint64_t addr)
{
	uint32_t id = hmap_find(&b->ksym_idx, hash_mix(addr), &addr, ksym_eq, b);
	struct profile_location loc;
	struct strbuf name = STRBUF_INIT;

	memset(&loc, 0, sizeof(loc));
	strbuf_addstr(&name, "[k] ");
	if (id != UINT32_MAX && b->ksym[id].len) {
		strbuf_add(&name, b->ksym[id].name, b->ksym[id].len);
		loc.address = addr - b->ksym[id].offset;
	} else {
		strbuf_addstr(&name, "[kernel]");
	}
	loc.function = profile_intern_string(b->p, name.buf);
	loc.module = profile_intern_string(b->p, "[kernel]");
	loc.kind = LOC_KERNEL;
	strbuf_release(&name);
	if (loc.function == UINT32_MAX || loc.module == UINT32_MAX)
		return UINT32_MAX;
	return profile_intern_location(b->p, &loc);
}

/* The root put above a stack whose unwinding stopped short of its start
 * (recorded REC_SAMPLE_PARTIAL), so views do not pass it off as whole. */
static uint32_t partial_loc(struct builder *b)
{
	struct profile_location loc;

	if (b->partial_loc != UINT32_MAX)
		return b->partial_loc;
	memset(&loc, 0, sizeof(loc));
	loc.function = profile_intern_string(b->p, "[partial stack]");
	loc.module = profile_intern_string(b->p, "[unwind]");
	loc.kind = LOC_UNKNOWN;
	if (loc.function == UINT32_MAX || loc.module == UINT32_MAX)
		return UINT32_MAX;
	b->partial_loc = profile_intern_location(b->p, &loc);
	return b->partial_loc;
}

void cpuprof_timeline_release(struct cpuprof_timeline *tl)
{
	free(tl->t_ns);
	free(tl->stack);
	free(tl->thread);
	free(tl->value);
	memset(tl, 0, sizeof(*tl));
}

static int timeline_add(struct cpuprof_timeline *tl, uint64_t t, uint32_t stack, uint32_t thread,
			int64_t value)
{
	if (tl->n == tl->alloc) {
		size_t na = tl->alloc ? tl->alloc * 2 : 4096;
		uint64_t *nt = realloc(tl->t_ns, na * sizeof(*nt));
		uint32_t *ns, *nth;
		int64_t *nv;

		if (nt)
			tl->t_ns = nt;
		ns = realloc(tl->stack, na * sizeof(*ns));
		if (ns)
			tl->stack = ns;
		nth = realloc(tl->thread, na * sizeof(*nth));
		if (nth)
			tl->thread = nth;
		nv = realloc(tl->value, na * sizeof(*nv));
		if (nv)
			tl->value = nv;
		if (!nt || !ns || !nth || !nv)
			return -ENOMEM;
		tl->alloc = na;
	}
	tl->t_ns[tl->n] = t;
	tl->stack[tl->n] = stack;
	tl->thread[tl->n] = thread;
	tl->value[tl->n] = value;
	tl->n++;
	return 0;
}

static int offcpu_stack(struct builder *b, const struct rec_sample *s, const uint32_t *locs,
			uint32_t n, int filtered, int reason);
static enum cpuprof_reason classify(struct builder *b, const uint32_t *locs, uint32_t n);
#define OFF_PARTIAL 0x80	/* offpend.reason: the stack stops short of its start */

/* A REC_SAMPLE (off = 0) or the stack of a REC_OFFCPU (off = 1). */
static int on_sample(struct builder *b, const struct rec *rec, int off)
{
	struct rec_sample_view v;
	struct unwind_input in;
	struct sym_space *sp;
	const uint64_t *chain;
	int nchain = 0, unwound = 0;
	uint32_t nlocs = 0, stack, thread, nkernel;
	enum cpuprof_reason reason = OFF_OTHER;
	int64_t values[2];
	int rc;

	if (rec_sample_parse(rec, &v)) {
		b->st->skipped++;
		return 0;
	}
	if (!off && (v.s->flags & REC_SAMPLE_IDLE) && !(b->opts && b->opts->idle)) {
		b->st->skipped++;
		return 0;
	}
	if (!off && b->opts && b->opts->gil) {
		struct gilproc *g = gil_proc(b, v.s->pid);

		if (!g || g->holder != v.s->tid) {
			b->st->filtered++;
			return 0;
		}
	}
	if (off && b->view == CPUPROF_VIEW_ON)
		return 0;
	if (b->opts && ((b->opts->pid && v.s->pid != b->opts->pid) ||
			(b->opts->tid && v.s->tid != b->opts->tid) ||
			(b->opts->comm && !comm_matches(b, v.s->pid, v.s->tid, b->opts->comm)))) {
		if (off)
			return offcpu_stack(b, v.s, NULL, 0, 1, OFF_OTHER);
		b->st->filtered++;
		return 0;
	}
	sp = symbolizer_space(b->sym, v.s->pid);
	memset(&in, 0, sizeof(in));
	in.pid = v.s->pid;
	in.tid = v.s->tid;
	if (v.regs) {
		in.regs = v.regs;
		in.regs_mask = v.s->regs_mask;
	}
	in.stack = v.stack;
	in.stack_size = v.stack ? v.s->stack_size : 0;

	/* Kernel frames lead the chain (leaf first); the user part follows. */
	nkernel = v.s->nr_kernel;
	if (nkernel)
		b->st->kernel_samples++;
	if (!(b->opts && b->opts->user_only)) {
		for (uint32_t i = 0; i < nkernel && nlocs < MAX_LOCS / 2; i++) {
			uint32_t l = kernel_loc(b, v.ips[i]);

			if (l == UINT32_MAX)
				return -ENOMEM;
			b->locs[nlocs++] = l;
		}
	}
	/* The user chain, without perf's context markers. */
	{
		int k = 0;

		for (uint32_t i = nkernel; i < v.s->nr_ips && k < UNWIND_MAX_DEPTH; i++)
			if (v.ips[i] && v.ips[i] < PERF_CONTEXT_MAX)
				b->pcs[k++] = v.ips[i];
		nchain = k;
	}
	chain = b->pcs;
	if (v.s->flags & REC_SAMPLE_UNWOUND) {
		/* Unwound while recording: the chain is whole as it stands. */
		unwound = 1;
		b->st->dwarf_unwound++;
	} else if (b->dwarf_mode && v.regs && v.stack) {
		rc = unwind_dwarf(b->sym, sp, &in, b->fixed, UNWIND_MAX_DEPTH);
		if (rc > 1 || (rc == 1 && nchain <= 1)) {
			chain = b->fixed;
			nchain = rc;
			unwound = 1;
			b->st->dwarf_unwound++;
		}
	} else if (nchain > 0 && v.regs && !(b->opts && b->opts->no_leaf_fix)) {
		rc = unwind_fix_fp(b->sym, sp, &in, b->pcs, nchain, b->fixed, UNWIND_MAX_DEPTH + 1);
		if (rc > nchain)
			b->st->leaf_fixed++;
		if (rc > 0) {
			chain = b->fixed;
			nchain = rc;
		}
	}
	if (!unwound) {
		/* A frame-pointer chain through code built without frame pointers
		 * wanders into data: stop at the first return address that is in
		 * no code mapping rather than show garbage callers. */
		for (int i = 1; sp && i < nchain; i++)
			if (!sym_space_maps(sp, chain[i])) {
				nchain = i;
				break;
			}
	}
	if (nchain == 0) {
		uint64_t ip;

		if (unwind_reg(&in, UNWIND_PERF_IP, &ip) == 0) {
			b->fixed[0] = ip;
			chain = b->fixed;
			nchain = 1;
		}
	}
	for (int i = 0; i < nchain; i++) {
		/* A return address points after the call: look up the call. */
		uint64_t addr = i ? chain[i] - 1 : chain[i];
		uint32_t res = sym_lookup(b->sym, sp, addr);
		const uint32_t *l;
		uint32_t n;

		if (res == UINT32_MAX || result_locs(b, res, &l, &n))
			return -ENOMEM;
		if (nlocs + n > MAX_LOCS)
			break;
		memcpy(b->locs + nlocs, l, n * sizeof(*l));
		nlocs += n;
	}
	if (b->opts && b->opts->dso &&
	    (!nlocs || !dso_matches(profile_string(b->p, profile_location(b->p, b->locs[0])->module),
				    b->opts->dso))) {
		if (off)
			return offcpu_stack(b, v.s, NULL, 0, 1, OFF_OTHER);
		b->st->filtered++;
		return 0;
	}
	if (off) {
		/* Interpreter frames are merged at switch-in: the stack the
		 * Python reader saw while the thread was blocked. */
		reason = classify(b, b->locs, nlocs);
		return offcpu_stack(b, v.s, b->locs, nlocs, 0,
				    reason | ((v.s->flags & REC_SAMPLE_PARTIAL) ? OFF_PARTIAL : 0));
	}
	rc = merge_interpreter_frames(b, &v, b->locs, &nlocs, MAX_LOCS);
	if (rc)
		return rc;
	/* (A Python stack read from the interpreter is whole by itself.) */
	if ((v.s->flags & REC_SAMPLE_PARTIAL) && nlocs < MAX_LOCS &&
	    !(nlocs && profile_location(b->p, b->locs[nlocs - 1])->kind == LOC_PYTHON)) {
		uint32_t l = partial_loc(b);

		if (l == UINT32_MAX)
			return -ENOMEM;
		b->locs[nlocs++] = l;
		b->st->partial++;
	}
	stack = profile_intern_stack(b->p, b->locs, nlocs);
	thread = thread_id(b, v.s->pid, v.s->tid);
	if (stack == UINT32_MAX || thread == UINT32_MAX)
		return -ENOMEM;
	values[0] = 1;
	values[1] = (int64_t)(v.s->period ? v.s->period : b->default_period);
	b->st->off.on_cpu_ns += (uint64_t)values[1];
	if (b->view == CPUPROF_VIEW_OFF)
		return 0;
	rc = profile_add_sample(b->p, stack, thread, values);
	if (rc)
		return rc;
	b->st->samples++;
	if (b->opts && b->opts->timeline)
		return timeline_add(b->opts->timeline,
				    v.s->time_ns > b->start_ns ? v.s->time_ns - b->start_ns : 0,
				    stack, thread, values[1]);
	return 0;
}

/* ---- blocked time ------------------------------------------------------------ */

static const char *const reason_names[OFF_NREASONS] = {
	"preempted", "sleep", "futex", "read", "write", "poll", "io", "fsync", "fault", "other",
};

const char *cpuprof_reason_name(enum cpuprof_reason r)
{
	return (unsigned)r < OFF_NREASONS ? reason_names[r] : "other";
}

static int pend_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct builder *b = ctx;

	return b->pend[id].tid == *(const uint32_t *)key;
}

static struct offpend *pend_get(struct builder *b, uint32_t pid, uint32_t tid)
{
	uint32_t id = hmap_find(&b->pend_idx, hash_mix(tid + 11), &tid, pend_eq, b);
	struct offpend *e;

	if (id != UINT32_MAX)
		return &b->pend[id];
	if (ARRAY_GROW(b->pend, b->apend, b->npend + 1) ||
	    hmap_insert(&b->pend_idx, hash_mix(tid + 11), (uint32_t)b->npend))
		return NULL;
	e = &b->pend[b->npend++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->tid = tid;
	return e;
}

/* The stack sampled where tid was switched out (filtered: the sample was
 * left out by --pid/--tid/--comm/--dso, and so is the interval). */
static int offcpu_stack(struct builder *b, const struct rec_sample *s, const uint32_t *locs,
			uint32_t n, int filtered, int reason)
{
	struct offpend *e = pend_get(b, s->pid, s->tid);

	if (!e)
		return -ENOMEM;
	if (n > e->alocs) {
		uint32_t *nl = realloc(e->locs, n * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		e->locs = nl;
		e->alocs = n;
	}
	if (n)
		memcpy(e->locs, locs, n * sizeof(*locs));
	e->nlocs = n;
	e->have_stack = 1;
	e->filtered = (uint8_t)filtered;
	e->reason = (uint8_t)reason;
	b->st->off.stacks++;
	return 0;
}

/*
 * Why a thread blocked, from its kernel stack at switch-out when there is
 * one (the wait that called schedule(), the syscall around it), else from
 * the user frames nearest the leaf (the libc call that entered the
 * kernel). Kernel rules in order, the first that matches any frame wins.
 */
static const struct { const char *pat; enum cpuprof_reason r; } kernel_rules[] = {
	{ "handle_mm_fault", OFF_FAULT }, { "exc_page_fault", OFF_FAULT },
	{ "do_fsync", OFF_FSYNC }, { "sys_fsync", OFF_FSYNC }, { "sys_fdatasync", OFF_FSYNC },
	{ "sync_file_range", OFF_FSYNC }, { "jbd2", OFF_FSYNC }, { "sys_msync", OFF_FSYNC },
	{ "sys_sync", OFF_FSYNC },
	{ "io_schedule", OFF_IO }, { "blk_", OFF_IO }, { "folio_wait", OFF_IO },
	{ "wait_on_page", OFF_IO }, { "bio_", OFF_IO },
	{ "futex", OFF_FUTEX },
	{ "nanosleep", OFF_SLEEP }, { "do_nanosleep", OFF_SLEEP },
	{ "do_sys_poll", OFF_POLL }, { "do_select", OFF_POLL }, { "ep_poll", OFF_POLL },
	{ "epoll_wait", OFF_POLL }, { "sys_poll", OFF_POLL }, { "sys_ppoll", OFF_POLL },
	{ "sys_select", OFF_POLL }, { "sys_pselect", OFF_POLL },
	{ "pipe_read", OFF_READ }, { "recvmsg", OFF_READ }, { "sys_read", OFF_READ },
	{ "sys_pread", OFF_READ }, { "sys_recv", OFF_READ }, { "sys_accept", OFF_READ },
	{ "n_tty_read", OFF_READ }, { "skb_recv", OFF_READ }, { "sk_wait_data", OFF_READ },
	{ "pipe_write", OFF_WRITE }, { "sendmsg", OFF_WRITE }, { "sys_write", OFF_WRITE },
	{ "sys_pwrite", OFF_WRITE }, { "sys_send", OFF_WRITE }, { "sk_stream_wait", OFF_WRITE },
};

/* User functions by name, leading underscores and glibc's "GI_" and
 * "libc_" prefixes dropped: the name starts with pat. */
static const struct { const char *pat; enum cpuprof_reason r; } user_rules[] = {
	{ "futex", OFF_FUTEX }, { "lll_lock", OFF_FUTEX }, { "pthread_mutex", OFF_FUTEX },
	{ "pthread_cond", OFF_FUTEX }, { "pthread_join", OFF_FUTEX }, { "pthread_rwlock", OFF_FUTEX },
	{ "pthread_clockjoin", OFF_FUTEX }, { "pthread_timedjoin", OFF_FUTEX },
	{ "sem_wait", OFF_FUTEX }, { "sem_timedwait", OFF_FUTEX }, { "sem_clockwait", OFF_FUTEX },
	{ "nanosleep", OFF_SLEEP }, { "clock_nanosleep", OFF_SLEEP }, { "sleep", OFF_SLEEP },
	{ "usleep", OFF_SLEEP },
	{ "poll", OFF_POLL }, { "ppoll", OFF_POLL }, { "select", OFF_POLL }, { "pselect", OFF_POLL },
	{ "epoll_wait", OFF_POLL }, { "epoll_pwait", OFF_POLL },
	{ "fsync", OFF_FSYNC }, { "fdatasync", OFF_FSYNC }, { "sync_file_range", OFF_FSYNC },
	{ "msync", OFF_FSYNC },
	{ "read", OFF_READ }, { "pread", OFF_READ }, { "readv", OFF_READ }, { "recv", OFF_READ },
	{ "accept", OFF_READ },
	{ "write", OFF_WRITE }, { "pwrite", OFF_WRITE }, { "writev", OFF_WRITE },
	{ "send", OFF_WRITE },
};

static const char *user_base(const char *name)
{
	for (;;) {
		while (*name == '_')
			name++;
		if (!strncmp(name, "GI_", 3))
			name += 3;
		else if (!strncmp(name, "libc_", 5))
			name += 5;
		else
			return name;
	}
}

/* One user function name: its reason, or OFF_NREASONS for none. A name
 * matches a rule when it is the pattern, or the pattern followed by a
 * non-letter ("read_nocancel", "nanosleep64") or by "64". */
static enum cpuprof_reason user_reason(const char *name)
{
	const char *n = user_base(name);

	for (size_t i = 0; i < sizeof(user_rules) / sizeof(user_rules[0]); i++) {
		size_t len = strlen(user_rules[i].pat);

		if (strncmp(n, user_rules[i].pat, len))
			continue;
		if (user_rules[i].r == OFF_FUTEX || !n[len] || n[len] == '_' || n[len] == '@' ||
		    n[len] == '.' || (n[len] >= '0' && n[len] <= '9'))
			return user_rules[i].r;
	}
	return OFF_NREASONS;
}

#define USER_FRAMES_CLASSIFIED 4	/* user frames nearest the leaf looked at */

/* The reason told by a native stack (leaf first), before interpreter
 * frames replace the native ones. */
static enum cpuprof_reason classify(struct builder *b, const uint32_t *locs, uint32_t n)
{
	uint32_t user = 0;
	int have_kernel = 0;

	for (size_t r = 0; r < sizeof(kernel_rules) / sizeof(kernel_rules[0]); r++) {
		for (uint32_t i = 0; i < n; i++) {
			const struct profile_location *l = profile_location(b->p, locs[i]);

			if (l->kind != LOC_KERNEL)
				break;	/* kernel frames lead */
			have_kernel = 1;
			if (strstr(profile_string(b->p, l->function), kernel_rules[r].pat))
				return kernel_rules[r].r;
		}
		if (!have_kernel)
			break;
	}
	for (uint32_t i = 0; i < n && user < USER_FRAMES_CLASSIFIED; i++) {
		const struct profile_location *l = profile_location(b->p, locs[i]);
		enum cpuprof_reason r;

		if (l->kind == LOC_KERNEL)
			continue;
		user++;
		r = user_reason(profile_string(b->p, l->function));
		if (r != OFF_NREASONS)
			return r;
	}
	return OFF_OTHER;
}

static uint32_t reason_loc(struct builder *b, enum cpuprof_reason r)
{
	struct profile_location loc;
	char name[32];

	if (b->reason_loc[r] != UINT32_MAX)
		return b->reason_loc[r];
	memset(&loc, 0, sizeof(loc));
	snprintf(name, sizeof(name), "[off: %s]", reason_names[r]);
	loc.function = profile_intern_string(b->p, name);
	loc.module = profile_intern_string(b->p, "[off-cpu]");
	loc.kind = LOC_UNKNOWN;
	if (loc.function == UINT32_MAX || loc.module == UINT32_MAX)
		return UINT32_MAX;
	b->reason_loc[r] = profile_intern_location(b->p, &loc);
	return b->reason_loc[r];
}

/* One blocked interval of e, ending at end_ns: a sample whose leaf is the
 * reason, above the stack where the thread blocked. */
static int offcpu_emit(struct builder *b, struct offpend *e, uint64_t end_ns)
{
	enum cpuprof_reason r;
	uint32_t n = 0, stack, thread, loc;
	int64_t values[2];
	int rc;

	e->have_out = 0;
	if (end_ns <= e->out_ns || b->view == CPUPROF_VIEW_ON)
		goto done;
	if (e->have_stack ? e->filtered :
	    b->opts && ((b->opts->pid && e->pid != b->opts->pid) ||
			(b->opts->tid && e->tid != b->opts->tid) ||
			(b->opts->comm && !comm_matches(b, e->pid, e->tid, b->opts->comm)) ||
			b->opts->dso)) {
		b->st->filtered++;
		goto done;
	}
	r = e->preempt ? OFF_PREEMPTED : e->have_stack ? (enum cpuprof_reason)(e->reason & ~OFF_PARTIAL) :
		OFF_OTHER;
	loc = reason_loc(b, r);
	if (loc == UINT32_MAX)
		return -ENOMEM;
	b->locs[n++] = loc;
	if (e->have_stack) {
		uint32_t m = e->nlocs < MAX_LOCS - 2 ? e->nlocs : MAX_LOCS - 2;

		memcpy(b->locs + 1, e->locs, m * sizeof(*e->locs));
		rc = pymerge_stack(b->py, e->tid, b->locs + 1, &m, MAX_LOCS - 2);
		if (rc)
			return rc;
		n += m;
		if ((e->reason & OFF_PARTIAL) &&
		    !(m && profile_location(b->p, b->locs[n - 1])->kind == LOC_PYTHON)) {
			uint32_t l = partial_loc(b);

			if (l == UINT32_MAX)
				return -ENOMEM;
			b->locs[n++] = l;
		}
	}
	thread = thread_id(b, e->pid, e->tid);
	stack = profile_intern_stack(b->p, b->locs, n);
	if (stack == UINT32_MAX || thread == UINT32_MAX)
		return -ENOMEM;
	values[0] = 1;
	values[1] = (int64_t)(end_ns - e->out_ns);
	rc = profile_add_sample(b->p, stack, thread, values);
	if (rc)
		return rc;
	b->st->samples++;
	b->st->off.off_cpu_ns += end_ns - e->out_ns;
	b->st->off.reasons[r] += end_ns - e->out_ns;
	b->st->off.intervals++;
	if (b->opts && b->opts->timeline) {
		rc = timeline_add(b->opts->timeline,
				  e->out_ns > b->start_ns ? e->out_ns - b->start_ns : 0, stack, thread,
				  values[1]);
		if (rc)
			return rc;
	}
done:
	e->have_stack = 0;
	e->preempt = 0;
	e->filtered = 0;
	return 0;
}

static int on_switch(struct builder *b, const struct rec *rec)
{
	const struct rec_switch *sw = rec->data;
	struct offpend *e;

	if (rec->size < sizeof(*sw))
		return 0;
	e = pend_get(b, sw->pid, sw->tid);
	if (!e)
		return -ENOMEM;
	if (sw->flags & REC_SWITCH_OUT) {
		e->pid = sw->pid;
		e->out_ns = sw->time_ns;
		e->have_out = 1;
		e->preempt = !!(sw->flags & REC_SWITCH_PREEMPT);
		return 0;
	}
	if (!e->have_out)
		return 0;	/* blocked since before the recording started */
	return offcpu_emit(b, e, sw->time_ns);
}

static void set_meta_u64(struct profile *p, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	profile_set_meta(p, key, buf);
}

int cpuprof_build(struct rec_reader *r, const struct cpuprof_opts *opts, struct profile **out,
		  struct cpuprof_stats *st, struct strbuf *warnings, char *err, size_t errlen)
{
	const struct rec_file_header *h = rec_reader_header(r);
	struct builder *b;
	struct rec rec;
	uint64_t first_ns = 0, last_ns = 0, end_ns = 0;
	int rc = 0;

	*out = NULL;
	memset(st, 0, sizeof(*st));
	st->exit_status = -1;
	if (h->kind != REC_KIND_CPU) {
		snprintf(err, errlen, "not a CPU recording (kind %u)", h->kind);
		return -EPROTO;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->opts = opts;
	b->st = st;
	b->default_period = 1000000000ull / 999;
	b->partial_loc = UINT32_MAX;
	for (int i = 0; i < OFF_NREASONS; i++)
		b->reason_loc[i] = UINT32_MAX;
	b->view = opts && opts->view != CPUPROF_VIEW_DEFAULT ? opts->view : CPUPROF_VIEW_ON;
	hmap_init(&b->pend_idx);
	hmap_init(&b->thr_idx);
	hmap_init(&b->comm_idx);
	hmap_init(&b->ksym_idx);
	b->p = profile_new();
	b->sym = symbolizer_new();
	if (!b->p || !b->sym || profile_add_type(b->p, "samples", "count") != 0 ||
	    profile_add_type(b->p, "cpu", "nanoseconds") != 1 ||
	    !(b->py = pymerge_new(b->p, opts && opts->native))) {
		rc = -ENOMEM;
		goto out;
	}
	first_ns = h->start_mono_ns;
	b->start_ns = first_ns;
	rc = load_ksyms(b, r);
	while (!rc && rec_reader_next(r, &rec) == 1) {
		switch (rec.type) {
		case REC_META:
			on_meta(b, &rec);
			break;
		case REC_COMM:
			rc = on_comm(b, &rec);
			break;
		case REC_PYTHREAD:
			rc = on_pythread(b, &rec);
			break;
		case REC_PYGIL:
			rc = on_pygil(b, &rec);
			break;
		case REC_MMAP:
			if (rec.size > sizeof(struct rec_mmap)) {
				const struct rec_mmap *m = rec.data;
				size_t plen = rec.size - sizeof(*m);
				struct strbuf path = STRBUF_INIT;

				strbuf_add(&path, (const char *)(m + 1),
					   strnlen((const char *)(m + 1), plen));
				rc = symbolizer_mmap(b->sym, m, path.buf);
				strbuf_release(&path);
			}
			break;
		case REC_FORK:
			if (rec.size >= sizeof(struct rec_task)) {
				const struct rec_task *t = rec.data;

				rc = symbolizer_fork(b->sym, t->pid, t->ppid);
				if (!rc)
					rc = on_fork(b, t);
			}
			break;
		case REC_OFFCPU:
			rc = on_sample(b, &rec, 1);
			break;
		case REC_SWITCH:
			rc = on_switch(b, &rec);
			break;
		case REC_EXIT:
			/* A thread that ended is not blocked any more. */
			if (rec.size >= sizeof(struct rec_task)) {
				const struct rec_task *t = rec.data;
				uint32_t id = hmap_find(&b->pend_idx, hash_mix(t->tid + 11), &t->tid,
							pend_eq, b);

				if (id != UINT32_MAX)
					b->pend[id].have_out = b->pend[id].have_stack = 0;
			}
			break;
		case REC_SAMPLE:
			rc = on_sample(b, &rec, 0);
			if (rec.size >= sizeof(struct rec_sample)) {
				uint64_t t = ((const struct rec_sample *)rec.data)->time_ns;

				if (t > last_ns)
					last_ns = t;
			}
			break;
		case REC_LOST:
			if (rec.size >= sizeof(struct rec_lost)) {
				const struct rec_lost *l = rec.data;

				st->lost += l->lost;
				st->unreadable += l->unreadable;
			}
			break;
		case REC_FINISH:
			if (rec.size >= sizeof(struct rec_finish)) {
				const struct rec_finish *f = rec.data;

				st->finished = 1;
				end_ns = f->end_mono_ns;
				st->exit_status = f->exit_status;
				st->term_signal = f->term_signal;
			}
			break;
		case REC_STRING:
			if (pymerge_on_string(b->py, &rec) == -ENOMEM)
				rc = -ENOMEM;
			break;
		case REC_SYMSTACK:
			if (pymerge_on_symstack(b->py, &rec) == -ENOMEM)
				rc = -ENOMEM;
			break;
		default:
			break;	/* unknown: not needed here */
		}
	}
	if (rc) {
		snprintf(err, errlen, "%s", rc == -ENOMEM ? "out of memory" : strerror(-rc));
		goto out;
	}
	name_threads(b);
	st->truncated = rec_reader_truncated(r) || !st->finished;
	if (!end_ns || end_ns < first_ns)
		end_ns = last_ns;
	st->duration_ns = end_ns > first_ns ? end_ns - first_ns : 0;
	st->off.view = b->view;
	/* Threads still blocked when the recording ended: up to its end. */
	for (size_t i = 0; !rc && i < b->npend; i++)
		if (b->pend[i].have_out)
			rc = offcpu_emit(b, &b->pend[i], end_ns);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (gil_finish(b)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	set_meta_u64(b->p, "samples", st->samples);
	set_meta_u64(b->p, "lost", st->lost);
	set_meta_u64(b->p, "unreadable", st->unreadable);
	set_meta_u64(b->p, "python_stacks", pymerge_stacks_seen(b->py));
	set_meta_u64(b->p, "duration_ns", st->duration_ns);
	profile_set_meta(b->p, "truncated", st->truncated ? "yes" : "no");
	if (st->finished) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%d", st->exit_status);
		profile_set_meta(b->p, "exit_status", buf);
		if (st->term_signal) {
			snprintf(buf, sizeof(buf), "%d", st->term_signal);
			profile_set_meta(b->p, "term_signal", buf);
		}
	}
	if (warnings) {
		if (rec_reader_truncated(r))
			strbuf_addf(warnings, "the recording is cut short after %" PRIu64
				    " of %" PRIu64 " bytes (pinch or the target was killed): showing what it holds\n",
				    rec_reader_offset(r), rec_reader_size(r));
		else if (!st->finished)
			strbuf_addf(warnings, "the recording has no end record (pinch record was killed or is still running): showing what it holds\n");
		for (size_t i = 0; i < sym_n_warnings(b->sym); i++)
			strbuf_addf(warnings, "%s\n", sym_warning(b->sym, i));
	}
	*out = b->p;
	b->p = NULL;
out:
	profile_free(b->p);
	symbolizer_free(b->sym);
	pymerge_free(b->py);
	free(b->memo);
	free(b->locpool);
	free(b->thr);
	free(b->comm);
	free(b->pyname);
	free(b->gilp);
	free(b->gila);
	hmap_release(&b->thr_idx);
	hmap_release(&b->comm_idx);
	hmap_release(&b->ksym_idx);
	hmap_release(&b->pend_idx);
	for (size_t i = 0; i < b->npend; i++)
		free(b->pend[i].locs);
	free(b->pend);
	free(b->ksym);
	free(b);
	return rc;
}

/* A CPU recording by its header (the rest is checked when it is read). */
static int is_cpu_recording(int dirfd, const char *name)
{
	struct rec_file_header h;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, &h, sizeof(h));
	close(fd);
	return n == (ssize_t)sizeof(h) && !memcmp(h.magic, REC_MAGIC, 8) && h.kind == REC_KIND_CPU;
}

int cpuprof_find_newest(const char *dir, struct strbuf *path)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct strbuf best = STRBUF_INIT;
	struct timespec best_t = { 0, 0 };

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct stat st;

		if (len < 5 || strcmp(e->d_name + len - 4, ".rec"))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) || !S_ISREG(st.st_mode))
			continue;
		if (best.len && (st.st_mtim.tv_sec < best_t.tv_sec ||
				 (st.st_mtim.tv_sec == best_t.tv_sec &&
				  st.st_mtim.tv_nsec <= best_t.tv_nsec)))
			continue;
		if (!is_cpu_recording(dirfd(d), e->d_name))
			continue;
		strbuf_reset(&best);
		strbuf_addstr(&best, e->d_name);
		best_t = st.st_mtim;
	}
	closedir(d);
	if (!best.len) {
		strbuf_release(&best);
		return -ENOENT;
	}
	if (strcmp(dir, "."))
		strbuf_addf(path, "%s/", dir);
	strbuf_addstr(path, best.buf);
	strbuf_release(&best);
	return 0;
}
