/*
 * unwind.h - user-stack unwinding at report time (model layer). A sample
 * recorded with --call-graph dwarf carries the user registers and a copy
 * of the top of the user stack; unwind_dwarf() walks it with the binaries'
 * CFI through libdwfl. For frame-pointer samples unwind_fix_fp() repairs
 * the first frame: a leaf that builds no frame (GCC 12 does this even
 * with -fno-omit-frame-pointer) makes the kernel's chain skip the leaf's
 * caller; one CFI step from the sampled registers finds it again.
 *
 * Every walk is bounded (UNWIND_MAX_DEPTH, stack must grow towards the
 * caller, a repeated frame ends the walk). Not thread-safe.
 */
#ifndef PINCH_MODEL_UNWIND_H
#define PINCH_MODEL_UNWIND_H

#include <stdint.h>

struct symbolizer;
struct sym_space;

#define UNWIND_MAX_DEPTH 256

/* perf_event x86 register numbers (PERF_REG_X86_*), the bits of regs_mask. */
enum {
	UNWIND_PERF_AX = 0, UNWIND_PERF_BX = 1, UNWIND_PERF_CX = 2, UNWIND_PERF_DX = 3,
	UNWIND_PERF_SI = 4, UNWIND_PERF_DI = 5, UNWIND_PERF_BP = 6, UNWIND_PERF_SP = 7,
	UNWIND_PERF_IP = 8, UNWIND_PERF_R8 = 16, UNWIND_PERF_R15 = 23,
};

struct unwind_input {
	uint32_t pid, tid;
	uint64_t regs_mask;	/* which PERF_REG_X86_* registers regs holds */
	const uint64_t *regs;	/* in ascending bit order of regs_mask */
	const uint8_t *stack;	/* copy of user memory starting at SP */
	uint32_t stack_size;
};

/* Returns register r (PERF_REG_X86_*) of in, or -ENOENT when not recorded. */
int unwind_reg(const struct unwind_input *in, int r, uint64_t *val);

/*
 * Unwinds with CFI. Fills pcs[0..n) leaf first: pcs[0] is the sampled IP,
 * the others return addresses (callers should look up pc - 1). Returns n
 * (at least 1 when IP was recorded), or a negative errno-style code:
 * -ENOENT (no IP/SP), -ENODEV (no module mapped at all).
 */
int unwind_dwarf(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		 uint64_t *pcs, int max);

/* Where a CFI walk ended: the outermost frame's SP and RBP (when known),
 * the last RBP any frame of the walk knew, and whether the walk got to the
 * stack's start. */
struct unwind_end {
	uint64_t sp, bp, last_known_bp;
	int bp_known;
	int complete;		/* reached the outermost frame (its CFI ends the stack) */
	int read_above;		/* stopped wanting memory above the stack copy */
};

/* As unwind_dwarf(), and reports where the walk ended. */
int unwind_dwarf_end(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		     uint64_t *pcs, int max, struct unwind_end *end);

/* 1 when the code at pc keeps a frame pointer: its CFA is RBP + 16 and the
 * return address is at RBP + 8 (look up return addresses as ra - 1). */
int unwind_fp_frame(struct symbolizer *s, struct sym_space *sp, uint64_t pc);

/*
 * The fp leaf fix. ips[0..n) is the kernel's frame-pointer chain (leaf
 * first). Writes the repaired chain to out (room for max) and returns its
 * length: the chain itself, plus the leaf's caller inserted after ips[0]
 * when CFI shows the chain skipped it. Without registers or CFI the chain
 * is copied unchanged.
 */
int unwind_fix_fp(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		  const uint64_t *ips, int n, uint64_t *out, int max);

#endif
