/*
 * agent.c - pinch mem's LD_PRELOAD agent (libpinch-mem.so). Interposes the
 * malloc family, walks the frame-pointer chain of every allocation, interns
 * stacks to ids and keeps the exact accounting (per-site bytes and counts,
 * live set, peak with the per-site state at the peak, timeline buckets) in
 * a shared file mapping, so it is current however the process ends.
 * Depends only on libc and wire.h; never allocates through malloc itself.
 *
 * Concurrency: one spinlock guards the tables; stack capture runs outside
 * it. A free is recorded before the real free and an allocation after the
 * real allocation, so a reused address is never confused. A thread-local
 * guard (initial-exec TLS) makes every allocation the agent or libc makes
 * on its behalf pass straight through. Fork: the child is followed into its
 * own files (it inherits the live blocks). Exec: the new image loads the
 * agent again and gets new files.
 */
/* mmap and mmap64 are both interposed: keep their names apart. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cfi.h"
#include "wire.h"

#define EXPORT __attribute__((visibility("default")))
#define TLS __thread __attribute__((tls_model("initial-exec")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);
extern void *__libc_stack_end;

enum { ST_UNINIT = 0, ST_INIT, ST_READY, ST_OFF };

static TLS int t_guard;
static TLS uintptr_t t_stack_hi;
static TLS uint32_t t_tid;	/* gettid(), for matching the GIL holder */

static int g_state;
static volatile int g_lock;
static int g_depth = MEMW_MAX_DEPTH;
static int g_mmap;
static int g_cfi = 1;	/* unwinder: 1 CFI (default), 0 frame pointers only */
static int g_signal;
static uint64_t g_interval_ns = 10000000;
static volatile sig_atomic_t g_snap_pending;
static uint64_t g_sig_snaps;
static long g_pagesize = 4096;

/* pointer -> (size << 20 | stack); key 0 = empty slot; linear probing */
struct pent {
	uint64_t key;
	uint64_t val;
};
static struct pent *g_ptab;
static uint64_t g_pcap, g_pcount;

/* stack interning: hash -> id, ips in an arena */
struct sent {
	uint64_t hash;
	uint64_t id;	/* id + 1; 0 = empty */
};
static struct sent *g_stab;
static uint64_t g_scap;
static uint64_t *g_ips;
static uint64_t g_ips_len, g_ips_cap;
static uint64_t *g_soff;	/* per stack: offset << 8 | nr */
static uint64_t g_soff_cap;

/* anonymous mmap regions (--mmap): start -> (len << 20 | stack) in a second table */
static struct pent *g_mtab;
static uint64_t g_mcap, g_mcount;

/* files */
static char g_dir[512];
static char g_stream_path[600], g_stats_path[600];
static int g_sfd = -1, g_tfd = -1, g_statm_fd = -1;
static char *g_smap;
static uint64_t g_scap_bytes, g_sused;
static struct memw_stats_hdr *g_st;
static struct memw_site_live *g_sites;
static uint64_t g_tcap;	/* site capacity */
static uint64_t g_bucket_end;
static uint64_t g_last_alloc;	/* for temporary allocations */
static uint32_t g_file_seq;
static uint64_t g_points;

/* ---- small helpers that never allocate ------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void lock(void)
{
	unsigned spins = 0;

	while (__atomic_exchange_n(&g_lock, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&g_lock, __ATOMIC_RELAXED)) {
			if (++spins < 200)
				__builtin_ia32_pause();
			else
				sched_yield();
		}
	}
}

static int trylock(void)
{
	return !__atomic_exchange_n(&g_lock, 1, __ATOMIC_ACQUIRE);
}

static void unlock(void)
{
	__atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE);
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return n;
}

static uint64_t parse_u64(const char *s, const char **end)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	*end = s;
	return v;
}

/* Moves fd above the range programs use, so closing "all fds" rarely hits it. */
static int high_fd(int fd)
{
	int h;

	if (fd < 0)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 700);
	if (h < 0)
		return fd;
	close(fd);
	return h;
}

static int reserve_file(int fd, uint64_t off, uint64_t len)
{
	int rc = posix_fallocate(fd, (off_t)off, (off_t)len);

	if (rc == EOPNOTSUPP || rc == EINVAL)
		rc = ftruncate(fd, (off_t)(off + len)) ? errno : 0;
	return rc;
}

/* ---- the stream ------------------------------------------------------ */

static int stream_ensure(uint64_t need)
{
	uint64_t cap = g_scap_bytes;
	void *m;

	if (g_sused + need <= cap)
		return 0;
	if (g_st->flags & MEMW_F_DROPPED)
		return -1;
	while (g_sused + need > cap)
		cap *= 2;
	if (reserve_file(g_sfd, g_scap_bytes, cap - g_scap_bytes))
		goto fail;
	m = mremap(g_smap, g_scap_bytes, cap, MREMAP_MAYMOVE);
	if (m == MAP_FAILED)
		goto fail;
	g_smap = m;
	g_scap_bytes = cap;
	return 0;
fail:
	g_st->flags |= MEMW_F_DROPPED;
	return -1;
}

/* Returns where a record's payload of size bytes goes, or NULL. */
static void *stream_begin(uint32_t size)
{
	uint64_t total = 8 + (((uint64_t)size + 7) & ~7ull);

	if (stream_ensure(total))
		return NULL;
	memset(g_smap + g_sused + 4, 0, total - 4);
	*(uint32_t *)(g_smap + g_sused + 4) = size;
	return g_smap + g_sused + 8;
}

