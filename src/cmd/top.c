/*
 * top.c - `pinch top`: a live view of the hottest functions of a running
 * process (Python or native), like py-spy top. Each interval records the
 * process for a second (cpu_record, attached, Python stacks on), turns
 * the recording into a profile (cpuprof) and redraws the livetop table
 * with ANSI escapes; q or Ctrl-C quits. --once / --duration print one
 * table at the end instead (for scripts and tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/top_machine.h"
#include "collect/cpu.h"
#include "core/clock.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/cpuprof.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "view/livetop.h"
#include "core/banned.h"

extern char **environ;

static const char *const top_usage[] = {
	"usage: pinch top [<options>]                (the busiest processes of the machine)",
	"   or: pinch top [<options>] --pid <pid>",
	"   or: pinch top [<options>] -- <command> [<args>...]",
	"",
	"Shows the hottest functions of a running process, refreshed every",
	"interval (like py-spy top): %Own and %Total of one CPU over the last",
	"interval, OwnTime and TotalTime since the start. Python 3.11 processes",
	"show Python functions. Press q or Ctrl-C to quit.",
	NULL,
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct tty {
	int raw;
	struct termios saved;
};

static void tty_raw(struct tty *t)
{
	struct termios r;

	if (!isatty(0) || tcgetattr(0, &t->saved) < 0)
		return;
	r = t->saved;
	r.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	r.c_cc[VMIN] = 0;
	r.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &r) == 0)
		t->raw = 1;
}

static void tty_restore(struct tty *t)
{
	if (t->raw)
		tcsetattr(0, TCSANOW, &t->saved);
	t->raw = 0;
}

/* 1 when q (or Q) was typed. */
static int quit_key(const struct tty *t)
{
	struct pollfd p = { 0, POLLIN, 0 };
	char c;

	if (!t->raw)
		return 0;
	while (poll(&p, 1, 0) == 1 && read(0, &c, 1) == 1)
		if (c == 'q' || c == 'Q')
			return 1;
	return 0;
}

static int alive(pid_t pid, int launched)
{
	if (launched) {
		int st;

		return waitpid(pid, &st, WNOHANG) == 0;
	}
	return kill(pid, 0) == 0 || errno == EPERM;
}

