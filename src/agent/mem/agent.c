/*
 * agent.c - pinch mem's LD_PRELOAD agent (libpinch-mem.so). Interposes the
 * malloc family, walks the stack of every allocation, interns stacks to
 * ids and keeps the exact accounting (per-site bytes and counts, live set,
 * peak with the per-site state at the peak, timeline buckets) in a shared
 * file mapping, so it is current however the process ends. Depends only
 * on libc and wire.h; never allocates through malloc itself.
 *
 * The allocator: every call is forwarded to the next definition in the
 * lookup order (dlsym(RTLD_NEXT)), so a program linked with jemalloc or
 * tcmalloc keeps it. While that lookup runs (dlsym may allocate), and for
 * the agent's own few libc calls that allocate, a small static arena
 * serves the requests; its blocks are recognised by address when freed.
 *
 * Concurrency: one spinlock guards the tables; stack capture runs outside
 * it. A free is recorded before the real free and an allocation after the
 * real allocation, so a reused address is never confused. Signal
 * handlers: an allocation made by a handler that interrupted this thread
 * outside the lock is booked at once; one that interrupted the thread
 * while it holds the lock is queued in a per-thread ring (its stack taken
 * in the handler, its real free held back) and booked before the lock is
 * released, so nothing is lost; a full ring is counted as dropped events.
 * The agent's own libc calls that may allocate run with signals blocked
 * (t_self), so their allocations are the agent's alone. Fork: the child is
 * followed into its own files (it inherits the live blocks). Exec: the new
 * image loads the agent again and gets new files.
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
#include "leakscan.h"
#include "pyframes.h"
#include "wire.h"

#define EXPORT __attribute__((visibility("default")))
#define TLS __thread __attribute__((tls_model("initial-exec")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/* glibc's own entry points: the fallback when no next definition is found */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_stack_end;

enum { ST_UNINIT = 0, ST_INIT, ST_READY, ST_OFF };

static TLS int t_depth;		/* inside an interposer (a signal handler may nest) */
static TLS int t_self;		/* the agent's own libc calls (signals blocked): pass through */
static TLS int t_in_lock;	/* this thread holds, or is taking, g_lock */
static TLS uintptr_t t_stack_hi;
static TLS uint32_t t_tid;	/* gettid(), for matching the GIL holder */

static int g_state;
static volatile int g_lock;
static int g_depth = MEMW_MAX_DEPTH;
static int g_mmap;
static int g_cfi = 1;	/* unwinder: 1 CFI (default), 0 frame pointers only */
static int g_signal;
static int g_leaks = 1;	/* classify the blocks in use at exit (leakscan.h) */
static uint64_t g_interval_ns = 10000000;
static volatile sig_atomic_t g_snap_pending;
static uint64_t g_sig_snaps;
static long g_pagesize = 4096;
static uint64_t g_dropped_pending;	/* events dropped in a handler, not yet in g_st */

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

static void unlock(void)
{
	__atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE);
}

/* The agent's own maps: straight to the kernel, not through its own
 * interposed mmap/munmap (which would count them with --mmap). */
static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long p = syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	if ((unsigned long)p > -4096ul) {
		errno = (int)-p;
		return MAP_FAILED;
	}
	return (void *)p;
}

static int sys_munmap(void *addr, size_t len)
{
	return syscall(SYS_munmap, addr, len) ? -1 : 0;
}