/* Publishes the record begun with stream_begin: the type word goes last. */
static void stream_end(uint32_t type)
{
	uint32_t size = *(uint32_t *)(g_smap + g_sused + 4);

	__atomic_store_n((uint32_t *)(g_smap + g_sused), type, __ATOMIC_RELEASE);
	g_sused += 8 + (((uint64_t)size + 7) & ~7ull);
	((struct memw_stream_hdr *)g_smap)->used = g_sused - sizeof(struct memw_stream_hdr);
}

static void stream_add(uint32_t type, const void *a, uint32_t alen, const void *b, uint32_t blen)
{
	char *p = stream_begin(alen + blen);

	if (!p)
		return;
	if (alen)
		memcpy(p, a, alen);
	if (blen)
		memcpy(p + alen, b, blen);
	stream_end(type);
}

/* Copies /proc/self/maps into a MEMW_MAPS record without allocating. */
static void emit_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	uint64_t start, len = 0;
	ssize_t n;

	if (fd < 0)
		return;
	if (stream_ensure(8 + 65536))
		goto out;
	start = g_sused;
	memset(g_smap + start, 0, 8);
	for (;;) {
		if (stream_ensure(8 + len + 65536 + 8))
			goto out;
		n = read(fd, g_smap + start + 8 + len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (uint64_t)n;
	}
	memset(g_smap + start + 8 + len, 0, ((len + 7) & ~7ull) - len);
	*(uint32_t *)(g_smap + start + 4) = (uint32_t)len;
	stream_end(MEMW_MAPS);
out:
	close(fd);
}

static void emit_proc(uint32_t flags)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct memw_proc p = {
		.pid = g_st->pid, .ppid = g_st->ppid, .flags = flags, .seq = g_file_seq,
		.start_mono_ns = g_st->start_mono_ns,
	};

	if (n < 0)
		n = 0;
	exe[n] = 0;
	stream_add(MEMW_PROC, &p, sizeof(p), exe, (uint32_t)n + 1);
}

/* ---- stats file ------------------------------------------------------ */

static int sites_ensure(uint64_t n)
{
	uint64_t cap = g_tcap, oldb, newb;
	void *m;

	if (n <= g_tcap)
		return 0;
	while (cap < n)
		cap *= 2;
	oldb = sizeof(struct memw_stats_hdr) + g_tcap * sizeof(struct memw_site_live);
	newb = sizeof(struct memw_stats_hdr) + cap * sizeof(struct memw_site_live);
	if (reserve_file(g_tfd, oldb, newb - oldb))
		return -1;
	m = mremap(g_st, oldb, newb, MREMAP_MAYMOVE);
	if (m == MAP_FAILED)
		return -1;
	g_st = m;
	g_sites = (struct memw_site_live *)(g_st + 1);
	g_tcap = cap;
	return 0;
}

/* ---- stack interning ------------------------------------------------- */

