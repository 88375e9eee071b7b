/* pinch doctor's judgement (model/diagnose.c) on evidence written by
 * hand: each bottleneck class with its site, share and next command; the
 * order of the suspects; preemption kept out of the program's shares. */
#include <string.h>

#include "model/diagnose.h"
#include "model/memprof.h"
#include "model/profile.h"
#include "tap.h"

static uint32_t loc(struct profile *p, const char *fn, const char *file, unsigned line, const char *module,
		    int kind)
{
	struct profile_location l;

	memset(&l, 0, sizeof(l));
	l.function = profile_intern_string(p, fn);
	l.file = profile_intern_string(p, file);
	l.line = line;
	l.module = profile_intern_string(p, module);
	l.kind = (uint16_t)kind;
	l.address = (uint64_t)line * 16 + strlen(fn);
	return profile_intern_location(p, &l);
}

static void sample(struct profile *p, const uint32_t *locs, uint32_t n, int64_t count, int64_t ns)
{
	int64_t v[2] = { count, ns };

	profile_add_sample(p, profile_intern_stack(p, locs, n), profile_intern_thread(p, 1, 1, "t"), v);
}

/* A wall profile by hand: on-CPU in hot() (and memcpy called from it),
 * the allocator under caller_a(), page faults in touch(), and off-CPU
 * time on a futex in worker() and asleep in napper(). */
static void profile_evidence(void)
{
	struct profile *p = profile_new();
	struct doc_evidence e;
	struct doc_diagnosis d;
	struct doc_site bs;
	uint32_t main_ = loc(p, "main", "/src/p.c", 10, "prog", LOC_NATIVE);
	uint32_t hot = loc(p, "hot", "/src/p.c", 20, "prog", LOC_NATIVE);
	uint32_t hot21 = loc(p, "hot", "/src/p.c", 21, "prog", LOC_NATIVE);
	uint32_t memcpy_ = loc(p, "__memcpy_avx_unaligned", "memmove.S", 300, "libc.so.6", LOC_NATIVE);
	uint32_t int_free = loc(p, "_int_free", "./malloc/malloc.c", 4670, "libc.so.6", LOC_NATIVE);
	uint32_t free_ = loc(p, "free", "./malloc/malloc.c", 3385, "libc.so.6", LOC_NATIVE);
	uint32_t caller_a = loc(p, "caller_a", "/src/p.c", 30, "prog", LOC_NATIVE);
	uint32_t fault = loc(p, "exc_page_fault", "", 0, "[kernel]", LOC_KERNEL);
	uint32_t touch = loc(p, "touch", "/src/p.c", 50, "prog", LOC_NATIVE);
	uint32_t off_futex = loc(p, "[off: futex]", "", 0, "", LOC_UNKNOWN);
	uint32_t lock = loc(p, "pthread_mutex_lock", "pthread_mutex_lock.c", 80, "libc.so.6", LOC_NATIVE);
	uint32_t worker = loc(p, "worker", "/src/p.c", 40, "prog", LOC_NATIVE);
	uint32_t off_sleep = loc(p, "[off: sleep]", "", 0, "", LOC_UNKNOWN);
	uint32_t nanosleep_ = loc(p, "__GI___nanosleep", "nanosleep.c", 25, "libc.so.6", LOC_NATIVE);
	uint32_t napper = loc(p, "napper", "/src/p.c", 60, "prog", LOC_NATIVE);

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	sample(p, (uint32_t[]){ hot, main_ }, 2, 60, 60000000);
	sample(p, (uint32_t[]){ memcpy_, hot21, main_ }, 3, 10, 10000000);
	sample(p, (uint32_t[]){ int_free, free_, caller_a, main_ }, 4, 20, 20000000);
	sample(p, (uint32_t[]){ fault, touch, main_ }, 3, 10, 10000000);
	sample(p, (uint32_t[]){ off_futex, lock, worker, main_ }, 4, 1, 500000000);
	sample(p, (uint32_t[]){ off_sleep, nanosleep_, napper, main_ }, 4, 1, 200000000);

	memset(&e, 0, sizeof(e));
	e.command = "-- ./prog";
	doc_read_profile(p, &e);
	is_uint(e.cpu_samples, 100, "profile: 100 on-CPU samples");
	near(e.cpu_sampled_ns, 100e6, 1, "profile: 100 ms on CPU");
	is_str(e.cpu_top[0].function, "hot", "profile: hot() first");
	near(e.cpu_top[0].share, 0.7, 1e-9, "profile: hot() 70 %%, memcpy's time included");
	is_int(e.cpu_top[0].line, 20, "profile: hot()'s line 20");
	near(e.cpu_top[0].line_share, 0.6, 1e-9, "profile: line 20 60 %%");
	near(e.alloc_cpu_ns, 20e6, 1, "profile: 20 ms in the allocator");
	is_str(e.alloc_caller.function, "caller_a", "profile: the allocator's caller");
	near(e.fault_cpu_ns, 10e6, 1, "profile: 10 ms in the fault path");
	is_str(e.fault_site.function, "touch", "profile: faults in touch()");
	ok(e.kernel_sampled, "profile: kernel frames seen");
	ok(e.have_offcpu, "profile: off-CPU samples seen");
	near(e.on_cpu_ns, 100e6, 1, "profile: on-CPU 100 ms");
	near(e.off_cpu_ns, 700e6, 1, "profile: off-CPU 700 ms");
	is_str(e.off_top[0].reason, "futex", "profile: futex the biggest off-CPU reason");
	is_str(e.off_top[0].site.function, "worker", "profile: futex in worker()");
	near(e.off_top[0].site.value, 500e6, 1, "profile: 500 ms on the futex");
	is_str(e.off_top[1].reason, "sleep", "profile: sleep second");
	is_str(e.off_top[1].site.function, "napper", "profile: asleep in napper()");
	e.wall_ns = 800e6;
	e.user_ns = 100e6;
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_BLOCKED_LOCK, "profile: diagnosed lock");
	is_str(d.f[0].site.function, "worker", "profile: at worker()");
	near(d.f[0].share, 0.625, 1e-9, "profile: 500 of 800 ms");
	is_int(d.f[1].cls, DOC_BLOCKED_SLEEP, "profile: sleep second");
	doc_block_site(p, "clock_nanosleep", &bs);
	is_str(bs.function, "napper", "block site: nanosleep's caller");
	doc_block_site(p, "fsync", &bs);
	is_str(bs.function, "", "block site: none for fsync");
	profile_free(p);
}

