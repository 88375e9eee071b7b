/*
 * record.c - `pinch record`: sample a command or a running process into a
 * recording file. Parses options, checks them, calls cpu_record()
 * (src/collect/cpu.h) and prints the mode line and the summary.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collect/cpu.h"
#include "core/clock.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "core/banned.h"

static const char *const record_usage[] = {
	"usage: pinch record [<options>] [--] <command> [<args>...]",
	"   or: pinch record [<options>] --pid <pid> [--duration <time>]",
	"",
	"Samples where a program spends its CPU time (perf_event cpu-clock, or an",
	"in-process agent where the kernel refuses) into a recording for 'pinch report'.",
	NULL,
};

static void print_start(void *ctx, const char *what)
{
	(void)ctx;
	fprintf(stderr, "pinch record: %s\n", what);
	fflush(stderr);
}

/* The agent sits next to the binary in a build tree, or in lib/pinch. */
static int find_agent(struct strbuf *out)
{
	static const char *const rel[] = {
		"/src/agent/cpu/libpinch-cpuagent.so",
		"/../lib/pinch/libpinch-cpuagent.so",
		"/../lib/x86_64-linux-gnu/pinch/libpinch-cpuagent.so",
	};
	char exe[PATH_MAX];
	const char *env = getenv("PINCH_CPUAGENT_LIB");
	ssize_t n;
	size_t i;
	char *slash;

	if (env && *env) {
		strbuf_addstr(out, env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		strbuf_reset(out);
		strbuf_addf(out, "%s%s", exe, rel[i]);
		if (access(out->buf, R_OK) == 0)
			return 0;
	}
	strbuf_reset(out);
	strbuf_addf(out, "%s%s", exe, rel[0]);
	return -ENOENT;
}

static void default_output(struct strbuf *out)
{
	char stamp[64];
	const char *p;

	clock_format_utc(clock_real_ns(), stamp, sizeof(stamp));
	strbuf_addstr(out, "pinch-");
	for (p = stamp; *p; p++) {
		if (*p >= '0' && *p <= '9')
			strbuf_addch(out, *p);
		else if (*p == ' ')
			strbuf_addch(out, '-');
	}
	strbuf_addstr(out, ".rec");
}

/* Does executing path change our credentials (a setuid/setgid file owned
 * by someone else than who we are)? */
static int setuid_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	return ((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	       ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getegid());
}

int cmd_record(int argc, char **argv)
{
	long freq = CPU_FREQ_DEFAULT, pid = 0;
	const char *output = NULL, *call_graph = "cfi", *stack = NULL, *mode = "auto";
	uint64_t duration = 0, stack_bytes = 0;
	int quiet = 0, nargs, rc, status = EXIT_OK, no_python = 0, idle = 0, gflag = 0, user_only = 0;
	int off_cpu = 0, wall = 0;
	int subprocesses = 0;
	const char *event = "cpu-clock";
	struct opt opts[] = {
		{ OPT_INT, 'F', "freq", &freq, "hz", "samples per CPU-second (default 999, max 100000)", NULL, 0 },
		{ OPT_STRING, 'o', "output", &output, "file", "recording to write (default pinch-YYYYMMDD-HHMMSS.rec)", NULL, 0 },
		{ OPT_STRING, 0, "call-graph", &call_graph, "cfi|fp|dwarf[,SIZE]", "how stacks are unwound (default cfi: whole stacks, addresses stored); SIZE: stack bytes per sample", NULL, 0 },
		{ OPT_FLAG, 'g', NULL, &gflag, NULL, "record call graphs (always on; perf's -g, kept for habit)", NULL, 0 },
		{ OPT_STRING, 'e', "event", &event, "cpu-clock|task-clock", "the sampling clock (default cpu-clock)", NULL, 0 },
		{ OPT_FLAG, 0, "off-cpu", &off_cpu, NULL, "record where threads block, and why (the profile shows blocked time)", NULL, 0 },
		{ OPT_FLAG, 0, "wall", &wall, NULL, "record on-CPU and blocked time in one profile (wall-clock time)", NULL, 0 },
		{ OPT_FLAG, 0, "user-only", &user_only, NULL, "do not sample kernel stacks", NULL, 0 },
		{ OPT_STRING, 0, "stack-size", &stack, "bytes", "user stack copied per sample (cfi and dwarf 8k, fp 512)", NULL, 0 },
		{ OPT_INT, 'p', "pid", &pid, "pid", "profile this running process (all its threads)", NULL, 0 },
		{ OPT_DURATION, 'd', "duration", &duration, "time", "stop after this long (e.g. 10s)", NULL, 0 },
		{ OPT_STRING, 0, "mode", &mode, "auto|perf|agent", "sampler: perf_event, the LD_PRELOAD agent, or auto", NULL, 0 },
		{ OPT_FLAG, 0, "subprocesses", &subprocesses, NULL, "with --pid: also its children and their descendants, present and future (a command's are always recorded)", NULL, 0 },
		{ OPT_FLAG, 0, "no-python", &no_python, NULL, "do not read Python stacks (CPython 3.11 targets)", NULL, 0 },
		{ OPT_FLAG, 0, "idle", &idle, NULL, "also sample waiting Python threads (off-CPU)", NULL, 0 },
		{ OPT_FLAG, 'q', "quiet", &quiet, NULL, "print nothing but errors", NULL, 0 },
		OPT_END_(),
	};
	struct cpu_record_config cfg;
	struct cpu_record_result res;
	struct strbuf exe = STRBUF_INIT, out = STRBUF_INIT, agent = STRBUF_INIT, cmdline = STRBUF_INIT;
	char err[512], hint[512];
	int i;

	nargs = opt_parse(argc, argv, opts, record_usage, OPT_STOP_AT_NONOPT, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	memset(&cfg, 0, sizeof(cfg));
	if (freq < 1 || freq > CPU_FREQ_MAX) {
		fprintf(stderr, "pinch record: bad frequency '%ld': expected 1 to %d samples per second\n",
			freq, CPU_FREQ_MAX);
		return EXIT_USAGE;
	}
	cfg.freq = (unsigned)freq;
	(void)gflag;	/* -g asks for the default */
	{
		/* perf's form: fp, dwarf or dwarf,SIZE */
		size_t n = strcspn(call_graph, ",");

		if (n == 2 && !strncmp(call_graph, "fp", 2)) {
			cfg.call_graph = CPU_CG_FP;
		} else if (n == 5 && !strncmp(call_graph, "dwarf", 5)) {
			cfg.call_graph = CPU_CG_DWARF;
		} else if (n == 3 && !strncmp(call_graph, "cfi", 3)) {
			cfg.call_graph = CPU_CG_CFI;
		} else {
			fprintf(stderr, "pinch record: bad call graph '%s': expected cfi, fp, dwarf or dwarf,SIZE\n",
				call_graph);
			return EXIT_USAGE;
		}
		if (call_graph[n]) {
			if (stack) {
				fprintf(stderr, "pinch record: give the stack size once: --call-graph %s or --stack-size\n",
					call_graph);
				return EXIT_USAGE;
			}
			stack = call_graph + n + 1;
		}
	}
	if (!strcmp(event, "task-clock")) {
		cfg.task_clock = 1;
	} else if (strcmp(event, "cpu-clock")) {
		fprintf(stderr, "pinch record: unsupported event '%s': expected cpu-clock or task-clock\n", event);
		fprintf(stderr, "hint: pinch samples with software clocks; hardware counters such as cycles are not supported\n");
		return EXIT_USAGE;
	}
	cfg.user_only = user_only;
	if (off_cpu && wall) {
		fprintf(stderr, "pinch record: give --off-cpu or --wall, not both (--wall includes the blocked time)\n");
		return EXIT_USAGE;
	}
	cfg.offcpu = wall ? CPU_OFFCPU_WALL : off_cpu ? CPU_OFFCPU_ONLY : CPU_OFFCPU_NONE;
	if (cfg.offcpu && !strcmp(mode, "agent")) {
		fprintf(stderr, "pinch record: --%s needs perf_event: the agent cannot see context switches\n",
			wall ? "wall" : "off-cpu");
		return EXIT_USAGE;
	}
	if (stack) {
		if (opt_parse_size(stack, &stack_bytes) || stack_bytes == 0 ||
		    stack_bytes > CPU_STACK_MAX) {
			fprintf(stderr, "pinch record: bad stack size '%s': expected 8 to %d bytes\n",
				stack, CPU_STACK_MAX);
			return EXIT_USAGE;
		}
		cfg.stack_size = (uint32_t)((stack_bytes + 7) & ~7ull);
	}
	if (!strcmp(mode, "auto")) {
		cfg.mode = CPU_MODE_AUTO;
	} else if (!strcmp(mode, "perf")) {
		cfg.mode = CPU_MODE_PERF;
	} else if (!strcmp(mode, "agent")) {
		cfg.mode = CPU_MODE_AGENT;
	} else {
		fprintf(stderr, "pinch record: bad mode '%s': expected auto, perf or agent\n", mode);
		return EXIT_USAGE;
	}
	if (pid && nargs) {
		fprintf(stderr, "pinch record: give either --pid or a command, not both\n");
		return EXIT_USAGE;
	}
	if (!pid && !nargs) {
		fprintf(stderr, "pinch record: nothing to record: give a command or --pid\n");
		fprintf(stderr, "hint: pinch record -- ./myprogram args\n");
		return EXIT_USAGE;
	}
	if (pid < 0 || pid > INT_MAX) {
		fprintf(stderr, "pinch record: bad pid '%ld'\n", pid);
		return EXIT_USAGE;
	}
	cfg.pid = (pid_t)pid;
	cfg.duration_ns = duration;
	if (nargs) {
		rc = cpu_resolve_command(argv[0], &exe);
		if (rc) {
			fprintf(stderr, "pinch record: cannot run '%s': %s\n", argv[0],
				rc == -EISDIR ? "Is a directory" : strerror(-rc));
			if (rc == -ENOENT && !strchr(argv[0], '/'))
				fprintf(stderr, "hint: it is not in $PATH; give a path such as ./%s\n",
					argv[0]);
			strbuf_release(&exe);
			return EXIT_USAGE;
		}
		cfg.argv = argv;
		cfg.exe_path = exe.buf;
		for (i = 0; i < nargs; i++)
			strbuf_addf(&cmdline, "%s%s", i ? " " : "", argv[i]);
		cfg.command_line = cmdline.buf;
	}
	if (output)
		strbuf_addstr(&out, output);
	else
		default_output(&out);
	cfg.output = out.buf;
	find_agent(&agent);
	cfg.agent_path = agent.buf;
	cfg.on_start = quiet ? NULL : print_start;
	cfg.python = !no_python;
	cfg.idle = idle;
	cfg.subprocesses = subprocesses;

	rc = cpu_record(&cfg, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch record: %s\n", err);
		hint[0] = '\0';
		if (res.maps_failed) {
			fprintf(stderr, "hint: reading a process's maps needs ptrace access to it: run as its user or as root (see also kernel.yama.ptrace_scope and /proc's hidepid)\n");
			status = EXIT_FAIL;
			goto out;
		}
		if (res.output_failed) {
			fprintf(stderr, "hint: write the recording elsewhere with -o FILE\n");
			status = EXIT_USAGE;
			goto out;
		}
		if (rc == -EACCES || rc == -EPERM || rc == -ENOSYS || rc == -ENOENT ||
		    rc == -EOPNOTSUPP || rc == -EMFILE)
			cpu_perf_hint(rc, cfg.pid > 0, hint, sizeof(hint));
		if (hint[0] && (res.perf_errno || cfg.pid > 0))
			fprintf(stderr, "hint: %s\n", hint);
		if (rc == -ESRCH)
			fprintf(stderr, "hint: 'ps -e' lists the running processes\n");
		/* A bad PID or command is a usage error; a kernel refusing
		 * perf_event for our own child is a failure of the environment. */
		status = res.before_start && (cfg.pid > 0 || !res.perf_errno) ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (res.timed_out && !quiet)
		fprintf(stderr, "pinch record: stopped the command after the duration (SIGTERM)\n");
	else if (res.term_signal)
		fprintf(stderr, "pinch record: the command was killed by signal %d (%s)\n",
			res.term_signal, strsignal(res.term_signal));
	if (res.python_state == 2)	/* PY_SAMPLER_UNSUPPORTED: native frames still recorded */
		fprintf(stderr, "pinch record: no python frames: %s\n", res.python);
	else if (!quiet && res.python_state == 1)	/* PY_SAMPLER_READING */
		fprintf(stderr, "pinch record: %s: %llu stack changes read (%.0f us each), %llu unreadable\n",
			res.python, (unsigned long long)res.python_stacks, res.python_read_us,
			(unsigned long long)res.python_unreadable);
	if (!quiet) {
		struct strbuf size = STRBUF_INIT;

		strbuf_add_bytes(&size, (double)res.bytes);
		if (cfg.offcpu)
			fprintf(stderr, "pinch record: wrote '%s' (%llu sample%s, %llu context switches, %llu blocked stacks, %llu lost, %s)\n",
				out.buf, (unsigned long long)res.samples, res.samples == 1 ? "" : "s",
				(unsigned long long)res.switches, (unsigned long long)res.offcpu_stacks,
				(unsigned long long)res.lost, size.buf);
		else
			fprintf(stderr, "pinch record: wrote '%s' (%llu sample%s, %llu lost, %s)\n", out.buf,
				(unsigned long long)res.samples, res.samples == 1 ? "" : "s",
				(unsigned long long)res.lost, size.buf);
		strbuf_release(&size);
	}
	if (!res.samples && nargs && setuid_exec(exe.buf)) {
		/* The kernel stops sampling a task whose credentials change at
		 * exec: nothing of it can be recorded, and a silent empty
		 * recording would look like an idle program. */
		fprintf(stderr, "pinch record: no samples: '%s' is set-user-ID or set-group-ID, and the kernel stops sampling a program that gains privileges through exec\n",
			exe.buf);
		fprintf(stderr, "hint: run pinch as the program's owner (or root), or record a copy without the setuid bit\n");
		status = EXIT_FAIL;
		goto out;
	}
	/* Like time(1): pinch exits with the command's status (unless
	 * --duration stopped it, which is what was asked for). */
	if (res.timed_out)
		status = EXIT_OK;
	else if (res.term_signal)
		status = 128 + res.term_signal;
	else if (res.exit_status > 0)
		status = res.exit_status;
out:
	strbuf_release(&exe);
	strbuf_release(&out);
	strbuf_release(&agent);
	strbuf_release(&cmdline);
	return status;
}
