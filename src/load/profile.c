/*
 * profile.c - profile under load (load layer): runs 'pinch record' as a
 * child for the load window, starts and stops a --profile-cmd server, and
 * reads what the recording covers from its metadata.
 */
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "model/recfile.h"
#include "core/banned.h"

pid_t load_profile_spawn(const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid, uint64_t timeout_ns, int *status)
{
	uint64_t end = clock_mono_ns() + timeout_ns;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -errno;
		if (clock_mono_ns() >= end)
			return -ETIMEDOUT;
		clock_sleep_ns(10000000, NULL);
	}
}

int load_profile_start(struct load_profiler *pr, pid_t target, const char *out)
{
	int pfd[2], status;
	char pidbuf[24];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)target);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], 2);
		execl("/proc/self/exe", "pinch", "record", "--pid", pidbuf, "-o", out, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	pr->record = pid;
	pr->errfd = pfd[0];
	/* A missing command or a refused attach shows within a moment. */
	if (wait_exit(pid, 300000000ull, &status) == 0) {
		char buf[1024];
		ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = 0;
		pr->record = 0;
		if (strstr(buf, "not a pinch command")) {
			fprintf(stderr, "pinch load: cannot profile: 'pinch record' is not available in this build\n");
			fprintf(stderr, "hint: build pinch with the record command, or drop --profile-pid/--profile-cmd\n");
		} else {
			fprintf(stderr, "pinch load: cannot profile pid %d: 'pinch record' exited with status %d%s%s",
				(int)target, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				*buf ? ": " : "\n", buf);
		}
		return -ECHILD;
	}
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	return 0;
}

int load_profile_stop(struct load_profiler *pr, const char *out)
{
	int status = 0, rc = 0;
	char buf[4096];
	ssize_t n;

	if (pr->record > 0) {
		kill(pr->record, SIGINT);
		if (wait_exit(pr->record, 20000000000ull, &status)) {
			kill(pr->record, SIGKILL);
			waitpid(pr->record, &status, 0);
			fprintf(stderr, "pinch load: 'pinch record' did not stop on SIGINT; killed it\n");
			rc = -1;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "pinch load: 'pinch record' failed (status %d)\n",
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			rc = -1;
		}
		while (pr->errfd >= 0 && (n = read(pr->errfd, buf, sizeof(buf))) > 0)
			if (rc && fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
				break;
		if (!rc)
			fprintf(stderr, "pinch load: server profile written to %s\n", out);
		pr->record = 0;
	}
	if (pr->errfd >= 0)
		close(pr->errfd);
	pr->errfd = -1;
	return rc;
}

void load_profile_stop_server(struct load_profiler *pr)
{
	int status;

	if (pr->server <= 0)
		return;
	kill(-pr->server, SIGTERM);
	if (wait_exit(pr->server, 5000000000ull, &status)) {
		kill(-pr->server, SIGKILL);
		waitpid(pr->server, &status, 0);
	}
	pr->server = 0;
}


static uint64_t meta_u64(const char *v)
{
	return v ? strtoull(v, NULL, 10) : 0;
}

int load_profile_read(const char *path, struct load_profile_info *info)
{
	struct rec_reader *r;
	struct rec rec;
	char err[256];
	uint64_t freq = 0, user = 0, sys = 0;
	int rc, have_target = 0;

	memset(info, 0, sizeof(*info));
	info->path = path;
	if ((rc = rec_reader_open(&r, path, err, sizeof(err))))
		return rc;
	while (rec_reader_next(r, &rec) > 0) {
		const char *p = rec.data, *end = p + rec.size;

		if (rec.type == REC_SAMPLE && rec.size >= sizeof(struct rec_sample)) {
			/* each sample weighs its period: CPU ns for cpu-clock */
			info->samples++;
			info->sampled_ns += ((const struct rec_sample *)rec.data)->period;
			continue;
		}
		if (rec.type != REC_META)
			continue;
		while (p < end) {
			const char *k = p, *v = memchr(p, 0, (size_t)(end - p));

			if (!v || ++v >= end)
				break;
			p = memchr(v, 0, (size_t)(end - v));
			if (!p)
				break;
			p++;
			if (!strcmp(k, "frequency"))
				freq = meta_u64(v);
			else if (!strcmp(k, "target_user_ns")) {
				user = meta_u64(v);
				have_target = 1;
			}
			else if (!strcmp(k, "target_sys_ns"))
				sys = meta_u64(v);
			else if (!strcmp(k, "kernel"))
				snprintf(info->kernel, sizeof(info->kernel), "%s", v);
		}
	}
	rec_reader_close(r);
	if (!info->sampled_ns && freq)	/* no periods recorded: one per sample */
		info->sampled_ns = info->samples * (uint64_t)(1e9 / (double)freq + 0.5);
	if (have_target) {
		info->target_ns = user + sys;
		info->target_sys_ns = sys;
	}
	return 0;
}
