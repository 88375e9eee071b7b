/*
 * pyobjects.h - reads Python objects of a running CPython from outside
 * (through a py_reader, so process_vm_readv, never by running Python
 * code): the names threading gave its threads (threading._active:
 * ident -> Thread._name, as py-spy does) and short, bounded reprs of a
 * frame's arguments and locals for `pinch dump --locals`.
 *
 * Every read is checked and every walk bounded: a dict of a million
 * entries, a str of a gigabyte or a pointer into nowhere give a short
 * answer ("<dict at 0x...>", "...", "<unreadable>"), never a crash and
 * never unbounded output.
 */
#ifndef PINCH_COLLECT_PYTHON_PYOBJECTS_H
#define PINCH_COLLECT_PYTHON_PYOBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "collect/python/pyreader.h"

#define PY_THREAD_NAME_MAX 64	/* bytes of a thread name kept (UTF-8, NUL included) */
#define PY_REPR_MAX 160		/* bytes of one value's repr, NUL included */
#define PY_LOCALS_MAX 64	/* locals shown per frame */

struct py_thread_name {
	uint64_t ident;		/* threading.get_ident(): the pthread_t */
	char name[PY_THREAD_NAME_MAX];
};

/*
 * The threads registered in threading._active of interpreter interp
 * (sys.modules["threading"]._active: {ident: Thread}), with each
 * Thread._name. Returns 0 and n = 0 when threading was never imported,
 * or a negative errno when the dicts could not be read.
 */
int py_thread_names(struct py_reader *r, uint64_t interp, struct py_thread_name *out, size_t max,
		    size_t *n);

/* A short repr of the object at obj: str, bytes, int, float, bool, None
 * in full (long ones cut with "..." and their length), list, tuple and
 * dict as their length and first items, anything else as
 * "<TypeName at 0xADDR>". out is always terminated. */
void py_repr(struct py_reader *r, uint64_t obj, char *out, size_t cap);

struct py_local {
	char name[PY_THREAD_NAME_MAX];
	char repr[PY_REPR_MAX];
	uint8_t is_arg;		/* an argument (positional, keyword-only, *args, **kw) */
};

/* The arguments and set locals of frame f (from py_reader_stack), in
 * definition order, at most max. 0 or a negative errno. */
int py_frame_locals(struct py_reader *r, const struct py_frame *f, struct py_local *out,
		    size_t max, size_t *n);

/* Reads the GIL state: *locked = _PyRuntime.ceval.gil.locked, *holder
 * the tstate that holds it (gilstate.tstate_current, 0 when none). */
int py_gil_state(struct py_reader *r, int *locked, uint64_t *holder);

#endif
