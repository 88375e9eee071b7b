/*
 * agent.c - pinch db trace's LD_PRELOAD agent (libpinch-db.so). Defines
 * the libpq and libsqlite3 entry points that issue statements, forwards
 * each call to the real library and times it:
 *
 *   libpq    PQexec, PQexecParams, PQprepare, PQexecPrepared (a statement
 *            each); PQsendQuery, PQsendQueryParams, PQsendPrepare,
 *            PQsendQueryPrepared queue a statement on the connection and
 *            the PQgetResult that returns NULL for it finishes it (in
 *            pipeline mode several are queued; PGRES_PIPELINE_SYNC
 *            results belong to none).
 *   sqlite3  sqlite3_prepare* remember the handle's statement text
 *            (sqlite3_sql()); an execution is the time spent in
 *            sqlite3_step from the first step until SQLITE_DONE, an error,
 *            sqlite3_reset or sqlite3_finalize; sqlite3_exec is one
 *            statement of its own (its inner prepare/step are not counted).
 *
 * The definitions are found by symbol name: the preloaded agent comes
 * first in the global scope, so it also wins for libraries that a
 * dlopen()ed module (Python's _sqlite3, psycopg2's _psycopg) brings in
 * without RTLD_GLOBAL; the real function is then looked up with
 * dlsym(RTLD_NEXT) or, when that misses, in each loaded object other
 * than this one. A per-thread depth guard passes the libraries' calls of
 * their own exported functions straight through.
 *
 * Per normalized statement (sqlnorm.h) the agent keeps calls, errors,
 * rows, total and max time and a hist.h histogram, with atomic adds (no
 * lock on the hot path). A statement over the slow threshold is written
 * at once with its stack (CFI walk, cfi.c) and the thread's Python frames
 * (CPython 3.11, through PyGILState_GetThisThreadState: psycopg2 and
 * _sqlite3 release the GIL around the call). Results and error handling
 * of the program are never changed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "agent/mem/cfi.h"
#include "agent/mem/pyframes.h"	/* CPython 3.11 frames, struct memw_pycode */
#include "model/hist.h"		/* hist_index() (inline, libc only) */
#include "sqlnorm.h"
#include "wire.h"

#define EXPORT __attribute__((visibility("default")))
#define TLS __thread __attribute__((tls_model("initial-exec")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

extern void *__libc_stack_end;

/* ---- state ------------------------------------------------------------ */

struct entry {
	uint64_t hash;
	uint32_t text_off, text_len;
	uint32_t api;
	uint32_t used;
	uint64_t calls, errors, rows, total_ns, max_ns;
	uint64_t *hist;		/* g_nbuckets counters, mmap'd */
};

static int g_on;		/* PINCH_DB_DIR set and the file open */
static int g_fd = -1;
static char g_dir[512];
static uint64_t g_slow_ns = 100000000ull;
static uint32_t g_nbuckets;
static volatile int g_lock;
static int g_forked;
static uint64_t g_untracked;

static struct entry *g_ent;	/* DBW_MAX_STMTS */
static uint32_t g_nent = 1;	/* entry 0: the overflow */
#define ETAB_BITS 15		/* hash -> entry id + 1 */
static uint32_t *g_etab;
static char *g_text;		/* normalized texts */
static size_t g_text_len, g_text_cap;

#define TOMB ((uintptr_t)1)	/* a freed slot of the handle tables */

static TLS int t_depth;
static TLS uintptr_t t_stack_hi;

