/*
 * pinch/mem.h - marks a point in a program's memory history for
 * `pinch mem diff FILE --from LABEL --to LABEL`.
 *
 * pinch_mem_snapshot(label) records, when the program runs under
 * `pinch mem`, the bytes and blocks in use per allocation stack at this
 * moment, under label (at most 63 bytes kept). Without the pinch mem
 * agent it does nothing, so a program can keep the calls in production.
 * Header-only (no link dependency): the agent's hook is found with
 * dlsym once and cached.
 *
 * Thread safety: safe from any thread; not async-signal-safe (use
 * `pinch mem --snapshot-signal` for snapshots from outside).
 */
#ifndef PINCH_MEM_H
#define PINCH_MEM_H

#include <dlfcn.h>

static inline void pinch_mem_snapshot(const char *label)
{
	static void (*hook)(const char *);
	static int looked;

	if (!looked) {
		/* (void *)0 is RTLD_DEFAULT: search every loaded object */
		*(void **)&hook = dlsym((void *)0, "pinch_mem_agent_snapshot");
		looked = 1;
	}
	if (hook)
		hook(label);
}

#endif
