/*
 * wire.h - what pinch trace's agent (libpinch-trace.so, src/agent/trace)
 * and its readers (src/collect/tracerec.c, src/model/traceprof.c) share:
 * the record types 80..95 of a REC_KIND_TRACE recording, the event
 * encoding, and the calling-context tree (CCT) both sides aggregate into.
 * libc only (<stdint.h>, <string.h>, <sys/mman.h>).
 *
 * The agent appends whole records to <PINCH_TRACE_DIR>/<pid>-<n>.trace,
 * framed like the recording file (u32 type, u32 size, payload padded to
 * 8 bytes); pinch copies them into the recording after a TRW_PROC.
 *
 * Events (TRW_EVENTS payload after struct trw_events): varints, each
 * chunk self-contained (deltas start from the header's bases):
 *   enter:   v = zigzag(fn - prev_fn) << 2 | 0, then varint(tick - prev_tick)
 *   exit:    v = (tick - prev_tick) << 2 | 1        (the innermost open call returns)
 *   unwound: v = (tick - prev_tick) << 2 | 2        (the innermost open call was
 *            left without returning: longjmp, or a mismatched exit below it)
 *   end:     v = (tick - prev_tick) << 2 | 3        (every open call ends here,
 *            still open: the thread died or the process exited mid-call)
 * The stream is strictly nested: the agent's shadow stack turns longjmp
 * and mismatched exits into "unwound" events before anything else.
 */
#ifndef PINCH_AGENT_TRACE_WIRE_H
#define PINCH_AGENT_TRACE_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define TRW_ENV_DIR "PINCH_TRACE_DIR"		/* where to write; the agent is idle without it */
#define TRW_ENV_OPTS "PINCH_TRACE_OPTS"		/* "counts=1,depth=N,min_ns=N,clock=tsc|ns|cpu" */
#define TRW_ENV_FILTER "PINCH_TRACE_FILTER"	/* "i:OFF,i:OFF,x:OFF,...": executable offsets */

#define TRW_CCT_MAX_DEPTH 1024	/* deeper calls fold into their caller's level */
#define TRW_CCT_MAX_NODES (1u << 20)
#define TRW_CCT_PIECE 65536	/* nodes per TRW_CCT record */
#define TRW_CHUNK 65536		/* event bytes per thread buffer */

enum trw_type {
	TRW_PROC = 80,		/* struct trw_proc, then the executable path */
	TRW_MAPS = 81,		/* stream only: /proc/self/maps text (becomes REC_MMAP) */
	TRW_EVENTS = 82,	/* struct trw_events, then encoded events */
	TRW_CCT = 83,		/* struct trw_cct_hdr, then struct trw_node[n] (counts mode) */
	TRW_THREAD = 84,	/* struct trw_thread: a thread's end and its counters */
	TRW_CLOCK = 85,		/* struct trw_clock: a (tick, CLOCK_MONOTONIC) pair */
};

enum trw_proc_flags {
	TRW_F_TSC = 1 << 0,	/* ticks are rdtsc cycles (else nanoseconds) */
	TRW_F_COUNTS = 1 << 1,	/* counts-only: TRW_CCT records, no events */
	TRW_F_FORKED = 1 << 2,
	TRW_F_CPU = 1 << 3,	/* ticks are ns of each thread's CPU time */
};

struct trw_proc {
	uint32_t pid, ppid;
	uint32_t flags;		/* enum trw_proc_flags */
	uint32_t seq;
	uint64_t tick0;		/* a (tick, CLOCK_MONOTONIC) pair taken at start */
	uint64_t mono0;
	/* char exe[] follows, NUL-terminated */
};

struct trw_clock {
	uint64_t tick;
	uint64_t mono_ns;
};

struct trw_events {
	uint32_t pid, tid;
	uint64_t base_tick;	/* deltas of the first event are from these */
	uint64_t base_fn;
	uint32_t depth;		/* calls open at the start of the chunk (a check) */
	uint32_t pad;
};

enum trw_thread_flags {
	TRW_T_EXITED = 1 << 0,	/* flushed by its own thread's end */
	TRW_T_AT_EXIT = 1 << 1,	/* flushed by the process's exit while running */
};

struct trw_thread {
	uint32_t pid, tid;
	uint32_t flags;
	uint32_t open;		/* calls still open at the end */
	uint64_t unwound;	/* calls closed without returning (longjmp...) */
	uint64_t dropped;	/* calls not recorded: deeper than the shadow stack */
	uint64_t end_tick;
	uint64_t bad_exits;	/* exits that matched no open call */
};

struct trw_cct_hdr {
	uint32_t pid, tid;
	uint32_t n;		/* nodes that follow; node 0 is the root (fn 0) */
	uint32_t first;		/* index of the first: a big tree comes in pieces */
};

/* ---- the calling-context tree ----------------------------------------- */

struct trw_node {
	uint64_t fn;		/* function address (0: the root) */
	uint32_t parent;	/* node index; the root is its own parent */
	uint32_t depth;
	uint64_t calls;
	uint64_t self;		/* ticks */
	uint64_t total;		/* ticks, every call through this path */
	uint64_t open;		/* calls that ended open (thread/process end) */
};

/* The last child looked up under a node: recursion and loops call the
 * same function from the same place again and again. */
struct trw_hint {
	uint64_t fn;
	uint32_t child;
	uint32_t pad;
};

