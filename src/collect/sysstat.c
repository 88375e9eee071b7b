/*
 * sysstat.c - `pinch stat`'s collector (see sysstat.h).
 *
 * Launched: pinch becomes a child subreaper, so the command's orphans
 * come back to it; every process of the tree is reaped here with wait4,
 * whose rusage covers the process and its own waited-for children. The
 * I/O counters of a process (/proc/PID/io, children included) are read
 * while it is a zombie (waitid WNOWAIT) and then it is reaped. Between
 * exits, /proc is sampled for the tree's RSS, threads and fds (peaks and
 * the --interval series): a process's CPU in /proc/PID/stat plus its
 * children's (cutime, cstime), plus what was reaped here, is the tree's
 * CPU at that moment.
 * Attached: only /proc (differences between the first and last sample)
 * and the perf counters, opened per thread.
 */
#include "collect/sysstat.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect/cpu.h"
#include "collect/cpu_sampler.h"
#include "collect/proctree.h"
#include "collect/sigfwd.h"
#include "core/clock.h"
#include "core/banned.h"

#define TICK_MAX_NS 200000000ull

struct perfset {
	int *fds;	/* STAT_PERF_N per thread (attached) or per command */
	size_t n;
};

static const uint64_t perf_configs[STAT_PERF_N] = {
	PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_CONTEXT_SWITCHES,
	PERF_COUNT_SW_CPU_MIGRATIONS, PERF_COUNT_SW_PAGE_FAULTS,
};

static int perf_open_one(pid_t tid, int launch, uint64_t config)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = config;
	a.inherit = 1;
	a.exclude_hv = 1;
	if (launch) {
		a.disabled = 1;
		a.enable_on_exec = 1;
	}
	return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static int perf_add(struct perfset *ps, pid_t tid, int launch)
{
	int *nf = realloc(ps->fds, (ps->n + STAT_PERF_N) * sizeof(int));
	int i, fd;

	if (!nf)
		return -ENOMEM;
	ps->fds = nf;
	for (i = 0; i < STAT_PERF_N; i++) {
		fd = perf_open_one(tid, launch, perf_configs[i]);
		if (fd < 0) {
			int e = errno;

			while (--i >= 0)
				close(ps->fds[ps->n + (size_t)i]);
			return -e;
		}
		ps->fds[ps->n + (size_t)i] = fd;
	}
	ps->n += STAT_PERF_N;
	return 0;
}

/* Attached: one set per thread of pid (threads started later are
 * counted through inherit). */
static int perf_attach(struct perfset *ps, pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int rc = -ESRCH;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		long tid = strtol(d->d_name, NULL, 10);

		if (tid <= 0)
			continue;
		rc = perf_add(ps, (pid_t)tid, 0);
		if (rc && rc != -ESRCH)
			break;
	}
	closedir(dir);
	return rc;
}

static void perf_read(const struct perfset *ps, uint64_t *v)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		uint64_t x;

		if (read(ps->fds[i], &x, sizeof(x)) == (ssize_t)sizeof(x))
			v[i % STAT_PERF_N] += x;
	}
}

static void perf_close(struct perfset *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		close(ps->fds[i]);
	free(ps->fds);
	ps->fds = NULL;
	ps->n = 0;
}

/* ---- the tree ------------------------------------------------------------- */

struct tree {
	pid_t root;		/* processes below it (and it) are the tree */
	pid_t *seen;		/* distinct pids seen */
	size_t nseen, seencap;
	/* what the processes reaped here used, added to the live ones */
	uint64_t dead_cpu_ns, dead_rchar, dead_wchar, dead_rbytes, dead_wbytes;
	/* the last sample */
	uint64_t cpu_ns, rss, rchar, wchar, rbytes, wbytes;
	long threads;
	int fds;
	int root_alive;
	uint64_t minflt, majflt;	/* attached: the root's own */
	/* launched: the command's high-water mark before its exec (pinch's
	 * forked image, which the kernel keeps in its ru_maxrss) and after
	 * it, as sampled from /proc/PID/status */
	uint64_t launch_hwm, root_hwm;
};

