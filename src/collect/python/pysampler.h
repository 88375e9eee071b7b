/*
 * pysampler.h - the Python side of `pinch record`: a thread in pinch that
 * reads the target's Python stacks from outside (pyreader.h) at the
 * sampling frequency and turns them into recording records: REC_STRING
 * for each new name or path, REC_SYMSTACK whenever a thread's stack
 * changed, REC_SAMPLE with REC_SAMPLE_IDLE for Python threads found
 * waiting (off-CPU), REC_META "python"/"python_path" once found, and
 * REC_LOST.unreadable for stacks that could not be read. The recorder
 * drains these into its time-ordered queue; the report pairs each native
 * sample with its thread's latest REC_SYMSTACK.
 *
 * Each tick reads the GIL holder's stack (in 3.11 only that thread runs
 * Python code, so only its stack moves); every 10 ms all threads are read
 * and checked for waiting. A launched command is probed until python is
 * mapped (it may exec a shim first). Never prints.
 */
#ifndef PINCH_COLLECT_PYTHON_PYSAMPLER_H
#define PINCH_COLLECT_PYTHON_PYSAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct py_probe_cache;

struct py_sampler_config {
	pid_t pid;
	unsigned freq;		/* reads of the GIL holder per second */
	int idle;		/* also write idle samples of waiting threads */
	/* REC_STRING ids handed out (atomically) when several samplers write
	 * into one recording; NULL: the sampler's own count. */
	uint32_t *next_string_id;
	/* shared by the samplers of one recording (pyreader.h); NULL: none.
	 * It must outlive the sampler. */
	struct py_probe_cache *probe_cache;
};

enum py_sampler_state {
	PY_SAMPLER_SEARCHING = 0,	/* no python found (yet) */
	PY_SAMPLER_READING = 1,
	PY_SAMPLER_UNSUPPORTED = 2,	/* a python pinch cannot read: see message */
	PY_SAMPLER_DONE = 3,		/* the process is gone */
};

struct py_sampler_status {
	enum py_sampler_state state;
	uint32_t version_hex;
	uint64_t ticks;		/* reads attempted */
	uint64_t stacks;	/* REC_SYMSTACK written */
	uint64_t unreadable;	/* stack reads that failed (torn, gone) */
	uint64_t idle;		/* idle samples written */
	uint64_t read_ns;	/* time spent reading */
	char message[768];	/* why unsupported, or the python found */
};

struct py_sampler;

/* Starts the sampling thread. 0 or -errno. */
int py_sampler_start(struct py_sampler **out, const struct py_sampler_config *cfg);

/* Receives each record: type, its time (CLOCK_MONOTONIC) and payload. */
typedef int (*py_emit_fn)(void *ctx, uint32_t type, uint64_t time_ns, const void *data,
			  size_t len);
/* Hands over the records produced since the last drain, oldest first.
 * Returns 0 or the first error of emit. Thread-safe with the sampler. */
int py_sampler_drain(struct py_sampler *ps, py_emit_fn emit, void *ctx);
void py_sampler_status(struct py_sampler *ps, struct py_sampler_status *st);
/* Stops and joins the thread (records stay for a last drain). */
void py_sampler_stop(struct py_sampler *ps);
void py_sampler_free(struct py_sampler *ps);

#endif