static void site(struct doc_site *s, const char *fn, const char *file, unsigned line, double value,
		 double share)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->function, fn);
	strcpy(s->file, file);
	s->line = line;
	s->value = value;
	s->share = share;
}

/* SQL by hand: a Python script's report() blocked in psycopg2's own
 * poll (no libpq frame), lookup() on CPU inside libsqlite3 under the
 * interpreter's native frames, and 40 ms of its own CPU in hot(). */
static void sql_evidence(void)
{
	struct profile *p = profile_new();
	struct doc_evidence e;
	struct doc_diagnosis d;
	uint32_t main_ = loc(p, "<module>", "/src/app.py", 1, "", LOC_PYTHON);
	uint32_t report = loc(p, "report", "/src/app.py", 11, "", LOC_PYTHON);
	uint32_t lookup = loc(p, "lookup", "/src/app.py", 20, "", LOC_PYTHON);
	uint32_t eval = loc(p, "_PyEval_EvalFrameDefault", "ceval.c", 5000, "python3.11", LOC_NATIVE);
	uint32_t psy = loc(p, "_psycopg.cpython-311-x86_64-linux-gnu.so+0x1e980", "", 0,
			   "_psycopg.cpython-311-x86_64-linux-gnu.so", LOC_UNKNOWN);
	uint32_t poll_ = loc(p, "__poll", "poll.c", 29, "libc.so.6", LOC_NATIVE);
	uint32_t off_poll = loc(p, "[off: poll]", "", 0, "", LOC_UNKNOWN);
	uint32_t off_pre = loc(p, "[off: preempted]", "", 0, "", LOC_UNKNOWN);
	uint32_t vdbe = loc(p, "sqlite3VdbeExec", "sqlite3.c", 90000, "libsqlite3.so.0.8.6", LOC_NATIVE);
	uint32_t step = loc(p, "pysqlite_step", "util.c", 30, "_sqlite3.cpython-311-x86_64-linux-gnu.so", LOC_NATIVE);
	uint32_t hot = loc(p, "hot", "/src/app.py", 30, "", LOC_PYTHON);

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	sample(p, (uint32_t[]){ off_poll, poll_, psy, eval, report, main_ }, 6, 1, 400000000);
	sample(p, (uint32_t[]){ off_pre, poll_, psy, eval, report, main_ }, 6, 1, 50000000);
	sample(p, (uint32_t[]){ vdbe, step, eval, lookup, main_ }, 5, 60, 60000000);
	sample(p, (uint32_t[]){ hot, main_ }, 2, 40, 40000000);

	memset(&e, 0, sizeof(e));
	e.command = "-- python3 app.py";
	doc_read_profile(p, &e);
	near(e.sql_off_ns, 400e6, 1, "sql: 400 ms blocked under psycopg2");
	near(e.sql_cpu_ns, 60e6, 1, "sql: 60 ms on CPU inside libsqlite3");
	near(e.preempted_ns, 50e6, 1, "sql: preemption stays preemption");
	near(e.on_cpu_ns, 100e6, 1, "sql: on-CPU 100 ms in all");
	near(e.off_cpu_ns, 400e6, 1, "sql: off-CPU 400 ms in all");
	ok(e.have_offcpu, "sql: the recording has off-CPU samples");
	is_str(e.off_top[0].reason, "preempted", "sql: preemption the only off-CPU reason...");
	is_str(e.off_top[1].reason, "", "... the poll is the statements' (no blocked-poll finding)");
	is_str(e.sql_site.function, "report", "sql: the Python caller above the binding");
	is_str(e.sql_lib, "libpq", "sql: libpq (psycopg2) the most sampled");
	is_str(e.cpu_top[0].function, "hot", "sql: the program's own CPU is hot()");
	e.wall_ns = 550e6;
	e.user_ns = 100e6;
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_SQL, "sql: diagnosed SQL");
	is_str(doc_class_name(d.f[0].cls), "slow-sql", "sql: class name");
	near(d.f[0].share, 0.92, 1e-9, "sql: 460 of 500 ms (on + off CPU)");
	is_str(d.f[0].site.function, "report", "sql: at report()");
	ok(strstr(d.f[0].evidence, "92 % of wall inside libpq") != NULL, "sql: sampled evidence: %s", d.f[0].evidence);
	ok(strstr(d.f[0].evidence, "; inside them: on CPU 60.0 ms, [poll] 400.0 ms; called from report") != NULL,
	   "sql: what the statements waited on");
	is_str(d.f[0].next, "pinch db trace --slow 10ms -- python3 app.py", "sql: next is db trace");
	is_int(d.f[1].cls, DOC_CPU, "sql: CPU second");
	near(d.f[1].share, 0.08, 1e-9, "sql: the CPU finding leaves the statements' 60 ms out");

	/* what the agent timed names the statement; its slow log the site */
	e.have_sql = 1;
	e.sql_calls = 22;
	e.sql_distinct = 3;
	e.sql_errors = 1;
	e.sql_total_ns = 500e6;
	strcpy(e.sql_top[0].text, "SELECT pg_sleep(?)");
	strcpy(e.sql_top[0].api, "postgres");
	e.sql_top[0].calls = 1;
	e.sql_top[0].total_ns = 400e6;
	e.sql_top[0].max_ns = 400e6;
	site(&e.sql_top[0].site, "report_slow", "/src/app.py", 12, 0, 0);
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_SQL, "agent: SQL");
	ok(strstr(d.f[0].evidence, "22 statements (3 distinct) took 500.0 ms") &&
	   strstr(d.f[0].evidence, ", 1 failed") &&
	   strstr(d.f[0].evidence, "(postgres): SELECT pg_sleep(?), 1 calls, 400.0 ms (mean 400.0 ms, max 400.0 ms)"),
	   "agent: evidence names the statement: %s", d.f[0].evidence);
	is_str(d.f[0].site.function, "report_slow", "agent: the slow log's site first");
	is_str(d.f[0].next, "pinch db trace --slow 200ms -- python3 app.py", "agent: a threshold under its slowest call");
	profile_free(p);
}

