/*
 * dbtrace.h - reads what pinch db trace's agent wrote (src/agent/db/
 * wire.h) back in (collect layer): per statement across every process
 * the calls, errors, rows, total/max time and a hist.h histogram; the
 * slow log with each statement's stack symbolized through the common
 * symbolizer (memprof_profile: native frames, or the Python frames when
 * the stack has them). The files come from inside the traced program:
 * nothing in them is trusted.
 */
#ifndef PINCH_COLLECT_DBTRACE_H
#define PINCH_COLLECT_DBTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "model/hist.h"

struct dbtrace_stmt {
	char *text;		/* normalized; "(other statements)" for the overflow */
	uint32_t api;		/* enum dbw_api */
	uint64_t calls, errors, rows, total_ns, max_ns;
	struct hist hist;
};

struct dbtrace_frame {
	char *function;
	char *file;		/* NULL when unknown */
	uint32_t line;
	int python;
};

struct dbtrace_slow {
	uint64_t ns, rows, end_mono_ns;
	uint32_t pid, tid, api, error;
	char *text;		/* the statement as issued (cut at 4 KiB) */
	char *norm;		/* its normalized form */
	uint64_t *ips;
	uint32_t nr;
	size_t proc;		/* index into procs */
	struct dbtrace_frame *frames;	/* after dbtrace_symbolize */
	size_t n_frames;
};

struct dbtrace_proc;

struct dbtrace {
	struct dbtrace_stmt *stmts;
	size_t n_stmts;
	struct dbtrace_slow *slows;
	size_t n_slows;
	struct dbtrace_proc **procs;
	size_t n_procs;
	size_t n_ended;		/* processes whose figures were written at exit */
	uint64_t untracked;
	int torn;		/* some file ended inside a record or held garbage */
};

void dbtrace_init(struct dbtrace *t);
void dbtrace_release(struct dbtrace *t);
/* Adds one agent file's bytes. 0, or -ENOMEM. Bad bytes end the file
 * (t->torn) but keep what came before. */
int dbtrace_add(struct dbtrace *t, const void *buf, size_t len);
/* Adds every *.db file of dir. 0 or -errno. */
int dbtrace_add_dir(struct dbtrace *t, const char *dir);
/* Merges equal statements of all processes and sorts them by total time,
 * slow statements by duration. 0 or -ENOMEM. */
int dbtrace_finish(struct dbtrace *t);
/* Symbolizes the slow statements' stacks. 0 or -ENOMEM. */
int dbtrace_symbolize(struct dbtrace *t);

#endif
