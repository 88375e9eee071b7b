/*
 * agent.c - pinch trace's LD_PRELOAD agent (libpinch-trace.so): defines
 * __cyg_profile_func_enter/__cyg_profile_func_exit, which a program built
 * with -finstrument-functions calls at every function entry and exit (the
 * dynamic linker binds the program's undefined references to this
 * preloaded library). Each thread keeps a shadow stack and a buffer of
 * compact events (wire.h) in thread-local storage, no locks on the hot
 * path; whole buffers go to <PINCH_TRACE_DIR>/<pid>-<n>.trace with one
 * O_APPEND write. --counts-only aggregates into a per-thread calling
 * context tree instead and writes it when the thread ends.
 *
 * Only wire.h and libc; never sanitized, never instrumented itself.
 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "wire.h"

#define EXPORT __attribute__((visibility("default"), no_instrument_function))
#define NOINSTR __attribute__((no_instrument_function))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define STACK_CAP (1u << 16)	/* shadow stack frames; deeper calls are dropped */
#define HDR_BYTES (8 + sizeof(struct trw_events))
#define TAIL_BYTES 64		/* the clock record after the events, and slack */
#define BUF_BYTES (HDR_BYTES + TRW_CHUNK + TAIL_BYTES)

enum { R_SUPP = 1, R_INSIDE = 2, R_REC = 4 };

struct frame {
	uint64_t fn;
	uintptr_t sp;		/* the caller's stack pointer at the hook call */
	uintptr_t site;		/* the hook's call_site: where the function returns to */
	uint64_t t0;
	uint64_t child;		/* ticks of recorded callees (counts mode) */
	uint32_t pnode;		/* CCT node to return to */
	uint32_t node;
	int32_t prec;		/* nearest recorded ancestor frame, -1 none */
	uint16_t rdepth;	/* recorded frames below this one */
	uint16_t flags;		/* R_* */
};

struct tstate {
	int state;		/* 0 not started, 1 running, -1 off */
	int busy;		/* inside the agent (a signal handler's calls are not traced) */
	uint32_t tid;
	uint32_t depth, overflow, emitted, rec_open;
	struct frame *stack;
	unsigned char *buf, *pos, *lim;
	uint64_t last_tick, last_fn, chunk_tick, chunk_fn;
	uint32_t chunk_depth;
	uint64_t unwound, dropped, bad_exits;
	struct trw_cct cct;
	uint32_t cur_node;
	struct tstate *next;
};

static __thread struct tstate t_st __attribute__((tls_model("initial-exec")));

static int g_ready;		/* the constructor ran and the output file is open */
static int g_fd = -1;
static int g_simple;		/* no filter, depth, min time or counts: the fast path */
static int g_fastcount;		/* counts only, no filter or depth: its fast path */
static int g_counts;
static int g_tsc;
static clockid_t g_clock = CLOCK_MONOTONIC;	/* without the TSC: ns of this clock */
static uint32_t g_depth;	/* --depth, 0 = unlimited */
static uint64_t g_min_ticks;
static uint32_t g_pid;
static pthread_key_t g_key;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tstate *g_threads;
static uint64_t *g_incl, *g_excl;	/* sorted absolute addresses */
static size_t g_nincl, g_nexcl;
static char g_dir[3072];
static uint32_t g_seq;

