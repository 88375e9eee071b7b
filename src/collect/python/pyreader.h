/*
 * pyreader.h - reads the Python stacks of a running CPython from outside
 * (process_vm_readv): finds _PyRuntime through the ELF symbols of the
 * python binary or libpython mapped in the target (or the .PyRuntime
 * section when there are no symbols), picks the layout table by
 * Py_Version, walks interpreters -> threads -> frames with every pointer
 * guarded and every walk bounded, and turns each frame into (qualified
 * name, file, line) through a cache of code objects and line tables.
 *
 * Memory access goes through a read callback, so the same walker runs on
 * a live process, on a fake memory image (the fuzz target) or in-process.
 * Not thread-safe: one reader per sampling thread.
 */
#ifndef PINCH_COLLECT_PYTHON_PYREADER_H
#define PINCH_COLLECT_PYTHON_PYREADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PY_MAX_DEPTH 1024	/* frames per stack; deeper stacks are cut */
#define PY_MAX_THREADS 4096	/* threads per interpreter walk */

/* What a probe found in a process's mappings. */
struct py_target {
	uint32_t version_hex;	/* PY_VERSION_HEX, e.g. 0x030b07f0 */
	uint64_t runtime;	/* address of _PyRuntime in the target */
	uint64_t code_type;	/* &PyCode_Type, 0 when unknown (no type check) */
	uint64_t unicode_type;	/* &PyUnicode_Type, 0 when unknown */
	uint64_t bytes_type;	/* &PyBytes_Type, 0 when unknown */
	uint64_t eval_start, eval_end;	/* _PyEval_EvalFrameDefault, 0 when unknown */
	/* types and singletons for reading values (pyobjects.c); 0 when unknown */
	uint64_t long_type, float_type, bool_type, list_type, tuple_type, dict_type, cell_type;
	uint64_t none_obj, true_obj, false_obj;
	int from_section;	/* 1: _PyRuntime came from the .PyRuntime section */
	char path[512];		/* the ELF that holds _PyRuntime */
};

enum py_probe_flags {
	PY_PROBE_NO_SYMBOLS = 1 << 0,	/* ignore symbols (tests the fallback) */
};

/*
 * Looks for a CPython runtime in pid's mappings. Returns 0 and fills t;
 * -ENOENT when no python is mapped (yet: a launched command may not have
 * exec'd), -ESRCH when the process is gone, -EPROTONOSUPPORT when the
 * version cannot be read (err names it and the supported versions).
 */
int py_probe(pid_t pid, unsigned flags, struct py_target *t, char *err, size_t errlen);

/* The ELF symbols of the python files probed, kept for the next probe of
 * another process that maps the same file (a forked child, or a process
 * exec'd into the same python): its probe then reads only its mappings
 * and Py_Version. Thread-safe. NULL on allocation failure. */
struct py_probe_cache;
struct py_probe_cache *py_probe_cache_new(void);
void py_probe_cache_free(struct py_probe_cache *c);
/* py_probe through cache (NULL: none). */
int py_probe_cached(pid_t pid, unsigned flags, struct py_probe_cache *cache, struct py_target *t,
		    char *err, size_t errlen);

/* Reads len bytes at addr into dst; 0 or -errno (-EFAULT, -ESRCH). */
typedef int (*py_read_fn)(void *ctx, uint64_t addr, void *dst, size_t len);

struct py_reader;

/* A reader over t, reading memory through read(ctx, ...). -EPROTONOSUPPORT
 * when t's version has no layout table. */
int py_reader_new(struct py_reader **r, const struct py_target *t, py_read_fn read, void *ctx,
		  char *err, size_t errlen);
/* A reader of process pid (process_vm_readv). */
int py_reader_new_pid(struct py_reader **r, const struct py_target *t, pid_t pid, char *err,
		      size_t errlen);
void py_reader_free(struct py_reader *r);

struct py_thread {
	uint64_t tstate;	/* PyThreadState address */
	uint64_t interp;	/* its PyInterpreterState */
	uint32_t tid;		/* native_thread_id */
	uint8_t holds_gil;
	uint8_t pad[3];
	uint64_t ident;		/* thread_id: pthread_t, threading's ident */
};

/* Lists the Python threads of every interpreter (at most max). Returns 0,
 * or a negative errno: -ESRCH (gone), -EFAULT (unreadable), -ELOOP (a
 * cycle or more than PY_MAX_THREADS). */
int py_reader_threads(struct py_reader *r, struct py_thread *out, size_t max, size_t *n);

enum py_frame_flags {
	PY_FRAME_ENTRY = 1 << 0,	/* first frame of a C-level eval call */
	PY_FRAME_GENERATOR = 1 << 1,	/* a generator/coroutine frame */
	PY_FRAME_TRUNCATED = 1 << 2,	/* set on the last frame when the depth cap cut the walk */
};

struct py_frame {
	const char *function;	/* co_qualname; owned by the reader's cache */
	const char *file;	/* co_filename; owned by the reader's cache */
	int32_t line;		/* 0 when unknown */
	uint32_t flags;		/* enum py_frame_flags */
	uint64_t code;		/* code object address */
	uint64_t addr;		/* _PyInterpreterFrame address (for its locals) */
};

/*
 * Walks the frames of the thread whose PyThreadState is at tstate, leaf
 * first, skipping incomplete frames. The strings stay valid until the
 * next call on r. Returns 0 (n = 0 for a thread with no Python frame),
 * or -ESRCH, -EFAULT (a pointer went bad), -ELOOP (a cycle),
 * -EBADMSG (not a code object: a torn read).
 */
int py_reader_stack(struct py_reader *r, uint64_t tstate, struct py_frame *out, size_t max,
		    size_t *n);
/* The same for the thread with native id tid (the thread list is cached
 * and refreshed when tid is not in it). -ENOENT when tid is not a Python
 * thread. */
int py_reader_stack_tid(struct py_reader *r, uint32_t tid, struct py_frame *out, size_t max,
			size_t *n);

/* The thread holding the GIL (3.11: _PyRuntime.gilstate.tstate_current):
 * 1 and the tstate and tid filled, 0 when no thread holds it, or a negative
 * errno. Only the GIL holder runs Python code, so only its stack moves. */
int py_reader_gil(struct py_reader *r, uint64_t *tstate, uint32_t *tid);

/* Reads len bytes of the target at addr through r's read callback: 0 or
 * a negative errno. For pyobjects.c. */
int py_reader_read(struct py_reader *r, uint64_t addr, void *dst, size_t len);
const struct py_target *py_reader_target(const struct py_reader *r);
/* Decodes the str object at addr into out as UTF-8 (control characters
 * as '?'), at most max_chars characters (and 1024), always terminated;
 * *length (when not NULL) gets the full length in characters. 0, -EFAULT
 * or -EBADMSG (not a compact str). */
int py_reader_str(struct py_reader *r, uint64_t addr, char *out, size_t cap, size_t max_chars,
		  uint64_t *length);
const struct py_offsets *py_reader_offsets(const struct py_reader *r);

/* Counters for reports and benchmarks. */
struct py_reader_stats {
	uint64_t reads;		/* read callbacks issued */
	uint64_t code_hits, code_misses;
};
void py_reader_stats(const struct py_reader *r, struct py_reader_stats *s);

#endif