/* A memory profile: allocation calls per leaf site. */
static void mem_evidence(void)
{
	static const char *const names[MP_N_VALUES] = { "alloc_bytes", "alloc_count", "peak_bytes",
		"peak_count", "leaked_bytes", "leaked_count", "temp_count", "possibly_lost_bytes",
		"possibly_lost_count", "reachable_bytes", "reachable_count" };
	struct profile *p = profile_new();
	struct doc_evidence e;
	int64_t v[MP_N_VALUES] = { 0 };
	uint32_t a, b, m;

	for (int i = 0; i < MP_N_VALUES; i++)
		profile_add_type(p, names[i], "count");
	a = loc(p, "site_a", "/src/m.c", 11, "prog", LOC_NATIVE);
	b = loc(p, "site_b", "/src/m.c", 22, "prog", LOC_NATIVE);
	m = loc(p, "main", "/src/m.c", 33, "prog", LOC_NATIVE);
	v[MP_ALLOC_BYTES] = 300;
	v[MP_ALLOC_COUNT] = 3;
	profile_add_sample(p, profile_intern_stack(p, (uint32_t[]){ a, m }, 2), profile_intern_thread(p, 1, 1, "m"), v);
	v[MP_ALLOC_BYTES] = 5000;
	v[MP_ALLOC_COUNT] = 5;
	profile_add_sample(p, profile_intern_stack(p, (uint32_t[]){ b, m }, 2), profile_intern_thread(p, 1, 1, "m"), v);
	memset(&e, 0, sizeof(e));
	doc_read_mem_profile(p, &e);
	ok(e.have_mem, "mem: have_mem");
	is_uint(e.alloc_calls, 8, "mem: 8 calls");
	is_uint(e.alloc_bytes, 5300, "mem: 5300 bytes");
	is_str(e.mem_top[0].function, "site_b", "mem: site_b first (by calls)");
	is_int(e.mem_top[0].line, 22, "mem: its line");
	near(e.mem_top[0].value, 5, 1e-9, "mem: 5 calls there");
	near(e.mem_top[0].share, 5.0 / 8, 1e-9, "mem: 5 of 8");
	is_str(e.mem_top[1].function, "site_a", "mem: site_a second");
	profile_free(p);
}

