/*
 * cpu_target.c - the program the CPU sampler records (collect layer):
 * launching it (fork, open the events, then let it exec, so sampling
 * starts at its first instruction) or attaching to a running process
 * (every thread, rescanned until none is new), the wait loop that
 * drives rounds until it ends, and how every recording ends: the last
 * samples, what they cover of the target's CPU time, FINISH.
 */
#include "cpu_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect/ksyms.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "model/recunwind.h"
#include "core/banned.h"

int cpu_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* ---- signals and the wait loop ------------------------------------------ */

int cpu_block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/*
 * Polls rings, signals and the target until the target is gone, the
 * duration ends or (attached) a stop signal arrives. round() runs after
 * each wake-up. Returns 0 or the first error of round().
 */
int cpu_wait_loop(struct sampler *s, struct target *t, uint64_t deadline,
		     int (*round)(struct sampler *, int))
{
	struct pollfd *pfd;
	int n = s->ncpu + 2, i, rc = 0, stop = 0;

	pfd = calloc((size_t)n, sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	pfd[0].fd = s->sigfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = t->pidfd;
	pfd[1].events = POLLIN;
	for (i = 0; i < s->ncpu; i++) {
		pfd[2 + i].fd = s->rings && s->rings[i].page ? s->rings[i].fd : -1;
		pfd[2 + i].events = POLLIN;
	}
	while (!stop && !rc) {
		uint64_t now = clock_mono_ns();
		int timeout = (int)(ROUND_NS / 1000000ull);

		if (deadline) {
			if (now >= deadline)
				break;
			if (deadline - now < ROUND_NS)
				timeout = (int)((deadline - now + 999999) / 1000000);
		}
		if (t->pidfd < 0 && t->launched) {
			/* No pidfd: poll the child with waitpid(WNOHANG). */
			if (wait4(t->pid, &t->status, WNOHANG, &t->ru) == t->pid) {
				t->gone = 1;
				break;
			}
			if (timeout > 10)
				timeout = 10;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				int sig = (int)si.ssi_signo;

				if (!t->launched) {
					stop = 1;	/* attached: any of them ends the recording */
				} else if (sig == SIGTERM || sig == SIGHUP) {
					kill(t->pid, sig);	/* forward; we stop when it is gone */
				}
				/* launched + SIGINT/SIGQUIT: the child got it from the terminal */
			}
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			if (t->launched)
				wait4(t->pid, &t->status, 0, &t->ru);
			t->gone = 1;
			stop = 1;
		}
		for (i = 0; i < s->ncpu; i++)
			if (pfd[2 + i].revents & (POLLHUP | POLLERR))
				pfd[2 + i].fd = -1;	/* drained by the timer from now on */
		rc = round(s, 0);
	}
	free(pfd);
	return rc;
}

static void finish_status(const struct target *t, struct cpu_record_result *res,
			  struct rec_finish *f)
{
	res->exit_status = -1;
	res->term_signal = 0;
	if (t->launched && t->gone) {
		if (WIFEXITED(t->status))
			res->exit_status = WEXITSTATUS(t->status);
		else if (WIFSIGNALED(t->status))
			res->term_signal = WTERMSIG(t->status);
	}
	f->exit_status = res->exit_status;
	f->term_signal = res->term_signal;
}

static int write_finish(struct rec_writer *w, struct rec_finish *f)
{
	f->end_mono_ns = clock_mono_ns();
	return rec_writer_add(w, REC_FINISH, f, sizeof(*f), NULL, 0, NULL, 0);
}

/* User and system CPU of a whole process (all its threads) from
 * /proc/PID/stat; -errno when it is gone. */
static int proc_cpu_ns(pid_t pid, uint64_t *user_ns, uint64_t *sys_ns)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	const char *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	rc = strbuf_read_file(&sb, path, 4096);
	/* after the ")" closing comm: state ppid pgrp session tty tpgid flags
	 * minflt cminflt majflt cmajflt utime stime */
	p = rc ? NULL : strrchr(sb.buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2) {
		strbuf_release(&sb);
		return rc ? rc : -EINVAL;
	}
	strbuf_release(&sb);
	if (hz <= 0)
		hz = 100;
	*user_ns = ut * (1000000000ull / (unsigned long long)hz);
	*sys_ns = st * (1000000000ull / (unsigned long long)hz);
	return 0;
}

static int meta_u64(struct rec_writer *w, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return rec_writer_meta(w, key, buf);
}

