/*
 * run.c - fork/exec/wait4 timing of pinch bench (see run.h).
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/array.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "core/banned.h"

extern char **environ;

int bench_split_args(const char *line, char ***argvp, char *err, size_t errlen)
{
	size_t len = strlen(line), n = 0;
	char *out, **argv;
	const char *p = line;
	int in_word = 0;

	/* The words go into one block after the pointer array: at most
	 * len / 2 + 1 words, each at most len bytes in all. */
	argv = malloc((len / 2 + 2) * sizeof(char *) + len + 1);
	if (!argv) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	out = (char *)(argv + len / 2 + 2);
	while (*p) {
		char ch = *p;

		if (ch == ' ' || ch == '\t' || ch == '\n') {
			if (in_word) {
				*out++ = '\0';
				in_word = 0;
			}
			p++;
			continue;
		}
		if (!in_word) {
			argv[n++] = out;
			in_word = 1;
		}
		if (ch == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (!q) {
				snprintf(err, errlen, "unclosed ' in \"%s\"", line);
				free(argv);
				return -EINVAL;
			}
			memcpy(out, p + 1, (size_t)(q - p - 1));
			out += q - p - 1;
			p = q + 1;
		} else if (ch == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
					p++;
				*out++ = *p++;
			}
			if (*p != '"') {
				snprintf(err, errlen, "unclosed \" in \"%s\"", line);
				free(argv);
				return -EINVAL;
			}
			p++;
		} else if (ch == '\\' && p[1]) {
			*out++ = p[1];
			p += 2;
		} else {
			*out++ = *p++;
		}
	}
	if (in_word)
		*out++ = '\0';
	argv[n] = NULL;
	if (!n) {
		snprintf(err, errlen, "empty command");
		free(argv);
		return -EINVAL;
	}
	*argvp = argv;
	return (int)n;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/*
 * Runs argv once with posix_spawnp: glibc's clone(CLONE_VM | CLONE_VFORK)
 * copies no page tables, so the spawn costs the same however big pinch
 * is, and an exec failure ("no such program") comes back as its errno,
 * told apart from a program that exits 127. SIGPIPE, which pinch
 * ignores, is reset to its default for the child.
 * Returns 0 with *run filled, or a negative errno.
 */
static int spawn(char *const *argv, int show_output, struct bench_run *run)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def, none;
	struct rusage ru;
	uint64_t t0, t1;
	int status, rc;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!show_output) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	}
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	t0 = clock_mono_ns();
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc)
		return -rc;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	t1 = clock_mono_ns();
	run->wall_s = (double)(t1 - t0) / 1e9;
	run->user_s = tv_s(&ru.ru_utime);
	run->sys_s = tv_s(&ru.ru_stime);
	run->max_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
	run->minflt = (uint64_t)ru.ru_minflt;
	run->majflt = (uint64_t)ru.ru_majflt;
	run->nvcsw = (uint64_t)ru.ru_nvcsw;
	run->nivcsw = (uint64_t)ru.ru_nivcsw;
	run->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

/* The calling process's peak RSS (VmHWM), 0 if unknown. */
static uint64_t self_hwm_bytes(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

static int run_shell_cmd(const struct bench_cfg *cfg, const char *what, const char *text, char *err,
			 size_t errlen)
{
	char *argv[] = { (char *)(cfg->shell ? cfg->shell : "/bin/sh"), (char *)"-c", (char *)text, NULL };
	struct bench_run r;
	int rc = spawn(argv, cfg->show_output, &r);

	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot run '%s': %s", what, argv[0], strerror(-rc));
		return rc;
	}
	if (r.exit_status) {
		snprintf(err, errlen, "%s command '%s' failed with exit status %d", what, text, r.exit_status);
		return -ECHILD;
	}
	return 0;
}

int bench_measure_shell(const struct bench_cfg *cfg, size_t n, struct bench_shell_cost *cost, char *err,
			size_t errlen)
{
	char *argv[] = { (char *)cfg->shell, (char *)"-c", (char *)"", NULL };
	double *w = calloc(n ? n : 1, sizeof(*w)), u = 0, s = 0;

	memset(cost, 0, sizeof(*cost));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct bench_run r;
		int rc = spawn(argv, 0, &r);

		if (rc < 0) {
			snprintf(err, errlen, "cannot run the shell '%s': %s", cfg->shell, strerror(-rc));
			free(w);
			return rc;
		}
		w[i] = r.wall_s;
		u += r.user_s;
		s += r.sys_s;
	}
	/* The median wall time: one slow spawn must not inflate what is
	 * subtracted from every run. CPU times are too coarse for a median. */
	cost->wall_s = stats_median(w, n);
	cost->user_s = n ? u / (double)n : 0;
	cost->sys_s = n ? s / (double)n : 0;
	cost->runs = n;
	free(w);
	return 0;
}

/* One run: the stop check, --prepare, the spawn. */
static int one_run(const struct bench_cfg *cfg, char *const *argv, volatile int *stop, struct bench_run *r,
		   char *err, size_t errlen)
{
	int rc;

	if (stop && *stop)
		return -EINTR;
	if (cfg->prepare && (rc = run_shell_cmd(cfg, "prepare", cfg->prepare, err, errlen)) < 0)
		return rc;
	rc = spawn(argv, cfg->show_output, r);
	if (rc < 0)
		snprintf(err, errlen, "cannot run '%s': %s", argv[0], strerror(-rc));
	return rc;
}

