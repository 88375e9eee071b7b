/*
 * load.c - `pinch load`: HTTP load testing (closed and open models,
 * scenarios, thresholds, histogram logs, merging, profile under load).
 * Parses options, checks everything before any traffic, calls src/load/
 * and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "load/check.h"
#include "load/engine.h"
#include "load/hdrlog.h"
#include "load/profile.h"
#include "load/report.h"
#include "load/scenario.h"
#include "load/threshold.h"
#include "load/url.h"
#include "model/hist.h"
#include "view/view.h"
#include "core/banned.h"

#define UNSET LONG_MIN	/* an integer option not given */

#define ERRLEN 512

static volatile int interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct load_opts {
	long connections, threads, requests, pipeline, seed;
	double rate;
	uint64_t duration, timeout;
	const char *method, *body, *body_file, *json_body, *scenario, *hdr_log, *output;
	const char *profile_cmd, *profile_out, *cacert;
	long profile_pid;
	int json, insecure, verdict;
	struct strbuf headers;
	struct load_threshold thr[LOAD_MAX_THRESHOLDS * 2];
	size_t n_thr;
	struct { enum load_check_kind kind; const char *spec; } expect[LOAD_MAX_CHECKS];
	size_t n_expect;
	int cookies;
	long redirects;
	const char *csv;
	const char *html;
	struct cmd_baseline base;
};

static int expect_cb(const struct opt *o, const char *arg, void *ctx)
{
	struct load_opts *lo = ctx;

	if (lo->n_expect == LOAD_MAX_CHECKS) {
		fprintf(stderr, "pinch load: more than %d checks\n", LOAD_MAX_CHECKS);
		return -1;
	}
	lo->expect[lo->n_expect].kind = !strcmp(o->long_name, "expect-status") ? LOAD_CHECK_STATUS :
					 !strcmp(o->long_name, "expect-body") ? LOAD_CHECK_BODY : LOAD_CHECK_HEADER;
	lo->expect[lo->n_expect++].spec = arg;
	return 0;
}

static int header_cb(const struct opt *o, const char *arg, void *ctx)
{
	struct load_opts *lo = ctx;
	const char *colon = strchr(arg, ':');

	(void)o;
	if (!colon || colon == arg) {
		fprintf(stderr, "pinch load: bad header '%s': want 'Name: value'\n", arg);
		return -1;
	}
	for (const char *p = arg; p < colon; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			fprintf(stderr, "pinch load: bad header name in '%s'\n", arg);
			return -1;
		}
	for (const char *p = colon; *p; p++)
		if ((unsigned char)*p < ' ' && *p != '\t') {
			fprintf(stderr, "pinch load: control character in header '%s'\n", arg);
			return -1;
		}
	strbuf_addf(&lo->headers, "%s\r\n", arg);
	return 0;
}

static int add_threshold(struct load_opts *lo, const char *s, const char *where)
{
	char err[ERRLEN];

	if (lo->n_thr == sizeof(lo->thr) / sizeof(lo->thr[0])) {
		fprintf(stderr, "pinch load: too many thresholds\n");
		return -1;
	}
	if (load_threshold_parse(s, &lo->thr[lo->n_thr], err, sizeof(err))) {
		fprintf(stderr, "pinch load: %s%s\n", where, err);
		return -1;
	}
	lo->n_thr++;
	return 0;
}

static int threshold_cb(const struct opt *o, const char *arg, void *ctx)
{
	(void)o;
	return add_threshold(ctx, arg, "");
}

/* ---------- progress and histogram log ---------- */

struct tick_ctx {
	int tty;
	struct load_hdrlog log, csv;
	uint64_t prev_requests;
	uint64_t planned_ns, requests;	/* the bounds, for the ETA */
	struct strbuf *ticks;	/* --html: [s, requests/s, errors/s, p50 ms, p99 ms] rows */
};

static void on_tick(void *ctx, const struct load_tick *t)
{
	struct tick_ctx *tc = ctx;

	if (tc->log.f)
		load_hdrlog_interval(&tc->log, t->elapsed_ns - t->interval_ns, t->interval_ns, t->interval);
	if (tc->csv.f)
		load_csv_row(&tc->csv, t->elapsed_ns, t->total->requests - tc->prev_requests, t->interval_errors,
			     t->interval);
	if (tc->ticks && t->interval_ns) {
		double secs = (double)t->interval_ns / 1e9;

		strbuf_addf(tc->ticks, "%s[%.3f,%.3f,%.3f,%.4f,%.4f]", tc->ticks->len > 1 ? "," : "",
			    (double)t->elapsed_ns / 1e9,
			    (double)(t->total->requests - tc->prev_requests) / secs,
			    (double)t->interval_errors / secs,
			    (double)hist_percentile(t->interval, 50) / 1e6,
			    (double)hist_percentile(t->interval, 99) / 1e6);
	}
	tc->prev_requests = t->total->requests;
	if (tc->tty) {
		struct strbuf line = STRBUF_INIT;

		load_report_progress(&line, t, tc->planned_ns, tc->requests);
		fprintf(stderr, "\r\033[K%s", line.buf);
		fflush(stderr);
		strbuf_release(&line);
	}
}