static int term_size(int *rows, int *cols)
{
	struct winsize ws;

	if (ioctl(1, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

int cmd_top(int argc, char **argv)
{
	long pid = 0, freq = 199, limit = 0;
	uint64_t interval = 1000000000ull, duration = 0;
	int once = 0, json = 0, native = 0, no_python = 0, gil = 0, nargs, rc, status = EXIT_OK;
	int subprocesses = 0;
	const char *sort = NULL;
	struct opt opts[] = {
		{ OPT_INT, 'p', "pid", &pid, "pid", "the process to watch", NULL, 0 },
		{ OPT_DURATION, 'i', "interval", &interval, "time", "refresh interval (default 1s)", NULL, 0 },
		{ OPT_DURATION, 'd', "duration", &duration, "time", "run this long, then print one table and exit", NULL, 0 },
		{ OPT_FLAG, 0, "once", &once, NULL, "one interval, one table, exit (no screen control)", NULL, 0 },
		{ OPT_INT, 'F', "freq", &freq, "hz", "samples per CPU-second (default 199)", NULL, 0 },
		{ OPT_INT, 'n', "limit", &limit, "N", "rows (default: the terminal's height)", NULL, 0 },
		{ OPT_FLAG, 0, "native", &native, NULL, "Python: show native frames too", NULL, 0 },
		{ OPT_FLAG, 0, "no-python", &no_python, NULL, "do not read Python stacks", NULL, 0 },
		{ OPT_FLAG, 0, "gil", &gil, NULL, "Python: only samples of the thread holding the GIL", NULL, 0 },
		{ OPT_FLAG, 0, "subprocesses", &subprocesses, NULL, "also the children of the process and their descendants", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "machine-readable output (with --once/--duration)", NULL, 0 },
		{ OPT_STRING, 's', "sort", &sort, "key", "whole machine: cpu (default), rss, io or threads", NULL, 0 },
		OPT_END_(),
	};
	struct strbuf out = STRBUF_INIT, tmp = STRBUF_INIT, cmdline = STRBUF_INIT;
	struct livetop *lt = NULL;
	struct tty tty = { 0 };
	struct sigaction sa;
	char err[512];
	int launched = 0, live, rows = 0, cols = 0, fd;
	uint64_t start, deadline = 0;
	pid_t target;

	nargs = opt_parse(argc, argv, opts, top_usage, OPT_STOP_AT_NONOPT, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (!pid && !nargs) {
		struct top_machine_opts mo = { interval, duration, once, json, (int)limit, sort };

		if (interval < 100000000ull || limit < 0 ||
		    (sort && strcmp(sort, "cpu") && strcmp(sort, "rss") && strcmp(sort, "io") && strcmp(sort, "threads"))) {
			fprintf(stderr, "pinch top: bad option value: --interval >= 100ms, --sort cpu|rss|io|threads\n");
			return EXIT_USAGE;
		}
		return top_machine(&mo);
	}
	if (pid && nargs) {
		fprintf(stderr, "pinch top: give either --pid or a command\n");
		fprintf(stderr, "hint: pinch top --pid 1234, or pinch top -- python3 app.py\n");
		return EXIT_USAGE;
	}
	if (pid < 0 || pid > INT_MAX || freq < 1 || freq > CPU_FREQ_MAX || limit < 0 ||
	    interval < 100000000ull) {
		fprintf(stderr, "pinch top: bad option value: pid, --freq 1..%d, --interval >= 100ms\n",
			CPU_FREQ_MAX);
		return EXIT_USAGE;
	}
	if (pid && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "pinch top: no process with pid %ld\n", pid);
		return EXIT_FAIL;
	}
	if (nargs) {
		pid_t child;

		rc = posix_spawnp(&child, argv[0], NULL, NULL, argv, environ);
		if (rc) {
			fprintf(stderr, "pinch top: cannot run '%s': %s\n", argv[0], strerror(rc));
			return rc == ENOENT ? EXIT_USAGE : EXIT_FAIL;
		}
		pid = child;
		launched = 1;
	}
	target = (pid_t)pid;
	strbuf_addf(&tmp, "%s/pinch-top-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		fprintf(stderr, "pinch top: cannot create a temporary file: %s\n", strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}
	close(fd);
	lt = livetop_new();
	if (!lt) {
		status = EXIT_FAIL;
		goto out;
	}
	live = !once && !duration && !json && isatty(1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (live)
		tty_raw(&tty);
	start = clock_mono_ns();
	if (duration)
		deadline = start + duration;
	for (int n = 0; !interrupted; n++) {
		struct cpu_record_config cfg;
		struct cpu_record_result res;
		struct cpuprof_opts copts = { 0 };
		struct cpuprof_stats st;
		struct rec_reader *r;
		struct profile *p = NULL;
		uint64_t t0 = clock_mono_ns(), len = interval, took;

		if (deadline && deadline - t0 < len)
			len = deadline - t0;
		memset(&cfg, 0, sizeof(cfg));
		cfg.freq = (unsigned)freq;
		cfg.pid = target;
		cfg.duration_ns = len;
		cfg.output = tmp.buf;
		cfg.python = !no_python;
		cfg.mode = CPU_MODE_PERF;
		cfg.subprocesses = subprocesses;
		rc = cpu_record(&cfg, &res, err, sizeof(err));
		took = clock_mono_ns() - t0;
		if (rc) {
			if (n == 0 || alive(target, launched)) {
				fprintf(stderr, "pinch top: %s\n", err);
				status = EXIT_FAIL;
			}
			break;
		}
		if (res.python_state == 2 && n == 0 && !live)
			fprintf(stderr, "pinch top: no python frames: %s\n", res.python);
		rc = rec_reader_open(&r, tmp.buf, err, sizeof(err));
		if (rc == 0) {
			copts.native = native;
			copts.gil = gil;
			rc = cpuprof_build(r, &copts, &p, &st, NULL, err, sizeof(err));
			rec_reader_close(r);
		}
		if (rc == 0)
			rc = livetop_add(lt, p, 1, took);
		profile_free(p);
		if (rc) {
			fprintf(stderr, "pinch top: cannot read the interval: %s\n", err);
			status = EXIT_FAIL;
			break;
		}
		if (live) {
			int lim = (int)limit;

			if (term_size(&rows, &cols) == 0 && !lim)
				lim = rows - 3;
			strbuf_reset(&out);
			strbuf_addstr(&out, "\033[H\033[2J");
			strbuf_addf(&out, "pinch top: pid %d, %.1f s, %u Hz%s (q or Ctrl-C quits)\n\n",
				    (int)target, (double)(clock_mono_ns() - start) / 1e9, cfg.freq,
				    res.python_state == 1 ? ", python" : "");
			livetop_render(lt, LIVETOP_LAST, lim > 0 ? lim : 20, cols, 0, &out);
			fwrite(out.buf, 1, out.len, stdout);
			fflush(stdout);
			if (quit_key(&tty))
				break;
		}
		/* Ctrl-C during the recording ends it early (the recorder takes it). */
		if (took + 50000000ull < len && alive(target, launched))
			break;
		if (!alive(target, launched) || once || (deadline && clock_mono_ns() >= deadline))
			break;
	}
	tty_restore(&tty);
	if (!live && status == EXIT_OK) {
		strbuf_reset(&out);
		livetop_render(lt, LIVETOP_ALL, limit ? (int)limit : 30, 0, json, &out);
		fwrite(out.buf, 1, out.len, stdout);
	}
out:
	if (launched) {
		int st;

		if (waitpid(target, &st, WNOHANG) == 0) {
			kill(target, SIGTERM);
			waitpid(target, &st, 0);
		}
	}
	if (tmp.len)
		unlink(tmp.buf);
	livetop_free(lt);
	strbuf_release(&out);
	strbuf_release(&tmp);
	strbuf_release(&cmdline);
	return status;
}