static void lock(void)
{
	while (__atomic_exchange_n(&g_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&g_lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void unlock(void)
{
	__atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The SQLite path times with the TSC where the kernel itself trusts it
 * (clocksource tsc, constant and nonstop): two clock_gettime calls per
 * sqlite3_step would be most of the tracing's cost. The tick rate is
 * measured against CLOCK_MONOTONIC over at least 5 ms from start-up,
 * the first time a duration needs converting.
 */
static int g_tsc;
static uint64_t g_tsc0, g_mono0;
static volatile double g_ns_per_tick;	/* aligned: a plain store is atomic on x86-64 */

static inline uint64_t ticks(void)
{
	return g_tsc ? __builtin_ia32_rdtsc() : now_ns();
}

static __attribute__((noinline)) double calibrate(void)
{
	uint64_t m, t;
	double f;

	do {
		m = now_ns();
		t = __builtin_ia32_rdtsc();
	} while (m - g_mono0 < 5000000ull);
	f = t > g_tsc0 ? (double)(m - g_mono0) / (double)(t - g_tsc0) : 1.0;
	g_ns_per_tick = f;
	return f;
}

static inline uint64_t ticks_to_ns(uint64_t d)
{
	double f;

	if (!g_tsc)
		return d;
	f = g_ns_per_tick;
	if (UNLIKELY(f == 0))
		f = calibrate();
	return (uint64_t)((double)d * f);
}

static int file_has(const char *path, const char *const *words, int n)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	ssize_t len;

	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	for (int i = 0; i < n; i++)
		found += strstr(buf, words[i]) != NULL;
	return found == n;
}

static void tsc_init(void)
{
	static const char *const cs[] = { "tsc" };
	static const char *const flags[] = { " constant_tsc", " nonstop_tsc" };

	if (!file_has("/sys/devices/system/clocksource/clocksource0/current_clocksource", cs, 1) ||
	    !file_has("/proc/cpuinfo", flags, 2))
		return;
	g_mono0 = now_ns();
	g_tsc0 = __builtin_ia32_rdtsc();
	g_tsc = 1;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- finding the real functions --------------------------------------- */

struct find {
	const char *name;
	void *fn;
};

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find *f = arg;
	Dl_info self, got;
	void *h, *fn;

	(void)size;
	if (!info->dlpi_name || !info->dlpi_name[0])
		return 0;
	h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return 0;
	fn = dlsym(h, f->name);
	dlclose(h);
	if (!fn || !dladdr((void *)find_cb, &self) || !dladdr(fn, &got) ||
	    got.dli_fbase == self.dli_fbase)
		return 0;
	f->fn = fn;
	return 1;
}

/* The next definition of name after this agent's, or NULL. */
static void *real(const char *name)
{
	struct find f = { name, NULL };
	void *fn = dlsym(RTLD_NEXT, name);

	if (fn)
		return fn;
	dl_iterate_phdr(find_cb, &f);
	(void)dlerror();	/* the program's dlerror() must not see our misses */
	return f.fn;
}

#define REAL(fn) \
	static __typeof__(fn) *real_##fn; \
	static inline __typeof__(fn) *get_##fn(void) \
	{ \
		__typeof__(fn) *p = __atomic_load_n(&real_##fn, __ATOMIC_ACQUIRE); \
		if (UNLIKELY(!p)) { \
			p = (__typeof__(fn) *)real(#fn); \
			__atomic_store_n(&real_##fn, p, __ATOMIC_RELEASE); \
		} \
		return p; \
	}

REAL(PQexec)
REAL(PQexecParams)
REAL(PQprepare)
REAL(PQexecPrepared)
REAL(PQsendQuery)
REAL(PQsendQueryParams)
REAL(PQsendPrepare)
REAL(PQsendQueryPrepared)
REAL(PQgetResult)
REAL(PQfinish)
REAL(PQresultStatus)
REAL(PQntuples)
REAL(PQcmdTuples)
REAL(sqlite3_prepare)
REAL(sqlite3_prepare_v2)
REAL(sqlite3_prepare_v3)
REAL(sqlite3_prepare16)
REAL(sqlite3_prepare16_v2)
REAL(sqlite3_prepare16_v3)
REAL(sqlite3_step)
REAL(sqlite3_reset)
REAL(sqlite3_finalize)
REAL(sqlite3_exec)
REAL(sqlite3_sql)
REAL(sqlite3_changes)
REAL(sqlite3_db_handle)
REAL(sqlite3_stmt_readonly)

/* When the real function cannot be found the call fails as if the
 * library were absent: abort with a message (a program that calls PQexec
 * has libpq loaded, so this means a broken environment). */
static void missing(const char *name)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "pinch db agent: cannot find the real %s\n", name);

	if (n > 0 && write(2, msg, (size_t)n) < 0)
		n = 0;
	abort();
}

#define CALL(fn, ...) \
	({ \
		__typeof__(fn) *f_ = get_##fn(); \
		if (UNLIKELY(!f_)) \
			missing(#fn); \
		f_(__VA_ARGS__); \
	})

/* ---- the output file ---------------------------------------------------- */

static void write_all(const void *buf, size_t len)
{
	const char *p = buf;

	while (len && g_fd >= 0) {
		ssize_t n = write(g_fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* A record of type with the payload in up to three pieces (under g_lock). */
static void emit(uint32_t type, const void *a, size_t al, const void *b, size_t bl, const void *c,
		 size_t cl)
{
	uint32_t h[2] = { type, (uint32_t)(al + bl + cl) };

	write_all(h, sizeof(h));
	if (al)
		write_all(a, al);
	if (bl)
		write_all(b, bl);
	if (cl)
		write_all(c, cl);
}

static int open_file(void)
{
	static uint32_t seq;
	char path[600];
	struct dbw_proc p;
	char exe[4096];
	ssize_t n;
	int fd;

	for (int tries = 0; tries < 1000; tries++) {
		snprintf(path, sizeof(path), "%s/%d-%u.db", g_dir, (int)getpid(), seq++);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return -1;
	g_fd = fd;
	memset(&p, 0, sizeof(p));
	p.pid = (uint32_t)getpid();
	p.ppid = (uint32_t)getppid();
	p.start_mono_ns = now_ns();
	n = readlink("/proc/self/exe", exe, sizeof(exe));
	if (n < 0)
		n = 0;
	emit(DBW_PROC, &p, sizeof(p), exe, (size_t)n, NULL, 0);
	return 0;
}

/* ---- statements ----------------------------------------------------------- */

static void *hist_alloc(void)
{
	return map_anon((size_t)g_nbuckets * sizeof(uint64_t));
}

/* The entry id of a normalized text (under g_lock). */
static uint32_t intern_locked(const char *t, size_t len, uint32_t api)
{
	uint64_t h = sqlnorm_hash(t, len) ^ api;
	uint32_t mask = (1u << ETAB_BITS) - 1, i = (uint32_t)(h >> 20) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t e = g_etab[i];
		struct entry *en;

		if (!e)
			break;
		en = &g_ent[e - 1];
		if (en->hash == h && en->text_len == len && en->api == api &&
		    !memcmp(g_text + en->text_off, t, len))
			return e - 1;
	}
	if (g_nent >= DBW_MAX_STMTS)
		return 0;
	if (g_text_len + len > g_text_cap) {
		size_t nc = g_text_cap * 2 + len;
		char *nt = map_anon(nc);

		if (!nt)
			return 0;
		memcpy(nt, g_text, g_text_len);
		/* the old copy stays mapped: other threads may be reading it */
		g_text = nt;
		g_text_cap = nc;
	}
	{
		struct entry *en = &g_ent[g_nent];
		uint64_t *hist = hist_alloc();

		if (!hist)
			return 0;
		memcpy(g_text + g_text_len, t, len);
		en->hash = h;
		en->text_off = (uint32_t)g_text_len;
		en->text_len = (uint32_t)len;
		en->api = api;
		en->hist = hist;
		__atomic_store_n(&en->used, 1, __ATOMIC_RELEASE);
		g_text_len += len;
		g_etab[i] = g_nent + 1;
		return g_nent++;
	}
}

/*
 * A hash of a raw statement text, 8 bytes a step (each step a bijection
 * of the state for a given word, so two texts of one length that differ
 * in a single word never collide).
 */
static inline uint64_t raw_hash(const char *s, size_t len)
{
	uint64_t h = (uint64_t)len * 0x9e3779b97f4a7c15ull, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (i < len) {
		w = 0;
		for (size_t k = 0; i + k < len; k++)
			w |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 32;
	}
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

/*
 * Per thread, raw text -> statement id: a program sends the same few
 * texts again and again (psycopg2 a new copy each time), so the
 * normalizer and the spinlock run only on a miss. Keyed by the text's
 * length and 64-bit hash (and the API), whatever its address; an id once
 * given never changes (entries are never removed, a fork child keeps
 * them), so the cache needs no invalidation. Id 0 (the table full, or
 * out of memory) is not cached.
 */
#define TCACHE_BITS 7
struct tcache {
	uint64_t hash;
	uint32_t len_api;	/* length << 1 | api bit; 0: empty */
	uint32_t id;
};
static TLS struct tcache t_cache[1u << TCACHE_BITS];

static uint32_t intern_slow(const char *sql, size_t len, uint32_t api)
{
	char norm[DBW_TEXT_MAX];
	size_t n = sqlnorm(sql, len, norm, sizeof(norm));
	uint32_t id;

	lock();
	id = intern_locked(norm, n, api);
	unlock();
	return id;
}

static uint32_t intern(const char *sql, size_t len, uint32_t api)
{
	uint64_t h;
	uint32_t key;
	struct tcache *c;

	if (!sql) {
		sql = "";
		len = 0;
	}
	if (UNLIKELY(len >= (1u << 30)))
		return intern_slow(sql, len, api);
	h = raw_hash(sql, len);
	key = (uint32_t)len << 1 | (api == DBW_API_SQLITE) | 0x80000000u;
	c = &t_cache[(h >> 40) & ((1u << TCACHE_BITS) - 1)];
	if (LIKELY(c->hash == h && c->len_api == key))
		return c->id;
	{
		uint32_t id = intern_slow(sql, len, api);

		if (id) {	/* a signal handler in between sees an empty slot */
			c->len_api = 0;
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			c->hash = h;
			c->id = id;
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			c->len_api = key;
		}
		return id;
	}
}

/* ---- stacks and Python frames ------------------------------------------- */

static uintptr_t g_pycode_type;
static void *(*g_py_tstate)(void);	/* PyGILState_GetThisThreadState */
static int g_py_checked;
#define PYSEEN 4096
static uint64_t g_pyseen[PYSEEN];

static void python_init(void)
{
	const unsigned long *ver;

	g_py_checked = 1;
	ver = dlsym(RTLD_DEFAULT, "Py_Version");
	if (ver && (*ver >> 16) == 0x030b) {
		g_pycode_type = (uintptr_t)dlsym(RTLD_DEFAULT, "PyCode_Type");
		g_py_tstate = (void *(*)(void))dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
		if (!g_pycode_type)
			g_py_tstate = NULL;
	}
	(void)dlerror();
}

/* The calling thread's Python frames: its own thread state (psycopg2
 * and _sqlite3 release the GIL around the call, and the frames of a
 * thread inside a C call do not change). */
static int python_capture(uint64_t *ips, int n, int max)
{
	uintptr_t ts;

	if (!g_py_tstate)
		return n;
	ts = (uintptr_t)g_py_tstate();
	return ts ? pyframes_walk(ts, g_pycode_type, ips, n, max) : n;
}

/* Writes a DBW_PYCODE for each code object not described yet (g_lock). */
static void python_describe(const uint64_t *ips, int n)
{
	for (int i = 0; i < n; i++) {
		struct memw_pycode pc;
		uint64_t code, h;
		const char *name, *file;
		const void *table;
		char nf[8192];

		if (!(ips[i] & MEMW_PY_TAG))
			continue;
		code = ips[i] & MEMW_PY_CODE_MASK;
		h = ((code >> 4) * 0x9e3779b97f4a7c15ull) >> 52;
		for (;; h = (h + 1) & (PYSEEN - 1)) {
			if (g_pyseen[h] == code)
				goto next;
			if (!g_pyseen[h])
				break;
		}
		g_pyseen[h] = code;
		pyframes_code(ips[i], &pc, &name, &file, &table);
		/* name and file contiguous in one piece for emit() */
		if ((size_t)pc.name_len + pc.file_len > sizeof(nf))
			pc.name_len = pc.file_len = 0;
		memcpy(nf, name, pc.name_len);
		memcpy(nf + pc.name_len, file, pc.file_len);
		emit(DBW_PYCODE, &pc, sizeof(pc), nf, (size_t)pc.name_len + pc.file_len, table,
		     pc.table_len);
next:;
	}
}

static void thread_init(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	uintptr_t hi = 0;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (syscall(SYS_gettid) == getpid()) {
		hi = (uintptr_t)__libc_stack_end;
	} else if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &addr, &size) == 0)
			hi = (uintptr_t)addr + size;
		pthread_attr_destroy(&a);
	}
	cfi_thread_init();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	t_stack_hi = hi ? hi : 1;
}

/* The native stack above an interposer's frame fp, then Python frames. */
static int capture(void **fp, uint64_t *ips)
{
	int n;

	if (!t_stack_hi)
		thread_init();
	if ((uintptr_t)fp >= t_stack_hi) {
		ips[0] = (uint64_t)(uintptr_t)fp[1] - 1;
		n = 1;
	} else {
		n = cfi_walk((uint64_t)(uintptr_t)fp[1], (uint64_t)(uintptr_t)fp + 16,
			     (uint64_t)(uintptr_t)fp[0], t_stack_hi, ips, 0, DBW_MAX_DEPTH, 0);
	}
	if (!g_py_checked)
		python_init();
	if (g_py_tstate)
		n = python_capture(ips, pyframes_room(ips, n, DBW_MAX_DEPTH), DBW_MAX_DEPTH);
	return n;
}

/* ---- booking an execution ------------------------------------------------ */

static __attribute__((noinline)) void slow(uint32_t id, uint64_t ns, uint64_t rows, int err,
					   uint32_t api, const char *text, size_t tlen, void **fp)
{
	uint64_t ips[DBW_MAX_DEPTH];
	struct dbw_slow s;
	int n = capture(fp, ips);

	if (!text) {
		text = "";
		tlen = 0;
	}
	if (tlen > DBW_SLOW_TEXT_MAX)
		tlen = DBW_SLOW_TEXT_MAX;
	memset(&s, 0, sizeof(s));
	s.ns = ns;
	s.end_mono_ns = now_ns();
	s.rows = rows;
	s.stmt = id;
	s.tid = (uint32_t)syscall(SYS_gettid);
	s.nr = (uint32_t)n;
	s.text_len = (uint32_t)tlen;
	s.error = err ? 1 : 0;
	s.api = api;
	lock();
	if (g_py_tstate)
		python_describe(ips, n);
	emit(DBW_SLOW, &s, sizeof(s), ips, (size_t)n * 8, text, tlen);
	unlock();
}

static inline void book(uint32_t id, uint64_t ns, uint64_t rows, int err)
{
	struct entry *e = &g_ent[id];
	uint64_t m;

	__atomic_fetch_add(&e->calls, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&e->total_ns, ns, __ATOMIC_RELAXED);
	if (rows)
		__atomic_fetch_add(&e->rows, rows, __ATOMIC_RELAXED);
	if (UNLIKELY(err))
		__atomic_fetch_add(&e->errors, 1, __ATOMIC_RELAXED);
	m = __atomic_load_n(&e->max_ns, __ATOMIC_RELAXED);
	while (ns > m && !__atomic_compare_exchange_n(&e->max_ns, &m, ns, 1, __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED))
		;
	if (LIKELY(e->hist)) {
		uint64_t v = ns > HIST_DEFAULT_MAX ? HIST_DEFAULT_MAX : ns;

		__atomic_fetch_add(&e->hist[hist_index(v)], 1, __ATOMIC_RELAXED);
	}
}

/* ---- init, fork, exit ------------------------------------------------------ */

static void write_results(void);

static void after_fork_child(void)
{
	if (!g_on)
		return;
	g_lock = 0;
	if (g_fd >= 0)
		close(g_fd);
	g_fd = -1;
	if (open_file()) {
		g_on = 0;
		return;
	}
	g_forked = 1;
	g_untracked = 0;
	for (uint32_t i = 0; i < g_nent; i++) {
		struct entry *e = &g_ent[i];

		e->calls = e->errors = e->rows = e->total_ns = e->max_ns = 0;
		if (e->hist)
			madvise(e->hist, (size_t)g_nbuckets * 8, MADV_DONTNEED);
	}
}

__attribute__((constructor)) static void agent_init(void)
{
	const char *dir = getenv(DBW_ENV_DIR), *slow = getenv(DBW_ENV_SLOW);

	if (!dir || !*dir || strlen(dir) >= sizeof(g_dir))
		return;
	snprintf(g_dir, sizeof(g_dir), "%s", dir);
	if (slow && *slow)
		g_slow_ns = strtoull(slow, NULL, 10);
	g_nbuckets = hist_index(HIST_DEFAULT_MAX) + 1;
	g_ent = map_anon(DBW_MAX_STMTS * sizeof(*g_ent));
	g_etab = map_anon((sizeof(uint32_t)) << ETAB_BITS);
	g_text_cap = 1 << 20;
	g_text = map_anon(g_text_cap);
	if (!g_ent || !g_etab || !g_text)
		return;
	g_ent[0].hist = hist_alloc();
	g_ent[0].used = 1;
	g_ent[0].api = 0;
	if (open_file())
		return;
	tsc_init();
	pthread_atfork(NULL, NULL, after_fork_child);
	g_on = 1;
}

__attribute__((destructor)) static void agent_fini(void)
{
	if (!g_on)
		return;
	write_results();
}

static void write_results(void)
{
	struct dbw_end end;
	int mfd;

	lock();
	for (uint32_t i = 0; i < g_nent; i++) {
		struct entry *e = &g_ent[i];
		struct dbw_stmt s;
		struct dbw_bucket *b;
		uint32_t nb = 0;

		if (!e->calls)
			continue;
		memset(&s, 0, sizeof(s));
		s.id = i;
		s.api = e->api;
		s.calls = e->calls;
		s.errors = e->errors;
		s.rows = e->rows;
		s.total_ns = e->total_ns;
		s.max_ns = e->max_ns;
		s.text_len = i ? e->text_len : 0;
		b = map_anon((size_t)g_nbuckets * sizeof(*b));
		if (b && e->hist)
			for (uint32_t k = 0; k < g_nbuckets; k++)
				if (e->hist[k]) {
					b[nb].index = k;
					b[nb].pad = 0;
					b[nb++].count = e->hist[k];
				}
		s.n_buckets = nb;
		emit(DBW_STMT, &s, sizeof(s), g_text + e->text_off, s.text_len, b,
		     (size_t)nb * sizeof(*b));
		if (b)
			munmap(b, (size_t)g_nbuckets * sizeof(*b));
	}
	mfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (mfd >= 0) {
		size_t cap = 1 << 20, len = 0;
		char *buf = map_anon(cap);
		ssize_t n;

		while (buf) {
			if (len == cap) {
				char *nb = map_anon(cap * 2);

				if (nb)
					memcpy(nb, buf, len);
				munmap(buf, cap);
				buf = nb;
				cap *= 2;
				if (!buf)
					break;
			}
			n = read(mfd, buf + len, cap - len);
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		close(mfd);
		if (buf) {
			emit(DBW_MAPS, buf, len, NULL, 0, NULL, 0);
			munmap(buf, cap);
		}
	}
	memset(&end, 0, sizeof(end));
	end.end_mono_ns = now_ns();
	end.untracked = g_untracked;
	end.flags = g_forked;
	emit(DBW_END, &end, sizeof(end), NULL, 0, NULL, 0);
	close(g_fd);
	g_fd = -1;
	g_on = 0;
	unlock();
}

/* ---- libpq -------------------------------------------------------------- */

static uint64_t pq_rows(const PGresult *r)
{
	const char *t;

	if (!r)
		return 0;
	switch (CALL(PQresultStatus, r)) {
	case PGRES_TUPLES_OK:
	case PGRES_SINGLE_TUPLE:
		return (uint64_t)CALL(PQntuples, r);
	case PGRES_COMMAND_OK:
		t = CALL(PQcmdTuples, (PGresult *)r);
		return t && *t ? strtoull(t, NULL, 10) : 0;
	default:
		return 0;
	}
}

static int pq_error(const PGresult *r)
{
	if (!r)
		return 1;
	switch (CALL(PQresultStatus, r)) {
	case PGRES_BAD_RESPONSE:
	case PGRES_FATAL_ERROR:
	case PGRES_PIPELINE_ABORTED:
		return 1;
	default:
		return 0;
	}
}

static void pq_done(uint32_t id, uint64_t t0, const PGresult *r, const char *text, void **fp)
{
	uint64_t ns = ticks_to_ns(ticks() - t0), rows = pq_rows(r);
	int err = pq_error(r);

	book(id, ns, rows, err);
	if (ns >= g_slow_ns)
		slow(id, ns, rows, err, DBW_API_PQ, text, text ? strlen(text) : 0, fp);
}

/* Prepared statement names per connection -> statement id. */
#define PREP_SLOTS 4096
struct prep {
	const void *conn;
	uint64_t name_hash;
	uint32_t id;
};
static struct prep g_prep[PREP_SLOTS];

static uint64_t prep_key(const void *conn, const char *name)
{
	return sqlnorm_hash(name ? name : "", name ? strlen(name) : 0) ^ (uint64_t)(uintptr_t)conn;
}

static void prep_put(const void *conn, const char *name, uint32_t id)
{
	uint64_t k = prep_key(conn, name);

	lock();
	for (uint32_t i = 0; i < 64; i++) {
		struct prep *p = &g_prep[(k + i) & (PREP_SLOTS - 1)];

		if (!p->conn || p->conn == (const void *)TOMB || (p->conn == conn && p->name_hash == k)) {
			p->conn = conn;
			p->name_hash = k;
			p->id = id;
			break;
		}
	}
	unlock();
}

static uint32_t prep_get(const void *conn, const char *name)
{
	uint64_t k = prep_key(conn, name);
	uint32_t id = UINT32_MAX;

	lock();
	for (uint32_t i = 0; i < 64; i++) {
		struct prep *p = &g_prep[(k + i) & (PREP_SLOTS - 1)];

		if (!p->conn)
			break;
		if (p->conn == conn && p->name_hash == k) {
			id = p->id;
			break;
		}
	}
	unlock();
	if (id == UINT32_MAX) {
		char buf[300];

		snprintf(buf, sizeof(buf), "EXECUTE %.256s", name ? name : "");
		id = intern(buf, strlen(buf), DBW_API_PQ);
	}
	return id;
}

static void prep_forget(const void *conn)
{
	lock();
	for (uint32_t i = 0; i < PREP_SLOTS; i++)
		if (g_prep[i].conn == conn)
			g_prep[i].conn = (const void *)TOMB;	/* keeps the chains */
	unlock();
}

/* Statements queued on a connection by PQsend*: a small FIFO each. */
#define CONN_SLOTS 256
#define CONN_Q 64
struct pending {
	uint32_t id;
	uint64_t t0;
	uint64_t rows;
	int err;
};
struct connq {
	const void *conn;
	uint32_t head, n;
	struct pending q[CONN_Q];
};
static struct connq g_conn[CONN_SLOTS];

static struct connq *conn_find(const void *conn, int create)
{
	uint32_t h = (uint32_t)(((uintptr_t)conn >> 4) * 0x9e3779b1u) % CONN_SLOTS;
	struct connq *free_slot = NULL;

	for (uint32_t i = 0; i < CONN_SLOTS; i++) {
		struct connq *c = &g_conn[(h + i) % CONN_SLOTS];

		if (c->conn == conn)
			return c;
		if ((!c->conn || c->conn == (const void *)TOMB) && !free_slot)
			free_slot = c;
		if (!c->conn)
			break;
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->conn = conn;
	free_slot->head = free_slot->n = 0;
	return free_slot;
}

static void pq_queue(const PGconn *conn, uint32_t id, uint64_t t0)
{
	struct connq *c;

	lock();
	c = conn_find(conn, 1);
	if (c && c->n < CONN_Q) {
		struct pending *p = &c->q[(c->head + c->n) % CONN_Q];

		p->id = id;
		p->t0 = t0;
		p->rows = 0;
		p->err = 0;
		c->n++;
	} else {
		g_untracked++;
	}
	unlock();
}

static void pq_result(const PGconn *conn, const PGresult *r, void **fp)
{
	struct connq *c;
	struct pending p;
	int done = 0;

	if (r && CALL(PQresultStatus, r) == PGRES_PIPELINE_SYNC)
		return;
	lock();
	c = conn_find(conn, 0);
	if (c && c->n) {
		struct pending *f = &c->q[c->head];

		if (r) {
			f->rows += pq_rows(r);
			f->err |= pq_error(r);
		} else {
			p = *f;
			c->head = (c->head + 1) % CONN_Q;
			c->n--;
			done = 1;
		}
	}
	unlock();
	if (done && p.id != UINT32_MAX) {
		uint64_t ns = ticks_to_ns(ticks() - p.t0);

		book(p.id, ns, p.rows, p.err);
		if (ns >= g_slow_ns)
			slow(p.id, ns, p.rows, p.err, DBW_API_PQ,
			     p.id ? g_text + g_ent[p.id].text_off : "", p.id ? g_ent[p.id].text_len : 0,
			     fp);
	}
}

EXPORT PGresult *PQexec(PGconn *conn, const char *query)
{
	PGresult *r;
	uint64_t t0;
	uint32_t id;

	if (!g_on || t_depth)
		return CALL(PQexec, conn, query);
	id = intern(query, query ? strlen(query) : 0, DBW_API_PQ);
	t_depth++;
	t0 = ticks();
	r = CALL(PQexec, conn, query);
	pq_done(id, t0, r, query, __builtin_frame_address(0));
	t_depth--;
	return r;
}

EXPORT PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
			      const char *const *paramValues, const int *paramLengths,
			      const int *paramFormats, int resultFormat)
{
	PGresult *r;
	uint64_t t0;
	uint32_t id;

	if (!g_on || t_depth)
		return CALL(PQexecParams, conn, command, nParams, paramTypes, paramValues,
			    paramLengths, paramFormats, resultFormat);
	id = intern(command, command ? strlen(command) : 0, DBW_API_PQ);
	t_depth++;
	t0 = ticks();
	r = CALL(PQexecParams, conn, command, nParams, paramTypes, paramValues, paramLengths,
		 paramFormats, resultFormat);
	pq_done(id, t0, r, command, __builtin_frame_address(0));
	t_depth--;
	return r;
}

EXPORT PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
			   const Oid *paramTypes)
{
	PGresult *r;

	if (!g_on || t_depth)
		return CALL(PQprepare, conn, stmtName, query, nParams, paramTypes);
	t_depth++;
	r = CALL(PQprepare, conn, stmtName, query, nParams, paramTypes);
	if (r && !pq_error(r))
		prep_put(conn, stmtName, intern(query, query ? strlen(query) : 0, DBW_API_PQ));
	t_depth--;
	return r;
}

EXPORT PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams,
				const char *const *paramValues, const int *paramLengths,
				const int *paramFormats, int resultFormat)
{
	PGresult *r;
	uint64_t t0;
	uint32_t id;

	if (!g_on || t_depth)
		return CALL(PQexecPrepared, conn, stmtName, nParams, paramValues, paramLengths,
			    paramFormats, resultFormat);
	id = prep_get(conn, stmtName);
	t_depth++;
	t0 = ticks();
	r = CALL(PQexecPrepared, conn, stmtName, nParams, paramValues, paramLengths, paramFormats,
		 resultFormat);
	pq_done(id, t0, r, id ? g_text + g_ent[id].text_off : NULL, __builtin_frame_address(0));
	t_depth--;
	return r;
}

EXPORT int PQsendQuery(PGconn *conn, const char *query)
{
	uint64_t t0;
	uint32_t id;
	int ok;

	if (!g_on || t_depth)
		return CALL(PQsendQuery, conn, query);
	id = intern(query, query ? strlen(query) : 0, DBW_API_PQ);
	t_depth++;
	t0 = ticks();
	ok = CALL(PQsendQuery, conn, query);
	if (ok)
		pq_queue(conn, id, t0);
	else
		book(id, ticks_to_ns(ticks() - t0), 0, 1);
	t_depth--;
	return ok;
}

EXPORT int PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
			     const char *const *paramValues, const int *paramLengths,
			     const int *paramFormats, int resultFormat)
{
	uint64_t t0;
	uint32_t id;
	int ok;

	if (!g_on || t_depth)
		return CALL(PQsendQueryParams, conn, command, nParams, paramTypes, paramValues,
			    paramLengths, paramFormats, resultFormat);
	id = intern(command, command ? strlen(command) : 0, DBW_API_PQ);
	t_depth++;
	t0 = ticks();
	ok = CALL(PQsendQueryParams, conn, command, nParams, paramTypes, paramValues, paramLengths,
		  paramFormats, resultFormat);
	if (ok)
		pq_queue(conn, id, t0);
	else
		book(id, ticks_to_ns(ticks() - t0), 0, 1);
	t_depth--;
	return ok;
}

EXPORT int PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
			 const Oid *paramTypes)
{
	int ok;

	if (!g_on || t_depth)
		return CALL(PQsendPrepare, conn, stmtName, query, nParams, paramTypes);
	t_depth++;
	ok = CALL(PQsendPrepare, conn, stmtName, query, nParams, paramTypes);
	if (ok) {
		prep_put(conn, stmtName, intern(query, query ? strlen(query) : 0, DBW_API_PQ));
		pq_queue(conn, UINT32_MAX, ticks());	/* the prepare's result: no statement */
	}
	t_depth--;
	return ok;
}

EXPORT int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams,
			       const char *const *paramValues, const int *paramLengths,
			       const int *paramFormats, int resultFormat)
{
	uint64_t t0;
	uint32_t id;
	int ok;

	if (!g_on || t_depth)
		return CALL(PQsendQueryPrepared, conn, stmtName, nParams, paramValues, paramLengths,
			    paramFormats, resultFormat);
	id = prep_get(conn, stmtName);
	t_depth++;
	t0 = ticks();
	ok = CALL(PQsendQueryPrepared, conn, stmtName, nParams, paramValues, paramLengths,
		  paramFormats, resultFormat);
	if (ok)
		pq_queue(conn, id, t0);
	else
		book(id, ticks_to_ns(ticks() - t0), 0, 1);
	t_depth--;
	return ok;
}

EXPORT PGresult *PQgetResult(PGconn *conn)
{
	PGresult *r;

	if (!g_on || t_depth)
		return CALL(PQgetResult, conn);
	t_depth++;
	r = CALL(PQgetResult, conn);
	pq_result(conn, r, __builtin_frame_address(0));
	t_depth--;
	return r;
}

EXPORT void PQfinish(PGconn *conn)
{
	if (g_on && !t_depth && conn) {
		struct connq *c;

		lock();
		c = conn_find(conn, 0);
		if (c) {
			g_untracked += c->n;
			c->n = 0;
			/* keep the slot claimed by a tombstone value: probes go on */
			c->conn = (const void *)TOMB;
		}
		unlock();
		prep_forget(conn);
	}
	CALL(PQfinish, conn);
}

/* ---- libsqlite3 ----------------------------------------------------------- */

/* Statement handles -> their state. Lookups take no lock: a slot's key is
 * published after its fields, and a handle is used by one thread at a
 * time (SQLite's rule for a statement). Freed slots become tombstones
 * that a later insert reuses. */
#define STAB_BITS 16
#define STAB_PROBE 64
struct sslot {
	uintptr_t key;
	uint32_t id;
	uint8_t active, readonly, pad[2];
	uint64_t acc, rows;
};
static struct sslot g_stab[1u << STAB_BITS];

static inline uint32_t stab_hash(const void *p)
{
	return (uint32_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> (64 - STAB_BITS));
}

static inline struct sslot *stab_find(const void *p)
{
	uint32_t h = stab_hash(p), mask = (1u << STAB_BITS) - 1;

	for (uint32_t i = 0; i < STAB_PROBE; i++) {
		struct sslot *s = &g_stab[(h + i) & mask];
		uintptr_t k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);

		if (k == (uintptr_t)p)
			return s;
		if (!k)
			return NULL;
	}
	return NULL;
}

static void stab_add(sqlite3_stmt *st)
{
	uint32_t h = stab_hash(st), mask = (1u << STAB_BITS) - 1;
	const char *sql = CALL(sqlite3_sql, st);
	uint32_t id = intern(sql, sql ? strlen(sql) : 0, DBW_API_SQLITE);
	int ro = CALL(sqlite3_stmt_readonly, st);

	lock();
	for (uint32_t i = 0; i < STAB_PROBE; i++) {
		struct sslot *s = &g_stab[(h + i) & mask];

		if (s->key == (uintptr_t)st || !s->key || s->key == TOMB) {
			s->id = id;
			s->active = 0;
			s->readonly = (uint8_t)(ro != 0);
			s->acc = s->rows = 0;
			__atomic_store_n(&s->key, (uintptr_t)st, __ATOMIC_RELEASE);
			unlock();
			return;
		}
	}
	g_untracked++;
	unlock();
}

static void sq_finish(struct sslot *s, int err, void **fp)
{
	uint64_t ns = ticks_to_ns(s->acc), rows = s->rows;

	s->active = 0;
	s->acc = s->rows = 0;
	book(s->id, ns, rows, err);
	if (UNLIKELY(ns >= g_slow_ns)) {
		const struct entry *e = &g_ent[s->id];

		slow(s->id, ns, rows, err, DBW_API_SQLITE, s->id ? g_text + e->text_off : "",
		     s->id ? e->text_len : 0, fp);
	}
}

/* A prepare that failed (a syntax error, a missing table): one failed
 * execution of its text (UTF-8 only; a UTF-16 text goes to the overflow
 * entry). */
static void prepare_failed(const char *sql, int nbyte)
{
	size_t len = 0;

	if (sql)
		len = nbyte < 0 ? strlen(sql) : strnlen(sql, (size_t)nbyte);
	book(sql ? intern(sql, len, DBW_API_SQLITE) : 0, 0, 0, 1);
}

#define PREPARE_BODY(fn, text, ...) \
	int rc; \
	if (!g_on || t_depth) \
		return CALL(fn, __VA_ARGS__); \
	t_depth++; \
	rc = CALL(fn, __VA_ARGS__); \
	if (ppStmt && *ppStmt) \
		stab_add(*ppStmt); \
	else if (rc != SQLITE_OK) \
		prepare_failed(text, nByte); \
	t_depth--; \
	return rc;

EXPORT int sqlite3_prepare(sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt,
			   const char **pzTail)
{
	PREPARE_BODY(sqlite3_prepare, zSql, db, zSql, nByte, ppStmt, pzTail)
}

EXPORT int sqlite3_prepare_v2(sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt,
			      const char **pzTail)
{
	PREPARE_BODY(sqlite3_prepare_v2, zSql, db, zSql, nByte, ppStmt, pzTail)
}

EXPORT int sqlite3_prepare_v3(sqlite3 *db, const char *zSql, int nByte, unsigned int prepFlags,
			      sqlite3_stmt **ppStmt, const char **pzTail)
{
	PREPARE_BODY(sqlite3_prepare_v3, zSql, db, zSql, nByte, prepFlags, ppStmt, pzTail)
}

EXPORT int sqlite3_prepare16(sqlite3 *db, const void *zSql, int nByte, sqlite3_stmt **ppStmt,
			     const void **pzTail)
{
	PREPARE_BODY(sqlite3_prepare16, NULL, db, zSql, nByte, ppStmt, pzTail)
}

EXPORT int sqlite3_prepare16_v2(sqlite3 *db, const void *zSql, int nByte, sqlite3_stmt **ppStmt,
				const void **pzTail)
{
	PREPARE_BODY(sqlite3_prepare16_v2, NULL, db, zSql, nByte, ppStmt, pzTail)
}

EXPORT int sqlite3_prepare16_v3(sqlite3 *db, const void *zSql, int nByte, unsigned int prepFlags,
				sqlite3_stmt **ppStmt, const void **pzTail)
{
	PREPARE_BODY(sqlite3_prepare16_v3, NULL, db, zSql, nByte, prepFlags, ppStmt, pzTail)
}

EXPORT int sqlite3_step(sqlite3_stmt *st)
{
	struct sslot *s;
	uint64_t t0;
	int rc;

	if (UNLIKELY(t_depth) || !(s = stab_find(st)))
		return CALL(sqlite3_step, st);
	t_depth++;	/* a schema load inside runs statements of its own */
	t0 = ticks();
	rc = CALL(sqlite3_step, st);
	s->acc += ticks() - t0;
	t_depth--;
	s->active = 1;
	if (LIKELY(rc == SQLITE_ROW)) {
		s->rows++;
	} else if ((rc & 0xff) == SQLITE_DONE) {
		if (!s->rows && !s->readonly) {
			t_depth++;
			s->rows = (uint64_t)CALL(sqlite3_changes, CALL(sqlite3_db_handle, st));
			t_depth--;
		}
		sq_finish(s, 0, __builtin_frame_address(0));
	} else {
		sq_finish(s, 1, __builtin_frame_address(0));
	}
	return rc;
}

EXPORT int sqlite3_reset(sqlite3_stmt *st)
{
	struct sslot *s;

	if (!t_depth && st && (s = stab_find(st)) && s->active)
		sq_finish(s, 0, __builtin_frame_address(0));
	return CALL(sqlite3_reset, st);
}

EXPORT int sqlite3_finalize(sqlite3_stmt *st)
{
	struct sslot *s;

	if (!t_depth && st && (s = stab_find(st))) {
		if (s->active)
			sq_finish(s, 0, __builtin_frame_address(0));
		__atomic_store_n(&s->key, TOMB, __ATOMIC_RELEASE);
	}
	return CALL(sqlite3_finalize, st);
}

struct exec_cb {
	int (*cb)(void *, int, char **, char **);
	void *arg;
	uint64_t rows;
};

static int exec_tramp(void *a, int n, char **v, char **c)
{
	struct exec_cb *x = a;

	int rc;

	x->rows++;
	t_depth--;	/* the callback's own statements count */
	rc = x->cb(x->arg, n, v, c);
	t_depth++;
	return rc;
}

EXPORT int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
			void *arg, char **errmsg)
{
	struct exec_cb x = { cb, arg, 0 };
	uint64_t t0, ns;
	uint32_t id;
	int rc;

	if (!g_on || t_depth)
		return CALL(sqlite3_exec, db, sql, cb, arg, errmsg);
	id = intern(sql, sql ? strlen(sql) : 0, DBW_API_SQLITE);
	t_depth++;
	t0 = ticks();
	rc = CALL(sqlite3_exec, db, sql, cb ? exec_tramp : NULL, cb ? (void *)&x : arg, errmsg);
	ns = ticks_to_ns(ticks() - t0);
	t_depth--;
	book(id, ns, x.rows, rc != SQLITE_OK);
	if (ns >= g_slow_ns)
		slow(id, ns, x.rows, rc != SQLITE_OK, DBW_API_SQLITE, sql, sql ? strlen(sql) : 0,
		     __builtin_frame_address(0));
	return rc;
}
