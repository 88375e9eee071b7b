/*
 * diagnose.c - see diagnose.h. Every candidate gets an estimated share of
 * the wall time; the largest is the bottleneck, the next two the other
 * suspects. On-CPU time splits into the program's own code, the
 * allocator and the page-fault path (from the profile's samples);
 * off-CPU time into preemption (schedstat's run delay) and blocking, per
 * reason (off-CPU samples when the recording has them, else the blocked
 * threads found by polling /proc).
 */
#include "model/diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

/* One minor fault of fresh anonymous memory costs about this much system
 * time here (doctor-faults: 655,437 faults in 1.12 s of system time);
 * used only when kernel stacks were not sampled. */
#define DOC_MINOR_FAULT_NS 1700.0
/* A major fault waits for the disk; a conservative guess per fault. */
#define DOC_MAJOR_FAULT_NS 100000.0
/* Shorter runs give too few samples and polls to judge waits by. */
#define DOC_MIN_WALL_NS 20e6

static const char *const class_names[DOC_N_CLASSES] = {
	[DOC_CPU] = "cpu",
	[DOC_BLOCKED_IO] = "blocked-io",
	[DOC_BLOCKED_SLEEP] = "blocked-sleep",
	[DOC_BLOCKED_LOCK] = "blocked-lock",
	[DOC_BLOCKED_POLL] = "blocked-poll",
	[DOC_BLOCKED_OTHER] = "blocked",
	[DOC_ALLOC] = "alloc-churn",
	[DOC_FAULTS] = "page-faults",
	[DOC_SWAP] = "swapping",
	[DOC_PREEMPTED] = "preempted",
	[DOC_SQL] = "slow-sql",
};

static const char *const class_titles[DOC_N_CLASSES] = {
	[DOC_CPU] = "CPU-bound",
	[DOC_BLOCKED_IO] = "blocked on I/O",
	[DOC_BLOCKED_SLEEP] = "sleeping",
	[DOC_BLOCKED_LOCK] = "waiting for a lock",
	[DOC_BLOCKED_POLL] = "waiting for events (poll)",
	[DOC_BLOCKED_OTHER] = "blocked",
	[DOC_ALLOC] = "allocation churn",
	[DOC_FAULTS] = "page faults",
	[DOC_SWAP] = "swapping (major page faults)",
	[DOC_PREEMPTED] = "waiting for a CPU",
	[DOC_SQL] = "waiting on SQL statements",
};

const char *doc_class_name(enum doc_class c)
{
	return c < DOC_N_CLASSES ? class_names[c] : "unknown";
}

const char *doc_class_title(enum doc_class c)
{
	return c < DOC_N_CLASSES ? class_titles[c] : "unknown";
}

enum doc_class doc_syscall_class(const char *s)
{
	static const char *const io[] = { "read", "write", "pread64", "pwrite64", "readv", "writev",
		"preadv", "pwritev", "preadv2", "pwritev2", "recvfrom", "recvmsg", "recvmmsg",
		"sendto", "sendmsg", "sendmmsg", "fsync", "fdatasync", "sync", "syncfs",
		"sync_file_range", "io_getevents", "io_uring_enter", "accept", "accept4",
		"connect", "open", "openat", "splice", "sendfile", "copy_file_range", "unlink",
		"unlinkat", "rename", "renameat", "renameat2", "ftruncate", "fallocate", "close", NULL };
	static const char *const sleep_[] = { "nanosleep", "clock_nanosleep", "pause",
		"rt_sigsuspend", "rt_sigtimedwait", NULL };
	static const char *const poll[] = { "poll", "ppoll", "select", "pselect6", "epoll_wait",
		"epoll_pwait", "epoll_pwait2", NULL };
	size_t i;

	if (!s)
		return DOC_BLOCKED_OTHER;
	for (i = 0; io[i]; i++)
		if (!strcmp(s, io[i]))
			return DOC_BLOCKED_IO;
	for (i = 0; sleep_[i]; i++)
		if (!strcmp(s, sleep_[i]))
			return DOC_BLOCKED_SLEEP;
	for (i = 0; poll[i]; i++)
		if (!strcmp(s, poll[i]))
			return DOC_BLOCKED_POLL;
	if (!strcmp(s, "futex") || !strcmp(s, "futex_waitv"))
		return DOC_BLOCKED_LOCK;
	if (!strcmp(s, "fault"))
		return DOC_SWAP;
	return DOC_BLOCKED_OTHER;
}

