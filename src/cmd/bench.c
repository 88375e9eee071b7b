/*
 * bench.c - `pinch bench [options] CMD...` and `pinch bench [options] --
 * PROGRAM ARGS...`: hyperfine's model. Each command runs without a shell
 * (its text split into words) unless --shell, warm-up runs first, then a
 * fixed count or as many as the time budget allows; per run wall time and
 * wait4's rusage. The text report, --json, --markdown or --csv; --save and
 * --compare for baselines (src/bench/).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/baseline.h"
#include "bench/machine.h"
#include "bench/out.h"
#include "bench/run.h"
#include "cmd/cmd.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "core/banned.h"

static const char *const bench_usage[] = {
	"pinch bench [options] CMD [CMD...]",
	"pinch bench [options] -- PROGRAM [ARGS...]",
	"",
	"Runs each command repeatedly and reports its wall time (mean ± σ, median,",
	"range), user and system CPU, max RSS, and how the commands compare.",
	"CMD is split into words like a shell would (quotes, backslashes) but runs",
	"without one; --shell runs it through /bin/sh and subtracts the shell's",
	"own spawn time. -P NAME V1,V2,... runs CMD once per value with {NAME}",
	"replaced. Exit status: 0, 1 a command failed, 2 usage, 3 --fail-if-slower.",
	NULL,
};

struct bench_opts {
	struct bench_cfg cfg;
	long warmup, runs, min_runs, max_runs;
	uint64_t max_time;
	int shell, json, markdown, csv, no_progress;
	const char *shell_path;
	struct cmd_baseline base;
	const char *param_name, *param_list;
};

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct progress {
	size_t index;
};

static void progress_cb(void *ctx, const struct bench_cmd *c, size_t done, size_t total, int warmup, double eta)
{
	struct progress *p = ctx;
	size_t width = 30, fill = total ? done * width / total : 0;
	char bar[31];

	(void)c;
	memset(bar, '#', fill);
	memset(bar + fill, '.', width - fill);
	bar[width] = '\0';
	if (warmup)
		fprintf(stderr, "\r\033[K  Benchmark %zu: warming up [%s] %zu/%zu", p->index + 1, bar, done, total);
	else
		fprintf(stderr, "\r\033[K  Benchmark %zu: [%s] %zu/%zu  ETA %02d:%02d", p->index + 1, bar, done,
			total, (int)(eta / 60), (int)fmod(eta, 60));
	fflush(stderr);
}

/* Replaces every {name} in tmpl by value. */
static char *expand(const char *tmpl, const char *name, const char *value)
{
	struct strbuf sb = STRBUF_INIT, key = STRBUF_INIT;
	const char *p = tmpl, *hit;

	strbuf_addf(&key, "{%s}", name);
	while ((hit = strstr(p, key.buf))) {
		strbuf_add(&sb, p, (size_t)(hit - p));
		strbuf_addstr(&sb, value);
		p = hit + key.len;
	}
	strbuf_addstr(&sb, p);
	strbuf_release(&key);
	return strbuf_detach(&sb, NULL);
}

/* Takes -P NAME LIST (and --parameter-list NAME LIST) out of argv, before
 * "--"; the option parser knows one argument per option. */
static int take_params(int *argc, char **argv, struct bench_opts *o)
{
	int i, j;

	for (i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (strcmp(argv[i], "-P") && strcmp(argv[i], "--parameter-list"))
			continue;
		if (i + 2 >= *argc) {
			cmd_errorf("bench", "%s needs a NAME and a comma-separated LIST: -P threads 1,2,4", argv[i]);
			return -1;
		}
		if (o->param_name) {
			cmd_errorf("bench", "one -P per run");
			return -1;
		}
		o->param_name = argv[i + 1];
		o->param_list = argv[i + 2];
		for (j = i; j + 3 < *argc; j++)
			argv[j] = argv[j + 3];
		*argc -= 3;
		argv[*argc] = NULL;
		i--;
	}
	return 0;
}

