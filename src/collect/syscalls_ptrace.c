/*
 * syscalls_ptrace.c - pinch syscalls' fallback when BPF is refused: the
 * command runs under ptrace with a seccomp filter (SECCOMP_RET_TRACE)
 * installed just before its exec, so only the syscalls to count stop it
 * (at entry, PTRACE_EVENT_SECCOMP); each stopped call is resumed with
 * PTRACE_SYSCALL to see its return, then PTRACE_CONT. Threads and
 * children are followed (PTRACE_O_TRACEFORK/VFORK/CLONE) and inherit the
 * filter. Launched commands only: a seccomp filter cannot be put into a
 * running process.
 */
#include "collect/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect/sigfwd.h"
#include "core/clock.h"
#include "core/banned.h"

#define NR_EXIT 60
#define NR_EXIT_GROUP 231

struct tracee {
	pid_t tid;		/* 0: free slot, -1: deleted */
	int in_syscall;
	unsigned nr;
	int traced;
	uint64_t t0;
	struct sysc_event ev;
};

struct tracees {
	struct tracee *v;
	size_t cap, live;
};

static struct tracee *tracee_find(struct tracees *t, pid_t tid, int add)
{
	size_t i, h, del = SIZE_MAX;

	if (add && (t->live + 1) * 2 > t->cap) {
		struct tracees n = { calloc(t->cap ? t->cap * 2 : 256, sizeof(struct tracee)),
				     t->cap ? t->cap * 2 : 256, 0 };

		if (!n.v)
			return NULL;
		for (i = 0; i < t->cap; i++)
			if (t->v[i].tid > 0) {
				struct tracee *d = tracee_find(&n, t->v[i].tid, 1);

				*d = t->v[i];
			}
		free(t->v);
		*t = n;
	}
	if (!t->cap)
		return NULL;
	h = ((size_t)tid * 2654435761u) & (t->cap - 1);
	for (i = 0; i < t->cap; i++, h = (h + 1) & (t->cap - 1)) {
		if (t->v[h].tid == tid)
			return &t->v[h];
		if (t->v[h].tid == -1 && del == SIZE_MAX)
			del = h;
		if (t->v[h].tid == 0) {
			if (!add)
				return NULL;
			if (del != SIZE_MAX)
				h = del;
			memset(&t->v[h], 0, sizeof(t->v[h]));
			t->v[h].tid = tid;
			t->live++;
			return &t->v[h];
		}
	}
	return NULL;
}

static void tracee_del(struct tracees *t, pid_t tid)
{
	struct tracee *e = tracee_find(t, tid, 0);

	if (e) {
		e->tid = -1;
		t->live--;
	}
}

/* The filter: trace the chosen numbers (all when only is NULL). */
static int install_filter(const unsigned char *only)
{
	struct sock_filter f[SYSC_MAX_NR + 8];
	struct sock_fprog prog;
	unsigned n = 0, k = 0, nsel = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	if (only) {
		for (k = 0; k < SYSC_MAX_NR; k++)
			nsel += only[k] != 0;
		for (k = 0; k < SYSC_MAX_NR; k++) {
			if (!only[k])
				continue;
			/* jump to the TRACE return, past the remaining tests and ALLOW */
			nsel--;
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, (unsigned char)(nsel + 1), 0);
		}
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void read_user(pid_t tid, uint64_t addr, char *buf, size_t len, int string)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	buf[0] = 0;
	if (!addr)
		return;
	n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n <= 0 && string) {
		/* a short read across a page end: retry up to the page end */
		remote.iov_len = local.iov_len = 4096 - (addr & 4095);
		if (remote.iov_len > len)
			remote.iov_len = local.iov_len = len;
		n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	}
	if (n <= 0)
		buf[0] = 0;
	else if (string)
		buf[(size_t)n < len ? (size_t)n : len - 1] = 0;
}