enum doc_class doc_offcpu_class(const char *r)
{
	if (!r)
		return DOC_BLOCKED_OTHER;
	if (!strcmp(r, "sleep"))
		return DOC_BLOCKED_SLEEP;
	if (!strcmp(r, "futex"))
		return DOC_BLOCKED_LOCK;
	if (!strcmp(r, "poll"))
		return DOC_BLOCKED_POLL;
	if (!strcmp(r, "read") || !strcmp(r, "write") || !strcmp(r, "io") || !strcmp(r, "fsync"))
		return DOC_BLOCKED_IO;
	if (!strcmp(r, "fault"))
		return DOC_SWAP;
	if (!strcmp(r, "preempted"))
		return DOC_PREEMPTED;
	return DOC_BLOCKED_OTHER;
}

/* "1.23 s", "45.6 ms", "789 us" */
static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns >= 1e9)
		snprintf(buf, len, "%.2f s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.0f us", ns / 1e3);
}

static void fmt_site(char *buf, size_t len, const struct doc_site *s)
{
	const char *base = strrchr(s->file, '/');

	base = base ? base + 1 : s->file;
	if (s->line && *base)
		snprintf(buf, len, "%s (%s:%u)", s->function, base, s->line);
	else
		snprintf(buf, len, "%s", s->function);
}

static struct doc_finding *add(struct doc_finding *all, int *n, enum doc_class c, double share)
{
	struct doc_finding *f = &all[(*n)++];

	memset(f, 0, sizeof(*f));
	f->cls = c;
	f->share = share < 0 ? 0 : share > 1 ? 1 : share;
	return f;
}

static int by_share(const void *a, const void *b)
{
	const struct doc_finding *x = a, *y = b;

	if (x->share != y->share)
		return x->share > y->share ? -1 : 1;
	return (int)x->cls - (int)y->cls;
}

#define MAX_CAND 16

/* The statements' finding: what pinch db trace's agent timed when it ran
 * (the top statement named), else the samples inside the library. */
static void add_sql(struct doc_finding *cand, int *n, const struct doc_evidence *e, double share,
		    const char *cmd)
{
	struct doc_finding *f = add(cand, n, DOC_SQL, share);
	const struct doc_sql *q = &e->sql_top[0];
	char a[64], b[64], c[64], site[DOC_NAME + DOC_PATH + 32];
	size_t k = 0;

	f->site = q->site.function[0] ? q->site : e->sql_site;
	if (e->have_sql && e->sql_calls) {
		fmt_ns(a, sizeof(a), e->sql_total_ns);
		k += (size_t)snprintf(f->evidence, sizeof(f->evidence),
				      "%llu statements (%llu distinct) took %s, %.0f %% of wall",
				      (unsigned long long)e->sql_calls, (unsigned long long)e->sql_distinct, a,
				      100 * share);
		if (e->sql_errors && k < sizeof(f->evidence))
			k += (size_t)snprintf(f->evidence + k, sizeof(f->evidence) - k, ", %llu failed",
					      (unsigned long long)e->sql_errors);
		fmt_ns(a, sizeof(a), q->total_ns);
		fmt_ns(b, sizeof(b), q->calls ? q->total_ns / (double)q->calls : 0);
		fmt_ns(c, sizeof(c), q->max_ns);
		if (k < sizeof(f->evidence))
			k += (size_t)snprintf(f->evidence + k, sizeof(f->evidence) - k,
					      "; the slowest in total (%s): %.160s%s, %llu calls, %s (mean %s, max %s)",
					      q->api, q->text, strlen(q->text) > 160 ? "..." : "",
					      (unsigned long long)q->calls, a, b, c);
	} else {
		fmt_ns(a, sizeof(a), e->sql_cpu_ns);
		fmt_ns(b, sizeof(b), e->sql_off_ns);
		k += (size_t)snprintf(f->evidence, sizeof(f->evidence),
				      "%.0f %% of wall inside %s (sampled: %s on CPU, %s blocked)",
				      100 * share, e->sql_lib[0] ? e->sql_lib : "the database library", a, b);
	}
	if (e->sql_wait[0].reason[0] && k < sizeof(f->evidence)) {
		/* what the statements themselves waited on (sampled) */
		fmt_ns(a, sizeof(a), e->sql_cpu_ns);
		k += (size_t)snprintf(f->evidence + k, sizeof(f->evidence) - k, "; inside them: on CPU %s", a);
		for (int i = 0; i < DOC_TOP && e->sql_wait[i].reason[0] && k < sizeof(f->evidence); i++) {
			fmt_ns(a, sizeof(a), e->sql_wait[i].ns);
			k += (size_t)snprintf(f->evidence + k, sizeof(f->evidence) - k, ", [%s] %s",
					      e->sql_wait[i].reason, a);
		}
	}
	if (f->site.function[0] && k < sizeof(f->evidence)) {
		fmt_site(site, sizeof(site), &f->site);
		snprintf(f->evidence + k, sizeof(f->evidence) - k, "; called from %s", site);
	}
	{
		/* a slow-log threshold that catches the top statement's
		 * slowest calls, with their stacks and whole texts */
		unsigned long long ms = e->have_sql ? (unsigned long long)(q->max_ns / 2e6) : 10;

		snprintf(f->next, sizeof(f->next), "pinch db trace --slow %llums %s", ms ? ms : 1,
			 e->attached ? "-- CMD (pinch db trace launches the program)" : cmd);
	}
}

