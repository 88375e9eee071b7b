/*
 * view_stub.c - placeholders for the views not written yet (view layer).
 */
#include "view/view.h"

#include <errno.h>
#include <stdio.h>

#include "core/banned.h"

#define STUB(fn) \
int fn(const struct profile *p, const struct view_opts *o, struct strbuf *out, \
       char *err, size_t errlen) \
{ \
	(void)p; (void)o; (void)out; \
	snprintf(err, errlen, "not implemented yet"); \
	return -ENOSYS; \
}

STUB(view_flamegraph)
