/*
 * tracerec.h - pinch trace's collector (collect layer): checks that a
 * program is built with -finstrument-functions, runs it with the agent
 * (src/agent/trace) and turns the agent's per-process files into one
 * REC_KIND_TRACE recording (src/agent/trace/wire.h).
 */
#ifndef PINCH_COLLECT_TRACEREC_H
#define PINCH_COLLECT_TRACEREC_H

#include <stddef.h>
#include <stdint.h>

struct rec_writer;

/*
 * Resolves cmd through PATH into path and checks the agent can trace it:
 * a dynamically linked ELF program whose dynamic symbol table has the
 * undefined __cyg_profile_func_enter of -finstrument-functions. Returns
 * 0, -ENOENT (not found), -EACCES, -EINVAL (not ELF: a script, say),
 * -ENOEXEC (statically linked), -ENOTSUP (not instrumented); err gets a
 * one-line reason.
 */
int tracerec_check_target(const char *cmd, char *path, size_t pathlen, char *err, size_t errlen);

/* Finds libpinch-trace.so next to the running pinch (build or install
 * tree) or in $PINCH_TRACE_AGENT. 0 or -ENOENT. */
int tracerec_find_agent(char *path, size_t len);

/*
 * Function name patterns (fnmatch, or a plain substring) turned into the
 * agent's filter list: the link-time addresses of the program's functions
 * (its .symtab/.dynsym) that match an --filter ('i') or --exclude ('x')
 * pattern, as "i:HEX,x:HEX". Returns the number of functions matched, or
 * -errno.
 */
struct strbuf;
int tracerec_filter(const char *exe, const char *const *incl, size_t nincl,
		    const char *const *excl, size_t nexcl, struct strbuf *out, char *err,
		    size_t errlen);

struct tracerec_opts {
	char **argv;		/* argv[0] resolved */
	const char *agent;
	const char *dir;	/* where the agent writes (exists, empty) */
	const char *filter;	/* tracerec_filter() output, or NULL */
	int counts;		/* counts only: no events */
	long depth;		/* 0 = unlimited */
	uint64_t min_ns;	/* drop calls shorter than this (events mode) */
	const char *clock;	/* "tsc" (default on x86-64) or "ns" */
};

struct tracerec_result {
	int exit_status;	/* -1 when killed by a signal */
	int term_signal;
	uint64_t start_mono_ns, end_mono_ns;
};

/* Runs the command with the agent and waits (SIGINT/SIGQUIT reach the
 * command from the terminal; SIGTERM/SIGHUP are passed on). 0 once it
 * ended, or -errno when it could not be started. */
int tracerec_run(const struct tracerec_opts *o, struct tracerec_result *res, char *err,
		 size_t errlen);

/* Copies every agent file of dir into w (in pid, exec order): TRW_PROC,
 * REC_MMAP for its executable maps, its records; then REC_FINISH.
 * Returns the number of processes, or -errno (-ENODATA: nothing). */
int tracerec_write(const char *dir, const struct tracerec_result *res, struct rec_writer *w,
		   char *err, size_t errlen);

void tracerec_cleanup(const char *dir);

#endif