static void tree_seen(struct tree *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->nseen; i++)
		if (t->seen[i] == pid)
			return;
	if (t->nseen == t->seencap) {
		size_t cap = t->seencap ? t->seencap * 2 : 64;
		pid_t *n = realloc(t->seen, cap * sizeof(*n));

		if (!n)
			return;
		t->seen = n;
		t->seencap = cap;
	}
	t->seen[t->nseen++] = pid;
}

/* One look at /proc: the tree's totals now. */
static int tree_sample(struct tree *t, pid_t self_pid)
{
	struct proc_info *list, pi;
	unsigned char *keep;
	size_t n, i;
	int rc, tree_listed = 0;

	/* The tree alone where the kernel lists children (every process of
	 * the machine read 5 times a second cost ~15 ms of CPU per second on
	 * a machine with 150 processes); else all of /proc, marked. */
	rc = proc_tree_list(t->root, PROC_IO | PROC_FDS, &list, &n);
	if (rc == -ENOSYS)
		rc = proc_list(PROC_STAT, &list, &n);
	else if (!rc)
		tree_listed = 1;
	if (rc)
		return rc;
	keep = malloc(n ? n : 1);
	if (!keep) {
		free(list);
		return -ENOMEM;
	}
	if (tree_listed)
		memset(keep, 1, n);
	else
		proc_tree_mark(list, n, t->root, keep);
	t->cpu_ns = t->dead_cpu_ns;
	t->rchar = t->dead_rchar;
	t->wchar = t->dead_wchar;
	t->rbytes = t->dead_rbytes;
	t->wbytes = t->dead_wbytes;
	t->rss = 0;
	t->threads = 0;
	t->fds = 0;
	t->root_alive = 0;
	for (i = 0; i < n; i++) {
		if (!keep[i] || list[i].pid == self_pid)
			continue;
		if (tree_listed)
			pi = list[i];
		else if (proc_info_read(list[i].pid, PROC_IO | PROC_FDS, &pi))
			continue;
		if (pi.state == 'Z')
			continue;	/* reaped soon; counted then */
		if (pi.pid == t->root)
			t->root_alive = 1;
		tree_seen(t, pi.pid);
		t->cpu_ns += pi.utime_ns + pi.stime_ns + pi.cutime_ns + pi.cstime_ns;
		t->rss += pi.rss_bytes;
		t->threads += pi.threads;
		if (pi.fds > 0)
			t->fds += pi.fds;
		if (pi.io_ok) {
			t->rchar += pi.rchar;
			t->wchar += pi.wchar;
			t->rbytes += pi.read_bytes;
			t->wbytes += pi.write_bytes;
		}
		if (pi.pid == t->root) {
			t->minflt = pi.minflt;
			t->majflt = pi.majflt;
		}
	}
	free(keep);
	free(list);
	return 0;
}

static void track_peaks(const struct tree *t, struct stat_result *res)
{
	res->samples++;
	if (t->rss > res->max_rss_bytes)
		res->max_rss_bytes = t->rss;
	if (t->threads > res->peak_threads)
		res->peak_threads = t->threads;
	if (t->fds > res->peak_fds)
		res->peak_fds = t->fds;
}

static int add_point(struct stat_result *res, size_t *cap, double t_s, double dt_s,
		     const struct tree *now, const struct tree *prev)
{
	struct stat_point *p;

	if (res->nseries == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct stat_point *n = realloc(res->series, c * sizeof(*n));

		if (!n)
			return -ENOMEM;
		res->series = n;
		*cap = c;
	}
	p = &res->series[res->nseries++];
	if (dt_s <= 0)
		dt_s = 1e-9;
	p->t_s = t_s;
	p->cpu_pct = now->cpu_ns > prev->cpu_ns ? (double)(now->cpu_ns - prev->cpu_ns) / 1e9 / dt_s * 100.0 : 0;
	p->rss_bytes = now->rss;
	p->read_bps = now->rchar > prev->rchar ? (double)(now->rchar - prev->rchar) / dt_s : 0;
	p->write_bps = now->wchar > prev->wchar ? (double)(now->wchar - prev->wchar) / dt_s : 0;
	p->threads = now->threads;
	return 0;
}