struct trw_cct {
	struct trw_node *v;
	struct trw_hint *hint;	/* per node, not written anywhere */
	uint32_t n, cap;
	uint32_t *hash;		/* open addressing: node index + 1, 0 = empty */
	uint32_t hcap;		/* power of two */
	int full;		/* TRW_CCT_MAX_NODES reached: new paths fold into the root */
	/* hcap is always 2 * cap: the hash stays at most half full */
};

static inline void *trw_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline uint32_t trw_hash(uint32_t parent, uint64_t fn)
{
	uint64_t h = (fn ^ ((uint64_t)parent << 40) ^ parent) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

static inline int trw_cct_init(struct trw_cct *c)
{
	memset(c, 0, sizeof(*c));
	c->cap = 1024;
	c->hcap = 2048;
	c->v = trw_map(c->cap * sizeof(*c->v));
	c->hint = trw_map(c->cap * sizeof(*c->hint));
	c->hash = trw_map(c->hcap * sizeof(*c->hash));
	if (!c->v || !c->hint || !c->hash)
		return -1;
	memset(&c->v[0], 0, sizeof(c->v[0]));
	c->n = 1;
	return 0;
}

static inline void trw_cct_release(struct trw_cct *c)
{
	if (c->v)
		munmap(c->v, c->cap * sizeof(*c->v));
	if (c->hint)
		munmap(c->hint, c->cap * sizeof(*c->hint));
	if (c->hash)
		munmap(c->hash, c->hcap * sizeof(*c->hash));
	memset(c, 0, sizeof(*c));
}

static inline int trw_cct_grow(struct trw_cct *c)
{
	uint32_t ncap = c->cap * 2, nh = c->hcap * 2, i;
	struct trw_node *nv = trw_map((size_t)ncap * sizeof(*nv));
	struct trw_hint *ht = trw_map((size_t)ncap * sizeof(*ht));
	uint32_t *hv = trw_map((size_t)nh * sizeof(*hv));

	if (!nv || !hv || !ht) {
		if (nv)
			munmap(nv, (size_t)ncap * sizeof(*nv));
		if (ht)
			munmap(ht, (size_t)ncap * sizeof(*ht));
		if (hv)
			munmap(hv, (size_t)nh * sizeof(*hv));
		return -1;
	}
	memcpy(nv, c->v, (size_t)c->n * sizeof(*nv));
	memcpy(ht, c->hint, (size_t)c->n * sizeof(*ht));
	munmap(c->hint, (size_t)c->cap * sizeof(*c->hint));
	c->hint = ht;
	for (i = 1; i < c->n; i++) {
		uint32_t h = trw_hash(nv[i].parent, nv[i].fn) & (nh - 1);

		while (hv[h])
			h = (h + 1) & (nh - 1);
		hv[h] = i + 1;
	}
	munmap(c->v, (size_t)c->cap * sizeof(*c->v));
	munmap(c->hash, (size_t)c->hcap * sizeof(*c->hash));
	c->v = nv;
	c->hash = hv;
	c->cap = ncap;
	c->hcap = nh;
	return 0;
}

static inline uint32_t trw_cct_hint(struct trw_cct *c, uint32_t parent, uint64_t fn, uint32_t child)
{
	c->hint[parent].fn = fn;
	c->hint[parent].child = child;
	return child;
}

/* The child of parent for fn, created on first use. Below the depth cap
 * the path is exact; deeper calls share their caller's level (the cap
 * keeps unbounded recursion bounded). Never fails: when memory runs out
 * the root stands in (and c->full is set). */
static inline uint32_t trw_cct_child(struct trw_cct *c, uint32_t parent, uint64_t fn)
{
	uint32_t h, i;

	if (c->hint[parent].fn == fn && c->hint[parent].child)
		return c->hint[parent].child;
	if (c->v[parent].depth >= TRW_CCT_MAX_DEPTH)
		parent = c->v[parent].parent;
	h = trw_hash(parent, fn) & (c->hcap - 1);
	while ((i = c->hash[h])) {
		const struct trw_node *nd = &c->v[i - 1];

		if (nd->fn == fn && nd->parent == parent)
			return trw_cct_hint(c, parent, fn, i - 1);
		h = (h + 1) & (c->hcap - 1);
	}
	if (c->n >= TRW_CCT_MAX_NODES || (c->n == c->cap && trw_cct_grow(c))) {
		c->full = 1;
		return 0;
	}
	i = c->n++;
	memset(&c->v[i], 0, sizeof(c->v[i]));
	c->v[i].fn = fn;
	c->v[i].parent = parent;
	c->v[i].depth = c->v[parent].depth + 1;
	h = trw_hash(parent, fn) & (c->hcap - 1);
	while (c->hash[h])
		h = (h + 1) & (c->hcap - 1);
	c->hash[h] = i + 1;
	return trw_cct_hint(c, parent, fn, i);
}

/* ---- varints ----------------------------------------------------------- */

static inline unsigned char *trw_put(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* 0, or -1 when the bytes end mid-varint or it is too long. */
static inline int trw_get(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
	const unsigned char *p = *pp;
	uint64_t r = 0;
	unsigned shift = 0;

	while (p < end && shift < 64) {
		unsigned char b = *p++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

static inline uint64_t trw_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t trw_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#define TRW_EV_ENTER 0
#define TRW_EV_EXIT 1
#define TRW_EV_UNWOUND 2
#define TRW_EV_END 3

#endif