static void on_entry(const struct sysc_config *cfg, struct sysc_result *res, struct tracee *t,
		     pid_t tid)
{
	struct user_regs_struct r;
	unsigned layout;

	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return;
	t->nr = (unsigned)r.orig_rax;
	t->t0 = clock_mono_ns();
	t->in_syscall = t->nr != NR_EXIT && t->nr != NR_EXIT_GROUP;
	if (t->nr < SYSC_MAX_NR)
		res->stats[t->nr].count++;
	t->traced = cfg->trace && t->nr < SYSC_MAX_NR && sysc_in_groups(t->nr, cfg->trace) &&
		    (!cfg->only || cfg->only[t->nr]);
	if (!t->traced)
		return;
	memset(&t->ev, 0, offsetof(struct sysc_event, buf) + 1);
	t->ev.tid = (__u32)tid;
	t->ev.nr = t->nr;
	t->ev.start_ns = t->t0;
	t->ev.args[0] = r.rdi;
	t->ev.args[1] = r.rsi;
	t->ev.args[2] = r.rdx;
	t->ev.args[3] = r.r10;
	t->ev.args[4] = r.r8;
	t->ev.args[5] = r.r9;
	layout = sysc_arg_layout(t->nr);
	if (layout & (SYSC_PATH0 | SYSC_PATH1)) {
		read_user(tid, t->ev.args[(layout & SYSC_PATH0) ? 0 : 1], t->ev.buf, sizeof(t->ev.buf), 1);
		t->ev.buf_kind = t->ev.buf[0] ? SYSC_BUF_PATH : SYSC_BUF_NONE;
	} else if (layout & SYSC_SOCKADDR1) {
		size_t len = t->ev.args[2] < sizeof(t->ev.buf) ? (size_t)t->ev.args[2] : sizeof(t->ev.buf);

		if (len) {
			read_user(tid, t->ev.args[1], t->ev.buf, len, 0);
			t->ev.buf_kind = SYSC_BUF_SOCKADDR;
		}
	}
}

static void on_exit_stop(const struct sysc_config *cfg, struct sysc_result *res, struct tracee *t,
			 pid_t tid)
{
	struct user_regs_struct r;
	uint64_t d = clock_mono_ns() - t->t0;
	struct sysc_stat *s;
	int64_t ret;
	unsigned b = 0;

	t->in_syscall = 0;
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0 || t->nr >= SYSC_MAX_NR)
		return;
	ret = (int64_t)r.rax;
	s = &res->stats[t->nr];
	if (ret < 0 && ret >= -4095)
		s->errors++;
	s->total_ns += d;
	if (d > s->max_ns)
		s->max_ns = d;
	for (uint64_t v = d; v > 1; v >>= 1)
		b++;
	s->hist[b < SYSC_HIST ? b : SYSC_HIST - 1]++;
	if (t->traced && cfg->on_event) {
		char path[64];
		int fd;

		/* the pid of the thread */
		snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
		t->ev.pid = (__u32)tid;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			char buf[1024];
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			char *p;

			if (n > 0) {
				buf[n] = 0;
				p = strstr(buf, "\nTgid:");
				if (p)
					t->ev.pid = (__u32)strtoul(p + 6, NULL, 10);
			}
			close(fd);
		}
		t->ev.ret = ret;
		t->ev.dur_ns = d;
		cfg->on_event(cfg->ctx, &t->ev);
		res->events++;
	}
}

