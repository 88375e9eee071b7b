/*
 * cpu.c - `pinch record`'s CPU sampler, the entry point (collect layer).
 * cmd/record.c calls cpu_record(): it opens the recording, raises the fd
 * limit, blocks the stop signals and takes one of three paths, attach or
 * launch under perf_event (cpu_target.c, cpu_perf.c) or the fallback
 * agent (cpu_agent.c); records go through rec_writer (model) in
 * timestamp order. cpu_sampler.h lists the pieces.
 */
#include "cpu_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

int cpu_record(const struct cpu_record_config *cfg, struct cpu_record_result *res, char *err,
	       size_t errlen)
{
	struct sampler s;
	sigset_t oldmask;
	int rc, sigfd;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	err[0] = '\0';
	rc = cpu_sampler_init(&s, cfg);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	rc = rec_writer_open(&s.w, cfg->output, REC_KIND_CPU);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		res->before_start = 1;
		res->output_failed = 1;
		cpu_sampler_release(&s);
		return rc;
	}
	/* One event per thread per CPU when attaching: use the hard fd limit
	 * (as perf does); a launched command gets the old one back. */
	if (getrlimit(RLIMIT_NOFILE, &s.nofile_old) == 0 && s.nofile_old.rlim_cur < s.nofile_old.rlim_max) {
		struct rlimit r = { s.nofile_old.rlim_max, s.nofile_old.rlim_max };

		s.nofile_raised = setrlimit(RLIMIT_NOFILE, &r) == 0;
	}
	sigfd = cpu_block_signals(&oldmask);
	if (sigfd < 0) {
		rc = sigfd;
		snprintf(err, errlen, "cannot set up signals: %s", strerror(-rc));
		goto out;
	}
	s.sigfd = sigfd;
	if (cfg->pid > 0)
		rc = cpu_record_attach(&s, res, err, errlen);
	else if (cfg->mode == CPU_MODE_AGENT)
		rc = cpu_record_agent(&s, &oldmask, res, NULL, err, errlen);
	else
		rc = cpu_record_launch(&s, &oldmask, res, err, errlen);
	close(sigfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (s.nofile_raised)
		setrlimit(RLIMIT_NOFILE, &s.nofile_old);
out:
	res->samples = s.samples;
	res->lost = s.lost;
	res->switches = s.switches;
	res->offcpu_stacks = s.offcpu_stacks;
	{
		int crc = rec_writer_close(s.w);

		if (!rc && crc) {
			rc = crc;
			snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		}
	}
	{
		struct stat st;

		if (stat(cfg->output, &st) == 0)
			res->bytes = (uint64_t)st.st_size;
	}
	if (rc && res->before_start) {
		struct stat st;

		/* Nothing was recorded: remove the file we created (never a device). */
		if (stat(cfg->output, &st) == 0 && S_ISREG(st.st_mode))
			unlink(cfg->output);
	}
	cpu_sampler_release(&s);
	return rc;
}

int cpu_resolve_command(const char *name, struct strbuf *path)
{
	const char *p, *env;
	struct stat st;
	int seen_eacces = 0;

	strbuf_reset(path);
	if (!name || !*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		strbuf_addstr(path, name);
		if (stat(name, &st) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (access(name, X_OK) < 0)
			return -errno;
		return 0;
	}
	env = getenv("PATH");
	if (!env)
		env = "/usr/local/bin:/usr/bin:/bin";
	for (p = env;; ) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		strbuf_reset(path);
		if (len)
			strbuf_add(path, p, len);
		else
			strbuf_addch(path, '.');
		strbuf_addch(path, '/');
		strbuf_addstr(path, name);
		if (stat(path->buf, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(path->buf, X_OK) == 0)
				return 0;
			seen_eacces = 1;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	strbuf_reset(path);
	strbuf_addstr(path, name);
	return seen_eacces ? -EACCES : -ENOENT;
}

void cpu_perf_hint(int rc, int attach, char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	int level = -99;

	if (!strbuf_read_file(&sb, "/proc/sys/kernel/perf_event_paranoid", 32))
		level = atoi(sb.buf);
	strbuf_release(&sb);
	if (rc == -EACCES || rc == -EPERM) {
		if (attach)
			snprintf(buf, len,
				 "perf_event_paranoid is %d and profiling another user's process needs ptrace permission: run as that user or root, or lower /proc/sys/kernel/perf_event_paranoid (and kernel.yama.ptrace_scope)",
				 level);
		else if (level > 2)
			snprintf(buf, len,
				 "perf_event_paranoid is %d: lower it (sysctl kernel.perf_event_paranoid=2) or use --mode agent",
				 level);
		else
			snprintf(buf, len,
				 "perf_event_paranoid is %d, so a seccomp filter or container policy refused perf_event_open: allow it there or use --mode agent",
				 level);
	} else if (rc == -ENOSYS || rc == -ENOENT || rc == -EOPNOTSUPP) {
		snprintf(buf, len, "this kernel has no usable perf_event cpu-clock; use --mode agent");
	} else if (rc == -EMFILE) {
		snprintf(buf, len, "too many open files: raise 'ulimit -n'");
	} else {
		buf[0] = '\0';
	}
}