/* ---------- HTML ---------- */

/* [x, ms] points of the latency percentile curve, x = log10(1 / (1 - p)):
 * the tail spread out as HdrHistogram's plots draw it, up to the
 * resolution of the count. */
static void add_pct_curve(struct strbuf *sb, const struct hist *h)
{
	double xmax = h->total > 1 ? log10((double)h->total) : 0;
	int first = 1;

	strbuf_addch(sb, '[');
	if (xmax > 6)
		xmax = 6;
	for (double x = 0; x <= xmax + 1e-9; x += 0.05) {
		double p = 100.0 * (1.0 - pow(10.0, -x));

		strbuf_addf(sb, "%s[%.2f,%.4f]", first ? "" : ",", x, (double)hist_percentile(h, p) / 1e6);
		first = 0;
	}
	if (h->total)
		strbuf_addf(sb, "%s[%.2f,%.4f]", first ? "" : ",", xmax, (double)h->max / 1e6);
	strbuf_addch(sb, ']');
}

static int write_load_html(const char *file, const struct load_result *r, const struct load_report *rep,
			   const struct strbuf *ticks)
{
	struct strbuf page = STRBUF_INIT, text = STRBUF_INIT, js = STRBUF_INIT, title = STRBUF_INIT;
	int rc;

	strbuf_addf(&title, "pinch load: %s", rep->target);
	view_html_begin(&page, title.buf);
	load_report_text(&text, r, rep);
	view_html_text(&page, NULL, text.buf, "summary");
	strbuf_addstr(&js, "{\"result\":");
	load_report_json(&js, r, rep);
	strbuf_rtrim(&js);
	strbuf_addstr(&js, ",\n\"pct\":");
	add_pct_curve(&js, &r->lat);
	if (r->target_rate > 0 && r->uncorrected.total) {
		strbuf_addstr(&js, ",\n\"pct_uncorrected\":");
		add_pct_curve(&js, &r->uncorrected);
	}
	strbuf_addstr(&js, ",\n\"ticks\":");
	strbuf_add(&js, ticks->buf, ticks->len);
	strbuf_addstr(&js, "]}");
	strbuf_addstr(&page, "<section class=\"load\"><div class=\"loadbox\"></div>\n"
		      "<script type=\"application/json\" class=\"ldata\">");
	view_html_json(&page, js.buf, js.len);
	strbuf_addstr(&page, "</script></section>\n");
	view_html_end(&page);
	rc = strbuf_write_file(&page, file);
	strbuf_release(&page);
	strbuf_release(&text);
	strbuf_release(&js);
	strbuf_release(&title);
	return rc;
}

/* ---------- merge ---------- */

static int cmd_load_merge(int argc, char **argv)
{
	static const char *const usage[] = {
		"usage: pinch load merge [<options>] <hdr-log>...",
		"",
		"Merges the --hdr-log files of runs made at the same time (on several",
		"machines) into one result with exact combined percentiles.",
		NULL,
	};
	struct load_opts lo;
	struct load_result acc;
	struct load_report rep;
	struct strbuf out = STRBUF_INIT, target = STRBUF_INIT;
	char err[ERRLEN];
	int nargs, rc = EXIT_OK, failed;
	struct opt opts[] = {
		{ .type = OPT_FLAG, .long_name = "json", .value = &lo.json, .help = "print the result as JSON" },
		{ .type = OPT_CALLBACK, .long_name = "threshold", .argh = "EXPR", .cb = threshold_cb, .takes_arg = 1,
		  .help = "fail (exit 3) unless EXPR holds: p99<200ms, errors<1%, rps>1000, checks>99%" },
		{ .type = OPT_FLAG, .long_name = "verdict", .value = &lo.verdict,
		  .help = "print the performance-target table (default; --no-verdict hides it)" },
		OPT_END_(),
	};

	memset(&lo, 0, sizeof(lo));
	lo.verdict = 1;
	nargs = opt_parse(argc, argv, opts, usage, 0, &lo);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	rc = EXIT_OK;
	if (nargs < 1) {
		fprintf(stderr, "pinch load merge: no histogram logs given\n");
		fprintf(stderr, "hint: pinch load merge a.hlog b.hlog (files written by pinch load --hdr-log)\n");
		return EXIT_USAGE;
	}
	if (load_result_init(&acc, 0))
		return EXIT_FAIL;
	for (int i = 0; i < nargs; i++) {
		struct strbuf text = STRBUF_INIT;

		if (strbuf_read_file(&text, argv[i], 1u << 30)) {
			fprintf(stderr, "pinch load merge: cannot read '%s': %s\n", argv[i], strerror(errno));
			strbuf_release(&text);
			rc = EXIT_USAGE;
			goto out;
		}
		if (load_hdrlog_merge(&acc, argv[i], text.buf, text.len, err, sizeof(err))) {
			fprintf(stderr, "pinch load merge: %s\n", err);
			strbuf_release(&text);
			rc = EXIT_USAGE;
			goto out;
		}
		strbuf_release(&text);
	}
	strbuf_addf(&target, "%d merged runs", nargs);
	memset(&rep, 0, sizeof(rep));
	rep.target = target.buf;
	rep.thr = lo.thr;
	rep.n_thr = lo.n_thr;
	rep.verdict = lo.verdict;
	failed = lo.json ? load_report_json(&out, &acc, &rep) : load_report_text(&out, &acc, &rep);
	fputs(out.buf, stdout);
	if (failed)
		rc = EXIT_CHECK;
out:
	load_result_release(&acc);
	strbuf_release(&out);
	strbuf_release(&target);
	return rc;
}