int sysc_run_ptrace(const struct sysc_config *cfg, struct sysc_result *res, char *err, size_t errlen)
{
	struct tracees tr = { 0 };
	struct sigfwd sf;
	uint64_t start, deadline = 0;
	int go[2], er[2], st, e = 0;
	pid_t child, tid;
	ssize_t n;

	if (cfg->pid > 0) {
		snprintf(err, errlen, "the ptrace mechanism runs a command (its seccomp filter is installed "
			 "before the exec); it cannot watch a running process: use BPF (root) or run the command");
		return -EOPNOTSUPP;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	child = fork();
	if (child < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -errno;
	}
	if (child == 0) {
		char c;

		close(go[1]);
		close(er[0]);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			e = errno;
		else if (raise(SIGSTOP) != 0 || read(go[0], &c, 1) != 1)
			_exit(127);
		else if (signal(SIGPIPE, SIG_DFL) == SIG_ERR || install_filter(cfg->only) < 0)
			e = errno;
		else {
			execv(cfg->exe_path, cfg->argv);
			e = errno;
		}
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(er[1]);
	if (waitpid(child, &st, __WALL) != child || !WIFSTOPPED(st)) {
		n = read(er[0], &e, sizeof(e));
		snprintf(err, errlen, "ptrace refused: %s", strerror(n == (ssize_t)sizeof(e) ? e : ECHILD));
		close(go[1]);
		close(er[0]);
		waitpid(child, &st, 0);
		return -EPERM;
	}
	if (ptrace(PTRACE_SETOPTIONS, child, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK |
		   PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) < 0) {
		snprintf(err, errlen, "ptrace refused: %s", strerror(errno));
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
		return -EPERM;
	}
	res->mechanism = SYSC_MECH_PTRACE;
	res->pid = child;
	tracee_find(&tr, child, 1);
	res->processes = 1;
	sigfwd_start(&sf, child, cfg->duration_ns != 0);
	start = clock_mono_ns();
	ptrace(PTRACE_CONT, child, 0, 0);
	if (write(go[1], "g", 1) != 1)
		e = EPIPE;
	close(go[1]);
	if (cfg->duration_ns) {
		struct itimerval it = { { 0, 100000 }, { 0, 100000 } };

		deadline = start + cfg->duration_ns;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	while (tr.live > 0) {
		struct tracee *t;
		int sig = 0;

		tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR) {
				if (deadline && clock_mono_ns() >= deadline) {
					res->timed_out = 1;
					kill(child, SIGTERM);
					deadline = 0;
				}
				continue;
			}
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (tid == child) {
				res->wall_ns = clock_mono_ns() - start;
				if (WIFEXITED(st))
					res->exit_status = WEXITSTATUS(st);
				else
					res->term_signal = WTERMSIG(st);
			}
			tracee_del(&tr, tid);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		t = tracee_find(&tr, tid, 0);
		if (!t) {
			/* a new thread or child: its first stop is SIGSTOP */
			t = tracee_find(&tr, tid, 1);
			if (t && WSTOPSIG(st) == SIGSTOP) {
				res->processes++;
				ptrace(PTRACE_CONT, tid, 0, 0);
				continue;
			}
		}
		if (!t) {
			ptrace(PTRACE_CONT, tid, 0, 0);
			continue;
		}
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
			on_entry(cfg, res, t, tid);
		} else if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (t->in_syscall)
				on_exit_stop(cfg, res, t, tid);
		} else if (WSTOPSIG(st) == SIGTRAP && (st >> 16)) {
			/* fork/clone/exec events: go on as before */
		} else if (WSTOPSIG(st) == SIGSTOP && !t->in_syscall && t->nr == 0 && !t->t0) {
			/* the first stop of a tracee we met through its exit first */
		} else {
			sig = WSTOPSIG(st);
		}
		ptrace(t && t->in_syscall ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, sig);
		if (deadline && clock_mono_ns() >= deadline) {
			res->timed_out = 1;
			kill(child, SIGTERM);
			deadline = 0;
		}
	}
	if (cfg->duration_ns) {
		struct itimerval off = { { 0, 0 }, { 0, 0 } };

		setitimer(ITIMER_REAL, &off, NULL);
	}
	n = read(er[0], &e, sizeof(e));
	close(er[0]);
	sigfwd_stop(&sf);
	free(tr.v);
	if (n == (ssize_t)sizeof(e) && e) {
		snprintf(err, errlen, "cannot run '%s': %s", cfg->argv[0], strerror(e));
		return -e;
	}
	return 0;
}
