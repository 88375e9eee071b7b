/*
 * pymerge.h - puts Python frames into CPU profile stacks (model layer,
 * report side). Fed the REC_STRING / REC_SYMSTACK records of a recording
 * in file order, it keeps each thread's current Python stack and rewrites
 * each native sample stack of that thread:
 *  - Python view (default): the Python frames only, plus one native leaf
 *    when the sample was in native code outside the interpreter (a C
 *    extension such as zlib's compress: the outermost such frame);
 *  - native view: the native stack with each _PyEval_EvalFrameDefault
 *    frame replaced by the Python frames it ran (up to and including the
 *    next entry frame), like py-spy --native.
 * Threads without a Python stack keep their native stack.
 */
#ifndef PINCH_MODEL_PYMERGE_H
#define PINCH_MODEL_PYMERGE_H

#include <stdint.h>

struct profile;
struct rec;
struct pymerge;

/* A merger writing locations into p; native = 1 for the native view.
 * NULL on allocation failure. */
struct pymerge *pymerge_new(struct profile *p, int native);
void pymerge_free(struct pymerge *m);

/* Records, in file order. 0, -EINVAL (malformed: ignored by callers) or
 * -ENOMEM. */
int pymerge_on_string(struct pymerge *m, const struct rec *rec);
int pymerge_on_symstack(struct pymerge *m, const struct rec *rec);

/* Rewrites the stack of a sample of tid: locs holds *n location ids, leaf
 * first, with room for max. 0 or -ENOMEM. */
int pymerge_stack(struct pymerge *m, uint32_t tid, uint32_t *locs, uint32_t *n, uint32_t max);

/* Number of REC_SYMSTACK records seen (0: a native-only recording). */
uint64_t pymerge_stacks_seen(const struct pymerge *m);

#endif