NOINSTR static inline uint64_t tick(void)
{
#if defined(__x86_64__)
	if (likely(g_tsc))
		return __rdtsc();
#endif
	struct timespec ts;

	clock_gettime(g_clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

NOINSTR static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

NOINSTR static void write_all(const void *p, size_t n)
{
	const char *c = p;

	while (n && g_fd >= 0) {
		ssize_t w = write(g_fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* disk full: the recording ends short */
		c += w;
		n -= (size_t)w;
	}
}

/* Writes one whole record (header, payload, padding) with one write. */
NOINSTR static void write_rec(uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned char tmp[512];
	size_t size = alen + blen, total = 8 + ((size + 7) & ~(size_t)7);
	unsigned char *p = tmp;
	uint32_t hdr[2] = { type, (uint32_t)size };

	if (total > sizeof(tmp)) {
		p = trw_map(total);
		if (!p)
			return;
	}
	memset(p, 0, total);
	memcpy(p, hdr, 8);
	if (alen)
		memcpy(p + 8, a, alen);
	if (blen)
		memcpy(p + 8 + alen, b, blen);
	write_all(p, total);
	if (p != tmp)
		munmap(p, total);
}

/* ---- event buffer ------------------------------------------------------ */

NOINSTR static void flush(struct tstate *t)
{
	size_t n = (size_t)(t->pos - (t->buf + HDR_BYTES)), size, total;
	struct trw_events ev;
	struct trw_clock ck;
	uint32_t hdr[2];

	if (!n || !t->buf)
		return;
	size = sizeof(ev) + n;
	total = 8 + ((size + 7) & ~(size_t)7);
	hdr[0] = TRW_EVENTS;
	hdr[1] = (uint32_t)size;
	memset(&ev, 0, sizeof(ev));
	ev.pid = g_pid;
	ev.tid = t->tid;
	ev.base_tick = t->chunk_tick;
	ev.base_fn = t->chunk_fn;
	ev.depth = t->chunk_depth;
	memcpy(t->buf, hdr, 8);
	memcpy(t->buf + 8, &ev, sizeof(ev));
	memset(t->pos, 0, total - 8 - size);
	/* a clock pair rides along, so a killed process can still be timed */
	ck.tick = tick();
	ck.mono_ns = mono_ns();
	hdr[0] = TRW_CLOCK;
	hdr[1] = sizeof(ck);
	memcpy(t->buf + total, hdr, 8);
	memcpy(t->buf + total + 8, &ck, sizeof(ck));
	write_all(t->buf, total + 8 + sizeof(ck));
	t->pos = t->buf + HDR_BYTES;
	t->chunk_tick = t->last_tick;
	t->chunk_fn = t->last_fn;
	t->chunk_depth = t->rec_open;
}

NOINSTR static inline uint64_t mono_tick(struct tstate *t, uint64_t now)
{
	return now < t->last_tick ? t->last_tick : now;	/* a core's TSC a little behind */
}

NOINSTR static inline void put_enter(struct tstate *t, uint64_t fn, uint64_t now)
{
	now = mono_tick(t, now);
	t->pos = trw_put(t->pos, trw_zigzag((int64_t)(fn - t->last_fn)) << 2);
	t->pos = trw_put(t->pos, now - t->last_tick);
	t->last_fn = fn;
	t->last_tick = now;
	t->rec_open++;
	if (unlikely(t->pos >= t->lim))
		flush(t);
}

NOINSTR static inline void put_mark(struct tstate *t, unsigned kind, uint64_t now)
{
	now = mono_tick(t, now);
	t->pos = trw_put(t->pos, (now - t->last_tick) << 2 | kind);
	t->last_tick = now;
	if (kind == TRW_EV_END)
		t->rec_open = 0;
	else
		t->rec_open--;
	if (unlikely(t->pos >= t->lim))
		flush(t);
}

/* ---- the generic path (filters, depth, min time, counts) ---------------- */

NOINSTR static int in_set(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] == x)
			return 1;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Emits the deferred enters of frames [emitted, upto). */
NOINSTR static void emit_pending(struct tstate *t, uint32_t upto)
{
	for (uint32_t i = t->emitted; i < upto; i++)
		if (t->stack[i].flags & R_REC)
			put_enter(t, t->stack[i].fn, t->stack[i].t0);
	if (upto > t->emitted)
		t->emitted = upto;
}

NOINSTR static void slow_push(struct tstate *t, uint64_t fn, uintptr_t sp, uintptr_t site, uint64_t now)
{
	struct frame *f = &t->stack[t->depth];
	const struct frame *up = t->depth ? &t->stack[t->depth - 1] : NULL;
	uint16_t fl = 0;

	f->fn = fn;
	f->sp = sp;
	f->site = site;
	f->t0 = now;
	f->child = 0;
	f->prec = -1;
	f->rdepth = 0;
	if (up) {
		fl = up->flags & (R_SUPP | R_INSIDE);
		f->prec = (up->flags & R_REC) ? (int32_t)(t->depth - 1) : up->prec;
		f->rdepth = (uint16_t)(up->rdepth + ((up->flags & R_REC) ? 1 : 0));
	}
	if (g_nexcl && in_set(g_excl, g_nexcl, fn))
		fl |= R_SUPP;
	if (!g_nincl || in_set(g_incl, g_nincl, fn))
		fl |= R_INSIDE;
	if ((fl & R_INSIDE) && !(fl & R_SUPP) && (!g_depth || f->rdepth < g_depth))
		fl |= R_REC;
	else if (fl & R_INSIDE)
		t->dropped++;
	f->flags = fl;
	f->pnode = t->cur_node;
	f->node = 0;
	t->depth++;
	if (!(fl & R_REC))
		return;
	if (g_counts) {
		f->node = trw_cct_child(&t->cct, t->cur_node, fn);
		t->cct.v[f->node].calls++;
		t->cur_node = f->node;
	} else if (!g_min_ticks) {
		emit_pending(t, t->depth);
	}
}

/* --counts-only without filters: one call path node per call. */
NOINSTR static inline void count_push(struct tstate *t, uint64_t fn, uintptr_t sp, uintptr_t site, uint64_t now)
{
	struct frame *f = &t->stack[t->depth++];
	uint32_t parent = t->cur_node;
	const struct trw_hint *h = &t->cct.hint[parent];
	uint32_t node = likely(h->fn == fn && h->child) ? h->child : trw_cct_child(&t->cct, parent, fn);

	f->fn = fn;
	f->sp = sp;
	f->site = site;
	f->t0 = now;
	f->child = 0;
	f->pnode = parent;
	f->node = node;
	t->cct.v[node].calls++;
	t->cur_node = node;
}

/* Closes the innermost open call as kind (exit, unwound or end). */
NOINSTR static void pop(struct tstate *t, unsigned kind, uint64_t now)
{
	uint32_t i = t->depth - 1;
	struct frame *f = &t->stack[i];

	t->depth = i;
	if (kind == TRW_EV_UNWOUND)
		t->unwound++;
	if (g_simple) {
		put_mark(t, kind, now);
		return;
	}
	t->cur_node = f->pnode;
	if (g_fastcount) {
		struct trw_node *nd = &t->cct.v[f->node];
		uint64_t d = now > f->t0 ? now - f->t0 : 0;

		nd->total += d;
		nd->self += d > f->child ? d - f->child : 0;
		if (unlikely(kind == TRW_EV_END))
			nd->open++;
		if (i)
			t->stack[i - 1].child += d;
		return;
	}
	if (!(f->flags & R_REC)) {
		if (t->emitted > i)
			t->emitted = i;
		return;
	}
	if (g_counts) {
		struct trw_node *nd = &t->cct.v[f->node];
		uint64_t d = now > f->t0 ? now - f->t0 : 0;

		nd->total += d;
		nd->self += d > f->child ? d - f->child : 0;
		if (kind == TRW_EV_END)
			nd->open++;
		if (f->prec >= 0)
			t->stack[f->prec].child += d;
		return;
	}
	if (i < t->emitted) {
		put_mark(t, kind == TRW_EV_END ? TRW_EV_UNWOUND : kind, now);
		t->emitted = i;
	} else if (now - f->t0 >= g_min_ticks) {
		emit_pending(t, i + 1);
		put_mark(t, kind == TRW_EV_END ? TRW_EV_UNWOUND : kind, now);
		t->emitted = i;
	}
}

/* ---- threads ------------------------------------------------------------ */

NOINSTR static void thread_end(void *p);

NOINSTR static int thread_start(struct tstate *t)
{
	if (!g_ready)
		return 0;
	t->stack = trw_map(STACK_CAP * sizeof(struct frame));
	t->buf = trw_map(BUF_BYTES);
	if (!t->stack || !t->buf || (g_counts && trw_cct_init(&t->cct))) {
		t->state = -1;
		return 0;
	}
	t->tid = (uint32_t)syscall(SYS_gettid);
	t->pos = t->buf + HDR_BYTES;
	t->lim = t->buf + HDR_BYTES + TRW_CHUNK;
	t->last_tick = t->chunk_tick = tick();
	t->last_fn = t->chunk_fn = 0;
	pthread_setspecific(g_key, t);
	pthread_mutex_lock(&g_lock);
	t->next = g_threads;
	g_threads = t;
	pthread_mutex_unlock(&g_lock);
	t->state = 1;
	return 1;
}

/* Ends a thread's record: open calls closed as "end", the buffer written,
 * then its counters (and its tree in counts mode). */
NOINSTR static void thread_finish(struct tstate *t, uint32_t flags)
{
	struct trw_thread th;
	uint64_t now = tick();
	uint32_t open = t->depth;

	t->state = -1;
	if (g_counts) {
		while (t->depth)
			pop(t, TRW_EV_END, now);
	} else if (t->depth) {
		if (!g_simple)
			emit_pending(t, t->depth);
		if (t->rec_open)
			put_mark(t, TRW_EV_END, now);
		t->depth = 0;
	}
	flush(t);
	memset(&th, 0, sizeof(th));
	th.pid = g_pid;
	th.tid = t->tid;
	th.flags = flags;
	th.open = open;
	th.unwound = t->unwound;
	th.dropped = t->dropped;
	th.end_tick = now;
	th.bad_exits = t->bad_exits;
	write_rec(TRW_THREAD, &th, sizeof(th), NULL, 0);
	if (g_counts && t->cct.v) {
		for (uint32_t first = 0; first < t->cct.n; first += TRW_CCT_PIECE) {
			uint32_t k = t->cct.n - first < TRW_CCT_PIECE ? t->cct.n - first : TRW_CCT_PIECE;
			struct trw_cct_hdr h = { g_pid, t->tid, k, first };

			write_rec(TRW_CCT, &h, sizeof(h), t->cct.v + first,
				  (size_t)k * sizeof(struct trw_node));
		}
	}
}

NOINSTR static void thread_unlink(struct tstate *t)
{
	struct tstate **pp;

	pthread_mutex_lock(&g_lock);
	for (pp = &g_threads; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&g_lock);
}

NOINSTR static void thread_end(void *p)
{
	struct tstate *t = p;

	if (t->state != 1)
		return;
	t->busy = 1;
	thread_finish(t, TRW_T_EXITED);
	thread_unlink(t);
	munmap(t->stack, STACK_CAP * sizeof(struct frame));
	munmap(t->buf, BUF_BYTES);
	trw_cct_release(&t->cct);
	t->stack = NULL;
	t->buf = NULL;
}

/* ---- the hooks ---------------------------------------------------------- */

/* A live caller's frame is never below a callee's (sp, the caller's stack
 * pointer at the hook call, is strictly lower in a real callee), and a
 * function inlined into it shares its stack pointer and its call site
 * (__builtin_return_address(0) of the host). */
NOINSTR static inline int dead_frame(const struct frame *f, uintptr_t sp, uintptr_t site)
{
	return f->sp < sp || (f->sp == sp && f->site != site);
}

EXPORT void __cyg_profile_func_enter(void *fn, void *site)
{
	struct tstate *t = &t_st;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *);
	uintptr_t s = (uintptr_t)site;
	uint64_t now;

	if (unlikely(t->state != 1) && !(t->state == 0 && thread_start(t)))
		return;
	if (unlikely(t->busy))
		return;
	t->busy = 1;
	now = tick();
	/* frames below this one are dead: left by longjmp. A frame at the
	 * same stack pointer is dead too unless it has the same call site:
	 * a function inlined into another calls the hooks from its host's
	 * frame with its host's return address. */
	while (unlikely(t->depth && dead_frame(&t->stack[t->depth - 1], sp, s)))
		pop(t, TRW_EV_UNWOUND, now);
	if (unlikely(t->depth >= STACK_CAP || t->overflow)) {
		t->overflow++;
		t->dropped++;
	} else if (likely(g_simple)) {
		struct frame *f = &t->stack[t->depth++];

		f->fn = (uint64_t)(uintptr_t)fn;
		f->sp = sp;
		f->site = s;
		put_enter(t, (uint64_t)(uintptr_t)fn, now);
	} else if (g_fastcount) {
		count_push(t, (uint64_t)(uintptr_t)fn, sp, s, now);
	} else {
		slow_push(t, (uint64_t)(uintptr_t)fn, sp, s, now);
	}
	t->busy = 0;
}

EXPORT void __cyg_profile_func_exit(void *fn, void *site)
{
	struct tstate *t = &t_st;
	uint64_t now, f = (uint64_t)(uintptr_t)fn;

	(void)site;
	if (unlikely(t->state != 1 || t->busy))
		return;
	t->busy = 1;
	now = tick();
	if (unlikely(t->overflow)) {
		t->overflow--;
	} else if (unlikely(!t->depth)) {
		t->bad_exits++;
	} else if (likely(t->stack[t->depth - 1].fn == f)) {
		if (likely(g_simple)) {
			t->depth--;
			put_mark(t, TRW_EV_EXIT, now);
		} else {
			pop(t, TRW_EV_EXIT, now);
		}
	} else {
		/* an exit below the innermost call: the calls above it were
		 * left without returning (longjmp past them, an exception) */
		uint32_t i = t->depth - 1;

		while (i > 0 && t->stack[i - 1].fn != f)
			i--;
		if (i == 0) {
			t->bad_exits++;
		} else {
			while (t->depth > i)
				pop(t, TRW_EV_UNWOUND, now);
			pop(t, TRW_EV_EXIT, now);
		}
	}
	t->busy = 0;
}

/* ---- longjmp: close the calls it jumps out of --------------------------- */

#if defined(__x86_64__) && defined(__GLIBC__)
/* glibc mangles the saved stack pointer (jmp_buf word 6) with the thread's
 * pointer guard: rotate left 17 after xor. */
NOINSTR static uintptr_t jmpbuf_sp(const void *env)
{
	uint64_t v, guard;

	memcpy(&v, (const char *)env + 6 * 8, 8);
	__asm__("mov %%fs:0x30, %0" : "=r"(guard));
	v = (v >> 17) | (v << 47);
	return (uintptr_t)(v ^ guard);
}

NOINSTR static void before_jump(const void *env)
{
	struct tstate *t = &t_st;
	uintptr_t target, here = (uintptr_t)__builtin_frame_address(0);
	uint64_t now;

	if (t->state != 1 || t->busy || !env)
		return;
	target = jmpbuf_sp(env);
	if (target <= here || target - here > (1ul << 30))
		return;		/* not a stack address of this thread: leave it to the checks */
	t->busy = 1;
	now = tick();
	while (t->depth && !t->overflow && t->stack[t->depth - 1].sp < target)
		pop(t, TRW_EV_UNWOUND, now);
	t->busy = 0;
}

typedef void (*jump_fn)(void *, int);

NOINSTR static jump_fn real(const char *name, jump_fn *slot)
{
	if (!*slot)
		*slot = (jump_fn)dlsym(RTLD_NEXT, name);
	if (!*slot)
		abort();
	return *slot;
}

#define JUMP(name)								\
	EXPORT __attribute__((noreturn)) void name(void *env, int val);		\
	EXPORT __attribute__((noreturn)) void name(void *env, int val)		\
	{									\
		static jump_fn r;						\
		before_jump(env);						\
		real(#name, &r)(env, val);					\
		__builtin_unreachable();					\
	}
JUMP(longjmp)
JUMP(_longjmp)
JUMP(siglongjmp)
JUMP(__longjmp_chk)
#endif

/* ---- process start and end ---------------------------------------------- */

NOINSTR static void write_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16, len = 0;
	char *text;

	if (fd < 0)
		return;
	text = trw_map(cap);
	while (text) {
		ssize_t n = read(fd, text + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			char *nt = trw_map(cap * 2);

			if (!nt)
				break;
			memcpy(nt, text, len);
			munmap(text, cap);
			text = nt;
			cap *= 2;
		}
	}
	close(fd);
	if (text) {
		write_rec(TRW_MAPS, text, len, NULL, 0);
		munmap(text, cap);
	}
}

NOINSTR static int open_stream(void)
{
	char path[3200];

	for (int tries = 0; tries < 1000; tries++) {
		int n = (int)strlen(g_dir);

		memcpy(path, g_dir, (size_t)n);
		path[n++] = '/';
		/* <pid>-<seq>.trace, without stdio */
		{
			char num[24];
			int k = 0;
			uint32_t v = g_pid;

			do num[k++] = (char)('0' + v % 10); while ((v /= 10));
			while (k)
				path[n++] = num[--k];
			path[n++] = '-';
			v = g_seq;
			do num[k++] = (char)('0' + v % 10); while ((v /= 10));
			while (k)
				path[n++] = num[--k];
			memcpy(path + n, ".trace", 7);
		}
		g_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
		if (g_fd >= 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		g_seq++;
	}
	return -1;
}

NOINSTR static void write_proc(uint32_t flags)
{
	struct trw_proc pr;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = 0;
	memset(&pr, 0, sizeof(pr));
	pr.pid = g_pid;
	pr.ppid = (uint32_t)getppid();
	pr.flags = flags | (g_tsc ? TRW_F_TSC : 0) | (g_counts ? TRW_F_COUNTS : 0) |
		   (g_clock == CLOCK_THREAD_CPUTIME_ID ? TRW_F_CPU : 0);
	pr.seq = g_seq;
	pr.tick0 = tick();
	pr.mono0 = mono_ns();
	write_rec(TRW_PROC, &pr, sizeof(pr), exe, strlen(exe) + 1);
	write_maps();
}

NOINSTR static uint64_t parse_num(const char *s, const char **end, int base)
{
	uint64_t v = 0;

	for (;; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			break;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*end = s;
	return v;
}

NOINSTR static int exe_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uint64_t *)data = info->dlpi_addr;
	return 1;	/* the first object is the program itself */
}

NOINSTR static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

NOINSTR static void parse_filter(const char *s)
{
	uint64_t bias = 0;
	size_t n = 1;

	for (const char *p = s; *p; p++)
		n += *p == ',';
	g_incl = trw_map(n * 8);
	g_excl = trw_map(n * 8);
	if (!g_incl || !g_excl)
		return;
	dl_iterate_phdr(exe_bias, &bias);
	while (*s) {
		char kind = *s;
		const char *e;
		uint64_t off;

		if ((kind != 'i' && kind != 'x') || s[1] != ':')
			break;
		off = parse_num(s + 2, &e, 16);
		if (kind == 'i')
			g_incl[g_nincl++] = bias + off;
		else
			g_excl[g_nexcl++] = bias + off;
		s = *e == ',' ? e + 1 : e;
		if (e == s && *s)
			break;
	}
	qsort(g_incl, g_nincl, 8, cmp_u64);
	qsort(g_excl, g_nexcl, 8, cmp_u64);
}

NOINSTR static void parse_opts(const char *s)
{
	const char *e;

	while (s && *s) {
		if (!strncmp(s, "counts=", 7))
			g_counts = parse_num(s + 7, &e, 10) != 0;
		else if (!strncmp(s, "depth=", 6))
			g_depth = (uint32_t)parse_num(s + 6, &e, 10);
		else if (!strncmp(s, "min_ns=", 7))
			g_min_ticks = parse_num(s + 7, &e, 10);	/* ns for now: ticks below */
		else if (!strncmp(s, "clock=", 6)) {
			g_tsc = !strncmp(s + 6, "tsc", 3);
			if (!strncmp(s + 6, "cpu", 3))
				g_clock = CLOCK_THREAD_CPUTIME_ID;
			e = s + 6;
			while (*e && *e != ',')
				e++;
		} else
			e = s;
		while (*e && *e != ',')
			e++;
		s = *e ? e + 1 : e;
	}
}

/* Ticks per nanosecond of the TSC, measured over a few milliseconds. */
NOINSTR static double tsc_per_ns(void)
{
	uint64_t m0 = mono_ns(), t0 = tick(), m1, t1;
	struct timespec ts = { 0, 2000000 };

	nanosleep(&ts, NULL);
	m1 = mono_ns();
	t1 = tick();
	return m1 > m0 ? (double)(t1 - t0) / (double)(m1 - m0) : 1.0;
}

NOINSTR static void at_fork_child(void)
{
	struct tstate *t = &t_st;

	if (!g_ready)
		return;
	g_pid = (uint32_t)getpid();
	g_seq = 0;
	close(g_fd);
	g_fd = -1;
	g_threads = NULL;
	pthread_mutex_init(&g_lock, NULL);
	if (open_stream()) {
		g_ready = 0;
		return;
	}
	write_proc(TRW_F_FORKED);
	if (t->state == 1) {
		/* the parent's buffered events are the parent's; calls open at
		 * the fork are not the child's to close */
		t->tid = g_pid;
		t->pos = t->buf + HDR_BYTES;
		t->depth = t->overflow = t->emitted = t->rec_open = 0;
		t->chunk_tick = t->last_tick;
		t->chunk_fn = t->last_fn;
		t->chunk_depth = 0;
		t->unwound = t->dropped = t->bad_exits = 0;
		t->cur_node = 0;
		if (g_counts) {
			trw_cct_release(&t->cct);
			if (trw_cct_init(&t->cct))
				t->state = -1;
		}
		t->next = NULL;
		g_threads = t;
	}
}

__attribute__((constructor)) NOINSTR static void agent_init(void)
{
	const char *dir = getenv(TRW_ENV_DIR);
	const char *filter = getenv(TRW_ENV_FILTER);
	size_t n;

	if (!dir || !*dir || (n = strlen(dir)) >= sizeof(g_dir))
		return;
	memcpy(g_dir, dir, n + 1);
#if defined(__x86_64__)
	g_tsc = 1;
#endif
	parse_opts(getenv(TRW_ENV_OPTS));
	if (filter && *filter)
		parse_filter(filter);
	if (g_tsc && g_min_ticks)
		g_min_ticks = (uint64_t)((double)g_min_ticks * tsc_per_ns());
	g_simple = !g_counts && !g_depth && !g_min_ticks && !g_nincl && !g_nexcl;
	g_fastcount = g_counts && !g_depth && !g_nincl && !g_nexcl;
	g_pid = (uint32_t)getpid();
	if (pthread_key_create(&g_key, thread_end) || open_stream())
		return;
	write_proc(0);
	pthread_atfork(NULL, NULL, at_fork_child);
	g_ready = 1;
}

__attribute__((destructor)) NOINSTR static void agent_fini(void)
{
	struct tstate *t = &t_st, *o;
	struct trw_clock ck;

	if (!g_ready)
		return;
	g_ready = 0;
	if (t->state == 1) {
		t->busy = 1;
		thread_finish(t, TRW_T_EXITED);
		thread_unlink(t);
	}
	/* threads still running when the process exits: what they buffered,
	 * their open calls ended here */
	pthread_mutex_lock(&g_lock);
	for (o = g_threads; o; o = o->next) {
		if (o->state != 1)
			continue;
		o->busy = 1;
		thread_finish(o, TRW_T_AT_EXIT);
	}
	pthread_mutex_unlock(&g_lock);
	ck.tick = tick();
	ck.mono_ns = mono_ns();
	write_rec(TRW_CLOCK, &ck, sizeof(ck), NULL, 0);
	write_maps();
	close(g_fd);
	g_fd = -1;
}