static uint64_t vm_hwm(pid_t pid)
{
	char path[64], buf[4096], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strstr(buf, "VmHWM:");
	return p ? strtoull(p + 6, NULL, 10) * 1024ull : 0;
}

/* Reaps every exited child (ours or orphans that came back to us): their
 * I/O read while zombies, their rusage added. Returns 1 when root was
 * among them. */
static int reap(struct tree *t, struct stat_result *res, pid_t root, int *root_status)
{
	int found = 0;

	for (;;) {
		siginfo_t si;
		struct proc_info pi;
		struct rusage ru;
		uint64_t maxrss;
		int st;
		pid_t pid;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			break;
		pid = si.si_pid;
		if (proc_info_read(pid, PROC_IO, &pi) == 0 && pi.io_ok) {
			t->dead_rchar += pi.rchar;
			t->dead_wchar += pi.wchar;
			t->dead_rbytes += pi.read_bytes;
			t->dead_wbytes += pi.write_bytes;
			res->io_ok = 1;
		}
		if (wait4(pid, &st, 0, &ru) != pid)
			break;
		tree_seen(t, pid);
		res->user_ns += (uint64_t)ru.ru_utime.tv_sec * 1000000000ull + (uint64_t)ru.ru_utime.tv_usec * 1000ull;
		res->sys_ns += (uint64_t)ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)ru.ru_stime.tv_usec * 1000ull;
		t->dead_cpu_ns += (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
				  (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
		res->minflt += (uint64_t)ru.ru_minflt;
		res->majflt += (uint64_t)ru.ru_majflt;
		res->nvcsw += (uint64_t)ru.ru_nvcsw;
		res->nivcsw += (uint64_t)ru.ru_nivcsw;
		maxrss = (uint64_t)ru.ru_maxrss * 1024ull;
		/* a command whose peak stayed below pinch's forked image: its
		 * ru_maxrss is that image; its own peak is the sampled VmHWM */
		if (pid == root && t->root_hwm && maxrss <= t->launch_hwm + t->launch_hwm / 4 + 1024 * 1024)
			maxrss = t->root_hwm;
		if (maxrss > res->max_rss_process_bytes)
			res->max_rss_process_bytes = maxrss;
		if (pid == root) {
			*root_status = st;
			found = 1;
		}
	}
	return found;
}


/* The sampler thread: /proc every tick (10 ms doubling up to 200 ms),
 * peaks and the --interval series, while the main thread waits for the
 * exit (so a slow /proc scan never delays noticing it). */
struct run {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct tree t, prev, last;
	struct stat_result *res;
	size_t cap;
	pid_t self;
	int launched;
	uint64_t start, next_point, prev_t, interval;
};

static void run_sample(struct run *r, uint64_t now, int final)
{
	if (r->launched && !final) {
		uint64_t h = vm_hwm(r->res->pid);

		if (h > r->t.root_hwm)
			r->t.root_hwm = h;
	}
	if (tree_sample(&r->t, r->self) == 0 && (r->launched || r->t.root_alive)) {
		r->last = r->t;
		track_peaks(&r->t, r->res);
	}
	if (r->next_point && (now >= r->next_point || final)) {
		if (!final || now > r->prev_t + r->interval / 4)
			add_point(r->res, &r->cap, (double)(now - r->start) / 1e9,
				  (double)(now - r->prev_t) / 1e9, &r->last, &r->prev);
		r->prev = r->last;
		r->prev_t = now;
		r->next_point += r->interval;
		if (r->next_point < now)
			r->next_point = now + r->interval;
	}
}

static void *sampler_main(void *arg)
{
	struct run *r = arg;
	uint64_t tick = 10000000ull;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		uint64_t now = clock_mono_ns(), wait = tick, abs;
		struct timespec ts;

		if (r->next_point && r->next_point - now < wait)
			wait = r->next_point > now ? r->next_point - now : 0;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		abs = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + wait;
		ts.tv_sec = (time_t)(abs / 1000000000ull);
		ts.tv_nsec = (long)(abs % 1000000000ull);
		while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
			;
		if (r->stop)
			break;
		tick = tick * 2 < TICK_MAX_NS ? tick * 2 : TICK_MAX_NS;
		run_sample(r, clock_mono_ns(), 0);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int stat_run(const struct stat_config *cfg, struct stat_result *res, char *err, size_t errlen)
{
	struct perfset ps = { 0 };
	struct run r;
	struct child ch = { -1, -1, -1 };
	struct sigfwd sf;
	pthread_condattr_t ca;
	pthread_t th;
	uint64_t now, deadline = 0, end = 0, cpu0 = 0;
	int rc = 0, pidfd = -1, root_status = 0, launched = cfg->pid <= 0, done = 0, thread = 0;
	struct tree first = { 0 };

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	res->exit_status = -1;
	res->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (res->ncpu < 1)
		res->ncpu = 1;
	res->mem_total = proc_mem_total();
	res->mem_limit = proc_cgroup_mem_limit();
	res->interval_ns = cfg->interval_ns;
	res->launched = launched;
	r.res = res;
	r.self = getpid();
	r.launched = launched;
	r.interval = cfg->interval_ns;

	if (launched) {
		struct cpu_record_config cc;
		sigset_t cur;

		memset(&cc, 0, sizeof(cc));
		cc.argv = cfg->argv;
		cc.exe_path = cfg->exe_path;
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		sigprocmask(SIG_SETMASK, NULL, &cur);
		rc = cpu_child_start(&cc, &cur, NULL, NULL, &ch);
		if (rc) {
			snprintf(err, errlen, "cannot start the command: %s", strerror(-rc));
			prctl(PR_SET_CHILD_SUBREAPER, 0);
			return rc;
		}
		if (!cfg->no_perf) {
			rc = perf_add(&ps, ch.pid, 1);
			if (rc)
				res->perf_errno = -rc;
			else
				res->perf_ok = 1;
		}
		r.t.root = r.self;	/* our children and the orphans that come back */
		r.t.launch_hwm = vm_hwm(ch.pid);
		res->pid = ch.pid;
	} else {
		if (kill(cfg->pid, 0) < 0 && errno == ESRCH) {
			snprintf(err, errlen, "no process with pid %d", (int)cfg->pid);
			return -ESRCH;
		}
		r.t.root = cfg->pid;
		res->pid = cfg->pid;
		if (!cfg->no_perf) {
			rc = perf_attach(&ps, cfg->pid);
			if (rc) {
				perf_close(&ps);
				res->perf_errno = -rc;
			} else {
				res->perf_ok = 1;
			}
		}
	}

	sigfwd_start(&sf, 0, 0);

	pthread_mutex_init(&r.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r.cv, &ca);
	pthread_condattr_destroy(&ca);

	r.start = clock_mono_ns();
	if (launched) {
		sigfwd_target(ch.pid);
		rc = cpu_child_go(&ch);
		if (rc) {
			int st;

			waitpid(ch.pid, &st, 0);
			snprintf(err, errlen, "cannot run '%s': %s", cfg->argv[0], strerror(-rc));
			goto out;
		}
		pidfd = cpu_pidfd_open(ch.pid);
	} else {
		pidfd = cpu_pidfd_open(cfg->pid);
		rc = tree_sample(&r.t, r.self);
		if (rc || !r.t.root_alive) {
			snprintf(err, errlen, "cannot read /proc/%d: %s", (int)cfg->pid,
				 strerror(rc ? -rc : ESRCH));
			rc = rc ? rc : -ESRCH;
			goto out;
		}
		cpu0 = r.t.cpu_ns;
		first = r.t;
		track_peaks(&r.t, res);
	}
	r.last = r.t;
	r.prev = r.t;
	r.prev_t = r.start;
	if (cfg->duration_ns)
		deadline = r.start + cfg->duration_ns;
	if (cfg->interval_ns)
		r.next_point = r.start + cfg->interval_ns;
	thread = pthread_create(&th, NULL, sampler_main, &r) == 0;
	while (!done) {
		struct pollfd p = { pidfd, POLLIN, 0 };
		int timeout = 50;

		now = clock_mono_ns();
		if (deadline && deadline - now < 50000000ull)
			timeout = deadline > now ? (int)((deadline - now + 999999) / 1000000) : 0;
		if (pidfd >= 0)
			poll(&p, 1, timeout);
		else
			clock_sleep_ns((uint64_t)timeout * 1000000ull, NULL);
		now = clock_mono_ns();
		if (launched) {
			int exited = pidfd >= 0 && (p.revents & POLLIN);

			if (exited)
				end = now;	/* before reading anything */
			pthread_mutex_lock(&r.mu);
			if (reap(&r.t, res, ch.pid, &root_status)) {
				res->wall_ns = (end ? end : now) - r.start;
				done = 1;
			}
			pthread_mutex_unlock(&r.mu);
		} else if (pidfd >= 0 ? (p.revents & POLLIN) : (kill(cfg->pid, 0) < 0 && errno == ESRCH)) {
			res->gone = 1;
			res->wall_ns = now - r.start;
			done = 1;
		}
		if (!done && deadline && now >= deadline) {
			res->timed_out = 1;
			if (launched) {
				kill(ch.pid, SIGTERM);
				deadline = 0;
			} else {
				res->wall_ns = now - r.start;
				done = 1;
			}
		}
		if (!done && sigfwd_last) {
			if (!launched) {
				res->wall_ns = now - r.start;
				done = 1;
			}
			/* launched: SIGINT went to the child too; wait for it */
			sigfwd_last = 0;
		}
	}
	pthread_mutex_lock(&r.mu);
	r.stop = 1;
	pthread_cond_signal(&r.cv);
	pthread_mutex_unlock(&r.mu);
	if (thread)
		pthread_join(th, NULL);
	if (ps.n)
		perf_read(&ps, res->perf);
	if (launched) {
		reap(&r.t, res, ch.pid, &root_status);
		run_sample(&r, r.start + res->wall_ns, 1);
		res->rchar = r.t.dead_rchar;
		res->wchar = r.t.dead_wchar;
		res->read_bytes = r.t.dead_rbytes;
		res->write_bytes = r.t.dead_wbytes;
		res->have_ctxsw = 1;
		if (WIFEXITED(root_status))
			res->exit_status = WEXITSTATUS(root_status);
		else if (WIFSIGNALED(root_status))
			res->term_signal = WTERMSIG(root_status);
	} else {
		struct proc_info pi;

		run_sample(&r, now, 1);
		res->sys_ns = r.last.cpu_ns > cpu0 ? r.last.cpu_ns - cpu0 : 0;
		/* split by the root's own user/system share */
		if (proc_info_read(cfg->pid, 0, &pi) == 0 && pi.utime_ns + pi.stime_ns) {
			double u = (double)pi.utime_ns / (double)(pi.utime_ns + pi.stime_ns);

			res->user_ns = (uint64_t)((double)res->sys_ns * u);
			res->sys_ns -= res->user_ns;
		}
		res->minflt = r.last.minflt - first.minflt;
		res->majflt = r.last.majflt - first.majflt;
		res->io_ok = 1;
		res->rchar = r.last.rchar - first.rchar;
		res->wchar = r.last.wchar - first.wchar;
		res->read_bytes = r.last.rbytes - first.rbytes;
		res->write_bytes = r.last.wbytes - first.wbytes;
		res->max_rss_process_bytes = vm_hwm(cfg->pid);
	}
	if (res->max_rss_process_bytes > res->max_rss_bytes)
		res->max_rss_bytes = res->max_rss_process_bytes;
	if (!res->peak_threads)
		res->peak_threads = 1;	/* ended before the first look at /proc */
	res->processes = (unsigned)r.t.nseen;
	rc = 0;
out:
	sigfwd_stop(&sf);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	if (pidfd >= 0)
		close(pidfd);
	perf_close(&ps);
	free(r.t.seen);
	if (launched)
		prctl(PR_SET_CHILD_SUBREAPER, 0);
	return rc;
}

void stat_result_release(struct stat_result *res)
{
	free(res->series);
	res->series = NULL;
	res->nseries = 0;
}
