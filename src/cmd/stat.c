/*
 * stat.c - `pinch stat`: what a command (and all its children) or a
 * running process used: wall and CPU time, CPU utilisation, max RSS,
 * page faults, context switches, bytes read and written, peak threads
 * and fds, software perf counters; with --interval a time series drawn
 * as a text chart (and --svg). Like /usr/bin/time -v, for the whole tree.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/sys_target.h"
#include "collect/sysstat.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "view/view_stat.h"
#include "core/banned.h"

static const char *const stat_usage[] = {
	"usage: pinch stat [<options>] -- <command> [<args>...]",
	"   or: pinch stat [<options>] --pid <pid> [--duration <time>]",
	"",
	"Measures what a command and all its children used (like /usr/bin/time -v",
	"for the whole process tree): wall and CPU time, CPU utilisation, max RSS,",
	"page faults, context switches, bytes read and written, peak threads and",
	"open fds, and software perf counters. --interval adds a time series of",
	"CPU %, RSS, I/O rate and threads. The exit status is the command's.",
	NULL,
};

int cmd_stat(int argc, char **argv)
{
	long pid = 0;
	uint64_t interval = 0, duration = 0;
	int json = 0, no_perf = 0, nargs, rc;
	const char *svg = NULL, *output = NULL;
	struct opt opts[] = {
		{ OPT_INT, 'p', "pid", &pid, "pid", "watch a running process (and its children) instead", NULL, 0 },
		{ OPT_DURATION, 'd', "duration", &duration, "time", "stop after this long (a launched command gets SIGTERM)", NULL, 0 },
		{ OPT_DURATION, 'i', "interval", &interval, "time", "also take a time series at this interval (>= 10ms)", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "print the result as JSON (\"kind\": \"stat\")", NULL, 0 },
		{ OPT_STRING, 'o', "output", &output, "file", "also write the JSON result to this file", NULL, 0 },
		{ OPT_STRING, 0, "svg", &svg, "file", "draw the --interval series into an SVG file", NULL, 0 },
		{ OPT_FLAG, 0, "no-perf", &no_perf, NULL, "do not open perf counters", NULL, 0 },
		OPT_END_(),
	};
	struct stat_config cfg;
	struct stat_result res;
	struct strbuf out = STRBUF_INIT, cmdline = STRBUF_INIT, exe = STRBUF_INIT, js = STRBUF_INIT;
	struct winsize ws;
	char err[512];
	int status;

	nargs = opt_parse(argc, argv, opts, stat_usage, OPT_STOP_AT_NONOPT, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if ((pid && nargs) || (!pid && !nargs)) {
		fprintf(stderr, "pinch stat: give either --pid or a command\n");
		fprintf(stderr, "hint: pinch stat -- make -j2, or pinch stat --pid 1234 --duration 10s\n");
		return EXIT_USAGE;
	}
	if (pid < 0 || pid > INT_MAX || (interval && interval < 10000000ull)) {
		fprintf(stderr, "pinch stat: bad option value: --pid must be a process id, --interval >= 10ms\n");
		return EXIT_USAGE;
	}
	if (svg && !interval) {
		fprintf(stderr, "pinch stat: --svg draws the --interval series; give --interval too\n");
		return EXIT_USAGE;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.pid = (pid_t)pid;
	cfg.duration_ns = duration;
	cfg.interval_ns = interval;
	cfg.no_perf = no_perf;
	rc = sys_target_prepare("stat", nargs, argv, pid, &exe, &cmdline);
	if (rc >= 0) {
		strbuf_release(&exe);
		strbuf_release(&cmdline);
		return rc;
	}
	if (nargs) {
		cfg.argv = argv;
		cfg.exe_path = exe.buf;
	}
	rc = stat_run(&cfg, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch stat: %s\n", err);
		stat_result_release(&res);
		strbuf_release(&exe);
		strbuf_release(&cmdline);
		return rc == -ENOENT || rc == -EACCES ? EXIT_USAGE : EXIT_FAIL;
	}
	if (json || output)
		stat_render_json(&res, cmdline.buf, &js);
	if (json) {
		strbuf_add(&out, js.buf, js.len);
	} else {
		stat_render_text(&res, cmdline.buf, &out);
		if (res.nseries) {
			int width = 60;

			if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 30)
				width = ws.ws_col - 24;
			stat_render_chart(&res, width, &out);
		}
	}
	/* the command's own output came first; ours goes to stderr unless
	 * asked for as JSON, so pipelines keep the command's stdout */
	fwrite(out.buf, 1, out.len, json ? stdout : stderr);
	status = EXIT_OK;
	if (output && strbuf_write_file(&js, output) < 0) {
		fprintf(stderr, "pinch stat: cannot write %s: %s\n", output, strerror(errno));
		status = EXIT_FAIL;
	}
	if (svg) {
		struct strbuf s = STRBUF_INIT;

		stat_render_svg(&res, cmdline.buf, &s);
		if (strbuf_write_file(&s, svg) < 0) {
			fprintf(stderr, "pinch stat: cannot write %s: %s\n", svg, strerror(errno));
			status = EXIT_FAIL;
		}
		strbuf_release(&s);
	}
	if (status == EXIT_OK && res.launched) {
		if (res.term_signal)
			status = 128 + res.term_signal;
		else if (res.exit_status > 0)
			status = res.exit_status;
	}
	stat_result_release(&res);
	strbuf_release(&out);
	strbuf_release(&js);
	strbuf_release(&exe);
	strbuf_release(&cmdline);
	return status;
}
