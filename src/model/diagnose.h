/*
 * diagnose.h - pinch doctor's judgement (model layer, pure): from the
 * figures one run measured (resource use, the on-CPU profile's hottest
 * sites, off-CPU time per reason and site when the recording has it,
 * where blocked threads were found waiting, allocation sites) to the
 * bottleneck class, its site, the evidence with figures, the second and
 * third suspects and the next pinch command. No I/O: src/cmd/doctor.c
 * collects the evidence and prints the diagnosis; tests/unit/t-diagnose.c
 * feeds it evidence by hand.
 */
#ifndef PINCH_MODEL_DIAGNOSE_H
#define PINCH_MODEL_DIAGNOSE_H

#include <stddef.h>
#include <stdint.h>

enum doc_class {
	DOC_CPU = 0,		/* computing in a named function and line */
	DOC_BLOCKED_IO,		/* read/write/fsync on a file, pipe or socket */
	DOC_BLOCKED_SLEEP,	/* sleeping (nanosleep, pause) */
	DOC_BLOCKED_LOCK,	/* futex: a lock or condition variable */
	DOC_BLOCKED_POLL,	/* poll/select/epoll: waiting for events */
	DOC_BLOCKED_OTHER,	/* blocked, reason unknown */
	DOC_ALLOC,		/* allocation churn at a named site */
	DOC_FAULTS,		/* page faults (minor: fresh memory) */
	DOC_SWAP,		/* major page faults: swapping or paging from disk */
	DOC_PREEMPTED,		/* runnable but waiting for a CPU (off-CPU reason "preempted") */
	DOC_SQL,		/* statements sent to a database (libpq, libsqlite3) */
	DOC_N_CLASSES
};

/* "cpu", "blocked-io", ... (the JSON "class" value). */
const char *doc_class_name(enum doc_class c);
/* "CPU-bound", "blocked on I/O", ... (the text's headline words). */
const char *doc_class_title(enum doc_class c);

#define DOC_NAME 160
#define DOC_PATH 256

struct doc_site {
	char function[DOC_NAME];	/* "" when unknown */
	char file[DOC_PATH];
	uint32_t line;			/* 0 unknown */
	double value;			/* ns, or calls for allocation sites */
	double share;			/* of its total (0..1) */
	double line_share;		/* the line's share of that total, 0 unknown */
};

#define DOC_TOP 3
#define DOC_SQL_TEXT 512

struct doc_block {
	char syscall[32];		/* "read", "clock_nanosleep", ... */
	char object[DOC_PATH];		/* "pipe", "socket", a file path, or "" */
	double ns;			/* blocked time seen there (sampled) */
	struct doc_site site;		/* the caller in the program, when known */
	const char *site_how;		/* "stack" (scanned while blocked), "cpu-samples", NULL */
};

struct doc_evidence {
	const char *command;		/* shell words of the target, for next commands */
	int attached;			/* --pid: next commands use --pid */
	/* resource use (rusage of the launched tree, or /proc for --pid) */
	double wall_ns, user_ns, sys_ns;
	double run_delay_ns;		/* runnable, waiting for a CPU (schedstat) */
	int have_run_delay;
	uint64_t minflt, majflt, nvcsw, nivcsw, max_rss;
	/* the on-CPU profile */
	uint64_t cpu_samples;
	double cpu_sampled_ns;
	struct doc_site cpu_top[DOC_TOP];	/* hottest functions (self), line of each */
	double alloc_cpu_ns;		/* of it in the allocator (malloc, free, ...) */
	struct doc_site alloc_caller;	/* the allocator's hottest caller */
	double fault_cpu_ns;		/* in the kernel's page-fault path (kernel stacks) */
	struct doc_site fault_site;	/* where the faults were taken */
	int kernel_sampled;
	/* off-CPU ([off: REASON] samples of a --wall recording) */
	int have_offcpu;
	double on_cpu_ns, off_cpu_ns;	/* off: blocked, preemption left out */
	double preempted_ns;		/* [off: preempted] */
	struct doc_offsite {
		char reason[16];
		struct doc_site site;
	} off_top[DOC_TOP];
	/* blocked threads seen by polling /proc (task state, syscall) */
	int have_blocked;
	double blocked_ns;		/* all blocked time seen */
	struct doc_block blocked[DOC_TOP];	/* by syscall, most first */
	/* database statements: samples taken inside a database client
	 * library (libpq, libsqlite3), on and off CPU; and, when pinch db
	 * trace's agent ran with the program, the statements it timed */
	double sql_cpu_ns, sql_off_ns;
	char sql_lib[32];		/* the most sampled library: "libpq", "libsqlite3" */
	struct doc_site sql_site;	/* the program frame that called into it */
	struct doc_sqlwait {
		char reason[16];	/* an off-CPU reason inside the statements: "fsync", "poll" */
		double ns;
	} sql_wait[DOC_TOP];
	int have_sql;			/* the agent ran */
	uint64_t sql_calls, sql_distinct, sql_errors;
	double sql_total_ns;		/* all statements' time (summed over threads) */
	struct doc_sql {
		char text[DOC_SQL_TEXT];	/* normalized (literals as ?) */
		char api[16];			/* "postgres", "sqlite" */
		uint64_t calls, errors, rows;
		double total_ns, max_ns;
		struct doc_site site;		/* where a slow call of it was issued, when logged */
	} sql_top[DOC_TOP];
	/* allocations (--mem) */
	int have_mem;
	uint64_t alloc_calls, alloc_bytes;
	double mem_wall_ns;
	struct doc_site mem_top[DOC_TOP];	/* value = allocation calls */
};

struct doc_finding {
	enum doc_class cls;
	double share;			/* estimated share of wall time (0..1) */
	struct doc_site site;		/* function "" when none */
	char evidence[768];
	char next[768];
};

struct doc_diagnosis {
	struct doc_finding f[DOC_TOP];	/* f[0] the bottleneck */
	int n;
	double cpu_util;		/* (user + sys) / wall */
	double run_delay_share;		/* of wall: runnable, waiting for a CPU */
	char note[512];			/* "" or a line about preemption */
};

/* The reason class of a blocking syscall name ("read" -> DOC_BLOCKED_IO). */
enum doc_class doc_syscall_class(const char *syscall);
/* The class of an off-CPU reason ("sleep", "futex", "io", ...). */
enum doc_class doc_offcpu_class(const char *reason);

/* Adds what profile p (pinch record's, values: samples, cpu ns) shows to
 * e: CPU samples and time, the top functions with their hottest line,
 * allocator and page-fault time with their sites, and, when it has
 * "[off: REASON]" leaves (record --wall), on/off-CPU time and the biggest
 * (reason, call site) pairs (diagnose_prof.c). */
struct profile;
void doc_read_profile(const struct profile *p, struct doc_evidence *e);
/* The program frame that called the blocking syscall sys, from p's
 * on-CPU samples inside its libc wrapper (usleep -> clock_nanosleep...);
 * out->function stays "" when none. */
void doc_block_site(const struct profile *p, const char *sys, struct doc_site *out);

/* Adds a memory profile's (memprof_profile) allocation calls, bytes and
 * top three sites by calls (leaf location: function and line) to e. */
void doc_read_mem_profile(const struct profile *mem, struct doc_evidence *e);

/* Fills d from e; always succeeds (an empty run gives n = 0). */
void doc_diagnose(const struct doc_evidence *e, struct doc_diagnosis *d);

#endif