/* What the samples cover: whether kernel stacks were sampled, the
 * target's own user and system CPU time to compare them with, and the
 * names of the kernel addresses sampled. */
/* How blocked time was recorded (--off-cpu, --wall): "offcpu_mechanism"
 * is "perf-switch" or "none: REASON"; "offcpu_stacks" says whether the
 * stacks at switch-out came, and if not, why. */
static int write_offcpu_meta(struct sampler *s)
{
	int rc;

	if (s->agent) {
		rc = rec_writer_meta(s->w, "offcpu_mechanism",
				     "none: perf_event was refused and the in-process agent cannot see context switches");
		return rc ? rc : rec_writer_meta(s->w, "offcpu_stacks", "none");
	}
	rc = rec_writer_meta(s->w, "offcpu_mechanism", "perf-switch");
	if (rc)
		return rc;
	if (s->switch_kernel || s->offcpu_stacks)
		return rec_writer_meta(s->w, "offcpu_stacks", "sampled");
	return rec_writer_meta(s->w, "offcpu_stacks",
			       "none: stacks at a context switch need root, CAP_PERFMON or perf_event_paranoid <= 1 (switch records alone give exact blocked time per thread)");
}

static int write_coverage(struct sampler *s, const struct target *t)
{
	uint64_t user = 0, sys = 0;
	int have = 0, hidden = 0, rc;

	if (t->launched && t->gone) {
		user = (uint64_t)t->ru.ru_utime.tv_sec * 1000000000ull + (uint64_t)t->ru.ru_utime.tv_usec * 1000u;
		sys = (uint64_t)t->ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)t->ru.ru_stime.tv_usec * 1000u;
		have = 1;
	} else if (!t->launched && !s->cfg->subprocesses && !proc_cpu_ns(t->pid, &user, &sys)) {
		/* (With its subprocesses the process's own CPU is not what the
		 * samples cover: no comparison.) */
		user = user > t->cpu0_user_ns ? user - t->cpu0_user_ns : 0;
		sys = sys > t->cpu0_sys_ns ? sys - t->cpu0_sys_ns : 0;
		have = 1;
	}
	rc = rec_writer_meta(s->w, "kernel", s->kernel ? "sampled" : s->cfg->user_only ? "excluded" :
			     s->agent ? "agent" : "refused");
	if (!rc && s->cfg->offcpu)
		rc = write_offcpu_meta(s);
	if (!rc && have)
		rc = meta_u64(s->w, "target_user_ns", user);
	if (!rc && have)
		rc = meta_u64(s->w, "target_sys_ns", sys);
	if (!rc && s->ksyms)
		rc = ksyms_write(s->ksyms, "/proc/kallsyms", s->w, &hidden);
	if (!rc && hidden)
		rc = rec_writer_meta(s->w, "kernel_symbols", "hidden");
	return rc;
}

/* What record-time unwinding did, for the report's header: samples whose
 * stack copy became a whole address chain, of those continued with the
 * frame-pointer chain above the copy, those left as fp chains, the CFI
 * walks resumed by a frame-pointer step, and the chains left partial. */
static int write_unwind_stats(struct sampler *s)
{
	const struct recunwind_stats *st = recunwind_stats(s->uw);
	char buf[96];

	snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
		 st->samples, st->unwound, st->spliced, st->kept_fp, st->resumed, st->partial);
	return rec_writer_meta(s->w, "cfi_unwind", buf);
}

/* The end of every recording (launched, attached or through the agent):
 * the last samples, what they cover, then FINISH. rc is the wait loop's result: on an error
 * only the Python reader is stopped. */
int cpu_finish_recording(struct sampler *s, const struct target *t,
			    struct cpu_record_result *res, int rc)
{
	struct rec_finish f;

	cpu_py_finish(s, res);
	cpu_follow_finish(s, res);
	res->kernel = s->kernel;
	if (!rc)
		rc = cpu_sampler_round(s, 1);
	if (!rc)
		rc = write_coverage(s, t);
	if (!rc && s->uw)
		rc = write_unwind_stats(s);
	if (!rc) {
		memset(&f, 0, sizeof(f));
		finish_status(t, res, &f);
		f.samples = s->samples;
		rc = write_finish(s->w, &f);
	}
	if (!rc)
		rc = rec_writer_flush(s->w);
	return rc;
}

/* ---- launching ------------------------------------------------------------ */