static uint64_t hash_ips(const uint64_t *ips, int n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
	int i;

	for (i = 0; i < n; i++) {
		h ^= ips[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h | 1;
}

static int stab_grow(void)
{
	uint64_t ncap = g_scap ? g_scap * 2 : 4096, i;
	struct sent *n = map_anon(ncap * sizeof(*n));

	if (!n)
		return -1;
	for (i = 0; i < g_scap; i++) {
		uint64_t j;

		if (!g_stab[i].id)
			continue;
		for (j = g_stab[i].hash & (ncap - 1); n[j].id; j = (j + 1) & (ncap - 1))
			;
		n[j] = g_stab[i];
	}
	if (g_stab)
		munmap(g_stab, g_scap * sizeof(*g_stab));
	g_stab = n;
	g_scap = ncap;
	return 0;
}

static int grow_array(void **arr, uint64_t *cap, uint64_t need, size_t elem)
{
	uint64_t ncap = *cap ? *cap : 4096;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if (*arr)
		n = mremap(*arr, *cap * elem, ncap * elem, MREMAP_MAYMOVE);
	else
		n = mmap(NULL, ncap * elem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n == MAP_FAILED)
		return -1;
	*arr = n;
	*cap = ncap;
	return 0;
}

static void emit_stack(uint32_t id)
{
	struct memw_stack s = { .id = id, .nr = (uint32_t)(g_soff[id] & 0xff) };

	stream_add(MEMW_STACK, &s, sizeof(s), g_ips + (g_soff[id] >> 8), s.nr * 8);
}

/* Returns the id of the stack (interning it), under the lock. */
static uint32_t intern_stack(const uint64_t *ips, int n)
{
	uint64_t h = hash_ips(ips, n), i;
	uint32_t id;

	if (g_st->n_stacks * 2 >= g_scap && stab_grow())
		return 0;
	for (i = h & (g_scap - 1); g_stab[i].id; i = (i + 1) & (g_scap - 1)) {
		if (g_stab[i].hash == h) {
			uint32_t cand = (uint32_t)(g_stab[i].id - 1);
			uint64_t o = g_soff[cand];

			if ((int)(o & 0xff) == n && !memcmp(g_ips + (o >> 8), ips, (size_t)n * 8))
				return cand;
		}
	}
	if (g_st->n_stacks >= MEMW_MAX_STACKS) {
		g_st->flags |= MEMW_F_STACKS_FULL;
		return 0;
	}
	id = g_st->n_stacks;
	if (sites_ensure((uint64_t)id + 1) ||
	    grow_array((void **)&g_soff, &g_soff_cap, (uint64_t)id + 1, 8) ||
	    grow_array((void **)&g_ips, &g_ips_cap, g_ips_len + (uint64_t)n, 8))
		return 0;
	memcpy(g_ips + g_ips_len, ips, (size_t)n * 8);
	g_soff[id] = g_ips_len << 8 | (uint64_t)n;
	g_ips_len += (uint64_t)n;
	g_stab[i].hash = h;
	g_stab[i].id = (uint64_t)id + 1;
	g_st->n_stacks = id + 1;
	emit_stack(id);
	return id;
}

/* ---- pointer table --------------------------------------------------- */

static inline uint64_t phash(uint64_t key, uint64_t cap)
{
	return ((key >> 4) * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
}

static int ptab_grow(struct pent **tab, uint64_t *cap)
{
	uint64_t ncap = *cap ? *cap * 2 : 65536, i;
	struct pent *n = map_anon(ncap * sizeof(*n));

	if (!n)
		return -1;
	for (i = 0; i < *cap; i++) {
		uint64_t j;

		if (!(*tab)[i].key)
			continue;
		for (j = phash((*tab)[i].key, ncap); n[j].key; j = (j + 1) & (ncap - 1))
			;
		n[j] = (*tab)[i];
	}
	if (*tab)
		munmap(*tab, *cap * sizeof(**tab));
	*tab = n;
	*cap = ncap;
	return 0;
}

static int ptab_put(struct pent **tab, uint64_t *cap, uint64_t *count, uint64_t key, uint64_t val)
{
	uint64_t i;

	if ((*count + 1) * 2 > *cap && ptab_grow(tab, cap))
		return -1;
	for (i = phash(key, *cap); (*tab)[i].key; i = (i + 1) & (*cap - 1))
		if ((*tab)[i].key == key)
			break;
	if (!(*tab)[i].key)
		(*count)++;
	(*tab)[i].key = key;
	(*tab)[i].val = val;
	return 0;
}

/* Removes key; returns 1 and its value, or 0 if absent. Backward-shift deletion. */
static int ptab_take(struct pent *tab, uint64_t cap, uint64_t *count, uint64_t key, uint64_t *val)
{
	uint64_t i, j, k;

	if (!cap)
		return 0;
	for (i = phash(key, cap); tab[i].key != key; i = (i + 1) & (cap - 1))
		if (!tab[i].key)
			return 0;
	*val = tab[i].val;
	(*count)--;
	for (j = i;;) {
		j = (j + 1) & (cap - 1);
		if (!tab[j].key)
			break;
		k = phash(tab[j].key, cap);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		tab[i] = tab[j];
		i = j;
	}
	tab[i].key = 0;
	return 1;
}

/* ---- accounting (under the lock) ------------------------------------- */

static uint64_t read_rss(void)
{
	char buf[128];
	const char *p = buf, *e;
	ssize_t n;

	if (g_statm_fd < 0)
		return 0;
	n = pread(g_statm_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	parse_u64(p, &e);
	while (*e == ' ')
		e++;
	return parse_u64(e, &e) * (uint64_t)g_pagesize;
}

static void emit_snapshot(const char *label)
{
	struct memw_snapshot s;
	struct memw_snap_entry *e;
	uint32_t i, n = 0;
	char *p;

	memset(&s, 0, sizeof(s));
	s.time_ns = now_ns();
	s.heap = g_st->live_bytes;
	for (i = 0; label[i] && i < MEMW_LABEL_MAX - 1; i++)
		s.label[i] = label[i];
	for (i = 0; i < g_st->n_stacks; i++)
		n += g_sites[i].live_blocks || g_sites[i].alloc_calls;
	s.n = n;
	p = stream_begin(sizeof(s) + n * sizeof(*e));
	if (!p)
		return;
	memcpy(p, &s, sizeof(s));
	e = (struct memw_snap_entry *)(p + sizeof(s));
	for (i = 0; i < g_st->n_stacks; i++) {
		if (!g_sites[i].live_blocks && !g_sites[i].alloc_calls)
			continue;
		e->stack = i;
		e->pad = 0;
		e->bytes = g_sites[i].live_bytes;
		e->blocks = g_sites[i].live_blocks;
		e->alloc_calls = g_sites[i].alloc_calls;
		e++;
	}
	stream_end(MEMW_SNAPSHOT);
	g_st->snapshots++;
}

static void signal_snapshot(void)
{
	char label[32] = "signal-";

	g_snap_pending = 0;
	fmt_u64(label + 7, ++g_sig_snaps);
	emit_snapshot(label);
}

static void close_bucket(uint64_t now)
{
	struct memw_point pt = {
		.time_ns = g_st->bucket_start_ns, .heap_max = g_st->bucket_max,
		.heap_end = g_st->live_bytes, .rss = read_rss(),
	};

	if (pt.rss > g_st->rss_max)
		g_st->rss_max = pt.rss;
	stream_add(MEMW_POINT, &pt, sizeof(pt), NULL, 0);
	/* a long run keeps a bounded timeline: every 1000 buckets the
	 * bucket doubles (each still keeps its interval's maximum) */
	if (!(++g_points % 1000))
		g_interval_ns *= 2;
	g_st->bucket_start_ns = now;
	g_st->bucket_max = g_st->live_bytes;
	g_bucket_end = now + g_interval_ns;
}

/* The bookkeeping common to every event: clock, buckets, pending snapshot.
 * The clock is read every 64 events, and at every big block (so a spike's
 * start and end are timed exactly). */
#define BIG_BLOCK (256u << 10)

static inline void tick(uint64_t size)
{
	uint64_t seq = ++g_st->seq;

	if (UNLIKELY(!(seq & 63) || size >= BIG_BLOCK)) {
		uint64_t now = now_ns();

		g_st->last_time_ns = now;
		if (now >= g_bucket_end)
			close_bucket(now);
	}
	if (UNLIKELY(g_snap_pending))
		signal_snapshot();
}

/* Saves the site's value at the peak before its first change after the peak. */
static inline void site_touch(struct memw_site_live *s)
{
	if (s->last_seq <= g_st->peak_seq) {
		s->peak_bytes = s->live_bytes;
		s->peak_blocks = s->live_blocks;
	}
	s->last_seq = g_st->seq;
}

static void account_alloc(uint64_t ptr, uint64_t size, uint32_t stack, struct pent **tab,
			  uint64_t *cap, uint64_t *count)
{
	struct memw_site_live *s = &g_sites[stack];
	uint64_t old;

	/* A pointer still in the table was freed behind our back (a guarded
	 * path); drop the stale entry first so the books stay balanced. */
	if (UNLIKELY(ptab_take(*tab, *cap, count, ptr, &old))) {
		struct memw_site_live *o = &g_sites[old & 0xfffff];

		tick(old >> 20);
		site_touch(o);
		o->live_bytes -= old >> 20;
		o->live_blocks--;
		g_st->live_bytes -= old >> 20;
		g_st->live_blocks--;
	}
	if (ptab_put(tab, cap, count, ptr, size << 20 | stack))
		return;
	tick(size);
	site_touch(s);
	s->alloc_bytes += size;
	s->alloc_calls++;
	s->live_bytes += size;
	s->live_blocks++;
	g_st->alloc_calls++;
	g_st->alloc_bytes += size;
	g_st->live_bytes += size;
	g_st->live_blocks++;
	g_last_alloc = ptr;
	if (g_st->live_bytes > g_st->bucket_max)
		g_st->bucket_max = g_st->live_bytes;
	if (g_st->live_bytes > g_st->peak_bytes) {
		g_st->peak_bytes = g_st->live_bytes;
		g_st->peak_blocks = g_st->live_blocks;
		g_st->peak_seq = g_st->seq;
		g_st->peak_time_ns = g_st->last_time_ns;
	}
}

/* Books the release of a block taken out of its table (value v). */
static void account_release(uint64_t ptr, uint64_t v)
{
	struct memw_site_live *s = &g_sites[v & 0xfffff];
	uint64_t size = v >> 20;

	tick(size);
	site_touch(s);
	s->free_calls++;
	s->live_bytes -= size;
	s->live_blocks--;
	g_st->free_calls++;
	g_st->live_bytes -= size;
	g_st->live_blocks--;
	if (ptr == g_last_alloc) {
		s->temp_calls++;
		g_st->temp_calls++;
		g_st->temp_bytes += size;
	}
	g_last_alloc = 0;
}

/* Returns 1 if ptr was known. */
static int account_free(uint64_t ptr, struct pent *tab, uint64_t cap, uint64_t *count)
{
	uint64_t v;

	if (!ptab_take(tab, cap, count, ptr, &v)) {
		g_st->unknown_frees++;
		return 0;
	}
	account_release(ptr, v);
	return 1;
}

static inline uint64_t clamp_size(uint64_t n)
{
	return n < (1ull << 44) ? n : (1ull << 44) - 1;
}

/* ---- stack capture --------------------------------------------------- */

static void thread_bounds(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;

	if (syscall(SYS_gettid) == getpid()) {
		t_stack_hi = (uintptr_t)__libc_stack_end;
		return;
	}
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &addr, &size) == 0)
			t_stack_hi = (uintptr_t)addr + size;
		pthread_attr_destroy(&a);
	}
	if (!t_stack_hi)
		t_stack_hi = 1;	/* unknown: only the first frame */
}

/* Walks the stack from fp (an interposer's own frame, which has a frame
 * pointer): the frame-pointer chain (--unwind fp), or the cached CFI
 * walker, which also gets through code built without frame pointers. */
static inline int capture(void **fp, uint64_t *ips)
{
	uintptr_t hi, cur = (uintptr_t)fp;
	int n = 0;

	if (UNLIKELY(!t_stack_hi))
		thread_bounds();
	hi = t_stack_hi;
	if (cur >= hi) {
		ips[0] = (uint64_t)(uintptr_t)fp[1] - 1;
		return 1;	/* on an alternate signal stack */
	}
	if (g_cfi)
		return cfi_walk((uint64_t)(uintptr_t)fp[1], (uint64_t)cur + 16,
				(uint64_t)(uintptr_t)fp[0], hi, ips, 0, g_depth);
	ips[n++] = (uint64_t)(uintptr_t)fp[1] - 1;
	while (n < g_depth) {
		uintptr_t next = (uintptr_t)fp[0];
		uintptr_t ra;

		if (next <= cur || hi < 16 || next > hi - 16 || (next & 7))
			break;
		fp = (void **)next;
		cur = next;
		ra = (uintptr_t)fp[1];
		if (ra < 4096)
			break;
		ips[n++] = (uint64_t)ra - 1;
	}
	return n;
}

/* ---- init, fork, signals --------------------------------------------- */

static int open_files(uint32_t ppid, uint32_t flags)
{
	char *p;
	size_t dl = strlen(g_dir);
	uint32_t seq;
	struct memw_stream_hdr *sh;
	uint64_t tbytes;

	for (seq = 0; seq < 1000; seq++) {
		p = g_stream_path;
		memcpy(p, g_dir, dl);
		p += dl;
		*p++ = '/';
		p += fmt_u64(p, (uint64_t)getpid());
		*p++ = '-';
		p += fmt_u64(p, seq);
		memcpy(p, ".stream", 8);
		g_sfd = open(g_stream_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (g_sfd >= 0 || errno != EEXIST)
			break;
	}
	if (g_sfd < 0)
		return -1;
	g_file_seq = seq;
	memcpy(g_stats_path, g_stream_path, sizeof(g_stats_path));
	memcpy(g_stats_path + (p - g_stream_path), ".stats", 7);
	g_tfd = open(g_stats_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (g_tfd < 0)
		return -1;
	g_sfd = high_fd(g_sfd);
	g_tfd = high_fd(g_tfd);

	g_scap_bytes = 1 << 20;
	if (reserve_file(g_sfd, 0, g_scap_bytes))
		return -1;
	g_smap = mmap(NULL, g_scap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, g_sfd, 0);
	if (g_smap == MAP_FAILED)
		return -1;
	sh = (struct memw_stream_hdr *)g_smap;
	memcpy(sh->magic, MEMW_STREAM_MAGIC, 8);
	sh->version = MEMW_VERSION;
	sh->header_size = sizeof(*sh);
	sh->pid = (uint32_t)getpid();
	sh->ppid = ppid;
	sh->start_mono_ns = now_ns();
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sh->start_real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	g_sused = sizeof(*sh);

	g_tcap = g_tcap ? g_tcap : 4096;
	tbytes = sizeof(struct memw_stats_hdr) + g_tcap * sizeof(struct memw_site_live);
	if (reserve_file(g_tfd, 0, tbytes))
		return -1;
	p = mmap(NULL, tbytes, PROT_READ | PROT_WRITE, MAP_SHARED, g_tfd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (g_st) {
		/* fork child: start from the parent's state, then make it ours */
		memcpy(p, g_st, tbytes);
		munmap(g_st, tbytes);
	}
	g_st = (struct memw_stats_hdr *)p;
	g_sites = (struct memw_site_live *)(g_st + 1);
	memcpy(g_st->magic, MEMW_STATS_MAGIC, 8);
	g_st->version = MEMW_VERSION;
	g_st->header_size = sizeof(*g_st);
	g_st->pid = sh->pid;
	g_st->ppid = ppid;
	g_st->flags = flags;
	g_st->start_mono_ns = sh->start_mono_ns;
	g_st->last_time_ns = sh->start_mono_ns;
	g_st->bucket_start_ns = sh->start_mono_ns;
	g_bucket_end = sh->start_mono_ns + g_interval_ns;
	return 0;
}

static void close_files(void)
{
	if (g_smap && g_smap != MAP_FAILED)
		munmap(g_smap, g_scap_bytes);
	if (g_sfd >= 0)
		close(g_sfd);
	if (g_tfd >= 0)
		close(g_tfd);
	g_smap = NULL;
	g_sfd = g_tfd = -1;
}

/* The stats mapping is shared with the file: the child must start from
 * the state at the fork, not from what the parent does afterwards, so the
 * parent keeps a private copy across the fork. */
static void *g_fork_copy;
static uint64_t g_fork_copy_len;

static void atfork_prepare(void)
{
	if (g_state != ST_READY)
		return;
	t_guard++;
	lock();
	g_fork_copy_len = sizeof(struct memw_stats_hdr) + g_tcap * sizeof(struct memw_site_live);
	g_fork_copy = map_anon(g_fork_copy_len);
	if (g_fork_copy)
		memcpy(g_fork_copy, g_st, g_fork_copy_len);
	t_guard--;
}

static void atfork_parent(void)
{
	if (g_state != ST_READY)
		return;
	if (g_fork_copy)
		munmap(g_fork_copy, g_fork_copy_len);
	g_fork_copy = NULL;
	unlock();
}

static void atfork_child(void)
{
	uint32_t i, ppid;

	if (g_state != ST_READY)
		return;
	/* The parent's mappings are shared: leave them, write our own files. */
	ppid = g_st->pid;
	if (!g_fork_copy) {
		g_state = ST_OFF;
		unlock();
		return;
	}
	munmap(g_st, g_fork_copy_len);
	g_st = g_fork_copy;
	g_fork_copy = NULL;
	munmap(g_smap, g_scap_bytes);
	close(g_sfd);
	close(g_tfd);
	g_smap = NULL;
	g_sfd = g_tfd = -1;
	if (g_statm_fd >= 0) {
		close(g_statm_fd);
		g_statm_fd = high_fd(open("/proc/self/statm", O_RDONLY | O_CLOEXEC));
	}
	if (open_files(ppid, (g_st->flags & MEMW_F_MMAP) | MEMW_F_FORKED)) {
		close_files();
		g_state = ST_OFF;
		unlock();
		return;
	}
	/* Inherited: the live set and the stacks. Counted anew: calls, the peak. */
	g_st->alloc_calls = g_st->alloc_bytes = g_st->free_calls = 0;
	g_st->temp_calls = g_st->temp_bytes = g_st->unknown_frees = 0;
	g_st->snapshots = 0;
	g_st->rss_max = 0;
	g_st->end_mono_ns = 0;
	g_st->peak_bytes = g_st->live_bytes;
	g_st->peak_blocks = g_st->live_blocks;
	g_st->peak_seq = g_st->seq;
	g_st->peak_time_ns = g_st->start_mono_ns;
	g_st->bucket_max = g_st->live_bytes;
	g_st->rss_max = read_rss();
	for (i = 0; i < g_st->n_stacks; i++) {
		struct memw_site_live *s = &g_sites[i];

		s->alloc_bytes = s->alloc_calls = s->free_calls = s->temp_calls = 0;
		s->peak_bytes = s->live_bytes;
		s->peak_blocks = s->live_blocks;
	}
	g_last_alloc = 0;
	emit_proc(g_st->flags);
	emit_maps();
	for (i = 0; i < g_st->n_stacks; i++)
		emit_stack(i);
	unlock();
}

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (g_state != ST_READY || t_guard || !trylock()) {
		g_snap_pending = 1;
	} else {
		signal_snapshot();
		unlock();
	}
	errno = saved;
}

static void parse_opts(const char *s)
{
	while (s && *s) {
		const char *e;

		if (!strncmp(s, "mmap=", 5)) {
			g_mmap = (int)parse_u64(s + 5, &e);
		} else if (!strncmp(s, "signal=", 7)) {
			g_signal = (int)parse_u64(s + 7, &e);
		} else if (!strncmp(s, "interval_us=", 12)) {
			g_interval_ns = parse_u64(s + 12, &e) * 1000;
			if (!g_interval_ns)
				g_interval_ns = 10000000;
		} else if (!strncmp(s, "unwind=", 7)) {
			g_cfi = strncmp(s + 7, "fp", 2) != 0;
			e = s + 7;
		} else if (!strncmp(s, "depth=", 6)) {
			g_depth = (int)parse_u64(s + 6, &e);
			if (g_depth < 1 || g_depth > MEMW_MAX_DEPTH)
				g_depth = MEMW_MAX_DEPTH;
		} else {
			e = s;
		}
		while (*e && *e != ',')
			e++;
		s = *e ? e + 1 : e;
	}
}

static void python_init(void);

static void agent_init(void)
{
	const char *dir = getenv(MEMW_ENV_DIR);
	int expected = ST_UNINIT;

	if (!__atomic_compare_exchange_n(&g_state, &expected, ST_INIT, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	if (!dir || !*dir || strlen(dir) >= sizeof(g_dir) - 40) {
		__atomic_store_n(&g_state, ST_OFF, __ATOMIC_RELEASE);
		return;
	}
	t_guard++;
	memcpy(g_dir, dir, strlen(dir) + 1);
	parse_opts(getenv(MEMW_ENV_OPTS));
	g_pagesize = sysconf(_SC_PAGESIZE);
	if (open_files((uint32_t)getppid(), g_mmap ? MEMW_F_MMAP : 0) ||
	    ptab_grow(&g_ptab, &g_pcap) || stab_grow()) {
		close_files();
		__atomic_store_n(&g_state, ST_OFF, __ATOMIC_RELEASE);
		t_guard--;
		return;
	}
	g_statm_fd = high_fd(open("/proc/self/statm", O_RDONLY | O_CLOEXEC));
	python_init();
	emit_proc(g_st->flags);
	emit_maps();
	/* stack 0: allocations whose stack could not be kept */
	{
		uint64_t none = 0;

		grow_array((void **)&g_soff, &g_soff_cap, 1, 8);
		grow_array((void **)&g_ips, &g_ips_cap, 1, 8);
		g_ips[0] = none;
		g_soff[0] = 0;
		g_st->n_stacks = 1;
		emit_stack(0);
	}
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	if (g_signal > 0 && g_signal < 65) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(g_signal, &sa, NULL);
	}
	__atomic_store_n(&g_state, ST_READY, __ATOMIC_RELEASE);
	t_guard--;
}

__attribute__((constructor)) static void agent_ctor(void)
{
	if (g_state == ST_UNINIT)
		agent_init();
}

__attribute__((destructor)) static void agent_dtor(void)
{
	if (g_state != ST_READY)
		return;
	t_guard++;
	lock();
	g_st->flags |= MEMW_F_EXITED;
	g_st->end_mono_ns = now_ns();
	{
		uint64_t rss = read_rss();

		if (rss > g_st->rss_max)
			g_st->rss_max = rss;
	}
	g_st->last_time_ns = g_st->end_mono_ns;
	unlock();
	t_guard--;
}

static inline int ready(void)
{
	if (LIKELY(__atomic_load_n(&g_state, __ATOMIC_ACQUIRE) == ST_READY))
		return 1;
	if (g_state == ST_UNINIT)
		agent_init();
	return g_state == ST_READY;
}

/* ---- Python frames (CPython 3.11) ------------------------------------- */

static uintptr_t g_pyrt;	/* &_PyRuntime, 0 when this is not a readable python */
static uintptr_t g_pycode_type;	/* &PyCode_Type */
#define PYSEEN_SLOTS 65536
static uint64_t g_pyseen[PYSEEN_SLOTS];	/* code objects described (under the lock) */

static void python_init(void)
{
	const unsigned long *ver = dlsym(RTLD_DEFAULT, "Py_Version");

	if (!ver || (*ver >> 16) != 0x030b)
		return;
	g_pycode_type = (uintptr_t)dlsym(RTLD_DEFAULT, "PyCode_Type");
	g_pyrt = (uintptr_t)dlsym(RTLD_DEFAULT, "_PyRuntime");
	if (!g_pycode_type)
		g_pyrt = 0;
}

#define PYLOAD(type, addr, off) (*(const type *)((uintptr_t)(addr) + (off)))

/* Appends the Python frames of the calling thread (when it holds the GIL,
 * so its frames cannot change under us) to ips. Returns the new count. */
static int python_capture(uint64_t *ips, int n, int max)
{
	uintptr_t ts, cf, fr;
	int k = 0;

	if (!g_pyrt)
		return n;
	ts = PYLOAD(uintptr_t, g_pyrt, MEMW_PY311_GIL_TSTATE);
	if (!ts)
		return n;
	if (UNLIKELY(!t_tid))
		t_tid = (uint32_t)syscall(SYS_gettid);
	if (PYLOAD(uint64_t, ts, MEMW_PY311_TSTATE_NATIVE_TID) != t_tid)
		return n;
	cf = PYLOAD(uintptr_t, ts, MEMW_PY311_TSTATE_CFRAME);
	fr = cf ? PYLOAD(uintptr_t, cf, MEMW_PY311_CFRAME_CURRENT) : 0;
	while (fr && n < max && k++ < 4 * MEMW_PY_MAX_FRAMES) {
		uintptr_t code = PYLOAD(uintptr_t, fr, MEMW_PY311_FRAME_CODE);
		uintptr_t prev = PYLOAD(uintptr_t, fr, MEMW_PY311_FRAME_PREV_INSTR);
		uintptr_t start;
		int64_t lasti;

		if (!code || PYLOAD(uintptr_t, code, 8) != g_pycode_type)
			break;
		start = code + MEMW_PY311_CODE_ADAPTIVE;
		if (PYLOAD(uint8_t, fr, MEMW_PY311_FRAME_OWNER) == 1 ||
		    prev >= start + 2 * (uintptr_t)PYLOAD(int32_t, code, MEMW_PY311_CODE_FIRSTTRACEABLE)) {
			lasti = ((int64_t)prev - (int64_t)start) / 2;
			if (lasti < 0)
				lasti = 0;
			if (lasti > MEMW_PY_LASTI_MAX)
				lasti = MEMW_PY_LASTI_MAX;
			ips[n++] = MEMW_PY_TAG | (uint64_t)lasti << 47 | ((uint64_t)code & MEMW_PY_CODE_MASK);
		}
		fr = PYLOAD(uintptr_t, fr, MEMW_PY311_FRAME_PREVIOUS);
	}
	return n;
}

/* A str object's text: compact ASCII or compact latin-1 only. */
static const char *py_str(uintptr_t o, uint32_t *len)
{
	uint32_t state;
	int64_t l;

	*len = 0;
	if (!o)
		return "";
	state = PYLOAD(uint32_t, o, 32);
	l = PYLOAD(int64_t, o, 16);
	if (!(state & (1u << 5)) || l < 0 || l > 4096)
		return "";
	*len = (uint32_t)l;
	if (state & (1u << 6))
		return (const char *)(o + 48);
	if (((state >> 2) & 7) == 1)
		return (const char *)(o + 72);	/* latin-1: the reader shows '?' for bytes >= 0x80 */
	*len = 0;
	return "";
}

/* Describes each new code object of a stack (under the lock). */
static void python_describe(const uint64_t *ips, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t code, h;
		uintptr_t c, tab;
		struct memw_pycode pc;
		const char *name, *file;
		uint32_t nl, fl;
		unsigned char *rec;

		if (!(ips[i] & MEMW_PY_TAG))
			continue;
		code = ips[i] & MEMW_PY_CODE_MASK;
		h = (code >> 4) * 0x9e3779b97f4a7c15ull;
		for (h >>= 48;; h = (h + 1) & (PYSEEN_SLOTS - 1)) {
			if (g_pyseen[h] == code)
				goto next;
			if (!g_pyseen[h])
				break;
		}
		g_pyseen[h] = code;
		c = (uintptr_t)code;
		tab = PYLOAD(uintptr_t, c, MEMW_PY311_CODE_LINETABLE);
		name = py_str(PYLOAD(uintptr_t, c, MEMW_PY311_CODE_QUALNAME), &nl);
		file = py_str(PYLOAD(uintptr_t, c, MEMW_PY311_CODE_FILENAME), &fl);
		memset(&pc, 0, sizeof(pc));
		pc.code = code;
		pc.firstlineno = PYLOAD(int32_t, c, MEMW_PY311_CODE_FIRSTLINENO);
		pc.name_len = nl;
		pc.file_len = fl;
		pc.table_len = tab ? (uint32_t)PYLOAD(int64_t, tab, 16) : 0;
		if (pc.table_len > (1u << 16))
			pc.table_len = 0;
		rec = stream_begin((uint32_t)sizeof(pc) + nl + fl + pc.table_len);
		if (rec) {
			memcpy(rec, &pc, sizeof(pc));
			memcpy(rec + sizeof(pc), name, nl);
			memcpy(rec + sizeof(pc) + nl, file, fl);
			if (pc.table_len)
				memcpy(rec + sizeof(pc) + nl + fl, (const void *)(tab + 32), pc.table_len);
			stream_end(MEMW_PYCODE);
		}
next:;
	}
}

/* ---- the interposers ------------------------------------------------- */

/* The native stack from fp, then the Python frames when the thread runs
 * Python. Call python_describe() under the lock before interning. */
static inline int full_capture(void **fp, uint64_t *ips)
{
	int n = capture(fp, ips);

	if (g_pyrt) {
		if (n > MEMW_MAX_DEPTH - MEMW_PY_MAX_FRAMES)
			n = MEMW_MAX_DEPTH - MEMW_PY_MAX_FRAMES;
		/* A native word never has the Python tag (a return address of 0
		 * minus one would): keep the tag for Python frames only. */
		for (int i = 0; i < n; i++)
			if (ips[i] & MEMW_PY_TAG)
				ips[i] = 0;
		n = python_capture(ips, n, MEMW_MAX_DEPTH);
	}
	return n;
}

static void record_alloc(void *p, size_t size, void **fp)
{
	uint64_t ips[MEMW_MAX_DEPTH];
	int n = full_capture(fp, ips);
	uint32_t id;

	lock();
	if (g_pyrt)
		python_describe(ips, n);
	id = intern_stack(ips, n);
	account_alloc((uint64_t)(uintptr_t)p, clamp_size(size), id, &g_ptab, &g_pcap, &g_pcount);
	unlock();
}

static inline void record_free(void *p)
{
	lock();
	account_free((uint64_t)(uintptr_t)p, g_ptab, g_pcap, &g_pcount);
	unlock();
}

#define ENTER() (LIKELY(!t_guard) && ready() && (t_guard = 1))
#define LEAVE() (t_guard = 0)

EXPORT void *malloc(size_t n)
{
	void *p;

	if (!ENTER())
		return __libc_malloc(n);
	p = __libc_malloc(n);
	if (p)
		record_alloc(p, n, __builtin_frame_address(0));
	LEAVE();
	return p;
}

EXPORT void free(void *p)
{
	if (!p)
		return;
	if (!ENTER()) {
		__libc_free(p);
		return;
	}
	record_free(p);
	__libc_free(p);
	LEAVE();
}

EXPORT void *calloc(size_t n, size_t m)
{
	void *p;

	if (!ENTER())
		return __libc_calloc(n, m);
	p = __libc_calloc(n, m);
	if (p)
		record_alloc(p, n * m, __builtin_frame_address(0));
	LEAVE();
	return p;
}

EXPORT void *realloc(void *old, size_t n)
{
	uint64_t v = 0, ips[MEMW_MAX_DEPTH];
	int known = 0, nr = 0;
	void *p;

	if (!ENTER())
		return __libc_realloc(old, n);
	if (old) {
		/* Take the old block out first: once realloc returns, another
		 * thread may be handed its address. */
		lock();
		known = ptab_take(g_ptab, g_pcap, &g_pcount, (uint64_t)(uintptr_t)old, &v);
		unlock();
	}
	p = __libc_realloc(old, n);
	if (p || (old && !n)) {
		if (p)
			nr = full_capture(__builtin_frame_address(0), ips);
		lock();
		if (g_pyrt && p)
			python_describe(ips, nr);
		if (known)
			account_release((uint64_t)(uintptr_t)old, v);
		else if (old)
			g_st->unknown_frees++;
		if (p)
			account_alloc((uint64_t)(uintptr_t)p, clamp_size(n), intern_stack(ips, nr),
				      &g_ptab, &g_pcap, &g_pcount);
		unlock();
	} else if (known) {
		/* realloc failed: the old block lives on */
		lock();
		ptab_put(&g_ptab, &g_pcap, &g_pcount, (uint64_t)(uintptr_t)old, v);
		unlock();
	}
	LEAVE();
	return p;
}

static void *aligned_common(size_t align, size_t n, void **fp)
{
	void *p = __libc_memalign(align, n);

	if (p)
		record_alloc(p, n, fp);
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	void *p;

	if (!ENTER())
		return __libc_memalign(align, n);
	p = aligned_common(align, n, __builtin_frame_address(0));
	LEAVE();
	return p;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *p;

	if (!ENTER())
		return __libc_memalign(align, n);
	p = aligned_common(align, n, __builtin_frame_address(0));
	LEAVE();
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align % sizeof(void *) || (align & (align - 1)) || !align)
		return EINVAL;
	if (!ENTER()) {
		p = __libc_memalign(align, n);
	} else {
		p = aligned_common(align, n, __builtin_frame_address(0));
		LEAVE();
	}
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t n)
{
	void *p;

	if (!ENTER())
		return __libc_valloc(n);
	p = __libc_valloc(n);
	if (p)
		record_alloc(p, n, __builtin_frame_address(0));
	LEAVE();
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	void *p;

	if (!ENTER())
		return __libc_pvalloc(n);
	p = __libc_pvalloc(n);
	if (p)
		record_alloc(p, n, __builtin_frame_address(0));
	LEAVE();
	return p;
}

/* ---- optional: anonymous mmap/munmap --------------------------------- */

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	if ((unsigned long)p > -4096ul) {
		errno = (int)-(long)p;
		return MAP_FAILED;
	}
	if (g_mmap && (flags & MAP_ANONYMOUS) && ENTER()) {
		uint64_t ips[MEMW_MAX_DEPTH];
		int n = capture(__builtin_frame_address(0), ips);
		uint32_t id;

		lock();
		id = intern_stack(ips, n);
		account_alloc((uint64_t)(uintptr_t)p, clamp_size(len), id, &g_mtab, &g_mcap, &g_mcount);
		unlock();
		LEAVE();
	}
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
	long rc;

	if (g_mmap && g_mcount && ENTER()) {
		lock();
		account_free((uint64_t)(uintptr_t)addr, g_mtab, g_mcap, &g_mcount);
		unlock();
		LEAVE();
	}
	rc = syscall(SYS_munmap, addr, len);
	return rc ? -1 : 0;
}

/* ---- dlopen: new code needs its maps ---------------------------------- */

EXPORT void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);
	void *h;

	if (!real)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (!real)
		return NULL;
	h = real(file, mode);
	if (h && file && ENTER()) {
		lock();
		emit_maps();
		unlock();
		LEAVE();
	}
	return h;
}

/* ---- the libpinch hook ----------------------------------------------- */

EXPORT void pinch_mem_agent_snapshot(const char *label)
{
	if (!ENTER())
		return;
	lock();
	emit_snapshot(label && *label ? label : "snapshot");
	unlock();
	LEAVE();
}
