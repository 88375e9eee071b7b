/*
 * cpu.h - the CPU sampler behind `pinch record` (collect layer). Runs or
 * attaches to a program, samples it with perf_event cpu-clock (one event
 * per CPU, inherited by threads and children, ring buffers merged by
 * timestamp) or, when the kernel refuses, with the LD_PRELOAD fallback
 * agent (src/agent/cpu), and writes a REC_KIND_CPU recording
 * (src/model/recfile.h). Never prints; the command prints.
 */
#ifndef PINCH_COLLECT_CPU_H
#define PINCH_COLLECT_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct strbuf;

enum cpu_mode {
	CPU_MODE_AUTO = 0,	/* perf_event, else the agent (launch mode only) */
	CPU_MODE_PERF,
	CPU_MODE_AGENT,
};

enum cpu_call_graph {
	CPU_CG_FP = 0,		/* frame-pointer chains + IP/SP/BP + a small stack slice */
	CPU_CG_DWARF,		/* all user registers + a large stack copy */
	CPU_CG_CFI,		/* as dwarf, unwound while recording: addresses stored */
};

/* The mode's name in headers and the recording's call_graph meta value. */
static inline const char *cpu_call_graph_name(enum cpu_call_graph cg)
{
	return cg == CPU_CG_CFI ? "cfi" : cg == CPU_CG_DWARF ? "dwarf" : "fp";
}

enum cpu_offcpu {
	CPU_OFFCPU_NONE = 0,	/* on-CPU samples only */
	CPU_OFFCPU_ONLY,	/* --off-cpu: the profile shows blocked time */
	CPU_OFFCPU_WALL,	/* --wall: on-CPU and blocked time in one profile */
};

#define CPU_FREQ_DEFAULT 999
#define CPU_FREQ_MAX 100000
#define CPU_STACK_FP_DEFAULT 512
#define CPU_STACK_DWARF_DEFAULT 8192
#define CPU_STACK_MAX 65528
#define CPU_STACK_SWITCH_DEFAULT 2048	/* --off-cpu: per context switch */

struct cpu_record_config {
	unsigned freq;			/* samples per CPU-second */
	enum cpu_call_graph call_graph;
	uint32_t stack_size;		/* bytes of user stack per sample; 0: default */
	enum cpu_mode mode;
	pid_t pid;			/* > 0: attach to this process */
	uint64_t duration_ns;		/* 0: until the target ends (or a signal) */
	char *const *argv;		/* launch: the command (argv[0] as given) */
	const char *exe_path;		/* launch: argv[0] resolved (cpu_resolve_command) */
	const char *command_line;	/* for the "command" meta entry */
	const char *output;		/* recording path */
	const char *agent_path;		/* libpinch-cpuagent.so, for the fallback */
	int python;			/* 1: also read the target's Python stacks (pysampler.h) */
	int idle;			/* 1: also sample waiting Python threads (off-CPU) */
	int user_only;			/* 1: never sample kernel stacks (--user-only) */
	int task_clock;			/* 1: the task-clock event instead of cpu-clock */
	enum cpu_offcpu offcpu;		/* also record blocked time (--off-cpu, --wall) */
	/* Attached: 1 also samples the process's descendants, present and
	 * future (--subprocesses). A launched command's descendants are
	 * always sampled (perf inherits), and their Python stacks read. */
	int subprocesses;
	/* Called once when sampling starts, with a one-line description of
	 * the mode (the command prints it). May be NULL. */
	void (*on_start)(void *ctx, const char *what);
	void *ctx;
};

struct cpu_record_result {
	enum cpu_mode mode;		/* the mode actually used */
	uint64_t samples;
	uint64_t lost;			/* samples the kernel or agent dropped */
	uint64_t bytes;			/* size of the recording */
	int exit_status;		/* of the launched command; -1 if attached or unknown */
	int term_signal;		/* signal that ended it, or 0 */
	int before_start;		/* the failure happened before anything ran */
	int timed_out;			/* --duration ended it (a launched command got SIGTERM) */
	int perf_errno;			/* why perf_event_open was refused (0: it was not) */
	int output_failed;		/* the recording file could not be created */
	int kernel;			/* kernel stacks were sampled */
	uint64_t switches;		/* context-switch records (--off-cpu, --wall) */
	uint64_t offcpu_stacks;		/* ... and stacks sampled at switch-out */
	int maps_failed;		/* /proc/PID/maps of the attached process was unreadable */
	/* Python (cfg.python): what was found, or why it could not be read. */
	int python_state;		/* enum py_sampler_state; 0 = no python found */
	uint64_t python_stacks, python_unreadable;
	double python_read_us;		/* mean time of one stack read */
	char python[768];
};

/*
 * Records until the launched command exits (or, attached, until the
 * process exits, the duration ends, or SIGINT/SIGTERM arrive). While a
 * launched command runs, SIGINT and SIGQUIT are left to it (the terminal
 * delivers them to both) and SIGTERM/SIGHUP are forwarded to it.
 * Returns 0 or -errno, with a one-line reason in err:
 *  -ESRCH   the PID does not exist;
 *  -EACCES/-EPERM  perf_event_open refused (see cpu_perf_hint());
 *  other    the output could not be written, fork failed, ...
 */
int cpu_record(const struct cpu_record_config *cfg, struct cpu_record_result *res, char *err,
	       size_t errlen);

/* Resolves a command name like execvp() would (PATH search when it has no
 * slash) into path. 0, -ENOENT, -EACCES (not executable) or -EISDIR. */
int cpu_resolve_command(const char *name, struct strbuf *path);

/* One line of advice for a perf_event_open refusal (rc < 0), e.g. about
 * kernel.perf_event_paranoid or ptrace permission when attaching. */
void cpu_perf_hint(int rc, int attach, char *buf, size_t len);

#endif