static int add_cmd(struct bench_cmd **cmds, size_t *n, size_t *alloc, char *name, const char *pn, const char *pv)
{
	struct bench_cmd *c;

	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 8;
		struct bench_cmd *nc = realloc(*cmds, na * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		*cmds = nc;
		*alloc = na;
	}
	c = &(*cmds)[(*n)++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	if (pn) {
		c->param_name = strdup(pn);
		c->param_value = strdup(pv);
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = { .min_runs = 10, .max_time = 3000000000ull };
	const struct opt opts[] = {
		{ .type = OPT_GROUP, .help = "Runs" },
		{ .type = OPT_INT, .short_name = 'w', .long_name = "warmup", .value = &o.warmup, .argh = "N",
		  .help = "untimed runs of each command first (0)" },
		{ .type = OPT_INT, .short_name = 'r', .long_name = "runs", .value = &o.runs, .argh = "N",
		  .help = "exactly N timed runs (default: as many as --max-time allows)" },
		{ .type = OPT_INT, .short_name = 'm', .long_name = "min-runs", .value = &o.min_runs, .argh = "N",
		  .help = "at least N runs with the time budget (10)" },
		{ .type = OPT_INT, .short_name = 'M', .long_name = "max-runs", .value = &o.max_runs, .argh = "N",
		  .help = "at most N runs with the time budget (no limit)" },
		{ .type = OPT_DURATION, .long_name = "max-time", .value = &o.max_time, .argh = "TIME",
		  .help = "time budget per command (3s)" },
		{ .type = OPT_STRING, .short_name = 'p', .long_name = "prepare", .value = &o.cfg.prepare,
		  .argh = "CMD", .help = "shell command run before each run, untimed" },
		{ .type = OPT_STRING, .short_name = 's', .long_name = "setup", .value = &o.cfg.setup, .argh = "CMD",
		  .help = "shell command run once before each command's runs" },
		{ .type = OPT_STRING, .short_name = 'c', .long_name = "cleanup", .value = &o.cfg.cleanup,
		  .argh = "CMD", .help = "shell command run once after each command's runs" },
		{ .type = OPT_FLAG, .short_name = 'S', .long_name = "shell", .value = &o.shell,
		  .help = "run commands through /bin/sh -c; its spawn time is subtracted" },
		{ .type = OPT_STRING, .long_name = "shell-path", .value = &o.shell_path, .argh = "PATH",
		  .help = "the shell for --shell (/bin/sh)" },
		{ .type = OPT_FLAG, .short_name = 'i', .long_name = "ignore-failure", .value = &o.cfg.ignore_failure,
		  .help = "go on when a command exits non-zero" },
		{ .type = OPT_FLAG, .long_name = "show-output", .value = &o.cfg.show_output,
		  .help = "let the commands write to the terminal" },
		{ .type = OPT_GROUP, .help = "Output (-P NAME LIST: a parameter scan, see above)" },
		{ .type = OPT_FLAG, .long_name = "json", .value = &o.json,
		  .help = "JSON with every run (kind \"bench\", schema 1)" },
		{ .type = OPT_FLAG, .long_name = "markdown", .value = &o.markdown, .help = "a Markdown table" },
		{ .type = OPT_FLAG, .long_name = "csv", .value = &o.csv, .help = "CSV, one line per command" },
		{ .type = OPT_FLAG, .long_name = "no-progress", .value = &o.no_progress,
		  .help = "no progress bar (there is none when stderr is not a terminal)" },
		{ .type = OPT_GROUP, .help = "Baselines (.pinch/baselines/NAME.json)" },
		CMD_BASELINE_OPTS(o.base),
		OPT_END_(),
	};
	struct bench_cmd *cmds = NULL;
	size_t n = 0, alloc = 0, i;
	struct bench_shell_cost shell_cost, *scp = NULL;
	struct machine_facts mf;
	struct strbuf out = STRBUF_INIT, dashed = STRBUF_INIT;
	struct progress prog = { 0 };
	char err[512] = "";
	int nargs, dash = -1, status = EXIT_OK, rc, formats;
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;

	if (take_params(&argc, argv, &o) < 0)
		return EXIT_USAGE;
	for (i = 1; i < (size_t)argc; i++)
		if (!strcmp(argv[i], "--")) {
			dash = (int)i;
			break;
		}
	nargs = opt_parse(dash >= 0 ? dash : argc, argv, opts, bench_usage, 0, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (dash >= 0) {
		if (dash + 1 >= argc) {
			cmd_errorf("bench", "nothing after '--': name the program to run");
			status = EXIT_USAGE;
			goto out;
		}
		for (int k = dash + 1; k < argc; k++) {
			if (k > dash + 1)
				strbuf_addch(&dashed, ' ');
			strbuf_add_shell_word(&dashed, argv[k]);
		}
	}
	if (nargs && dash >= 0) {
		cmd_errorf("bench", "'%s' and a command after '--': give commands one way or the other", argv[0]);
		status = EXIT_USAGE;
		goto out;
	}
	if (!nargs && dash < 0) {
		cmd_errorf("bench", "no command to benchmark: pinch bench 'CMD' or pinch bench -- PROGRAM ARGS");
		status = EXIT_USAGE;
		goto out;
	}
	formats = o.json + o.markdown + o.csv;
	if (formats > 1) {
		cmd_errorf("bench", "--json, --markdown and --csv are exclusive: pick one");
		status = EXIT_USAGE;
		goto out;
	}
	if (o.warmup < 0 || o.runs < 0 || o.min_runs < 1 || o.max_runs < 0 ||
	    (o.max_runs && o.max_runs < o.min_runs && !o.runs) || o.max_time == 0) {
		cmd_errorf("bench", "bad run counts: --warmup >= 0, --runs >= 1, --min-runs >= 1, "
				    "--max-runs >= --min-runs, --max-time > 0");
		status = EXIT_USAGE;
		goto out;
	}
	if ((rc = cmd_baseline_prepare("bench", &o.base)) >= 0) {
		status = rc;
		goto out;
	}
	o.cfg.warmup = o.warmup;
	o.cfg.runs = o.runs;
	o.cfg.min_runs = o.min_runs;
	o.cfg.max_runs = o.max_runs;
	o.cfg.max_time_ns = o.max_time;
	if (o.shell || o.shell_path)
		o.cfg.shell = o.shell_path ? o.shell_path : "/bin/sh";
	if (!o.no_progress && isatty(2)) {
		o.cfg.progress = progress_cb;
		o.cfg.progress_ctx = &prog;
	}

	/* The command list: positional commands, or the one after "--",
	 * each expanded over the -P values. */
	for (int k = 0; k < (dash >= 0 ? 1 : nargs); k++) {
		const char *tmpl = dash >= 0 ? dashed.buf : argv[k];

		if (!o.param_name) {
			if (add_cmd(&cmds, &n, &alloc, strdup(tmpl), NULL, NULL))
				goto oom;
			continue;
		}
		{
			struct strbuf key = STRBUF_INIT;
			const char *p = o.param_list;
			int has;

			strbuf_addf(&key, "{%s}", o.param_name);
			has = strstr(tmpl, key.buf) != NULL;
			strbuf_release(&key);
			if (!has) {
				cmd_errorf("bench", "'%s' does not use the parameter {%s}", tmpl, o.param_name);
				status = EXIT_USAGE;
				goto out;
			}
			if (!*p) {
				cmd_errorf("bench", "-P %s: the list of values is empty", o.param_name);
				status = EXIT_USAGE;
				goto out;
			}
			for (;;) {
				size_t len = strcspn(p, ",");
				char *v = strndup(p, len);

				if (!v || add_cmd(&cmds, &n, &alloc, expand(tmpl, o.param_name, v), o.param_name, v)) {
					free(v);
					goto oom;
				}
				free(v);
				p += len;
				if (!*p)
					break;
				p++;
			}
		}
	}
	/* Each command must split cleanly before anything runs. */
	for (i = 0; i < n && !o.cfg.shell; i++) {
		char **words;

		if (bench_split_args(cmds[i].name, &words, err, sizeof(err)) < 0) {
			cmd_errorf("bench", "bad command: %s", err);
			status = EXIT_USAGE;
			goto out;
		}
		free(words);
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	machine_facts_read(&mf);
	if (o.cfg.shell) {
		rc = bench_measure_shell(&o.cfg, 50, &shell_cost, err, sizeof(err));
		if (rc < 0) {
			cmd_errorf("bench", "%s", err);
			status = EXIT_USAGE;
			goto restore;
		}
		scp = &shell_cost;
	}
	for (i = 0; i < n; i++) {
		prog.index = i;
		rc = bench_run_cmd(&o.cfg, &cmds[i], scp, &stop, err, sizeof(err));
		if (o.cfg.progress)
			fputs("\r\033[K", stderr);
		if (rc == -EINTR) {
			cmd_errorf("bench", "interrupted");
			status = 130;
			goto restore;
		}
		if (rc < 0) {
			cmd_errorf("bench", "%s", err);
			if (rc == -ECHILD)
				fprintf(stderr, "hint: --ignore-failure goes on regardless; --show-output shows "
						"what the command printed\n");
			else if (rc == -ENOENT)
				fprintf(stderr, "hint: is '%s' in PATH? Shell syntax needs --shell\n", cmds[i].name);
			status = rc == -ENOENT || rc == -EACCES ? EXIT_USAGE : EXIT_FAIL;
			goto restore;
		}
		if (!formats) {
			strbuf_reset(&out);
			if (i)
				strbuf_addch(&out, '\n');
			bench_text_cmd(&out, &cmds[i], i);
			fputs(out.buf, stdout);
			fflush(stdout);
		}
	}
	strbuf_reset(&out);
	if (!formats && n > 1) {
		strbuf_addch(&out, '\n');
		bench_text_summary(&out, cmds, n);
	}
	if (o.json)
		bench_json(&out, cmds, n, &o.cfg, scp, &mf);
	else if (o.markdown)
		bench_markdown(&out, cmds, n);
	else if (o.csv)
		bench_csv(&out, cmds, n);
	fputs(out.buf, stdout);
	if (o.base.save || o.base.compare) {
		struct strbuf js = STRBUF_INIT;

		bench_json(&js, cmds, n, &o.cfg, scp, &mf);
		status = cmd_baseline_finish("bench", &o.base, js.buf, formats ? stderr : stdout, status);
		strbuf_release(&js);
	}
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	goto out;
oom:
	cmd_errorf("bench", "out of memory");
	status = EXIT_FAIL;
out:
	for (i = 0; i < n; i++)
		bench_cmd_release(&cmds[i]);
	free(cmds);
	strbuf_release(&out);
	strbuf_release(&dashed);
	return status;
}
