/*
 * cfi.h - the mem agent's CFI stack walker (cfi.c): walks from a caller's
 * (pc, sp, bp) using each return address's cached DWARF rule, falling back
 * to the frame-pointer chain where an object has no rule. Reads only
 * within (sp, stack_hi]. Thread-safe (per-thread cache); libc only.
 */
#ifndef PINCH_AGENT_MEM_CFI_H
#define PINCH_AGENT_MEM_CFI_H

#include <stdint.h>

/* Makes the calling thread's rule cache (call it with signals blocked: it
 * may allocate once per process, in pthread_once/pthread_setspecific).
 * Without a cache every frame falls back to the frame-pointer chain. */
void cfi_thread_init(void);
/* Appends return addresses minus one to ips[n..max), starting with pc's.
 * Returns the new count. nocache: read the cache but never write it (a
 * walk in a signal handler that may have interrupted another walk of
 * this thread). Async-signal-safe. */
int cfi_walk(uint64_t pc, uint64_t sp, uint64_t bp, uint64_t stack_hi, uint64_t *ips, int n, int max,
	     int nocache);

/* Like cfi_walk, also giving each frame's CFA (the caller's stack pointer
 * after the call returns): ips[i] ran with its frame below cfas[i].
 * Returns the frames whose CFA is known. */
int cfi_walk_frames(uint64_t pc, uint64_t sp, uint64_t bp, uint64_t stack_hi, uint64_t *ips,
		    uint64_t *cfas, int max);

#endif