static void base(struct doc_evidence *e, double wall_s, double user_s, double sys_s)
{
	memset(e, 0, sizeof(*e));
	e->command = "-- ./prog t-diagnose";
	e->wall_ns = wall_s * 1e9;
	e->user_ns = user_s * 1e9;
	e->sys_ns = sys_s * 1e9;
	e->have_run_delay = 1;
	e->have_blocked = 1;
}

int main(void)
{
	struct doc_evidence e;
	struct doc_diagnosis d;

	/* classes of syscalls and off-CPU reasons */
	is_int(doc_syscall_class("read"), DOC_BLOCKED_IO, "read is I/O");
	is_int(doc_syscall_class("fsync"), DOC_BLOCKED_IO, "fsync is I/O");
	is_int(doc_syscall_class("clock_nanosleep"), DOC_BLOCKED_SLEEP, "clock_nanosleep is sleep");
	is_int(doc_syscall_class("futex"), DOC_BLOCKED_LOCK, "futex is a lock");
	is_int(doc_syscall_class("epoll_wait"), DOC_BLOCKED_POLL, "epoll_wait is poll");
	is_int(doc_syscall_class("fault"), DOC_SWAP, "a wait outside a syscall is a fault");
	is_int(doc_syscall_class("ioctl"), DOC_BLOCKED_OTHER, "ioctl is other");
	is_int(doc_offcpu_class("futex"), DOC_BLOCKED_LOCK, "[off: futex] is a lock");
	is_int(doc_offcpu_class("fsync"), DOC_BLOCKED_IO, "[off: fsync] is I/O");
	is_int(doc_offcpu_class("preempted"), DOC_PREEMPTED, "[off: preempted]");
	is_str(doc_class_name(DOC_ALLOC), "alloc-churn", "class name");

	/* nothing measured */
	memset(&e, 0, sizeof(e));
	doc_diagnose(&e, &d);
	is_int(d.n, 0, "no wall time: no finding");

	/* CPU-bound in hot(), line 19 */
	base(&e, 1.0, 0.99, 0.0);
	e.cpu_samples = 990;
	e.cpu_sampled_ns = 0.99e9;
	site(&e.cpu_top[0], "hot", "/src/hotline.c", 19, 0.98e9, 0.99);
	e.cpu_top[0].line_share = 0.9;
	doc_diagnose(&e, &d);
	is_int(d.n, 1, "cpu: one finding");
	is_int(d.f[0].cls, DOC_CPU, "cpu: class");
	is_str(d.f[0].site.function, "hot", "cpu: function");
	is_int(d.f[0].site.line, 19, "cpu: line");
	near(d.f[0].share, 1.0, 1e-9, "cpu: all of its own time (nothing blocked)");
	ok(strstr(d.f[0].evidence, "CPU 99 % of wall") && strstr(d.f[0].evidence, "hot 99.0 % of 990 CPU samples, line 19 90.0 %"),
	   "cpu: evidence with figures: %s", d.f[0].evidence);
	is_str(d.f[0].next, "pinch record -- ./prog t-diagnose && pinch report --lines hot", "cpu: next");
	is_str(d.note, "", "cpu: no preemption note");

	/* the same on a busy machine: 1.3 s of 2 s waiting for a CPU */
	base(&e, 2.0, 0.7, 0.0);
	e.run_delay_ns = 1.3e9;
	e.nivcsw = 650;
	e.cpu_sampled_ns = 0.7e9;
	site(&e.cpu_top[0], "hot", "/src/hotline.c", 19, 0.7e9, 1.0);
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_CPU, "busy machine: still CPU-bound");
	near(d.f[0].share, 1.0, 1e-9, "busy machine: shares are of the time it had a CPU");
	near(d.run_delay_share, 0.65, 1e-9, "busy machine: run delay share");
	ok(strstr(d.note, "1.30 s of 2.00 s (65 %"), "busy machine: note %s", d.note);

	/* a stripped library: no --lines for an address */
	site(&e.cpu_top[0], "libsqlite3.so.0+0xab050", "", 0, 0.7e9, 1.0);
	doc_diagnose(&e, &d);
	is_str(d.f[0].next, "pinch record -- ./prog t-diagnose && pinch report", "stripped: next without --lines");
	is_int(doc_syscall_class("unlink"), DOC_BLOCKED_IO, "unlink is file I/O");

	/* sleeping in nap(), a little CPU in hot() */
	base(&e, 1.0, 0.02, 0.0);
	e.nvcsw = 400;
	e.blocked_ns = 0.97e9;
	strcpy(e.blocked[0].syscall, "clock_nanosleep");
	e.blocked[0].ns = 0.97e9;
	site(&e.blocked[0].site, "nap", "/src/doctor-block.c", 23, 0.97e9, 1.0);
	e.cpu_sampled_ns = 0.02e9;
	site(&e.cpu_top[0], "hot", "/src/x.c", 5, 0.02e9, 1.0);
	doc_diagnose(&e, &d);
	is_int(d.n, 2, "sleep: two findings");
	is_int(d.f[0].cls, DOC_BLOCKED_SLEEP, "sleep: class");
	is_str(d.f[0].site.function, "nap", "sleep: site");
	near(d.f[0].share, 0.97 / 0.99, 1e-9, "sleep: share of CPU + blocked time, both measured");
	is_int(d.f[1].cls, DOC_CPU, "sleep: second is the CPU");
	near(d.f[1].share, 0.02 / 0.99, 1e-9, "sleep: second's share");
	is_str(d.f[0].next, "pinch syscalls -e clock_nanosleep -- ./prog t-diagnose", "sleep: next");
	ok(strstr(d.f[0].evidence, "blocked in clock_nanosleep 100 % of the blocked samples, called from nap (doctor-block.c:23)"),
	   "sleep: evidence %s", d.f[0].evidence);

	/* a pipe read and a lock: the three suspects in order */
	base(&e, 1.0, 0.1, 0.0);
	e.blocked_ns = 0.9e9;
	strcpy(e.blocked[0].syscall, "read");
	strcpy(e.blocked[0].object, "pipe");
	e.blocked[0].ns = 0.6e9;
	strcpy(e.blocked[1].syscall, "futex");
	e.blocked[1].ns = 0.3e9;
	e.cpu_sampled_ns = 0.1e9;
	doc_diagnose(&e, &d);
	is_int(d.n, 3, "pipe+lock: three findings");
	is_int(d.f[0].cls, DOC_BLOCKED_IO, "pipe+lock: I/O first");
	near(d.f[0].share, 0.6, 1e-9, "pipe+lock: read share");
	ok(strstr(d.f[0].evidence, "blocked in read on pipe"), "pipe+lock: names the pipe");
	is_int(d.f[1].cls, DOC_BLOCKED_LOCK, "pipe+lock: the lock second");
	near(d.f[1].share, 0.3, 1e-9, "pipe+lock: futex share");
	is_int(d.f[2].cls, DOC_CPU, "pipe+lock: CPU third");

	/* allocation churn: 60 % of the CPU samples in malloc/free */
	base(&e, 1.0, 1.0, 0.0);
	e.cpu_sampled_ns = 1e9;
	e.alloc_cpu_ns = 0.6e9;
	site(&e.alloc_caller, "site_malloc", "", 0, 0.6e9, 1.0);
	site(&e.cpu_top[0], "main", "/src/m.c", 70, 0.4e9, 0.4);
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_ALLOC, "alloc: class");
	near(d.f[0].share, 0.6, 1e-9, "alloc: share");
	is_str(d.f[0].site.function, "site_malloc", "alloc: the allocator's caller without --mem");
	is_str(d.f[0].next, "pinch doctor --mem -- ./prog t-diagnose", "alloc: next without --mem");
	e.have_mem = 1;
	e.alloc_calls = 3000000;
	e.alloc_bytes = 283000000;
	e.mem_wall_ns = 1.5e9;
	site(&e.mem_top[0], "site_calloc", "/src/mem-heavy.c", 23, 600000, 0.2);
	doc_diagnose(&e, &d);
	is_str(d.f[0].site.function, "site_calloc", "alloc: the top site by calls with --mem");
	ok(strstr(d.f[0].evidence, "3000000 allocations (2000000/s, 283.0 MB); site_calloc (mem-heavy.c:23) made 600000 of them (20.0 %)"),
	   "alloc: evidence %s", d.f[0].evidence);

	/* page faults seen in kernel stacks */
	base(&e, 1.0, 0.1, 0.9);
	e.minflt = 655360;
	e.kernel_sampled = 1;
	e.cpu_sampled_ns = 1e9;
	e.fault_cpu_ns = 0.8e9;
	site(&e.fault_site, "touch_pages", "/src/doctor-faults.c", 22, 0.8e9, 1.0);
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_FAULTS, "faults: class");
	near(d.f[0].share, 0.8, 1e-9, "faults: share from kernel samples");
	is_str(d.f[0].site.function, "touch_pages", "faults: site");
	/* without kernel stacks: 1.7 us per minor fault, at most the system time */
	e.kernel_sampled = 0;
	e.fault_cpu_ns = 0;
	e.minflt = 400000;
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_FAULTS, "faults estimated: class");
	near(d.f[0].share, 0.68, 1e-9, "faults estimated: 400000 x 1.7 us of 1 s");

	/* swapping */
	base(&e, 2.0, 0.1, 0.1);
	e.majflt = 15000;
	e.blocked_ns = 1.8e9;
	strcpy(e.blocked[0].syscall, "fault");
	e.blocked[0].ns = 1.8e9;
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_SWAP, "swap: class");

	/* off-CPU stacks: futex at worker(), preemption left to the note */
	base(&e, 1.0, 0.2, 0.0);
	e.have_offcpu = 1;
	e.on_cpu_ns = 0.2e9;
	e.off_cpu_ns = 0.8e9;
	e.cpu_sampled_ns = 0.2e9;
	strcpy(e.off_top[0].reason, "futex");
	site(&e.off_top[0].site, "worker", "/src/lock.c", 40, 0.6e9, 1.0);
	strcpy(e.off_top[1].reason, "preempted");
	e.off_top[1].site.value = 0.2e9;
	doc_diagnose(&e, &d);
	is_int(d.f[0].cls, DOC_BLOCKED_LOCK, "off-CPU: lock");
	near(d.f[0].share, 0.6, 1e-9, "off-CPU: share of on+off");
	is_str(d.f[0].site.function, "worker", "off-CPU: site");
	is_str(d.f[0].next, "pinch record --wall -- ./prog t-diagnose && pinch report --callers '[off: futex]'",
	       "off-CPU: next");
	for (int i = 0; i < d.n; i++)
		ok(d.f[i].cls != DOC_PREEMPTED, "off-CPU: preemption is not a suspect (%d)", i);

	profile_evidence();
	sql_evidence();
	mem_evidence();
	return done_testing();
}