static void child_run(const struct cpu_record_config *cfg, const sigset_t *oldmask, int go,
		      int errw, char *const *envp, const struct rlimit *nofile)
{
	int e;

	if (nofile)
		setrlimit(RLIMIT_NOFILE, nofile);	/* the command gets the limit it would have had */

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	close(go);
	if (envp)
		execve(cfg->exe_path, cfg->argv, envp);
	else
		execv(cfg->exe_path, cfg->argv);
	e = errno;
	if (write(errw, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int cpu_child_start(const struct cpu_record_config *cfg, const sigset_t *oldmask,
		       char *const *envp, const struct rlimit *nofile, struct child *ch)
{
	int go[2], er[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(go[0]);
		close(go[1]);
		close(er[0]);
		close(er[1]);
		return -e;
	}
	if (pid == 0) {
		char c;

		close(go[1]);
		close(er[0]);
		/* Wait for the go byte; EOF means the parent gave up. */
		for (;;) {
			ssize_t n = read(go[0], &c, 1);

			if (n == 1)
				break;
			if (n < 0 && errno == EINTR)
				continue;
			_exit(127);
		}
		child_run(cfg, oldmask, go[0], er[1], envp, nofile);
	}
	close(go[0]);
	close(er[1]);
	ch->pid = pid;
	ch->go_fd = go[1];
	ch->err_fd = er[0];
	return 0;
}

/* Lets the child exec; returns 0 or the exec errno (negative). */
int cpu_child_go(struct child *ch)
{
	char c = 'g';
	int e = 0;
	ssize_t n;

	if (write(ch->go_fd, &c, 1) != 1)
		return -EPIPE;
	close(ch->go_fd);
	ch->go_fd = -1;
	do
		n = read(ch->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ch->err_fd);
	ch->err_fd = -1;
	return n == (ssize_t)sizeof(e) ? -e : 0;
}

void cpu_child_abort(struct child *ch)
{
	int st;

	if (ch->go_fd >= 0)
		close(ch->go_fd);
	if (ch->err_fd >= 0)
		close(ch->err_fd);
	ch->go_fd = ch->err_fd = -1;
	if (ch->pid > 0)
		waitpid(ch->pid, &st, 0);
	ch->pid = 0;
}

int cpu_write_meta(struct rec_writer *w, const struct cpu_record_config *cfg,
		      const char *mode, uint32_t stack_size)
{
	/* The agent stores its stack copies: the report unwinds them. */
	enum cpu_call_graph cg = cfg->call_graph == CPU_CG_CFI && strcmp(mode, "perf") ?
		CPU_CG_DWARF : cfg->call_graph;
	char buf[32];
	int rc = 0;

	if (cfg->command_line)
		rc = rec_writer_meta(w, "command", cfg->command_line);
	if (!rc)
		rc = rec_writer_meta(w, "mode", mode);
	if (!rc)
		rc = rec_writer_meta(w, "event", cfg->task_clock ? "task-clock" : "cpu-clock");
	snprintf(buf, sizeof(buf), "%u", cfg->freq);
	if (!rc)
		rc = rec_writer_meta(w, "frequency", buf);
	if (!rc)
		rc = rec_writer_meta(w, "call_graph", cpu_call_graph_name(cg));
	snprintf(buf, sizeof(buf), "%u", stack_size);
	if (!rc)
		rc = rec_writer_meta(w, "stack_size", buf);
	if (!rc && cfg->offcpu)
		rc = rec_writer_meta(w, "offcpu", cfg->offcpu == CPU_OFFCPU_WALL ? "wall" : "off-cpu");
	if (!rc && cfg->pid > 0) {
		snprintf(buf, sizeof(buf), "%d", (int)cfg->pid);
		rc = rec_writer_meta(w, "pid", buf);
	}
	if (!rc)
		rc = rec_writer_flush(w);
	return rc;
}

static const char *kernel_note(const struct sampler *s)
{
	if (s->kernel)
		return ", user and kernel stacks";
	return s->cfg->user_only ? ", user space only" :
		", user space only: kernel stacks need root, CAP_PERFMON or perf_event_paranoid <= 1";
}

static const char *offcpu_note(const struct sampler *s)
{
	if (!s->cfg->offcpu)
		return "";
	if (s->switch_kernel)
		return "; blocked time: perf context switches, stacks at switch-out";
	return "; blocked time: perf context-switch records, NO stacks (stacks need root, CAP_PERFMON or perf_event_paranoid <= 1)";
}

void cpu_describe(const struct cpu_record_config *cfg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!cfg->on_start)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cfg->on_start(cfg->ctx, line);
}

static int is_refusal(int rc)
{
	return rc == -EACCES || rc == -EPERM || rc == -ENOSYS || rc == -ENOENT ||
	       rc == -EOPNOTSUPP;
}

int cpu_record_launch(struct sampler *s, const sigset_t *oldmask,
			 struct cpu_record_result *res, char *err, size_t errlen)
{
	const struct cpu_record_config *cfg = s->cfg;
	struct target t = { .pidfd = -1, .launched = 1 };
	struct child ch = { 0, -1, -1 };
	int rc;

	rc = cpu_child_start(cfg, oldmask, NULL, s->nofile_raised ? &s->nofile_old : NULL, &ch);
	if (rc) {
		snprintf(err, errlen, "cannot start '%s': %s", cfg->argv[0], strerror(-rc));
		return rc;
	}
	rc = cpu_open_all(s, ch.pid, 1);
	if (rc) {
		cpu_child_abort(&ch);
		res->perf_errno = -rc;
		if (cfg->mode == CPU_MODE_AUTO && is_refusal(rc)) {
			char why[160];

			struct rec_writer *w = s->w;
			struct rlimit nofile = s->nofile_old;
			int sigfd = s->sigfd, raised = s->nofile_raised;

			snprintf(why, sizeof(why), "perf_event_open refused: %s", strerror(-rc));
			cpu_sampler_release(s);
			rc = cpu_sampler_init(s, cfg);
			s->w = w;
			s->sigfd = sigfd;
			s->nofile_old = nofile;
			s->nofile_raised = raised;
			if (rc)
				return rc;
			return cpu_record_agent(s, oldmask, res, why, err, errlen);
		}
		snprintf(err, errlen, "cannot open the cpu-clock event: %s", strerror(-rc));
		res->before_start = 1;
		return rc;
	}
	res->mode = CPU_MODE_PERF;
	rc = cpu_write_meta(s->w, cfg, "perf", s->stack_size);
	if (rc) {
		cpu_child_abort(&ch);
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		return rc;
	}
	t.pid = ch.pid;
	t.pidfd = cpu_pidfd_open(ch.pid);
	cpu_describe(cfg, "mode perf (perf_event %s, %u Hz, %s call graph, %d CPUs%s%s)",
		 cfg->task_clock ? "task-clock" : "cpu-clock", cfg->freq,
		 cpu_call_graph_name(cfg->call_graph), s->ncpu, kernel_note(s), offcpu_note(s));
	s->last_round = clock_mono_ns();
	rc = cpu_child_go(&ch);
	if (rc) {
		snprintf(err, errlen, "cannot run '%s': %s", cfg->argv[0], strerror(-rc));
		waitpid(ch.pid, &t.status, 0);
		if (t.pidfd >= 0)
			close(t.pidfd);
		return rc;
	}
	cpu_py_start(s, ch.pid);
	/* perf follows the children; their Python stacks need readers. */
	if (cfg->python && (rc = cpu_follow_init(s, ch.pid, 0, clock_mono_ns()))) {
		snprintf(err, errlen, "cannot follow the children of %d: %s", (int)ch.pid,
			 strerror(-rc));
		kill(t.pid, SIGTERM);
		wait4(t.pid, &t.status, 0, &t.ru);
		t.gone = 1;
		goto finish;
	}
	rc = cpu_wait_loop(s, &t, cfg->duration_ns ? clock_mono_ns() + cfg->duration_ns : 0,
		       cpu_sampler_round);
	if (!t.gone && !rc) {
		/* The duration ended: the command is stopped like timeout(1) does. */
		res->timed_out = 1;
		kill(t.pid, SIGTERM);
		wait4(t.pid, &t.status, 0, &t.ru);
		t.gone = 1;
	}
finish:
	rc = cpu_finish_recording(s, &t, res, rc);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		if (!t.gone) {
			kill(t.pid, SIGTERM);
			wait4(t.pid, &t.status, 0, &t.ru);
		}
	}
	if (t.pidfd >= 0)
		close(t.pidfd);
	return rc;
}

static int tidset_has(const struct tidset *ts, pid_t tid)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (ts->v[i] == tid)
			return 1;
	return 0;
}

