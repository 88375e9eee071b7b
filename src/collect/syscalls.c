/*
 * syscalls.c - sysc_run: BPF when it loads, else (or when asked) the
 * seccomp-filtered ptrace fallback; and the BPF mechanism itself (see
 * syscalls.h, bpf/syscalls.bpf.c).
 */
#include "collect/syscalls.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect/cpu.h"
#include "collect/cpu_sampler.h"
#include "collect/proctree.h"
#include "collect/sigfwd.h"
#include "core/clock.h"
#ifdef HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "syscalls.skel.h"
#endif
#include "core/banned.h"

int sysc_run(const struct sysc_config *cfg, struct sysc_result *res, char *err, size_t errlen)
{
	int rc;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	res->launched = cfg->pid <= 0;
	if (cfg->mechanism != SYSC_MECH_PTRACE) {
		rc = sysc_run_bpf(cfg, res, err, errlen);
		if (rc == 0 || cfg->mechanism == SYSC_MECH_BPF ||
		    (rc != -EPERM && rc != -EACCES && rc != -ENOSYS && rc != -ENOENT &&
		     rc != -EOPNOTSUPP && rc != -EINVAL))
			return rc;
		snprintf(res->bpf_refused, sizeof(res->bpf_refused), "%s", err);
	}
	return sysc_run_ptrace(cfg, res, err, errlen);
}

#ifndef HAVE_BPF
int sysc_run_bpf(const struct sysc_config *cfg, struct sysc_result *res, char *err, size_t errlen)
{
	(void)cfg;
	(void)res;
	snprintf(err, errlen, "this pinch was built without BPF (libbpf-dev, bpftool, clang or /sys/kernel/btf/vmlinux were missing)");
	return -ENOSYS;
}
#else

static int on_ring(void *ctx, void *data, size_t size)
{
	const struct sysc_config *cfg = ctx;

	if (size >= sizeof(struct sysc_event) && cfg->on_event)
		cfg->on_event(cfg->ctx, data);
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Adds pid and every process below it (attach). */
static void track_tree(int map_fd, pid_t pid)
{
	struct proc_info *list;
	unsigned char *keep;
	size_t n;
	__u8 one = 1;
	__u32 key = (__u32)pid;

	bpf_map_update_elem(map_fd, &key, &one, BPF_ANY);
	if (proc_list(PROC_STAT, &list, &n))
		return;
	keep = malloc(n ? n : 1);
	if (keep) {
		proc_tree_mark(list, n, pid, keep);
		for (size_t i = 0; i < n; i++)
			if (keep[i]) {
				key = (__u32)list[i].pid;
				bpf_map_update_elem(map_fd, &key, &one, BPF_ANY);
			}
	}
	free(keep);
	free(list);
}

static void read_stats(struct sysc_bpf *skel, struct sysc_result *res)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.stats);
	struct sysc_stat *v;
	__u32 key, next, zero = 0;
	__u64 lost = 0;

	if (ncpu < 1)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (key = 0; key < SYSC_MAX_NR; key++) {
		struct sysc_stat *s = &res->stats[key];

		if (bpf_map_lookup_elem(fd, &key, v))
			continue;
		for (int c = 0; c < ncpu; c++) {
			s->count += v[c].count;
			s->errors += v[c].errors;
			s->total_ns += v[c].total_ns;
			if (v[c].max_ns > s->max_ns)
				s->max_ns = v[c].max_ns;
			for (int i = 0; i < SYSC_HIST; i++)
				s->hist[i] += v[c].hist[i];
		}
	}
	free(v);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.lost), &zero, &lost) == 0)
		res->lost = lost;
	/* processes followed */
	fd = bpf_map__fd(skel->maps.pids);
	for (int first = 1; bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0; first = 0) {
		res->processes++;
		key = next;
	}
}

