/* pinch doctor's judgement (model/diagnose.c) on evidence written by
 * hand: each bottleneck class with its site, share and next command; the
 * order of the suspects; preemption kept out of the program's shares. */
#include <string.h>

#include "model/diagnose.h"
#include "tap.h"

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

	return done_testing();
}
