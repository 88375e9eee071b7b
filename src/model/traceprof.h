/*
 * traceprof.h - a pinch trace recording (REC_KIND_TRACE) turned into exact
 * per-function figures (model layer, report side). Replays each thread's
 * enter/exit events (src/agent/trace/wire.h) into a calling-context tree,
 * or takes the tree the agent aggregated in counts-only mode; memory is
 * bounded by the number of distinct call paths, not by the number of
 * calls. Function addresses are symbolized at the end through the common
 * symbolizer (symbols.h).
 *
 * From the trees: cProfile's figures per function (ncalls and primitive
 * calls, tottime, cumtime counted once per outermost call) and per call
 * edge, merged over threads or for one thread, and a struct profile with
 * the sample types calls, self time and total time for the common views.
 */
#ifndef PINCH_MODEL_TRACEPROF_H
#define PINCH_MODEL_TRACEPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct profile;
struct rec_reader;
struct strbuf;
struct traceprof;

#define TRACEPROF_ALL SIZE_MAX		/* every thread, merged */
#define TRACEPROF_ROOT UINT32_MAX	/* the caller of a thread's first calls */

struct traceprof_func {
	const char *name, *file, *module;
	uint32_t line;
	uint64_t ncalls, prim;		/* all calls / calls not inside another call of it */
	uint64_t tottime, cumtime;	/* ns: own time / time of the outermost calls */
	uint64_t open;			/* calls that were still running at the end */
};

struct traceprof_edge {
	uint32_t caller, callee;	/* function ids; caller TRACEPROF_ROOT for a thread's start */
	uint64_t ncalls, prim, tottime, cumtime;
};

struct traceprof_table {
	struct traceprof_func *funcs;	/* indexed by function id (traceprof_n_funcs) */
	size_t n_funcs;
	struct traceprof_edge *edges;
	size_t n_edges;
	uint64_t total_ns;		/* sum of tottime: the traced time */
	uint64_t calls;
};

struct traceprof_thread {
	uint32_t pid, tid;
	uint64_t calls;
	uint64_t unwound;	/* calls closed without returning (longjmp) */
	uint32_t open;		/* calls still open at the thread's or the process's end */
	uint64_t dropped;	/* calls not recorded (--depth, too deep) */
	uint64_t bad_exits;
	int ended;		/* the thread's end was recorded */
	int at_exit;		/* still running when the process exited */
	int folded;		/* its call tree hit the size limit */
};

struct traceprof_stats {
	uint64_t processes, events, bytes;
	uint64_t duration_ns;
	int counts_only;	/* recorded with --counts-only */
	int tsc;		/* timed with the TSC */
	int cpu;		/* timed with each thread's CPU-time clock */
	int truncated;		/* no REC_FINISH, or an event chunk cut short */
	int finished;
	int32_t exit_status, term_signal;
};

/* Builds from r (its current position to the end). 0, -EPROTO (not a
 * trace recording), -ENOMEM; err holds a one-line reason, warnings gets
 * the symbolizer's warnings. */
int traceprof_build(struct rec_reader *r, struct traceprof **out, struct strbuf *warnings,
		    char *err, size_t errlen);
void traceprof_free(struct traceprof *tp);
const struct traceprof_stats *traceprof_stats(const struct traceprof *tp);
const char *traceprof_meta(const struct traceprof *tp, const char *key);
size_t traceprof_n_threads(const struct traceprof *tp);
const struct traceprof_thread *traceprof_thread(const struct traceprof *tp, size_t i);

/* The figures of thread i, or of all threads with TRACEPROF_ALL. Free with
 * traceprof_table_release. 0 or -ENOMEM. */
int traceprof_table(const struct traceprof *tp, size_t thread, struct traceprof_table *t);
void traceprof_table_release(struct traceprof_table *t);

/* A profile with sample types ("calls","count"), ("self","nanoseconds"),
 * ("total","nanoseconds"): one sample per call path and thread. NULL when
 * out of memory. */
struct profile *traceprof_profile(const struct traceprof *tp);

/* Writes the events as a Chrome trace (JSON "X" complete events, one per
 * call, microseconds since the recording started) to f, reading r again
 * from the start. Counts-only recordings have no events: -ENODATA.
 * Returns the number of events written or -errno. */
long traceprof_chrome(const struct traceprof *tp, struct rec_reader *r, FILE *f);

#endif