/* Opens events for every thread of pid not yet in ts. Returns the number
 * of new threads, or -errno. */
int cpu_attach_threads(struct sampler *s, pid_t pid, struct tidset *ts, uint64_t now)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int added = 0, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!rc && (e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		int c;

		if (tid <= 0 || tidset_has(ts, tid))
			continue;
		if (ts->n == ts->cap) {
			size_t nc = ts->cap ? ts->cap * 2 : 16;
			pid_t *nv = realloc(ts->v, nc * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			ts->v = nv;
			ts->cap = nc;
		}
		for (c = 0; c < s->ncpu && !rc; c++) {
			rc = cpu_open_event(s, tid, c, 0);
			if ((rc == -ENODEV || rc == -EINVAL) && c > 0)
				rc = 0;
		}
		if (rc == -ESRCH) {
			rc = 0;	/* the thread ended meanwhile */
			continue;
		}
		if (rc)
			break;
		ts->v[ts->n++] = tid;
		rc = cpu_synth_comm(s, pid, tid, now);
		added++;
	}
	closedir(d);
	return rc ? rc : added;
}

int cpu_record_attach(struct sampler *s, struct cpu_record_result *res, char *err,
			 size_t errlen)
{
	const struct cpu_record_config *cfg = s->cfg;
	struct target t = { .pid = cfg->pid, .pidfd = -1 };
	struct tidset ts = { NULL, 0, 0 };
	uint64_t now;
	int rc, tries;

	if (kill(cfg->pid, 0) < 0 && errno == ESRCH) {
		snprintf(err, errlen, "no process with pid %d", (int)cfg->pid);
		res->before_start = 1;
		return -ESRCH;
	}
	if (cfg->mode == CPU_MODE_AGENT) {
		snprintf(err, errlen, "the fallback agent can only profile a command pinch starts");
		res->before_start = 1;
		return -EINVAL;
	}
	res->mode = CPU_MODE_PERF;
	now = clock_mono_ns();
	/* The descendants are listed before the root's events exist: perf
	 * inherits none of them, each gets events of its own. */
	if (cfg->subprocesses && (rc = cpu_follow_init(s, cfg->pid, 1, now))) {
		res->perf_errno = -rc;
		res->before_start = 1;
		snprintf(err, errlen, "cannot profile the children of pid %d: %s", (int)cfg->pid,
			 strerror(-rc));
		return rc;
	}
	/* Threads may start while we open: rescan until nothing is new. */
	for (tries = 0; tries < 16; tries++) {
		rc = cpu_attach_threads(s, cfg->pid, &ts, now);
		if (rc <= 0)
			break;
	}
	if (rc < 0) {
		res->perf_errno = -rc;
		res->before_start = 1;
		if (rc == -ESRCH)
			snprintf(err, errlen, "no process with pid %d", (int)cfg->pid);
		else
			snprintf(err, errlen, "cannot profile pid %d: %s", (int)cfg->pid,
				 strerror(-rc));
		free(ts.v);
		return rc;
	}
	t.pidfd = cpu_pidfd_open(cfg->pid);
	proc_cpu_ns(cfg->pid, &t.cpu0_user_ns, &t.cpu0_sys_ns);
	{
		int unreadable;

		rc = cpu_synth_maps(s, cfg->pid, now, &unreadable);
		if (rc == -ESRCH)
			rc = 0;
		if (rc && unreadable) {
			/* Without its maps nothing could be symbolized: stop
			 * before writing anything (the file is removed). */
			snprintf(err, errlen, "cannot read /proc/%d/maps: %s", (int)cfg->pid,
				 strerror(-rc));
			res->maps_failed = 1;
			res->before_start = 1;
			goto out;
		}
	}
	if (!rc)
		rc = cpu_write_meta(s->w, cfg, "perf", s->stack_size);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		goto out;
	}
	cpu_describe(cfg, "attached to pid %d (%zu thread%s), mode perf (perf_event %s, %u Hz, %s call graph, %d CPUs%s%s)",
		 (int)cfg->pid, ts.n, ts.n == 1 ? "" : "s", cfg->task_clock ? "task-clock" : "cpu-clock",
		 cfg->freq, cpu_call_graph_name(cfg->call_graph), s->ncpu, kernel_note(s), offcpu_note(s));
	s->last_round = clock_mono_ns();
	cpu_py_start(s, cfg->pid);
	rc = cpu_wait_loop(s, &t, cfg->duration_ns ? clock_mono_ns() + cfg->duration_ns : 0,
		       cpu_sampler_round);
	{
		size_t i;

		for (i = 0; i < s->nfds; i++)
			ioctl(s->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	}
	rc = cpu_finish_recording(s, &t, res, rc);
	if (rc)
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
out:
	if (t.pidfd >= 0)
		close(t.pidfd);
	free(ts.v);
	return rc;
}

