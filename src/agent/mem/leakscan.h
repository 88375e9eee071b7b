/*
 * leakscan.h - memcheck's leak classes for the blocks still in use when a
 * process exits (pinch mem agent; libc only, never allocates). A
 * conservative scan: every aligned word of the roots that points into a
 * block reaches it, and the blocks reached are scanned in turn.
 *
 *   reachable  a pointer to its start is reachable from the roots;
 *   possible   only pointers into its middle are;
 *   indirect   not reachable, but pointed to by a lost block (the
 *              nodes of a lost list);
 *   definite   nothing points to it (or only the other members of a
 *              lost cycle, of which one is named definite).
 *
 * Roots: every private writable mapping of /proc/self/maps that holds no
 * block (data and bss of every loaded object, thread stacks, TLS,
 * anonymous memory the program manages itself), the calling thread's
 * stack from sp up, minus the excluded ranges (the agent's own tables).
 * Memory is read with process_vm_readv, so an unreadable page is skipped,
 * never a fault.
 */
#ifndef PINCH_AGENT_MEM_LEAKSCAN_H
#define PINCH_AGENT_MEM_LEAKSCAN_H

#include <stddef.h>
#include <stdint.h>

enum ls_class {
	LS_UNSEEN = 0,	/* internal: not reached (yet) */
	LS_REACHABLE,
	LS_POSSIBLE,
	LS_INDIRECT,
	LS_DEFINITE,
};

struct ls_block {
	uint64_t addr, size;
	uint32_t stack;		/* the caller's tag (the allocation's stack id) */
	uint32_t cls;		/* enum ls_class, set by leakscan() */
};

struct ls_range {
	uint64_t start, end;
};

struct ls_stats {
	uint64_t root_bytes;	/* bytes of roots scanned */
	uint64_t block_bytes;	/* bytes of blocks scanned */
	uint64_t roots;		/* mappings scanned as roots */
};

/*
 * Sorts b[0..n) by address and sets each block's class. work is scratch
 * of at least 2 * n uint32_t. excl are ranges never scanned as roots.
 * Returns 0, or -errno when /proc/self/maps cannot be read (the classes
 * are then unset: LS_UNSEEN).
 */
int leakscan(struct ls_block *b, size_t n, uint32_t *work, const struct ls_range *excl,
	     size_t nexcl, uint64_t sp, struct ls_stats *st);

/* Sorts b by (stack, class), for summing per stack. */
void leakscan_sort_by_stack(struct ls_block *b, size_t n);

#endif
