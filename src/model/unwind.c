/*
 * unwind.c - DWARF (CFI) unwinding of recorded user stacks through
 * libdwfl's thread-state interface, and the frame-pointer leaf fix
 * (model layer, report side). Memory reads come from the sample's stack
 * copy, else from the file mapped at the address; registers from the
 * sample's perf regs, renumbered to DWARF's x86-64 numbering.
 */
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols.h"
#include "../core/banned.h"

/* DWARF x86-64 register n is perf register dwarf_to_perf[n]. */
static const int dwarf_to_perf[17] = {
	0 /* rax */, 3 /* rdx */, 2 /* rcx */, 1 /* rbx */, 4 /* rsi */, 5 /* rdi */,
	6 /* rbp */, 7 /* rsp */, 16, 17, 18, 19, 20, 21, 22, 23 /* r8..r15 */, 8 /* rip */,
};

int unwind_reg(const struct unwind_input *in, int r, uint64_t *val)
{
	uint64_t below;

	if (r < 0 || r > 63 || !in->regs || !(in->regs_mask & (1ull << r)))
		return -ENOENT;
	below = in->regs_mask & ((1ull << r) - 1);
	*val = in->regs[__builtin_popcountll(below)];
	return 0;
}

/* Per-space attach-state context: which sample is being unwound now. */
struct uw_ctx {
	struct symbolizer *s;
	struct sym_space *sp;
	const struct unwind_input *in;
	uint64_t sp_reg;
	int attached;
	int failed;
};

struct uw_walk {
	uint64_t *pcs;
	int n, max;
	uint64_t last_sp;
	int have_sp;
};

static pid_t uw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct uw_ctx *c = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = arg;
	return c->in ? (pid_t)c->in->tid : 0;
}

static bool uw_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

static bool uw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct uw_ctx *c = arg;
	const struct unwind_input *in = c->in;

	(void)dwfl;
	if (in && in->stack && addr >= c->sp_reg && addr - c->sp_reg <= in->stack_size &&
	    in->stack_size - (addr - c->sp_reg) >= sizeof(*result)) {
		memcpy(result, in->stack + (addr - c->sp_reg), sizeof(*result));
		return true;
	}
	/* Outside the copy: only file-backed (read-only) data can be known. */
	return sym_space_read(c->s, c->sp, addr, result, sizeof(*result)) == 0;
}

static bool uw_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct uw_ctx *c = arg;
	uint64_t v;
	int any = 0;

	for (int d = 0; d < 17; d++) {
		Dwarf_Word w;

		if (unwind_reg(c->in, dwarf_to_perf[d], &v))
			continue;
		w = v;
		if (!dwfl_thread_state_registers(thread, d, 1, &w))
			return false;
		any = 1;
	}
	if (!unwind_reg(c->in, UNWIND_PERF_IP, &v))
		dwfl_thread_state_register_pc(thread, v);
	return any;
}

static const Dwfl_Thread_Callbacks uw_callbacks = {
	.next_thread = uw_next_thread,
	.get_thread = uw_get_thread,
	.memory_read = uw_memory_read,
	.set_initial_registers = uw_set_initial_registers,
};

static int uw_frame(Dwfl_Frame *state, void *arg)
{
	struct uw_walk *w = arg;
	Dwarf_Addr pc;
	bool activation;
	Dwarf_Word spv;

	if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0)
		return DWARF_CB_ABORT;
	/* The stack grows down: each caller's SP must be above its callee's.
	 * A frame that does not move is a loop. */
	if (dwfl_frame_reg(state, 7, &spv) == 0) {
		if (w->have_sp && spv <= w->last_sp && w->n > 0 && pc == w->pcs[w->n - 1])
			return DWARF_CB_ABORT;
		if (w->have_sp && spv < w->last_sp)
			return DWARF_CB_ABORT;
		w->last_sp = spv;
		w->have_sp = 1;
	}
	if (w->n >= w->max)
		return DWARF_CB_ABORT;
	w->pcs[w->n++] = pc;
	return w->n >= w->max ? DWARF_CB_ABORT : DWARF_CB_OK;
}

static void uw_ctx_free(void *p)
{
	free(p);
}

static int walk(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		uint64_t *pcs, int max)
{
	Dwfl *dwfl;
	struct uw_ctx *c;
	struct uw_walk w = { .pcs = pcs, .max = max };
	void (*fr)(void *) = uw_ctx_free;
	void **slot;
	uint64_t ip, spv;

	if (max <= 0)
		return 0;
	if (unwind_reg(in, UNWIND_PERF_IP, &ip) || unwind_reg(in, UNWIND_PERF_SP, &spv))
		return -ENOENT;
	dwfl = sp ? sym_space_dwfl(s, sp) : NULL;
	if (!dwfl) {
		pcs[0] = ip;
		return 1;
	}
	slot = sym_space_unwind_slot(sp, &fr);
	c = *slot;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		*slot = c;
	}
	c->s = s;
	c->sp = sp;
	if (!c->attached && !c->failed) {
		/* Any pid will do: it only names the process inside libdwfl. */
		if (dwfl_attach_state(dwfl, NULL, (pid_t)(in->pid ? in->pid : 1), &uw_callbacks, c))
			c->attached = 1;
		else
			c->failed = 1;
	}
	if (!c->attached) {
		pcs[0] = ip;
		return 1;
	}
	c->in = in;
	c->sp_reg = spv;
	dwfl_getthread_frames(dwfl, (pid_t)(in->tid ? in->tid : 1), uw_frame, &w);
	c->in = NULL;
	if (w.n == 0) {
		pcs[0] = ip;
		return 1;
	}
	return w.n;
}

int unwind_dwarf(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		 uint64_t *pcs, int max)
{
	if (max > UNWIND_MAX_DEPTH)
		max = UNWIND_MAX_DEPTH;
	return walk(s, sp, in, pcs, max);
}

int unwind_fix_fp(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		  const uint64_t *ips, int n, uint64_t *out, int max)
{
	uint64_t two[2];
	int k, o = 0;

	if (n > max)
		n = max;
	if (n <= 0)
		return 0;
	k = in->regs ? walk(s, sp, in, two, 2) : 0;
	/* The CFI step must start where the kernel's chain starts. */
	if (k == 2 && two[0] == ips[0] && (n < 2 || ips[1] != two[1])) {
		/* Already further up the chain (a frame the kernel did see)?
		 * Then the chain is fine as it is. */
		for (int i = 2; i < n && i < 4; i++)
			if (ips[i] == two[1])
				k = 0;
	} else {
		k = 0;
	}
	out[o++] = ips[0];
	if (k == 2 && o < max)
		out[o++] = two[1];
	for (int i = 1; i < n && o < max; i++) {
		/* A frame-pointer chain can loop on a corrupt frame. */
		if (i >= 2 && ips[i] == ips[i - 1] && ips[i] == ips[i - 2])
			break;
		out[o++] = ips[i];
	}
	return o;
}