static void *map_anon(size_t len)
{
	void *p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- the agent's own libc calls ---------------------------------------- */

/* A call into libc that may allocate (dlsym, pthread_getattr_np, ...) runs
 * between self_begin and self_end: signals are held back (delivered at
 * self_end), so whatever reaches the interposers meanwhile is the agent's
 * own and goes to the arena, never into the books or the program's
 * allocator. */
static void self_begin(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
	t_self++;
}

static void self_end(const sigset_t *old)
{
	t_self--;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ---- the bootstrap arena ----------------------------------------------- */

/* Serves the allocations made while the next allocator is being looked up
 * and those of the agent's own libc calls: a stack of blocks in a static
 * buffer, the top given back when freed. Its blocks are known by address,
 * whoever frees them later. */
#define ARENA_SIZE (256u << 10)
struct ahdr {
	uint32_t size;		/* bytes asked for */
	uint32_t prev_top;	/* the arena's top before this block */
	uint32_t prev_last;	/* header offset of the block below, or ARENA_SIZE */
	uint32_t free;
};
static char g_arena[ARENA_SIZE] __attribute__((aligned(64)));
static uint32_t g_arena_top, g_arena_last = ARENA_SIZE;
static volatile int g_arena_lock;

static inline int in_arena(const void *p)
{
	return (const char *)p >= g_arena && (const char *)p < g_arena + ARENA_SIZE;
}

static void arena_lock(void)
{
	while (__atomic_exchange_n(&g_arena_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void *arena_alloc(size_t n, size_t align)
{
	uint64_t data;
	struct ahdr *h;

	if (align < 16)
		align = 16;
	if (n > ARENA_SIZE || align > 4096)
		return NULL;
	arena_lock();
	data = ((uint64_t)g_arena_top + sizeof(struct ahdr) + align - 1) & ~((uint64_t)align - 1);
	if (data + n > ARENA_SIZE) {
		__atomic_store_n(&g_arena_lock, 0, __ATOMIC_RELEASE);
		return NULL;
	}
	h = (struct ahdr *)(g_arena + data - sizeof(*h));
	h->size = (uint32_t)n;
	h->prev_top = g_arena_top;
	h->prev_last = g_arena_last;
	h->free = 0;
	g_arena_last = (uint32_t)(data - sizeof(*h));
	g_arena_top = (uint32_t)((data + n + 15) & ~15ull);
	__atomic_store_n(&g_arena_lock, 0, __ATOMIC_RELEASE);
	memset(g_arena + data, 0, n);
	return g_arena + data;
}

static size_t arena_size(const void *p)
{
	return ((const struct ahdr *)p - 1)->size;
}

static void arena_free(void *p)
{
	arena_lock();
	((struct ahdr *)p - 1)->free = 1;
	while (g_arena_last < ARENA_SIZE) {
		struct ahdr *top = (struct ahdr *)(g_arena + g_arena_last);

		if (!top->free)
			break;
		g_arena_top = top->prev_top;
		g_arena_last = top->prev_last;
	}
	__atomic_store_n(&g_arena_lock, 0, __ATOMIC_RELEASE);
}

/* ---- the next allocator ------------------------------------------------ */

struct real_fns {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*usable)(void *);
};
static struct real_fns R;
static int g_real;	/* 0 not looked up, 1 being looked up, 2 ready */

/* The next definition of name, if it lives in the same object as the
 * next malloc (an allocator that lacks, say, pvalloc must not have its
 * blocks' neighbours come from glibc's). */
static void *next_sym(const char *name, const void *base)
{
	void *p = dlsym(RTLD_NEXT, name);
	Dl_info di;

	if (!p || !base)
		return p;
	if (!dladdr(p, &di) || di.dli_fbase != base)
		return NULL;
	return p;
}

/* Looks up the next allocator once. Returns 1 when R is usable; 0 while
 * the lookup runs (in this thread, whose dlsym may allocate, or in
 * another): the arena serves those calls. */
static int resolve(void)
{
	int expected = 0;
	sigset_t old;
	Dl_info di;
	const void *base = NULL;

	if (LIKELY(__atomic_load_n(&g_real, __ATOMIC_ACQUIRE) == 2))
		return 1;
	if (!__atomic_compare_exchange_n(&g_real, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 0;
	self_begin(&old);
	R.malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	if (R.malloc && dladdr((void *)R.malloc, &di))
		base = di.dli_fbase;
	R.free = (void (*)(void *))next_sym("free", base);
	R.calloc = (void *(*)(size_t, size_t))next_sym("calloc", base);
	R.realloc = (void *(*)(void *, size_t))next_sym("realloc", base);
	if (!R.malloc || !R.free || !R.calloc || !R.realloc) {
		memset(&R, 0, sizeof(R));
		R.malloc = __libc_malloc;
		R.free = __libc_free;
		R.calloc = __libc_calloc;
		R.realloc = __libc_realloc;
		R.memalign = __libc_memalign;
		base = NULL;
	} else {
		R.memalign = (void *(*)(size_t, size_t))next_sym("memalign", base);
		R.posix_memalign = (int (*)(void **, size_t, size_t))next_sym("posix_memalign", base);
		R.aligned_alloc = (void *(*)(size_t, size_t))next_sym("aligned_alloc", base);
		R.valloc = (void *(*)(size_t))next_sym("valloc", base);
		R.pvalloc = (void *(*)(size_t))next_sym("pvalloc", base);
	}
	R.usable = (size_t (*)(void *))next_sym("malloc_usable_size", base);
	(void)dlerror();	/* the program's dlerror() must not see our misses */
	self_end(&old);
	__atomic_store_n(&g_real, 2, __ATOMIC_RELEASE);
	return 1;
}

#define REAL_OK() (LIKELY(__atomic_load_n(&g_real, __ATOMIC_ACQUIRE) == 2) || resolve())

/* An aligned block from the next allocator, with whichever of its aligned
 * entry points it has. */
static void *real_aligned(size_t align, size_t n)
{
	void *p = NULL;

	if (R.memalign)
		return R.memalign(align, n);
	if (R.posix_memalign) {
		if (align < sizeof(void *))
			align = sizeof(void *);
		return R.posix_memalign(&p, align, n) ? NULL : p;
	}
	if (R.aligned_alloc)
		return R.aligned_alloc(align, (n + align - 1) & ~(align - 1));
	return NULL;
}

static size_t page_round(size_t n)
{
	size_t ps = (size_t)g_pagesize;

	return n ? (n + ps - 1) & ~(ps - 1) : ps;
}

/* The agent's own allocations (t_self) and those made before the lookup
 * is done: the arena, else (self only) the next allocator. */
static void *boot_alloc(size_t n, size_t align)
{
	void *p = arena_alloc(n, align);

	if (p || __atomic_load_n(&g_real, __ATOMIC_ACQUIRE) != 2)
		return p;
	return align > 16 ? real_aligned(align, n) : R.malloc(n);
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
		sys_munmap(g_stab, g_scap * sizeof(*g_stab));
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
		n = sys_mmap(NULL, ncap * elem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
		sys_munmap(*tab, *cap * sizeof(**tab));
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

	/* A pointer still in the table was freed behind our back (by libc
	 * code that frees without calling free, e.g. reallocarray's realloc);
	 * drop the stale entry first so the books stay balanced. */
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

/* The thread's stack top (the walk reads nothing above it) and its CFI
 * cache: once per thread, with signals held back (pthread_getattr_np
 * allocates). */
static void thread_init(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	sigset_t old;
	uintptr_t hi = 0;

	self_begin(&old);
	if (syscall(SYS_gettid) == getpid()) {
		hi = (uintptr_t)__libc_stack_end;
	} else if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &addr, &size) == 0)
			hi = (uintptr_t)addr + size;
		pthread_attr_destroy(&a);
	}
	if (g_cfi)
		cfi_thread_init();
	self_end(&old);
	t_stack_hi = hi ? hi : 1;	/* 1: unknown, only the first frame */
}

/* Walks the stack from fp (an interposer's own frame, which has a frame
 * pointer): the frame-pointer chain (--unwind fp), or the cached CFI
 * walker, which also gets through code built without frame pointers. A
 * walk nested in another (a signal handler's) leaves the cache alone. */
static inline int capture(void **fp, uint64_t *ips)
{
	uintptr_t hi, cur = (uintptr_t)fp;
	int n = 0;

	if (UNLIKELY(!t_stack_hi))
		thread_init();
	hi = t_stack_hi;
	if (cur >= hi) {
		ips[0] = (uint64_t)(uintptr_t)fp[1] - 1;
		return 1;	/* on an alternate signal stack */
	}
	if (g_cfi)
		return cfi_walk((uint64_t)(uintptr_t)fp[1], (uint64_t)cur + 16,
				(uint64_t)(uintptr_t)fp[0], hi, ips, 0, g_depth, t_depth > 1);
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
	g_smap = sys_mmap(NULL, g_scap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, g_sfd, 0);
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
	p = sys_mmap(NULL, tbytes, PROT_READ | PROT_WRITE, MAP_SHARED, g_tfd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (g_st) {
		/* fork child: start from the parent's state, then make it ours */
		memcpy(p, g_st, tbytes);
		sys_munmap(g_st, tbytes);
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
		sys_munmap(g_smap, g_scap_bytes);
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

static inline void book_lock(void);
static inline void book_unlock(void);
static void drain(void);

static void atfork_prepare(void)
{
	if (g_state != ST_READY)
		return;
	/* held across the fork: what another prepare handler allocates
	 * meanwhile is queued, and booked by both sides after it */
	book_lock();
	drain();
	g_fork_copy_len = sizeof(struct memw_stats_hdr) + g_tcap * sizeof(struct memw_site_live);
	g_fork_copy = map_anon(g_fork_copy_len);
	if (g_fork_copy)
		memcpy(g_fork_copy, g_st, g_fork_copy_len);
}

static void atfork_parent(void)
{
	if (g_state != ST_READY)
		return;
	if (g_fork_copy)
		sys_munmap(g_fork_copy, g_fork_copy_len);
	g_fork_copy = NULL;
	book_unlock();
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
		book_unlock();
		return;
	}
	sys_munmap(g_st, g_fork_copy_len);
	g_st = g_fork_copy;
	g_fork_copy = NULL;
	sys_munmap(g_smap, g_scap_bytes);
	close(g_sfd);
	close(g_tfd);
	g_smap = NULL;
	g_sfd = g_tfd = -1;
	if (g_statm_fd >= 0) {
		close(g_statm_fd);
		g_statm_fd = high_fd(open("/proc/self/statm", O_RDONLY | O_CLOEXEC));
	}
	if (open_files(ppid, (g_st->flags & (MEMW_F_MMAP | MEMW_F_PYTHON)) | MEMW_F_FORKED)) {
		close_files();
		g_state = ST_OFF;
		book_unlock();
		return;
	}
	/* Inherited: the live set and the stacks. Counted anew: calls, the peak. */
	g_st->alloc_calls = g_st->alloc_bytes = g_st->free_calls = 0;
	g_st->temp_calls = g_st->temp_bytes = g_st->unknown_frees = 0;
	g_st->snapshots = 0;
	g_st->dropped = 0;
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
	book_unlock();
}

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (g_state != ST_READY || t_in_lock) {
		g_snap_pending = 1;	/* taken at the next event */
	} else {
		book_lock();
		signal_snapshot();
		book_unlock();
	}
	errno = saved;
}

static void parse_opts(const char *s)
{
	while (s && *s) {
		const char *e;

		if (!strncmp(s, "mmap=", 5)) {
			g_mmap = (int)parse_u64(s + 5, &e);
		} else if (!strncmp(s, "leaks=", 6)) {
			g_leaks = (int)parse_u64(s + 6, &e);
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
	sigset_t old;

	if (!__atomic_compare_exchange_n(&g_state, &expected, ST_INIT, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	if (!dir || !*dir || strlen(dir) >= sizeof(g_dir) - 40) {
		__atomic_store_n(&g_state, ST_OFF, __ATOMIC_RELEASE);
		return;
	}
	self_begin(&old);
	memcpy(g_dir, dir, strlen(dir) + 1);
	parse_opts(getenv(MEMW_ENV_OPTS));
	g_pagesize = sysconf(_SC_PAGESIZE);
	if (open_files((uint32_t)getppid(), g_mmap ? MEMW_F_MMAP : 0) ||
	    ptab_grow(&g_ptab, &g_pcap) || stab_grow()) {
		close_files();
		__atomic_store_n(&g_state, ST_OFF, __ATOMIC_RELEASE);
		self_end(&old);
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
	self_end(&old);
}

__attribute__((constructor)) static void agent_ctor(void)
{
	if (g_state == ST_UNINIT)
		agent_init();
}

/* Adds the blocks of one pointer table (value: size << 20 | stack). */
static size_t collect_blocks(const struct pent *tab, uint64_t cap, struct ls_block *b, size_t n,
			     size_t max)
{
	for (uint64_t i = 0; tab && i < cap && n < max; i++) {
		if (!tab[i].key)
			continue;
		b[n].addr = tab[i].key;
		b[n].size = tab[i].val >> 20;
		b[n].stack = (uint32_t)(tab[i].val & 0xfffff);
		n++;
	}
	return n;
}

/*
 * At exit: memcheck's classes for the blocks still in use, as one
 * MEMW_LEAKS record (per stack and class: bytes, blocks). The scan reads
 * the whole live heap once; its time goes in the record.
 */
/* 1 when addr is code of libc, the dynamic loader or this agent. */
static int runtime_code(uint64_t addr)
{
	Dl_info di, self;
	const char *b;

	if (!dladdr((void *)(uintptr_t)addr, &di) || !di.dli_fname)
		return 0;
	if (dladdr((void *)(uintptr_t)runtime_code, &self) && di.dli_fbase == self.dli_fbase)
		return 1;
	b = strrchr(di.dli_fname, '/');
	b = b ? b + 1 : di.dli_fname;
	return !strncmp(b, "libc.so", 7) || !strncmp(b, "ld-linux", 8);
}

/*
 * Where the program's live stack starts: above the frames of exit()'s
 * machinery (exit, __run_exit_handlers, _dl_fini, this destructor),
 * whose unused slots still hold what the program's dead frames left
 * there (the last pointer a loop made, which would pass for a root).
 * The first frame that is the program's own called exit() (or is
 * _start, when main returned): its stack from the call up is live.
 */
static uint64_t live_stack_start(void)
{
	void **fp = __builtin_frame_address(0);
	uint64_t ips[64], cfas[64], sp = (uint64_t)(uintptr_t)fp;
	int n;

	if (!t_stack_hi)
		thread_init();
	if (!g_cfi || (uintptr_t)fp >= t_stack_hi)
		return sp;
	n = cfi_walk_frames((uint64_t)(uintptr_t)fp[1], (uint64_t)(uintptr_t)fp + 16,
			    (uint64_t)(uintptr_t)fp[0], t_stack_hi, ips, cfas, 64);
	for (int i = 0; i < n; i++)
		if (!runtime_code(ips[i]))
			return i ? cfas[i - 1] : sp;
	return sp;
}

static void classify_leaks(void)
{
	uint64_t t0 = now_ns(), sp = live_stack_start();
	size_t max = (size_t)(g_pcount + g_mcount), n, nent = 0, blen, wlen;
	struct ls_block *b;
	uint32_t *work;
	struct ls_stats st;
	struct memw_leaks h;
	struct ls_range x[8];
	size_t nx = 0;
	char *p;

	if (!max)
		return;
	blen = max * sizeof(*b);
	wlen = 2 * max * sizeof(*work);
	b = map_anon(blen);
	work = map_anon(wlen);
	if (!b || !work)
		goto out;
	n = collect_blocks(g_ptab, g_pcap, b, 0, max);
	n = collect_blocks(g_mtab, g_mcap, b, n, max);
	/* the agent's own memory holds every block's address */
#define EXCL(ptr, len) do { if (ptr) { x[nx].start = (uint64_t)(uintptr_t)(ptr); \
		x[nx].end = x[nx].start + (uint64_t)(len); nx++; } } while (0)
	EXCL(g_ptab, g_pcap * sizeof(*g_ptab));
	EXCL(g_mtab, g_mcap * sizeof(*g_mtab));
	EXCL(g_stab, g_scap * sizeof(*g_stab));
	EXCL(g_ips, g_ips_cap * 8);
	EXCL(g_soff, g_soff_cap * 8);
	EXCL(g_fork_copy, g_fork_copy_len);
	EXCL(b, blen);
	EXCL(work, wlen);
#undef EXCL
	if (leakscan(b, n, work, x, nx, sp, &st))
		goto out;
	leakscan_sort_by_stack(b, n);
	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		if (!i || b[i].stack != b[i - 1].stack || b[i].cls != b[i - 1].cls)
			nent++;
		h.bytes[b[i].cls] += b[i].size;
		h.blocks[b[i].cls]++;
	}
	h.n = (uint32_t)nent;
	h.root_bytes = st.root_bytes;
	h.block_bytes = st.block_bytes;
	h.scan_ns = now_ns() - t0;
	p = stream_begin((uint32_t)(sizeof(h) + nent * sizeof(struct memw_leak_entry)));
	if (p) {
		struct memw_leak_entry *e = (struct memw_leak_entry *)(p + sizeof(h));
		size_t k = 0;

		memcpy(p, &h, sizeof(h));
		for (size_t i = 0; i < n; i++) {
			if (!i || b[i].stack != b[i - 1].stack || b[i].cls != b[i - 1].cls) {
				if (i)
					k++;
				e[k].stack = b[i].stack;
				e[k].cls = b[i].cls;
				e[k].bytes = 0;
				e[k].blocks = 0;
			}
			e[k].bytes += b[i].size;
			e[k].blocks++;
		}
		stream_end(MEMW_LEAKS);
	}
out:
	if (b)
		sys_munmap(b, blen);
	if (work)
		sys_munmap(work, wlen);
}

__attribute__((destructor)) static void agent_dtor(void)
{
	if (g_state != ST_READY)
		return;
	book_lock();
	g_st->flags |= MEMW_F_EXITED;
	g_st->end_mono_ns = now_ns();
	{
		uint64_t rss = read_rss();

		if (rss > g_st->rss_max)
			g_st->rss_max = rss;
	}
	g_st->last_time_ns = g_st->end_mono_ns;
	if (g_leaks)
		classify_leaks();
	book_unlock();
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

	if (!ver && !dlsym(RTLD_DEFAULT, "Py_Initialize")) {
		(void)dlerror();	/* the program's dlerror() must not see our misses */
		return;
	}
	g_st->flags |= MEMW_F_PYTHON;
	if (!ver || (*ver >> 16) != 0x030b)
		return;
	g_pycode_type = (uintptr_t)dlsym(RTLD_DEFAULT, "PyCode_Type");
	g_pyrt = (uintptr_t)dlsym(RTLD_DEFAULT, "_PyRuntime");
	if (!g_pycode_type)
		g_pyrt = 0;
}

/* Appends the Python frames of the calling thread (when it holds the GIL,
 * so its frames cannot change under us) to ips. Returns the new count. */
static int python_capture(uint64_t *ips, int n, int max)
{
	uintptr_t ts;

	if (!g_pyrt)
		return n;
	ts = PYLOAD(uintptr_t, g_pyrt, MEMW_PY311_GIL_TSTATE);
	if (!ts)
		return n;
	if (UNLIKELY(!t_tid))
		t_tid = (uint32_t)syscall(SYS_gettid);
	if (PYLOAD(uint64_t, ts, MEMW_PY311_TSTATE_NATIVE_TID) != t_tid)
		return n;
	return pyframes_walk(ts, g_pycode_type, ips, n, max);
}

/* Describes each new code object of a stack (under the lock). */
static void python_describe(const uint64_t *ips, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t code, h;
		struct memw_pycode pc;
		const char *name, *file;
		const void *table;
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
		pyframes_code(ips[i], &pc, &name, &file, &table);
		rec = stream_begin((uint32_t)sizeof(pc) + pc.name_len + pc.file_len + pc.table_len);
		if (rec) {
			memcpy(rec, &pc, sizeof(pc));
			memcpy(rec + sizeof(pc), name, pc.name_len);
			memcpy(rec + sizeof(pc) + pc.name_len, file, pc.file_len);
			if (pc.table_len)
				memcpy(rec + sizeof(pc) + pc.name_len + pc.file_len, table, pc.table_len);
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

	if (g_pyrt)
		n = python_capture(ips, pyframes_room(ips, n, MEMW_MAX_DEPTH), MEMW_MAX_DEPTH);
	return n;
}

/* ---- booking: the lock, and events queued by signal handlers --------- */

enum { EV_ALLOC = 1, EV_FREE, EV_REALLOC, EV_MMAP, EV_MUNMAP };

/* An event a signal handler made while its thread held the lock. */
struct dev {
	uint64_t seq;		/* index + 1 once the entry is whole */
	uint32_t kind, nr;
	uint64_t ptr, size;
	uint64_t old;		/* EV_REALLOC: the block released */
	uint64_t real_free;	/* free ptr (EV_FREE) or old (EV_REALLOC) once booked */
	uint64_t ips[MEMW_MAX_DEPTH];
};
#define QN 256u
static TLS struct dev *t_q;
static TLS uint64_t t_qhead, t_qtail;

static void book_alloc(uint64_t ptr, uint64_t size, const uint64_t *ips, int n, int mm)
{
	uint32_t id;

	if (g_pyrt)
		python_describe(ips, n);
	id = intern_stack(ips, n);
	if (mm)
		account_alloc(ptr, clamp_size(size), id, &g_mtab, &g_mcap, &g_mcount);
	else
		account_alloc(ptr, clamp_size(size), id, &g_ptab, &g_pcap, &g_pcount);
}

/* Books a queued event (under the lock), then does the free it held back. */
static void apply(const struct dev *e)
{
	int live = g_state == ST_READY;

	switch (e->kind) {
	case EV_ALLOC:
	case EV_MMAP:
		if (live)
			book_alloc(e->ptr, e->size, e->ips, (int)e->nr, e->kind == EV_MMAP);
		break;
	case EV_FREE:
		if (live)
			account_free(e->ptr, g_ptab, g_pcap, &g_pcount);
		if (e->real_free)
			R.free((void *)(uintptr_t)e->ptr);
		break;
	case EV_MUNMAP:
		if (live)
			account_free(e->ptr, g_mtab, g_mcap, &g_mcount);
		break;
	case EV_REALLOC:
		if (live && e->old)
			account_free(e->old, g_ptab, g_pcap, &g_pcount);
		if (e->real_free)
			R.free((void *)(uintptr_t)e->old);
		if (live && e->ptr)
			book_alloc(e->ptr, e->size, e->ips, (int)e->nr, 0);
		break;
	}
}

/* Books this thread's queued events, in order (under the lock). */
static void drain(void)
{
	if (UNLIKELY(__atomic_load_n(&g_dropped_pending, __ATOMIC_RELAXED)) && g_state == ST_READY)
		g_st->dropped += __atomic_exchange_n(&g_dropped_pending, 0, __ATOMIC_RELAXED);
	while (t_qhead != __atomic_load_n(&t_qtail, __ATOMIC_RELAXED)) {
		const struct dev *e = &t_q[t_qhead % QN];

		FENCE();
		if (e->seq == t_qhead + 1)
			apply(e);	/* else: dropped when the queue was full */
		FENCE();
		__atomic_store_n(&t_qhead, t_qhead + 1, __ATOMIC_RELAXED);
	}
}

static inline void book_lock(void)
{
	t_in_lock = 1;
	FENCE();
	lock();
}

/* Releases the lock after booking what handlers queued meanwhile; a
 * handler that runs after t_in_lock is clear books for itself. */
static inline void book_unlock(void)
{
	for (;;) {
		drain();
		unlock();
		FENCE();
		t_in_lock = 0;
		FENCE();
		if (LIKELY(__atomic_load_n(&t_qtail, __ATOMIC_RELAXED) == t_qhead))
			return;
		t_in_lock = 1;
		FENCE();
		lock();
	}
}

/* In a signal handler whose thread holds the lock: queues the event for
 * the booking that handler interrupted (async-signal-safe). A full queue
 * drops the event and counts it. */
static void defer(uint32_t kind, uint64_t ptr, uint64_t size, uint64_t old, int real_free,
		  const uint64_t *ips, int nr)
{
	struct dev *q = t_q, *e;
	uint64_t idx;

	if (UNLIKELY(!q)) {
		struct dev *none = NULL, *m = map_anon(QN * sizeof(struct dev));

		if (m && !__atomic_compare_exchange_n(&t_q, &none, m, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			sys_munmap(m, QN * sizeof(struct dev));
		q = t_q;
	}
	idx = __atomic_fetch_add(&t_qtail, 1, __ATOMIC_RELAXED);
	if (!q || idx - __atomic_load_n(&t_qhead, __ATOMIC_RELAXED) >= QN) {
		__atomic_fetch_add(&g_dropped_pending, 1, __ATOMIC_RELAXED);
		if (real_free)
			R.free((void *)(uintptr_t)(kind == EV_REALLOC ? old : ptr));
		return;
	}
	e = &q[idx % QN];
	e->kind = kind;
	e->nr = (uint32_t)nr;
	e->ptr = ptr;
	e->size = size;
	e->old = old;
	e->real_free = (uint64_t)real_free;
	if (nr > 0)
		memcpy(e->ips, ips, (size_t)nr * 8);
	FENCE();
	e->seq = idx + 1;
}

/* ---- the interposers ------------------------------------------------- */

static inline int enter(void)
{
	if (UNLIKELY(t_self) || !ready())
		return 0;
	t_depth++;
	FENCE();
	return 1;
}

static inline void leave(void)
{
	FENCE();
	t_depth--;
}

/* An allocation the program made: booked now, or queued when a signal
 * handler made it while its thread holds the lock. */
static void record_alloc(void *p, size_t size, void **fp, int mm)
{
	uint64_t ips[MEMW_MAX_DEPTH];
	int n = mm ? capture(fp, ips) : full_capture(fp, ips);

	if (UNLIKELY(t_in_lock)) {
		defer(mm ? EV_MMAP : EV_ALLOC, (uint64_t)(uintptr_t)p, size, 0, 0, ips, n);
		return;
	}
	book_lock();
	book_alloc((uint64_t)(uintptr_t)p, size, ips, n, mm);
	book_unlock();
}

/* A release the program made (a free, or a munmap with mm): booked now,
 * or queued like an allocation. Returns 1 when queued; with hold, the
 * queue then does the real free once the release is booked, so no other
 * thread can be handed the address before. */
static int record_release(uint64_t ptr, int mm, int hold)
{
	if (UNLIKELY(t_in_lock)) {
		defer(mm ? EV_MUNMAP : EV_FREE, ptr, 0, 0, hold, NULL, 0);
		return 1;
	}
	book_lock();
	if (mm)
		account_free(ptr, g_mtab, g_mcap, &g_mcount);
	else
		account_free(ptr, g_ptab, g_pcap, &g_pcount);
	book_unlock();
	return 0;
}

/* Blocks served before the next allocator is known (another thread is
 * looking it up): from the arena, unrecorded, so counted as dropped. */
static void *early_alloc(size_t n, size_t align)
{
	void *p = arena_alloc(n, align);

	if (p)
		__atomic_fetch_add(&g_dropped_pending, 1, __ATOMIC_RELAXED);
	return p;
}

#define BOOT(n, align)                                       \
	do {                                                 \
		if (UNLIKELY(t_self))                        \
			return boot_alloc((n), (align));     \
		if (UNLIKELY(!REAL_OK()))                    \
			return early_alloc((n), (align));    \
	} while (0)

EXPORT void *malloc(size_t n)
{
	void *p;

	BOOT(n, 0);
	if (!enter())
		return R.malloc(n);
	p = R.malloc(n);
	if (p)
		record_alloc(p, n, __builtin_frame_address(0), 0);
	leave();
	return p;
}

EXPORT void free(void *p)
{
	if (!p)
		return;
	if (UNLIKELY(in_arena(p))) {
		arena_free(p);
		return;
	}
	if (UNLIKELY(!REAL_OK()))
		return;	/* not reached: blocks from before the lookup are the arena's */
	if (!enter()) {
		R.free(p);
		return;
	}
	if (!record_release((uint64_t)(uintptr_t)p, 0, 1))
		R.free(p);
	leave();
}

EXPORT void *calloc(size_t n, size_t m)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, m, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	BOOT(total, 0);
	if (!enter())
		return R.calloc(n, m);
	p = R.calloc(n, m);
	if (p)
		record_alloc(p, total, __builtin_frame_address(0), 0);
	leave();
	return p;
}

/* realloc of an arena block (one the agent's libc calls or the start-up
 * handed out): a new block and a copy, the arena block given back. */
static void *arena_realloc(void *old, size_t n)
{
	size_t have = arena_size(old);
	void *p;

	if (!n) {
		arena_free(old);
		return NULL;
	}
	if (t_self)
		p = boot_alloc(n, 0);
	else if (__atomic_load_n(&g_real, __ATOMIC_ACQUIRE) == 2)
		p = R.malloc(n);
	else
		p = early_alloc(n, 0);
	if (p) {
		memcpy(p, old, have < n ? have : n);
		arena_free(old);
	}
	return p;
}

/* realloc in a signal handler whose thread holds the lock: the booking
 * is queued; the old block's real free waits for it (a new block and a
 * copy, when the allocator can tell the old block's size). */
static void *realloc_deferred(void *old, size_t n, void **fp)
{
	uint64_t ips[MEMW_MAX_DEPTH];
	int nr = 0, held = 0;
	void *p;

	if (old && n && R.usable) {
		size_t have = R.usable(old);

		p = R.malloc(n);
		if (!p)
			return NULL;
		memcpy(p, old, have < n ? have : n);
		held = 1;
	} else {
		p = R.realloc(old, n);
		if (!p && !(old && !n))
			return NULL;
	}
	if (p)
		nr = full_capture(fp, ips);
	defer(EV_REALLOC, (uint64_t)(uintptr_t)p, n, (uint64_t)(uintptr_t)old, held, ips, nr);
	return p;
}

EXPORT void *realloc(void *old, size_t n)
{
	uint64_t v = 0, ips[MEMW_MAX_DEPTH];
	int known = 0, nr = 0;
	void *p;

	if (UNLIKELY(old && in_arena(old)))
		return arena_realloc(old, n);
	if (!old)
		BOOT(n, 0);
	else if (UNLIKELY(t_self || !REAL_OK()))
		return REAL_OK() ? R.realloc(old, n) : NULL;
	if (!enter())
		return R.realloc(old, n);
	if (UNLIKELY(t_in_lock)) {
		p = realloc_deferred(old, n, __builtin_frame_address(0));
		leave();
		return p;
	}
	if (old) {
		/* Take the old block out first: once realloc returns, another
		 * thread may be handed its address. */
		book_lock();
		known = ptab_take(g_ptab, g_pcap, &g_pcount, (uint64_t)(uintptr_t)old, &v);
		book_unlock();
	}
	p = R.realloc(old, n);
	if (p || (old && !n)) {
		if (p)
			nr = full_capture(__builtin_frame_address(0), ips);
		book_lock();
		if (known)
			account_release((uint64_t)(uintptr_t)old, v);
		else if (old)
			g_st->unknown_frees++;
		if (p)
			book_alloc((uint64_t)(uintptr_t)p, n, ips, nr, 0);
		book_unlock();
	} else if (known) {
		/* realloc failed: the old block lives on */
		book_lock();
		ptab_put(&g_ptab, &g_pcap, &g_pcount, (uint64_t)(uintptr_t)old, v);
		book_unlock();
	}
	leave();
	return p;
}

/* The aligned allocators, with whichever entry points the next allocator
 * has (a missing one is made from another: valloc is a page-aligned
 * block, pvalloc a page-aligned block of whole pages). */
enum { AL_MEMALIGN, AL_ALIGNED, AL_POSIX, AL_VALLOC, AL_PVALLOC };

static void *real_align(int how, size_t align, size_t n)
{
	switch (how) {
	case AL_ALIGNED:
		if (R.aligned_alloc)
			return R.aligned_alloc(align, n);
		break;
	case AL_VALLOC:
		return R.valloc ? R.valloc(n) : real_aligned((size_t)g_pagesize, n);
	case AL_PVALLOC:
		return R.pvalloc ? R.pvalloc(n) : real_aligned((size_t)g_pagesize, page_round(n));
	}
	return real_aligned(align, n);
}

/* One body for memalign, aligned_alloc, posix_memalign, valloc and
 * pvalloc; fp is the interposer's frame. */
static void *aligned_common(int how, size_t align, size_t n, void **fp)
{
	void *p;

	if (how == AL_VALLOC || how == AL_PVALLOC)
		align = (size_t)g_pagesize;
	BOOT(n, align);
	if (!enter())
		return real_align(how, align, n);
	p = real_align(how, align, n);
	if (p)
		record_alloc(p, n, fp, 0);
	leave();
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	return aligned_common(AL_MEMALIGN, align, n, __builtin_frame_address(0));
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return aligned_common(AL_ALIGNED, align, n, __builtin_frame_address(0));
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align % sizeof(void *) || (align & (align - 1)) || !align)
		return EINVAL;
	p = aligned_common(AL_POSIX, align, n, __builtin_frame_address(0));
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t n)
{
	return aligned_common(AL_VALLOC, 0, n, __builtin_frame_address(0));
}

EXPORT void *pvalloc(size_t n)
{
	return aligned_common(AL_PVALLOC, 0, n, __builtin_frame_address(0));
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (in_arena(p))
		return arena_size(p);
	if (!REAL_OK() || !R.usable)
		return 0;
	return R.usable(p);
}

/* ---- optional: anonymous mmap/munmap --------------------------------- */

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = sys_mmap(addr, len, prot, flags, fd, off);

	if (p != MAP_FAILED && g_mmap && (flags & MAP_ANONYMOUS) && enter()) {
		record_alloc(p, len, __builtin_frame_address(0), 1);
		leave();
	}
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
	if (g_mmap && g_mcount && enter()) {
		record_release((uint64_t)(uintptr_t)addr, 1, 0);
		leave();
	}
	return sys_munmap(addr, len);
}

/* ---- dlopen: new code needs its maps ---------------------------------- */

EXPORT void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);
	void *h;

	if (!real) {
		sigset_t old;

		self_begin(&old);
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
		self_end(&old);
	}
	if (!real)
		return NULL;
	h = real(file, mode);
	if (h && file && enter()) {
		if (!t_in_lock) {
			book_lock();
			emit_maps();
			book_unlock();
		}
		leave();
	}
	return h;
}

/* ---- the libpinch hook ----------------------------------------------- */

EXPORT void pinch_mem_agent_snapshot(const char *label)
{
	if (!enter())
		return;
	if (!t_in_lock) {
		book_lock();
		emit_snapshot(label && *label ? label : "snapshot");
		book_unlock();
	}
	leave();
}