int sysc_run_bpf(const struct sysc_config *cfg, struct sysc_result *res, char *err, size_t errlen)
{
	struct sysc_bpf *skel;
	struct ring_buffer *rb = NULL;
	struct child ch = { -1, -1, -1 };
	struct sigfwd sf;
	uint64_t start, deadline = 0;
	int rc, pidfd = -1, launched = cfg->pid <= 0, status = 0;
	pid_t target;

	libbpf_set_print(libbpf_quiet);
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(err, errlen, "BPF: no kernel BTF (/sys/kernel/btf/vmlinux)");
		return -ENOENT;
	}
	skel = sysc_bpf__open();
	if (!skel) {
		rc = -errno;
		snprintf(err, errlen, "BPF: cannot open the program: %s", strerror(errno));
		return rc ? rc : -EINVAL;
	}
	skel->rodata->trace_on = cfg->trace != 0;
	skel->rodata->filter_on = cfg->only != NULL;
	if (!cfg->trace)
		bpf_map__set_max_entries(skel->maps.events, 4096);
	rc = sysc_bpf__load(skel);
	if (rc) {
		snprintf(err, errlen, "BPF refused: %s%s", strerror(-rc),
			 geteuid() ? " (loading BPF needs root, or CAP_BPF and CAP_PERFMON)" : "");
		sysc_bpf__destroy(skel);
		return rc == -EPERM || rc == -EACCES ? rc : -EPERM;
	}
	for (__u32 nr = 0; nr < SYSC_MAX_NR; nr++) {
		__u32 flags = 0;

		if (cfg->only && cfg->only[nr])
			flags |= SYSC_COUNT;
		if (cfg->trace && sysc_in_groups(nr, cfg->trace) && (!cfg->only || cfg->only[nr]))
			flags |= SYSC_TRACE | sysc_arg_layout(nr);
		if (flags)
			bpf_map_update_elem(bpf_map__fd(skel->maps.traced), &nr, &flags, BPF_ANY);
	}
	if (cfg->trace) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_ring, (void *)cfg, NULL);
		if (!rb) {
			snprintf(err, errlen, "BPF: cannot map the ring buffer: %s", strerror(errno));
			sysc_bpf__destroy(skel);
			return -errno;
		}
	}
	if (launched) {
		struct cpu_record_config cc;
		sigset_t cur;
		__u8 two = 2;
		__u32 key;

		memset(&cc, 0, sizeof(cc));
		cc.argv = cfg->argv;
		cc.exe_path = cfg->exe_path;
		sigprocmask(SIG_SETMASK, NULL, &cur);
		rc = cpu_child_start(&cc, &cur, NULL, NULL, &ch);
		if (rc) {
			snprintf(err, errlen, "cannot start the command: %s", strerror(-rc));
			goto out_early;
		}
		key = (__u32)ch.pid;
		bpf_map_update_elem(bpf_map__fd(skel->maps.pids), &key, &two, BPF_ANY);
		target = ch.pid;
	} else {
		if (kill(cfg->pid, 0) < 0 && errno == ESRCH) {
			snprintf(err, errlen, "no process with pid %d", (int)cfg->pid);
			rc = -ESRCH;
			goto out_early;
		}
		track_tree(bpf_map__fd(skel->maps.pids), cfg->pid);
		target = cfg->pid;
	}
	rc = sysc_bpf__attach(skel);
	if (rc) {
		snprintf(err, errlen, "BPF refused: cannot attach to the tracepoints: %s", strerror(-rc));
		if (launched)
			cpu_child_abort(&ch);
		rc = -EPERM;
		goto out_early;
	}
	res->mechanism = SYSC_MECH_BPF;
	res->pid = target;
	sigfwd_start(&sf, 0, 0);
	start = clock_mono_ns();
	if (launched) {
		sigfwd_target(ch.pid);
		rc = cpu_child_go(&ch);
		if (rc) {
			waitpid(ch.pid, &status, 0);
			snprintf(err, errlen, "cannot run '%s': %s", cfg->argv[0], strerror(-rc));
			goto out;
		}
	}
	pidfd = cpu_pidfd_open(target);
	if (cfg->duration_ns)
		deadline = start + cfg->duration_ns;
	for (;;) {
		struct pollfd p = { pidfd, POLLIN, 0 };
		uint64_t now;
		int gone = 0;

		if (rb)
			ring_buffer__poll(rb, 0);
		if (pidfd >= 0) {
			if (poll(&p, 1, rb ? 20 : 100) > 0 && (p.revents & POLLIN))
				gone = 1;
		} else {
			clock_sleep_ns(20000000ull, NULL);
			gone = kill(target, 0) < 0 && errno == ESRCH;
		}
		now = clock_mono_ns();
		if (gone) {
			res->wall_ns = now - start;
			if (launched) {
				waitpid(target, &status, 0);
				if (WIFEXITED(status))
					res->exit_status = WEXITSTATUS(status);
				else if (WIFSIGNALED(status))
					res->term_signal = WTERMSIG(status);
			} else {
				res->gone = 1;
			}
			break;
		}
		if (deadline && now >= deadline) {
			res->timed_out = 1;
			if (launched) {
				kill(target, SIGTERM);
				deadline = 0;
			} else {
				res->wall_ns = now - start;
				break;
			}
		}
		if (sigfwd_last && !launched) {
			res->wall_ns = now - start;
			break;
		}
		sigfwd_last = 0;
	}
	rc = 0;
out:
	if (rb)
		ring_buffer__consume(rb);
	read_stats(skel, res);
	sigfwd_stop(&sf);
	if (pidfd >= 0)
		close(pidfd);
	ring_buffer__free(rb);
	sysc_bpf__destroy(skel);
	return rc;
out_early:
	ring_buffer__free(rb);
	sysc_bpf__destroy(skel);
	return rc;
}
#endif
