/*
 * db.c - pinch db: database profiling.
 *
 *   pinch db trace [--slow DUR] [--json] -- CMD...
 *       runs CMD with the db agent (src/agent/db) preloaded and reports
 *       every libpq and libsqlite3 statement it issued, per normalized
 *       statement, and the slow ones with the stack that issued them.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/db/wire.h"
#include "cmd.h"
#include "collect/dbtrace.h"
#include "collect/memrec.h"
#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "core/banned.h"

static const char *const db_usage[] = {
	"usage: pinch db trace [--slow DUR] [--json] [-o FILE] -- CMD [ARGS...]",
	"   or: pinch db explain [--commit] [--json] DSN 'SQL'|- | --plan FILE",
	"   or: pinch db top [--limit N] [--json] DSN",
	"",
	"Database profiling. trace runs CMD with an agent that times every",
	"statement the program sends through libpq (PostgreSQL) or libsqlite3:",
	"C, Python (psycopg2, sqlite3), Ruby, PHP alike, without code changes.",
	NULL
};

static const char *api_name(uint32_t api)
{
	return api == DBW_API_PQ ? "postgres" : api == DBW_API_SQLITE ? "sqlite" : "-";
}

static void dur(struct strbuf *sb, uint64_t ns)
{
	strbuf_add_duration(sb, (double)ns);
}

static volatile pid_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* Runs argv with the agent; the exit status as a shell reports it. */
static int run_traced(char **argv, const char *agent, const char *dir, uint64_t slow_ns,
		      int *status_out)
{
	struct sigaction fwd, ign, old_int, old_term, old_quit;
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		const char *pre = getenv("LD_PRELOAD");
		struct strbuf v = STRBUF_INIT;
		char slow[32];

		strbuf_addf(&v, "%s%s%s", agent, pre && *pre ? ":" : "", pre && *pre ? pre : "");
		setenv("LD_PRELOAD", v.buf, 1);
		setenv(DBW_ENV_DIR, dir, 1);
		snprintf(slow, sizeof(slow), "%llu", (unsigned long long)slow_ns);
		setenv(DBW_ENV_SLOW, slow, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "pinch db: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	memset(&fwd, 0, sizeof(fwd));
	fwd.sa_handler = forward;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	child_pid = pid;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &fwd, &old_term);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	*status_out = status;
	return 0;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Two slow entries issued from the same code path (symbolized frames). */
static int same_stack(const struct dbtrace_slow *a, const struct dbtrace_slow *b)
{
	if (a->n_frames != b->n_frames || a->pid != b->pid)
		return 0;
	for (size_t k = 0; k < a->n_frames; k++)
		if (!same_str(a->frames[k].function, b->frames[k].function) ||
		    !same_str(a->frames[k].file, b->frames[k].file) ||
		    a->frames[k].line != b->frames[k].line)
			return 0;
	return 1;
}

static void print_text(FILE *f, const struct dbtrace *t, uint64_t slow_ns, size_t limit)
{
	struct strbuf a = STRBUF_INIT;
	uint64_t calls = 0, total = 0, errors = 0;
	size_t i, k;

	for (i = 0; i < t->n_stmts; i++) {
		calls += t->stmts[i].calls;
		total += t->stmts[i].total_ns;
		errors += t->stmts[i].errors;
	}
	dur(&a, total);
	fprintf(f, "pinch db trace: %llu statement%s (%zu distinct) in %s, %llu error%s, %zu slow (>= ",
	       (unsigned long long)calls, calls == 1 ? "" : "s", t->n_stmts, a.buf,
	       (unsigned long long)errors, errors == 1 ? "" : "s", t->n_slows);
	strbuf_reset(&a);
	dur(&a, slow_ns);
	fprintf(f, "%s), %zu process%s\n", a.buf, t->n_procs, t->n_procs == 1 ? "" : "es");
	if (t->untracked)
		fprintf(f, "note: %llu executions could not be tracked (too many live statement handles or queued queries)\n",
		       (unsigned long long)t->untracked);
	if (t->n_procs > t->n_ended && t->n_stmts)
		fprintf(f, "note: %zu of %zu process images did not reach exit() (exec, _exit or a signal): only their slow logs are counted\n",
		       t->n_procs - t->n_ended, t->n_procs);
	if (t->n_stmts)
		fprintf(f, "\n%8s %10s %10s %10s %10s %8s %6s  %-8s %s\n", "calls", "total", "mean", "p95", "max",
	       "rows", "errors", "api", "statement");
	for (i = 0; i < t->n_stmts && (!limit || i < limit); i++) {
		const struct dbtrace_stmt *s = &t->stmts[i];
		struct strbuf c[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };

		dur(&c[0], s->total_ns);
		dur(&c[1], s->calls ? s->total_ns / s->calls : 0);
		dur(&c[2], hist_percentile(&s->hist, 95));
		dur(&c[3], s->max_ns);
		fprintf(f, "%8llu %10s %10s %10s %10s %8llu %6llu  %-8s %s\n",
		       (unsigned long long)s->calls, c[0].buf, c[1].buf, c[2].buf, c[3].buf,
		       (unsigned long long)s->rows, (unsigned long long)s->errors, api_name(s->api),
		       s->text);
		for (k = 0; k < 4; k++)
			strbuf_release(&c[k]);
	}
	if (limit && t->n_stmts > limit)
		fprintf(f, "... %zu more (--limit 0 shows all)\n", t->n_stmts - limit);
	if (t->n_slows) {
		fprintf(f, "\nslow statements (>= ");
		strbuf_reset(&a);
		dur(&a, slow_ns);
		fprintf(f, "%s), slowest first:\n", a.buf);
	}
	for (i = 0; i < t->n_slows && (!limit || i < limit); i++) {
		const struct dbtrace_slow *s = &t->slows[i];

		strbuf_reset(&a);
		dur(&a, s->ns);
		fprintf(f, "\n  %s  %s  pid %u tid %u  rows %llu%s\n    %s\n", a.buf, api_name(s->api),
		       s->pid, s->tid, (unsigned long long)s->rows, s->error ? "  FAILED" : "",
		       s->text);
		if (!s->n_frames)
			fprintf(f, "      (no stack)\n");
		else if (i && same_stack(s, &t->slows[i - 1])) {
			fprintf(f, "      (the same stack as above)\n");
			continue;
		}
		for (k = 0; k < s->n_frames; k++) {
			const struct dbtrace_frame *fr = &s->frames[k];

			if (fr->file && fr->line)
				fprintf(f, "      at %s (%s:%u)\n", fr->function, fr->file, fr->line);
			else
				fprintf(f, "      at %s\n", fr->function);
		}
	}
	if (limit && t->n_slows > limit)
		fprintf(f, "\n... %zu more slow statements (--limit 0 shows all)\n", t->n_slows - limit);
	strbuf_release(&a);
}

static void print_json(FILE *f, const struct dbtrace *t, uint64_t slow_ns, int exit_status)
{
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	size_t i, k;

	json_init(&w, &out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "db");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "mode", "trace");
	json_kuint(&w, "slow_ns", slow_ns);
	json_kint(&w, "exit_status", exit_status);
	json_kuint(&w, "processes", t->n_procs);
	json_kuint(&w, "untracked", t->untracked);
	json_key(&w, "statements");
	json_arr_begin(&w);
	for (i = 0; i < t->n_stmts; i++) {
		const struct dbtrace_stmt *s = &t->stmts[i];

		json_obj_begin(&w);
		json_kstr(&w, "statement", s->text);
		json_kstr(&w, "api", api_name(s->api));
		json_kuint(&w, "calls", s->calls);
		json_kuint(&w, "errors", s->errors);
		json_kuint(&w, "rows", s->rows);
		json_kuint(&w, "total_ns", s->total_ns);
		json_kuint(&w, "mean_ns", s->calls ? s->total_ns / s->calls : 0);
		json_kuint(&w, "p50_ns", hist_percentile(&s->hist, 50));
		json_kuint(&w, "p95_ns", hist_percentile(&s->hist, 95));
		json_kuint(&w, "p99_ns", hist_percentile(&s->hist, 99));
		json_kuint(&w, "max_ns", s->max_ns);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_key(&w, "slow");
	json_arr_begin(&w);
	for (i = 0; i < t->n_slows; i++) {
		const struct dbtrace_slow *s = &t->slows[i];

		json_obj_begin(&w);
		json_kstr(&w, "statement", s->norm ? s->norm : "");
		json_kstr(&w, "text", s->text);
		json_kstr(&w, "api", api_name(s->api));
		json_kuint(&w, "ns", s->ns);
		json_kuint(&w, "rows", s->rows);
		json_kbool(&w, "error", (int)s->error);
		json_kuint(&w, "pid", s->pid);
		json_kuint(&w, "tid", s->tid);
		json_key(&w, "stack");
		json_arr_begin(&w);
		for (k = 0; k < s->n_frames; k++) {
			const struct dbtrace_frame *fr = &s->frames[k];

			json_obj_begin(&w);
			json_kstr(&w, "function", fr->function);
			if (fr->file)
				json_kstr(&w, "file", fr->file);
			json_kuint(&w, "line", fr->line);
			json_kbool(&w, "python", fr->python);
			json_obj_end(&w);
		}
		json_arr_end(&w);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	fwrite(out.buf, 1, out.len, f);
	fputc('\n', f);
	strbuf_release(&out);
}

static int cmd_db_trace(int argc, char **argv)
{
	uint64_t slow_ns = 100000000ull;
	int json = 0, status = 0, n, rc;
	long limit = 20;
	const char *output = NULL;
	FILE *f = stdout;
	const struct opt opts[] = {
		{ OPT_DURATION, 0, "slow", &slow_ns, "DUR", "log statements taking DUR or more with their stack (default 100ms)", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "print the report as JSON (kind \"db\")", NULL, 0 },
		{ OPT_STRING, 'o', "output", &output, "FILE", "write the report to FILE, not to standard output (which the program shares)", NULL, 0 },
		{ OPT_INT, 0, "limit", &limit, "N", "statements and slow entries shown (default 20, 0 = all)", NULL, 0 },
		OPT_END_(),
	};
	char agent[4096], dir[] = "/tmp/pinch-db.XXXXXX";
	struct dbtrace t;
	int ret;

	n = opt_parse(argc, argv, opts, db_usage, OPT_STOP_AT_NONOPT, NULL);
	if ((rc = cmd_opt_exit(n)) >= 0)
		return rc;
	if (n < 1) {
		fprintf(stderr, "pinch db trace: no command to run\n");
		fprintf(stderr, "hint: pinch db trace -- ./program args\n");
		return EXIT_USAGE;
	}
	if (limit < 0) {
		fprintf(stderr, "pinch db trace: --limit must be 0 or more\n");
		return EXIT_USAGE;
	}
	if (agent_find("db", "libpinch-db.so", "PINCH_DB_AGENT", agent, sizeof(agent))) {
		fprintf(stderr, "pinch db: cannot find the agent libpinch-db.so next to pinch\n");
		fprintf(stderr, "hint: set PINCH_DB_AGENT to its path\n");
		return EXIT_FAIL;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "pinch db: cannot create a working directory: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	argv[n] = NULL;
	rc = run_traced(argv, agent, dir, slow_ns, &status);
	if (rc) {
		fprintf(stderr, "pinch db: cannot start '%s': %s\n", argv[0], strerror(-rc));
		memrec_cleanup(dir);
		return EXIT_FAIL;
	}
	dbtrace_init(&t);
	rc = dbtrace_add_dir(&t, dir);
	if (!rc)
		rc = dbtrace_finish(&t);
	if (!rc)
		rc = dbtrace_symbolize(&t);
	memrec_cleanup(dir);
	if (rc) {
		fprintf(stderr, "pinch db: cannot read the agent's results: %s\n", strerror(-rc));
		dbtrace_release(&t);
		return EXIT_FAIL;
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "pinch db: %s was killed by signal %d (%s)\n", argv[0],
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		fprintf(stderr, "pinch db: %s exited with status %d\n", argv[0], WEXITSTATUS(status));
	ret = EXIT_OK;
	if (!t.n_procs && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		dbtrace_release(&t);
		return EXIT_USAGE;	/* the command could not be run: said so */
	}
	if (!t.n_procs) {
		fprintf(stderr, "pinch db: the agent did not run in %s (a static binary, or LD_PRELOAD cleared?)\n",
			argv[0]);
		ret = EXIT_FAIL;
	} else if (!t.n_stmts && !t.n_slows) {
		fprintf(stderr, "pinch db: no statements were seen: %s ran none through libpq or libsqlite3%s\n",
			argv[0], WIFSIGNALED(status) ? " before it was killed" : "");
	}
	if (output && !(f = fopen_private(output))) {
		fprintf(stderr, "pinch db: cannot write '%s': %s\n", output, strerror(errno));
		dbtrace_release(&t);
		return EXIT_FAIL;
	}
	fflush(stdout);
	if (json)
		print_json(f, &t, slow_ns, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else if (t.n_procs)
		print_text(f, &t, slow_ns, (size_t)limit);
	if (f != stdout && fclose(f)) {
		fprintf(stderr, "pinch db: cannot write '%s': %s\n", output, strerror(errno));
		ret = EXIT_FAIL;
	}
	dbtrace_release(&t);
	/* like time(1) and pinch record: the command's status, or 128 + the
	 * signal that ended it, when pinch itself had nothing to complain of */
	if (ret == EXIT_OK)
		ret = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	return ret;
}

int cmd_db_explain(int argc, char **argv);
int cmd_db_top(int argc, char **argv);

int cmd_db(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "explain"))
		return cmd_db_explain(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "top"))
		return cmd_db_top(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "trace"))
		return cmd_db_trace(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		for (size_t i = 0; db_usage[i]; i++)
			printf("%s\n", db_usage[i]);
		return EXIT_OK;
	}
	fprintf(stderr, "pinch db: %s '%s'\n", argc < 2 ? "missing subcommand" : "unknown subcommand",
		argc < 2 ? "" : argv[1]);
	fprintf(stderr, "hint: pinch db trace -- CMD, pinch db explain DSN SQL, pinch db top DSN\n");
	return EXIT_USAGE;
}