void doc_diagnose(const struct doc_evidence *e, struct doc_diagnosis *d)
{
	struct doc_finding cand[MAX_CAND];
	const char *cmd = e->command ? e->command : "-- CMD";
	double cpu = e->user_ns + e->sys_ns, wall = e->wall_ns;
	double cpu_frac, blocked_frac, preempt_frac = 0, own;
	double alloc_share = 0, fault_share = 0, fault_ns = 0, sql_cpu_share = 0;
	char a[64], b[64], c[64], site[DOC_NAME + DOC_PATH + 32];
	int n = 0, i;

	memset(d, 0, sizeof(*d));
	if (wall <= 0)
		return;
	d->cpu_util = cpu / wall;
	/* Shares are of the program's own time: wall time less the time it
	 * was runnable but had no CPU (a busy machine is not the program's
	 * bottleneck; it is reported beside the diagnosis). */
	if (e->have_run_delay && e->run_delay_ns > 0) {
		preempt_frac = e->run_delay_ns / wall;
		if (preempt_frac > 1)
			preempt_frac = 1;
		d->run_delay_share = preempt_frac;
	}
	own = wall - (e->have_run_delay ? e->run_delay_ns : 0);
	if (own < cpu)
		own = cpu;
	if (own <= 0)
		own = wall;
	cpu_frac = cpu / own > 1 ? 1 : cpu / own;
	blocked_frac = 1 - cpu_frac;
	if (e->have_offcpu && e->on_cpu_ns + e->off_cpu_ns > 0) {
		cpu_frac = e->on_cpu_ns / (e->on_cpu_ns + e->off_cpu_ns);
		blocked_frac = 1 - cpu_frac;
	} else if (e->have_blocked && cpu + e->blocked_ns > 0) {
		/* both measured, per thread: the remainder of the wall time
		 * also holds waits for a CPU after each wake-up */
		cpu_frac = cpu / (cpu + e->blocked_ns);
		blocked_frac = 1 - cpu_frac;
	}
	if (blocked_frac < 0)
		blocked_frac = 0;

	/* what the CPU time went to */
	if (e->cpu_sampled_ns > 0) {
		alloc_share = e->alloc_cpu_ns / e->cpu_sampled_ns;
		if (e->kernel_sampled)
			fault_share = e->fault_cpu_ns / e->cpu_sampled_ns;
	}
	if (!e->kernel_sampled && cpu > 0) {
		fault_ns = (double)e->minflt * DOC_MINOR_FAULT_NS;
		if (fault_ns > e->sys_ns)
			fault_ns = e->sys_ns;
		fault_share = fault_ns / cpu;
	} else {
		fault_ns = fault_share * cpu;
	}
	if (alloc_share + fault_share > 1)
		alloc_share = 1 - fault_share;
	if (e->cpu_sampled_ns > 0)
		sql_cpu_share = e->sql_cpu_ns / e->cpu_sampled_ns;
	if (alloc_share + fault_share + sql_cpu_share > 1)
		sql_cpu_share = 1 - alloc_share - fault_share;

	fmt_ns(a, sizeof(a), e->user_ns);
	fmt_ns(b, sizeof(b), e->sys_ns);
	fmt_ns(c, sizeof(c), wall);

	/* computing in the program's own code */
	if (e->cpu_top[0].function[0] || cpu > 0) {
		struct doc_finding *f = add(cand, &n, DOC_CPU,
					    cpu_frac * (1 - alloc_share - fault_share - sql_cpu_share));
		const struct doc_site *s = &e->cpu_top[0];
		int k;

		f->site = *s;
		k = snprintf(f->evidence, sizeof(f->evidence),
			     "CPU %.0f %% of wall (user %s + system %s of %s)", 100 * d->cpu_util, a, b, c);
		if (s->function[0]) {
			k += snprintf(f->evidence + k, sizeof(f->evidence) - (size_t)k,
				      "; %s %.1f %% of %llu CPU samples", s->function, 100 * s->share,
				      (unsigned long long)e->cpu_samples);
			if (s->line && s->line_share > 0)
				snprintf(f->evidence + k, sizeof(f->evidence) - (size_t)k,
					 ", line %u %.1f %%", s->line, 100 * s->line_share);
			if (strstr(s->function, "+0x"))	/* no symbol: no lines either */
				snprintf(f->next, sizeof(f->next), "pinch record %s && pinch report", cmd);
			else
				snprintf(f->next, sizeof(f->next), "pinch record %s && pinch report --lines %s",
					 cmd, s->function);
		} else {
			snprintf(f->next, sizeof(f->next), "pinch record %s && pinch report", cmd);
		}
	}

	/* the allocator */
	if (alloc_share > 0 || e->have_mem) {
		struct doc_finding *f = add(cand, &n, DOC_ALLOC, cpu_frac * alloc_share);
		const struct doc_site *s = e->have_mem && e->mem_top[0].function[0] ? &e->mem_top[0] :
					   &e->alloc_caller;
		int k;

		f->site = *s;
		k = snprintf(f->evidence, sizeof(f->evidence), "malloc/free %.1f %% of CPU samples",
			     100 * alloc_share);
		if (e->have_mem) {
			double rate = e->mem_wall_ns > 0 ? (double)e->alloc_calls / (e->mem_wall_ns / 1e9) : 0;

			k += snprintf(f->evidence + k, sizeof(f->evidence) - (size_t)k,
				      "; %llu allocations (%.0f/s, %.1f MB)",
				      (unsigned long long)e->alloc_calls, rate, (double)e->alloc_bytes / 1e6);
			if (s->function[0]) {
				fmt_site(site, sizeof(site), s);
				snprintf(f->evidence + k, sizeof(f->evidence) - (size_t)k,
					 "; %s made %.0f of them (%.1f %%)", site, s->value, 100 * s->share);
			}
			snprintf(f->next, sizeof(f->next), "pinch mem %s && pinch mem report --lines %s",
				 e->attached ? "-- CMD (pinch mem launches the program)" : cmd,
				 s->function[0] ? s->function : "main");
		} else {
			if (s->function[0])
				snprintf(f->evidence + k, sizeof(f->evidence) - (size_t)k,
					 ", most under %s", s->function);
			snprintf(f->next, sizeof(f->next), "pinch doctor --mem %s", cmd);
		}
	}

	/* page faults: minor on CPU, major as swapping */
	if (e->minflt > 0 && fault_share > 0) {
		struct doc_finding *f = add(cand, &n, DOC_FAULTS, cpu_frac * fault_share);
		char fa[64];

		fmt_ns(fa, sizeof(fa), fault_ns);
		f->site = e->fault_site;
		snprintf(f->evidence, sizeof(f->evidence),
			 "%llu minor faults (%.0f/s), %s of system time in the fault path (%s)%s%s",
			 (unsigned long long)e->minflt, (double)e->minflt / (wall / 1e9), fa,
			 e->kernel_sampled ? "kernel samples" : "estimated at 1.7 us each",
			 e->fault_site.function[0] ? ", taken in " : "", e->fault_site.function);
		snprintf(f->next, sizeof(f->next), "pinch stat --interval 100ms %s", cmd);
	}
	if (e->majflt >= 100) {
		double ns = (double)e->majflt * DOC_MAJOR_FAULT_NS;
		struct doc_finding *f = add(cand, &n, DOC_SWAP, ns / wall);

		snprintf(f->evidence, sizeof(f->evidence),
			 "%llu major faults (pages read from disk or swap), max RSS %.1f MB",
			 (unsigned long long)e->majflt, (double)e->max_rss / 1e6);
		snprintf(f->next, sizeof(f->next), "pinch stat --interval 100ms %s", cmd);
	}

	/* database statements */
	if (e->sql_cpu_ns + e->sql_off_ns > 0 || (e->have_sql && e->sql_calls)) {
		double share = cpu_frac * sql_cpu_share;

		if (e->have_offcpu && e->on_cpu_ns + e->off_cpu_ns > 0)
			share = (e->sql_cpu_ns + e->sql_off_ns) / (e->on_cpu_ns + e->off_cpu_ns);
		/* the agent's clock, like wall, counts waits for a CPU */
		if (e->have_sql && e->sql_total_ns / wall > share)
			share = e->sql_total_ns / wall;
		if (share > 1)
			share = 1;
		add_sql(cand, &n, e, share, cmd);
	}

	/* waiting for a CPU: a note beside the diagnosis */
	if (preempt_frac >= 0.05) {
		char r[64];

		fmt_ns(r, sizeof(r), e->run_delay_ns);
		snprintf(d->note, sizeof(d->note),
			 "runnable but without a CPU for %s of %s (%.0f %%, run-queue delay; %llu involuntary context switches): other work kept the CPUs busy; the shares above leave it out (see pinch top)",
			 r, c, 100 * preempt_frac, (unsigned long long)e->nivcsw);
	}

	/* blocked */
	if (e->have_offcpu) {
		double total = e->on_cpu_ns + e->off_cpu_ns;
		char r[64];

		for (i = 0; i < DOC_TOP && n < MAX_CAND; i++) {
			const struct doc_offsite *o = &e->off_top[i];
			struct doc_finding *f;

			if (!o->reason[0] || total <= 0 || doc_offcpu_class(o->reason) == DOC_PREEMPTED)
				continue;	/* preemption: the note (run delay) */
			f = add(cand, &n, doc_offcpu_class(o->reason), o->site.value / total);
			f->site = o->site;
			fmt_ns(r, sizeof(r), o->site.value);
			fmt_site(site, sizeof(site), &o->site);
			snprintf(f->evidence, sizeof(f->evidence),
				 "off CPU [%s] %s (%.1f %% of wall) in %s; CPU %.0f %% of wall",
				 o->reason, r, 100 * o->site.value / total, site[0] ? site : "an unknown caller",
				 100 * d->cpu_util);
			snprintf(f->next, sizeof(f->next), "pinch record --wall %s && pinch report --callers '[off: %s]'",
				 cmd, o->reason);
		}
	} else if (e->have_blocked && e->blocked_ns > 0 && blocked_frac > 0) {
		for (i = 0; i < DOC_TOP && n < MAX_CAND; i++) {
			const struct doc_block *bl = &e->blocked[i];
			struct doc_finding *f;
			double share = blocked_frac * bl->ns / e->blocked_ns;
			int k;

			if (!bl->syscall[0])
				continue;
			f = add(cand, &n, doc_syscall_class(bl->syscall), share);
			f->site = bl->site;
			k = snprintf(f->evidence, sizeof(f->evidence),
				     "CPU %.0f %% of wall (user %s + system %s of %s), %llu voluntary context switches; blocked in %s%s%s %.0f %% of the blocked samples",
				     100 * d->cpu_util, a, b, c, (unsigned long long)e->nvcsw, bl->syscall,
				     bl->object[0] ? " on " : "", bl->object, 100 * bl->ns / e->blocked_ns);
			if (bl->site.function[0]) {
				fmt_site(site, sizeof(site), &bl->site);
				snprintf(f->evidence + k, sizeof(f->evidence) - (size_t)k, ", called from %s",
					 site);
			}
			snprintf(f->next, sizeof(f->next), "pinch syscalls -e %s %s", bl->syscall, cmd);
		}
	} else if (blocked_frac > 0.02 && e->nvcsw > 0 && wall >= DOC_MIN_WALL_NS) {
		struct doc_finding *f = add(cand, &n, DOC_BLOCKED_OTHER, blocked_frac);

		snprintf(f->evidence, sizeof(f->evidence),
			 "CPU %.0f %% of wall (user %s + system %s of %s), %llu voluntary context switches",
			 100 * d->cpu_util, a, b, c, (unsigned long long)e->nvcsw);
		snprintf(f->next, sizeof(f->next), "pinch syscalls %s", cmd);
	}

	if (wall < DOC_MIN_WALL_NS && !d->note[0]) {
		fmt_ns(a, sizeof(a), wall);
		snprintf(d->note, sizeof(d->note),
			 "the run took only %s: too short for sampling to say much (%llu CPU samples)", a,
			 (unsigned long long)e->cpu_samples);
	}
	qsort(cand, (size_t)n, sizeof(cand[0]), by_share);
	for (i = 0; i < n && d->n < DOC_TOP; i++) {
		if (d->n && cand[i].share < 0.01)
			break;
		d->f[d->n++] = cand[i];
	}
}