static double sub0(double a, double b)
{
	return a > b ? a - b : 0;
}

void bench_cmd_summarize(struct bench_cmd *c)
{
	size_t n = c->n_runs;
	double *w = malloc((n ? n : 1) * 3 * sizeof(*w));

	c->max_rss_bytes = 0;
	c->failed_runs = 0;
	for (size_t i = 0; i < n; i++) {
		if (c->runs[i].max_rss_bytes > c->max_rss_bytes)
			c->max_rss_bytes = c->runs[i].max_rss_bytes;
		c->failed_runs += c->runs[i].exit_status != 0;
	}
	if (!w)
		return;
	for (size_t i = 0; i < n; i++) {
		w[i] = c->runs[i].wall_s;
		w[n + i] = c->runs[i].user_s;
		w[2 * n + i] = c->runs[i].sys_s;
	}
	stats_summarize(w, n, &c->wall);
	stats_summarize(w + n, n, &c->user);
	stats_summarize(w + 2 * n, n, &c->sys);
	free(w);
}

int bench_run_cmd(const struct bench_cfg *cfg, struct bench_cmd *c, const struct bench_shell_cost *sc,
		  volatile int *stop, char *err, size_t errlen)
{
	char **argv = NULL, *sh_argv[4];
	size_t total, done = 0;
	uint64_t t_start;
	int rc = 0;

	if (cfg->shell) {
		sh_argv[0] = (char *)cfg->shell;
		sh_argv[1] = (char *)"-c";
		sh_argv[2] = c->name;
		sh_argv[3] = NULL;
	} else {
		rc = bench_split_args(c->name, &argv, err, errlen);
		if (rc < 0)
			return rc;
		rc = 0;
	}
	if (cfg->setup && (rc = run_shell_cmd(cfg, "setup", cfg->setup, err, errlen)) < 0)
		goto out;
	for (long i = 0; i < cfg->warmup; i++) {
		struct bench_run r;

		rc = one_run(cfg, cfg->shell ? sh_argv : argv, stop, &r, err, errlen);
		if (rc < 0)
			goto out;
		if (r.exit_status && !cfg->ignore_failure) {
			rc = -ECHILD;
			snprintf(err, errlen, "'%s' failed with exit status %d in a warmup run", c->name,
				 r.exit_status);
			goto out;
		}
		if (cfg->progress)
			cfg->progress(cfg->progress_ctx, c, (size_t)i + 1, (size_t)cfg->warmup, 1, 0);
	}
	total = cfg->runs > 0 ? (size_t)cfg->runs : (size_t)(cfg->min_runs > 0 ? cfg->min_runs : 1);
	t_start = clock_mono_ns();
	for (done = 0; done < total; done++) {
		struct bench_run r;
		double elapsed, eta;

		rc = one_run(cfg, cfg->shell ? sh_argv : argv, stop, &r, err, errlen);
		if (rc < 0)
			goto out;
		if (sc) {
			r.wall_s = sub0(r.wall_s, sc->wall_s);
			r.user_s = sub0(r.user_s, sc->user_s);
			r.sys_s = sub0(r.sys_s, sc->sys_s);
		}
		if (ARRAY_GROW(c->runs, c->alloc_runs, c->n_runs + 1) < 0) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		c->runs[c->n_runs++] = r;
		if (r.exit_status && !cfg->ignore_failure) {
			rc = -ECHILD;
			snprintf(err, errlen, "'%s' failed with exit status %d", c->name, r.exit_status);
			goto out;
		}
		/* After the first run the budget fixes the count. */
		if (done == 0 && cfg->runs <= 0) {
			double per = r.wall_s > 1e-6 ? r.wall_s : 1e-6;
			double want = (double)cfg->max_time_ns / 1e9 / per;

			total = want > 1e7 ? 10000000 : (size_t)want;
			if (cfg->min_runs > 0 && total < (size_t)cfg->min_runs)
				total = (size_t)cfg->min_runs;
			if (cfg->max_runs > 0 && total > (size_t)cfg->max_runs)
				total = (size_t)cfg->max_runs;
			if (total < 1)
				total = 1;
		}
		elapsed = (double)(clock_mono_ns() - t_start) / 1e9;
		eta = elapsed / (double)(done + 1) * (double)(total - done - 1);
		if (cfg->progress)
			cfg->progress(cfg->progress_ctx, c, done + 1, total, 0, eta);
	}
	rc = 0;
	goto out;
out:
	if (!c->rss_floor_bytes)
		c->rss_floor_bytes = self_hwm_bytes();
	bench_cmd_summarize(c);
	if (cfg->cleanup && rc != -EINTR) {
		char e2[256];
		int rc2 = run_shell_cmd(cfg, "cleanup", cfg->cleanup, e2, sizeof(e2));

		if (rc2 < 0 && !rc) {
			rc = rc2;
			snprintf(err, errlen, "%s", e2);
		}
	}
	free(argv);
	return rc;
}

void bench_cmd_release(struct bench_cmd *c)
{
	free(c->name);
	free(c->param_name);
	free(c->param_value);
	free(c->runs);
	memset(c, 0, sizeof(*c));
}
