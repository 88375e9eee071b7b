/*
 * syscalls.c - `pinch syscalls`: strace -c's table for a command and all
 * its threads and children (calls, errors, time, latency percentiles),
 * counted in the kernel by eBPF, or by seccomp-filtered ptrace when BPF
 * is refused; --trace lists the calls of a group with their paths and
 * addresses decoded, like strace -e trace=file.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/sys_target.h"
#include "collect/syscalls.h"
#include "core/clock.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "view/view_syscalls.h"
#include "core/banned.h"

static const char *const syscalls_usage[] = {
	"usage: pinch syscalls [<options>] -- <command> [<args>...]",
	"   or: pinch syscalls [<options>] --pid <pid> [--duration <time>]",
	"",
	"Counts the system calls of a command and all its threads and children",
	"(strace -c's table with p50/p99/max latency), in the kernel with eBPF,",
	"or with seccomp-filtered ptrace when BPF is refused (not root). The",
	"header names the mechanism that ran.",
	"",
	"  -e NAME[,NAME...]   count only these syscalls (or the groups file, net, process)",
	"  --trace GROUP[,..]  list each call of file, net, process or all, decoded",
	NULL,
};

struct trace_out {
	FILE *f;
	uint64_t t0;
	uint64_t n;
	struct strbuf line;
};

static void on_event(void *ctx, const struct sysc_event *e)
{
	struct trace_out *t = ctx;

	if (!t->t0)
		t->t0 = e->start_ns;
	strbuf_reset(&t->line);
	sysc_render_event(e, t->t0, &t->line);
	fwrite(t->line.buf, 1, t->line.len, t->f);
	t->n++;
}

/* "open,close,file" -> flags; -1 with a message listing the valid names */
static int parse_filter(const char *arg, unsigned char *only)
{
	char *dup = strdup(arg), *save = NULL, *tok;
	int rc = 0;

	if (!dup)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int g = sysc_group(tok), nr;

		if (g) {
			for (unsigned i = 0; i < SYSC_MAX_NR; i++)
				if (sysc_in_groups(i, g))
					only[i] = 1;
			continue;
		}
		nr = sysc_number(tok);
		if (nr < 0 || nr >= SYSC_MAX_NR) {
			struct strbuf names = STRBUF_INIT;

			sysc_list_names(&names);
			fprintf(stderr, "pinch syscalls: unknown syscall '%s'\n", tok);
			fprintf(stderr, "hint: the groups are file, net, process, all; the syscalls of this machine are: %s\n",
				names.buf);
			strbuf_release(&names);
			rc = -1;
			break;
		}
		only[nr] = 1;
	}
	free(dup);
	return rc;
}

static int parse_groups(const char *arg)
{
	char *dup = strdup(arg), *save = NULL, *tok;
	int mask = 0;

	if (!dup)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int g = sysc_group(tok);

		if (!g) {
			fprintf(stderr, "pinch syscalls: unknown --trace group '%s'\n", tok);
			fprintf(stderr, "hint: the groups are file, net, process and all\n");
			free(dup);
			return -1;
		}
		mask |= g;
	}
	free(dup);
	return mask;
}