/* ---------- run ---------- */

static int check_fd_limit(unsigned conns)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (!setrlimit(RLIMIT_NOFILE, &rl))
			return 0;
	}
	fprintf(stderr, "pinch load: %u connections need %lu file descriptors, the limit is %lu\n",
		conns, (unsigned long)need, (unsigned long)rl.rlim_max);
	fprintf(stderr, "hint: raise it with 'ulimit -n %lu' or use fewer connections\n", (unsigned long)need);
	return -1;
}

static int bad(const char *what)
{
	fprintf(stderr, "pinch load: %s\n", what);
	return EXIT_USAGE;
}

int cmd_load(int argc, char **argv)
{
	static const char *const usage[] = {
		"usage: pinch load [<options>] <url>",
		"   or: pinch load [<options>] --scenario FILE [<url>]",
		"   or: pinch load merge [--json] <hdr-log>...",
		"",
		"Loads an HTTP server and reports throughput, latency percentiles, errors",
		"and a verdict. Closed model by default (-c connections, each sends when",
		"answered); -R RATE switches to the open model (RATE requests/s in total,",
		"latency timed from each request's intended send time).",
		NULL,
	};
	struct load_opts lo;
	struct load_scenario sc;
	struct load_url url;
	struct load_config cfg;
	struct load_result res;
	struct load_report rep;
	struct tick_ctx tc;
	struct load_profiler pr = { .record = 0, .server = 0, .errfd = -1 };
	struct strbuf out = STRBUF_INIT, profile_path = STRBUF_INIT, bodybuf = STRBUF_INIT;
	struct strbuf html_ticks = STRBUF_INIT;
	const char *target_url = NULL;
	char err[ERRLEN];
	int nargs, rc = EXIT_USAGE, have_result = 0, have_profile = 0;
	long pid_target = 0;
	struct load_profile_info pinfo;
	struct sigaction sa;
	struct opt opts[] = {
		{ .type = OPT_GROUP, .help = "Load" },
		{ .type = OPT_INT, .short_name = 'c', .long_name = "connections", .value = &lo.connections, .argh = "N",
		  .help = "keep-alive connections (users in a scenario; default 10)" },
		{ .type = OPT_INT, .short_name = 't', .long_name = "threads", .value = &lo.threads, .argh = "N",
		  .help = "threads, one event loop each (default: CPUs, at most 2)" },
		{ .type = OPT_DURATION, .short_name = 'd', .long_name = "duration", .value = &lo.duration, .argh = "TIME",
		  .help = "run this long (default 10s unless -n)" },
		{ .type = OPT_INT, .short_name = 'n', .long_name = "requests", .value = &lo.requests, .argh = "N",
		  .help = "stop after exactly N requests" },
		{ .type = OPT_DOUBLE, .short_name = 'R', .long_name = "rate", .value = &lo.rate, .argh = "RATE",
		  .help = "open model: RATE requests/s in total across threads" },
		{ .type = OPT_DURATION, .long_name = "timeout", .value = &lo.timeout, .argh = "TIME",
		  .help = "a request unanswered this long fails (default 10s)" },
		{ .type = OPT_INT, .long_name = "pipeline", .value = &lo.pipeline, .argh = "N",
		  .help = "requests in flight per connection (HTTP pipelining, default 1)" },
		{ .type = OPT_GROUP, .help = "Requests" },
		{ .type = OPT_STRING, .short_name = 'X', .long_name = "method", .value = &lo.method, .argh = "METHOD",
		  .help = "request method (default GET, POST with a body)" },
		{ .type = OPT_CALLBACK, .short_name = 'H', .long_name = "header", .argh = "'Name: value'", .cb = header_cb,
		  .takes_arg = 1, .help = "add a request header (repeatable)" },
		{ .type = OPT_STRING, .long_name = "body", .value = &lo.body, .argh = "DATA", .help = "request body" },
		{ .type = OPT_STRING, .long_name = "body-file", .value = &lo.body_file, .argh = "FILE",
		  .help = "request body from a file" },
		{ .type = OPT_STRING, .long_name = "json-body", .value = &lo.json_body, .argh = "JSON",
		  .help = "JSON request body (sets Content-Type: application/json)" },
		{ .type = OPT_STRING, .short_name = 's', .long_name = "scenario", .value = &lo.scenario, .argh = "FILE",
		  .help = "weighted tasks, users, ramps and thresholds from a YAML file" },
		{ .type = OPT_FLAG, .short_name = 'k', .long_name = "insecure", .value = &lo.insecure,
		  .help = "https: do not check the server's certificate" },
		{ .type = OPT_STRING, .long_name = "cacert", .value = &lo.cacert, .argh = "FILE",
		  .help = "https: trust the CA certificates in FILE (PEM) instead of the system's" },
		{ .type = OPT_INT, .long_name = "seed", .value = &lo.seed, .argh = "N",
		  .help = "seed for task choice, {rand} and think times" },
		{ .type = OPT_FLAG, .long_name = "cookies", .value = &lo.cookies,
		  .help = "keep each connection's cookies (Set-Cookie) and send them back" },
		{ .type = OPT_INT, .long_name = "follow-redirects", .value = &lo.redirects, .argh = "N",
		  .help = "follow up to N redirects to the same host (a request counts once)" },
		{ .type = OPT_GROUP, .help = "Checks (counted per check; gate them with --threshold 'checks>99%')" },
		{ .type = OPT_CALLBACK, .long_name = "expect-status", .argh = "CODES", .cb = expect_cb, .takes_arg = 1,
		  .help = "check the status: 200, 2xx or a list (200,304)" },
		{ .type = OPT_CALLBACK, .long_name = "expect-body", .argh = "REGEX", .cb = expect_cb, .takes_arg = 1,
		  .help = "check that the body matches REGEX (POSIX extended, first 1 MiB)" },
		{ .type = OPT_CALLBACK, .long_name = "expect-header", .argh = "'Name: REGEX'", .cb = expect_cb,
		  .takes_arg = 1, .help = "check that a header Name has a value matching REGEX" },
		{ .type = OPT_GROUP, .help = "Results" },
		{ .type = OPT_FLAG, .long_name = "json", .value = &lo.json, .help = "print the result as JSON" },
		{ .type = OPT_STRING, .short_name = 'o', .long_name = "output", .value = &lo.output, .argh = "FILE",
		  .help = "also write the JSON result to FILE" },
		{ .type = OPT_CALLBACK, .long_name = "threshold", .argh = "EXPR", .cb = threshold_cb, .takes_arg = 1,
		  .help = "fail (exit 3) unless EXPR holds: p99<200ms, errors<1%, rps>1000, checks>99%" },
		{ .type = OPT_FLAG, .long_name = "verdict", .value = &lo.verdict,
		  .help = "print the performance-target table (default; --no-verdict hides it)" },
		{ .type = OPT_STRING, .long_name = "hdr-log", .value = &lo.hdr_log, .argh = "FILE",
		  .help = "write per-second histograms (HdrHistogram log; 'pinch load merge' reads it)" },
		{ .type = OPT_STRING, .long_name = "html", .value = &lo.html, .argh = "FILE",
		  .help = "write one self-contained HTML report: latency percentiles, RPS and errors over time, verdicts" },
		{ .type = OPT_STRING, .long_name = "csv", .value = &lo.csv, .argh = "FILE",
		  .help = "write a per-second time series: requests, errors, p50, p90, p99" },
		CMD_BASELINE_OPTS(lo.base),
		{ .type = OPT_GROUP, .help = "Profile under load" },
		{ .type = OPT_INT, .long_name = "profile-pid", .value = &lo.profile_pid, .argh = "PID",
		  .help = "record the server's CPU with 'pinch record' during the load" },
		{ .type = OPT_STRING, .long_name = "profile-cmd", .value = &lo.profile_cmd, .argh = "'CMD ARGS'",
		  .help = "start this server, load it while recording it, stop it" },
		{ .type = OPT_STRING, .long_name = "profile-out", .value = &lo.profile_out, .argh = "FILE",
		  .help = "where the recording goes (default: beside -o, or load-profile.rec)" },
		OPT_END_(),
	};

	if (argc >= 2 && !strcmp(argv[1], "merge"))
		return cmd_load_merge(argc - 1, argv + 1);

	memset(&lo, 0, sizeof(lo));
	strbuf_init(&lo.headers, 0);
	lo.rate = NAN;
	lo.duration = UINT64_MAX;
	lo.timeout = UINT64_MAX;
	lo.verdict = 1;
	lo.pipeline = 1;
	lo.threads = UNSET;	/* not -1: -1 given by the user is an error, not "unset" */
	lo.requests = UNSET;
	lo.connections = UNSET;
	lo.redirects = UNSET;
	load_scenario_init(&sc);
	memset(&res, 0, sizeof(res));
	memset(&tc, 0, sizeof(tc));

	nargs = opt_parse(argc, argv, opts, usage, 0, &lo);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		goto out;
	rc = EXIT_USAGE;
	if (cmd_baseline_prepare("load", &lo.base) >= 0)
		goto out;
	if (nargs > 1) {
		fprintf(stderr, "pinch load: one URL expected, got %d arguments\n", nargs);
		goto out;
	}
	if (nargs == 1)
		target_url = argv[0];

	/* Scenario or command-line request. */
	if (lo.scenario) {
		struct strbuf text = STRBUF_INIT;

		if (lo.body || lo.body_file || lo.json_body || lo.method || lo.headers.len) {
			rc = bad("-X, -H and --body belong in the scenario's tasks, not beside --scenario");
			goto out;
		}
		if (strbuf_read_file(&text, lo.scenario, 1 << 24)) {
			fprintf(stderr, "pinch load: cannot read scenario '%s': %s\n", lo.scenario, strerror(errno));
			strbuf_release(&text);
			goto out;
		}
		if (load_scenario_parse(&sc, lo.scenario, text.buf, text.len, err, sizeof(err))) {
			fprintf(stderr, "pinch load: %s\n", err);
			strbuf_release(&text);
			goto out;
		}
		strbuf_release(&text);
		if (!target_url)
			target_url = sc.base_url;
	}
	if (!target_url) {
		fprintf(stderr, "pinch load: no URL given\n");
		fprintf(stderr, "hint: pinch load -c 50 -d 10s http://127.0.0.1:8080/\n");
		goto out;
	}
	if (load_url_parse(target_url, &url, err, sizeof(err))) {
		fprintf(stderr, "pinch load: bad URL: %s\n", err);
		goto out;
	}
	if (!lo.scenario) {
		const char *body = NULL, *method = lo.method;
		size_t blen = 0;

		if (!!lo.body + !!lo.body_file + !!lo.json_body > 1) {
			rc = bad("give one of --body, --body-file and --json-body");
			goto out;
		}
		if (lo.body) {
			body = lo.body;
			blen = strlen(body);
		} else if (lo.json_body) {
			body = lo.json_body;
			blen = strlen(body);
			strbuf_addstr(&lo.headers, "Content-Type: application/json\r\n");
		} else if (lo.body_file) {
			if (strbuf_read_file(&bodybuf, lo.body_file, 1 << 26)) {
				fprintf(stderr, "pinch load: cannot read body file '%s': %s\n", lo.body_file,
					strerror(errno));
				goto out;
			}
			body = bodybuf.buf;
			blen = bodybuf.len;
		}
		if (!method)
			method = body ? "POST" : "GET";
		/* The path is sent as given: no {templates} from the command line. */
		if (load_scenario_add_task(&sc, url.path, method, "/", lo.headers.buf, body, blen, 1, err,
					   sizeof(err))) {
			fprintf(stderr, "pinch load: %s\n", err);
			goto out;
		}
		load_tmpl_release(&sc.tasks[0].path);
		sc.tasks[0].path.parts = calloc(1, sizeof(*sc.tasks[0].path.parts));
		if (!sc.tasks[0].path.parts)
			goto out;
		sc.tasks[0].path.parts[0].kind = TMPL_LIT;
		sc.tasks[0].path.parts[0].lit = strdup(url.path);
		sc.tasks[0].path.parts[0].len = strlen(url.path);
		sc.tasks[0].path.n = 1;
		sc.tasks[0].path.is_const = 1;
		if (lo.body_file || lo.json_body) {
			/* Bodies from the command line are sent verbatim. */
			struct load_tmpl *bt = &sc.tasks[0].body;

			load_tmpl_release(bt);
			bt->parts = calloc(1, sizeof(*bt->parts));
			if (!bt->parts)
				goto out;
			bt->parts[0].kind = TMPL_LIT;
			bt->parts[0].lit = malloc(blen + 1);
			if (!bt->parts[0].lit)
				goto out;
			memcpy(bt->parts[0].lit, body, blen);
			bt->parts[0].lit[blen] = 0;
			bt->parts[0].len = blen;
			bt->n = 1;
			bt->is_const = 1;
		}
	}

	/* Checks from the command line apply to every task. */
	for (size_t i = 0; i < lo.n_expect; i++)
		if (load_scenario_add_check(&sc, lo.expect[i].kind, lo.expect[i].spec, NULL, -1, err,
					    sizeof(err))) {
			fprintf(stderr, "pinch load: %s\n", err);
			goto out;
		}
	if (lo.cookies)
		sc.cookies = 1;
	if (lo.redirects != UNSET) {
		if (lo.redirects < 0 || lo.redirects > LOAD_MAX_REDIRECTS) {
			rc = bad("--follow-redirects must be between 0 and 20");
			goto out;
		}
		sc.redirects = (unsigned)lo.redirects;
		for (size_t i = 0; i < sc.n_tasks; i++)
			sc.tasks[i].redirects = -1;
	}
	/* The scenario's thresholds (a task's judge that task), then a check
	 * name in any of them must exist. */
	{
		const char *names[LOAD_MAX_CHECKS];
		size_t cli_thr = lo.n_thr;

		for (size_t i = 0; i < sc.n_thresholds; i++) {
			char where[600];

			snprintf(where, sizeof(where), "%s:%zu:%zu: ", lo.scenario, sc.thr_line[i], sc.thr_col[i]);
			if (add_threshold(&lo, sc.thresholds[i], where))
				goto out;
			if (sc.thr_task[i] >= 0) {
				struct load_threshold *t = &lo.thr[lo.n_thr - 1];

				t->task = sc.thr_task[i];
				snprintf(t->text, sizeof(t->text), "%.24s: %s", sc.tasks[t->task].name, sc.thresholds[i]);
				if (t->metric == THR_CHECKS) {
					fprintf(stderr, "pinch load: %s%s: a task's thresholds are on latency, errors and rps; "
						"put checks thresholds at the top level\n", where, sc.thresholds[i]);
					goto out;
				}
			}
		}
		for (size_t i = 0; i < sc.n_checks; i++)
			names[i] = sc.checks[i].name;
		for (size_t i = 0; i < lo.n_thr; i++)
			if (load_threshold_bind(&lo.thr[i], names, sc.n_checks, err, sizeof(err))) {
				if (i >= cli_thr)
					fprintf(stderr, "pinch load: %s:%zu:%zu: %s\n", lo.scenario, sc.thr_line[i - cli_thr],
						sc.thr_col[i - cli_thr], err);
				else
					fprintf(stderr, "pinch load: %s\n", err);
				goto out;
			}
	}

	/* Bounds and sizes, with the scenario as the default. */
	memset(&cfg, 0, sizeof(cfg));
	if (lo.connections == UNSET) {
		lo.connections = sc.users ? (long)sc.users : 10;
		if (!sc.users && sc.n_stages) {
			lo.connections = 1;
			for (size_t i = 0; i < sc.n_stages; i++)
				if (sc.stages[i].users > lo.connections)
					lo.connections = sc.stages[i].users;
		}
	}
	if (lo.connections <= 0 || lo.connections > 1000000) {
		rc = bad("connections (-c) must be between 1 and 1000000");
		goto out;
	}
	if (lo.threads == UNSET) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		lo.threads = cpus >= 2 ? 2 : 1;
	}
	if (lo.threads <= 0 || lo.threads > 1024) {
		rc = bad("threads (-t) must be between 1 and 1024");
		goto out;
	}
	if (isnan(lo.rate) && sc.rate > 0)
		lo.rate = sc.rate;
	if (!isnan(lo.rate) && (!(lo.rate > 0) || lo.rate > 1e8)) {
		rc = bad("rate (-R) must be between 0 and 100000000 requests per second (0 excluded)");
		goto out;
	}
	if (lo.requests == UNSET)
		lo.requests = sc.requests ? (long)sc.requests : 0;
	else if (lo.requests <= 0) {
		rc = bad("requests (-n) must be between 1 and 9223372036854775807");
		goto out;
	}
	if (lo.duration == 0) {
		rc = bad("duration (-d) must be positive");
		goto out;
	}
	if (lo.duration == UINT64_MAX) {
		lo.duration = sc.duration_ns ? sc.duration_ns : load_scenario_stages_ns(&sc);
		if (!lo.duration && !lo.requests)
			lo.duration = 10000000000ull;
	}
	if (lo.timeout == 0) {
		rc = bad("timeout must be positive");
		goto out;
	}
	if (lo.timeout == UINT64_MAX)
		lo.timeout = 10000000000ull;
	if (lo.pipeline < 1 || lo.pipeline > LOAD_MAX_PIPELINE) {
		rc = bad("pipeline depth must be between 1 and 64");
		goto out;
	}
	if (lo.cacert) {
		/* Checked here: OpenSSL's own message for a missing file is
		 * empty ("(null)"). */
		FILE *f = fopen(lo.cacert, "r");

		if (!f) {
			fprintf(stderr, "pinch load: cannot read --cacert '%s': %s\n", lo.cacert, strerror(errno));
			goto out;
		}
		fclose(f);
	}
	if (lo.profile_pid && lo.profile_cmd) {
		rc = bad("give --profile-pid or --profile-cmd, not both");
		goto out;
	}
	if (lo.profile_pid < 0 || (lo.profile_pid && kill((pid_t)lo.profile_pid, 0) && errno == ESRCH)) {
		fprintf(stderr, "pinch load: --profile-pid %ld: no such process\n", lo.profile_pid);
		goto out;
	}
	if (check_fd_limit((unsigned)lo.connections))
		goto out;
	if (load_url_resolve(&url, err, sizeof(err))) {
		fprintf(stderr, "pinch load: %s\n", err);
		goto out;
	}
	cfg.url = &url;
	cfg.sc = &sc;
	cfg.threads = (unsigned)lo.threads;
	cfg.connections = (unsigned)lo.connections;
	cfg.rate = isnan(lo.rate) ? 0 : lo.rate;
	cfg.duration_ns = lo.duration;
	cfg.requests = (uint64_t)lo.requests;
	cfg.timeout_ns = lo.timeout;
	cfg.pipeline = (unsigned)lo.pipeline;
	cfg.insecure = lo.insecure;
	cfg.cafile = lo.cacert;
	cfg.seed = (uint64_t)lo.seed;
	cfg.tick_ns = 1000000000ull;
	cfg.stop = &interrupted;

	/* The server to profile, then a check of the target: no traffic
	 * until both are known to work. */
	if (lo.profile_cmd) {
		uint64_t deadline = clock_mono_ns() + 10000000000ull;
		int status;

		pr.server = load_profile_spawn(lo.profile_cmd);
		if (pr.server < 0) {
			fprintf(stderr, "pinch load: cannot start '%s': %s\n", lo.profile_cmd, strerror(errno));
			pr.server = 0;
			goto out;
		}
		for (;;) {
			if (waitpid(pr.server, &status, WNOHANG) == pr.server) {
				fprintf(stderr, "pinch load: server '%s' exited (status %d) before it answered\n",
					lo.profile_cmd, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
				pr.server = 0;
				goto out;
			}
			if (!load_probe(&cfg, err, sizeof(err)))
				break;
			if (clock_mono_ns() > deadline) {
				fprintf(stderr, "pinch load: server '%s' did not accept connections within 10 s: %s\n",
					lo.profile_cmd, err);
				goto out;
			}
			clock_sleep_ns(50000000, NULL);
		}
		pid_target = pr.server;
	} else if (load_probe(&cfg, err, sizeof(err))) {
		fprintf(stderr, "pinch load: %s\n", err);
		if (strstr(err, "cannot load CA"))
			fprintf(stderr, "hint: --cacert wants a file of PEM certificates (-----BEGIN CERTIFICATE-----)\n");
		else if (strstr(err, "mismatch"))
			fprintf(stderr, "hint: the certificate%s does not name '%s': use a URL with a name or address "
				"its subjectAltName holds, or --insecure\n", lo.cacert ? " (trusted through --cacert)" : "",
				url.host);
		else if (strstr(err, "certificate") && lo.cacert)
			fprintf(stderr, "hint: the server's certificate is not signed by a CA in '%s'; --insecure skips "
				"the checks\n", lo.cacert);
		else if (strstr(err, "certificate"))
			fprintf(stderr, "hint: --cacert FILE trusts your test CA; --insecure skips the checks\n");
		else if (strstr(err, "refused"))
			fprintf(stderr, "hint: is the server listening on %s?\n", url.hostport);
		goto out;
	}
	if (lo.profile_pid)
		pid_target = lo.profile_pid;
	if (pid_target) {
		if (lo.profile_out) {
			strbuf_addstr(&profile_path, lo.profile_out);
		} else if (lo.output) {
			const char *dot = strrchr(lo.output, '.');
			size_t base = dot && !strchr(dot, '/') ? (size_t)(dot - lo.output) : strlen(lo.output);

			strbuf_add(&profile_path, lo.output, base);
			strbuf_addstr(&profile_path, ".rec");
		} else {
			strbuf_addstr(&profile_path, "load-profile.rec");
		}
		if (load_profile_start(&pr, (pid_t)pid_target, profile_path.buf))
			goto out;
	}
	if (lo.hdr_log && load_hdrlog_open(&tc.log, lo.hdr_log, target_url, err, sizeof(err))) {
		fprintf(stderr, "pinch load: %s\n", err);
		goto out;
	}
	if (lo.csv && load_csv_open(&tc.csv, lo.csv, err, sizeof(err))) {
		fprintf(stderr, "pinch load: %s\n", err);
		goto out;
	}
	if (lo.output) {
		/* Found before the run, not after it: the file is created now
		 * (and written at the end). */
		FILE *f = fopen(lo.output, "a");

		if (!f) {
			fprintf(stderr, "pinch load: cannot write '%s': %s\n", lo.output, strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
		fclose(f);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	tc.tty = isatty(2);
	if (lo.html) {
		strbuf_addch(&html_ticks, '[');
		tc.ticks = &html_ticks;
	}
	tc.planned_ns = cfg.duration_ns;
	tc.requests = cfg.requests;
	if (load_run(&cfg, &res, on_tick, &tc, err, sizeof(err))) {
		fprintf(stderr, "pinch load: %s\n", err);
		rc = EXIT_FAIL;
		goto out;
	}
	have_result = 1;
	if (tc.tty)
		fprintf(stderr, "\r\033[K");
	rc = EXIT_OK;
	if (pr.record > 0) {
		if (load_profile_stop(&pr, profile_path.buf))
			rc = EXIT_FAIL;
		else if (!load_profile_read(profile_path.buf, &pinfo))
			have_profile = 1;
	}
	if (tc.log.f && load_hdrlog_finish(&tc.log, &res)) {
		fprintf(stderr, "pinch load: cannot write '%s'\n", lo.hdr_log);
		rc = EXIT_FAIL;
	}
	if (tc.csv.f && load_csv_finish(&tc.csv)) {
		fprintf(stderr, "pinch load: cannot write '%s'\n", lo.csv);
		rc = EXIT_FAIL;
	}

	memset(&rep, 0, sizeof(rep));
	rep.target = target_url;
	rep.sc = &sc;
	rep.thr = lo.thr;
	rep.n_thr = lo.n_thr;
	rep.verdict = lo.verdict;
	rep.profile = have_profile ? &pinfo : NULL;
	{
		struct strbuf warn = STRBUF_INIT;

		load_report_warnings(&warn, &res);
		fputs(warn.buf, stderr);
		strbuf_release(&warn);
	}
	if (lo.output) {
		struct strbuf js = STRBUF_INIT;
		FILE *f = fopen(lo.output, "w");

		load_report_json(&js, &res, &rep);
		if (!f || fwrite(js.buf, 1, js.len, f) != js.len || fclose(f)) {
			fprintf(stderr, "pinch load: cannot write '%s': %s\n", lo.output, strerror(errno));
			rc = EXIT_FAIL;
		}
		strbuf_release(&js);
	}
	if (lo.html) {
		int hrc = write_load_html(lo.html, &res, &rep, &html_ticks);

		if (hrc) {
			fprintf(stderr, "pinch load: cannot write '%s': %s\n", lo.html, strerror(-hrc));
			rc = EXIT_FAIL;
		} else {
			fprintf(stderr, "pinch load: wrote %s: HTML report\n", lo.html);
		}
	}
	if ((lo.json ? load_report_json(&out, &res, &rep) : load_report_text(&out, &res, &rep)) && rc == EXIT_OK)
		rc = EXIT_CHECK;
	fputs(out.buf, stdout);
	if (lo.base.save || lo.base.compare) {
		struct strbuf js = STRBUF_INIT;

		load_report_json(&js, &res, &rep);
		rc = cmd_baseline_finish("load", &lo.base, js.buf, lo.json ? stderr : stdout, rc);
		strbuf_release(&js);
	}
	if (interrupted && rc == EXIT_OK)
		rc = 130;	/* Ctrl-C: the partial result is printed, and it is not a pass */
out:
	if (pr.record > 0)
		load_profile_stop(&pr, profile_path.buf);
	else if (pr.errfd >= 0)
		close(pr.errfd);
	load_profile_stop_server(&pr);
	if (tc.log.f)
		load_hdrlog_finish(&tc.log, &res);
	load_csv_finish(&tc.csv);
	if (have_result)
		load_result_release(&res);
	load_scenario_release(&sc);
	strbuf_release(&lo.headers);
	strbuf_release(&out);
	strbuf_release(&profile_path);
	strbuf_release(&bodybuf);
	strbuf_release(&html_ticks);
	return rc;
}