int cmd_syscalls(int argc, char **argv)
{
	long pid = 0;
	uint64_t duration = 0;
	int json = 0, nargs, rc, status = EXIT_OK;
	const char *filter = NULL, *trace = NULL, *mech = NULL, *output = NULL, *trace_file = NULL;
	struct opt opts[] = {
		{ OPT_INT, 'p', "pid", &pid, "pid", "watch a running process (and its children) instead", NULL, 0 },
		{ OPT_DURATION, 'd', "duration", &duration, "time", "stop after this long (a launched command gets SIGTERM)", NULL, 0 },
		{ OPT_STRING, 'e', "filter", &filter, "names", "count only these syscalls or groups (comma-separated)", NULL, 0 },
		{ OPT_STRING, 't', "trace", &trace, "groups", "list the calls of file, net, process or all", NULL, 0 },
		{ OPT_STRING, 0, "trace-output", &trace_file, "file", "write the --trace lines to this file (default stderr)", NULL, 0 },
		{ OPT_STRING, 'm', "mechanism", &mech, "bpf|ptrace", "force one mechanism (default: bpf, else ptrace)", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "print the table as JSON (\"kind\": \"syscalls\")", NULL, 0 },
		{ OPT_STRING, 'o', "output", &output, "file", "also write the JSON result to this file", NULL, 0 },
		OPT_END_(),
	};
	static unsigned char only[SYSC_MAX_NR];
	struct sysc_config cfg;
	struct sysc_result *res;
	struct trace_out to = { 0 };
	struct strbuf out = STRBUF_INIT, exe = STRBUF_INIT, cmdline = STRBUF_INIT, js = STRBUF_INIT;
	char err[512];

	nargs = opt_parse(argc, argv, opts, syscalls_usage, OPT_STOP_AT_NONOPT, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if ((pid && nargs) || (!pid && !nargs)) {
		fprintf(stderr, "pinch syscalls: give either --pid or a command\n");
		fprintf(stderr, "hint: pinch syscalls -- ls -l, or pinch syscalls --pid 1234 --duration 10s\n");
		return EXIT_USAGE;
	}
	if (pid < 0 || pid > INT_MAX) {
		fprintf(stderr, "pinch syscalls: bad --pid %ld\n", pid);
		return EXIT_USAGE;
	}
	memset(&cfg, 0, sizeof(cfg));
	if (mech) {
		if (!strcmp(mech, "bpf"))
			cfg.mechanism = SYSC_MECH_BPF;
		else if (!strcmp(mech, "ptrace"))
			cfg.mechanism = SYSC_MECH_PTRACE;
		else {
			fprintf(stderr, "pinch syscalls: unknown --mechanism '%s' (bpf or ptrace)\n", mech);
			return EXIT_USAGE;
		}
	}
	memset(only, 0, sizeof(only));
	if (filter) {
		if (parse_filter(filter, only) < 0)
			return EXIT_USAGE;
		cfg.only = only;
	}
	if (trace) {
		cfg.trace = parse_groups(trace);
		if (cfg.trace < 0)
			return EXIT_USAGE;
		to.f = stderr;
		if (trace_file) {
			to.f = fopen_private(trace_file);
			if (!to.f) {
				fprintf(stderr, "pinch syscalls: cannot write %s: %s\n", trace_file, strerror(errno));
				return EXIT_FAIL;
			}
		}
		cfg.on_event = on_event;
		cfg.ctx = &to;
	}
	cfg.pid = (pid_t)pid;
	cfg.duration_ns = duration;
	rc = sys_target_prepare("syscalls", nargs, argv, pid, &exe, &cmdline);
	if (rc >= 0) {
		strbuf_release(&exe);
		strbuf_release(&cmdline);
		return rc;
	}
	if (nargs) {
		cfg.argv = argv;
		cfg.exe_path = exe.buf;
	}
	res = calloc(1, sizeof(*res));
	if (!res)
		return EXIT_FAIL;
	rc = sysc_run(&cfg, res, err, sizeof(err));
	if (to.f && to.f != stderr)
		fclose(to.f);
	strbuf_release(&to.line);
	if (rc) {
		fprintf(stderr, "pinch syscalls: %s\n", err);
		if (res->bpf_refused[0] && strcmp(res->bpf_refused, err))
			fprintf(stderr, "pinch syscalls: (BPF: %s)\n", res->bpf_refused);
		status = rc == -ENOENT || rc == -EACCES ? EXIT_USAGE : EXIT_FAIL;
		if (!res->mechanism)
			goto done;
		/* what was counted before the failure */
	}
	if (json || output)
		sysc_render_json(res, cmdline.buf, &js);
	if (json)
		strbuf_add(&out, js.buf, js.len);
	else
		sysc_render_table(res, cmdline.buf, &out);
	fwrite(out.buf, 1, out.len, json ? stdout : stderr);
	if (output && strbuf_write_file(&js, output) < 0) {
		fprintf(stderr, "pinch syscalls: cannot write %s: %s\n", output, strerror(errno));
		status = EXIT_FAIL;
	}
	if (status == EXIT_OK && res->launched) {
		if (res->term_signal)
			status = 128 + res->term_signal;
		else if (res->exit_status > 0)
			status = res->exit_status;
	}
done:
	free(res);
	strbuf_release(&out);
	strbuf_release(&js);
	strbuf_release(&exe);
	strbuf_release(&cmdline);
	return status;
}
