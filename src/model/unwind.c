/*
 * unwind.c - DWARF (CFI) unwinding of recorded user stacks through
 * libdwfl's thread-state interface, and the frame-pointer leaf fix
 * (model layer, report side). Memory reads come from the sample's stack
 * copy, else from the file mapped at the address; registers from the
 * sample's perf regs, renumbered to DWARF's x86-64 numbering.
 */
#include "unwind.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/array.h"
#include "../core/hmap.h"
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

/*
 * Where a leaf's return address is, memoized per code address: for the
 * usual rules (CFA = rsp or rbp + offset, return address saved at CFA + n)
 * it is at base register + delta, so the fp leaf fix costs one lookup and
 * one read per sample instead of a libdwfl walk.
 */
struct leaf_rule {
	uint64_t pc;
	int64_t delta;
	int8_t base;		/* perf register of the base (SP or BP); -1: walk instead */
};

/* Per-space attach-state context: which sample is being unwound now. */
struct uw_ctx {
	struct symbolizer *s;
	struct sym_space *sp;
	const struct unwind_input *in;
	uint64_t sp_reg;
	int attached;
	int failed;
	uint64_t gen;		/* sym_space_dwfl_attached() generation attached to */
	int read_above;		/* this walk read above its stack copy */
	struct leaf_rule *rules;
	size_t nrules, arules;
	struct hmap rule_idx;
};

struct uw_walk {
	uint64_t *pcs;
	int n, max;
	uint64_t last_sp;
	int have_sp;
	struct unwind_end *end;	/* what unwind_dwarf_end() reports, or NULL */
	int zero_pc;		/* stopped at a return address of 0: the stack's start */
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
	if (sym_space_read(c->s, c->sp, addr, result, sizeof(*result)) == 0)
		return true;
	if (in && addr >= c->sp_reg)
		c->read_above = 1;
	return false;
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

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (pc == 0) {
		w->zero_pc = 1;
		return DWARF_CB_ABORT;
	}
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
	if (w->end) {
		Dwarf_Word bpv;

		w->end->sp = w->have_sp ? w->last_sp : 0;
		w->end->bp_known = dwfl_frame_reg(state, 6, &bpv) == 0;
		w->end->bp = w->end->bp_known ? bpv : 0;
		if (w->end->bp_known)
			w->end->last_known_bp = bpv;
	}
	w->pcs[w->n++] = pc;
	return w->n >= w->max ? DWARF_CB_ABORT : DWARF_CB_OK;
}

static void uw_ctx_free(void *p)
{
	struct uw_ctx *c = p;

	if (!c)
		return;
	hmap_release(&c->rule_idx);
	free(c->rules);
	free(c);
}

static struct uw_ctx *ctx_get(struct sym_space *sp)
{
	void (*fr)(void *) = uw_ctx_free;
	void **slot = sym_space_unwind_slot(sp, &fr);
	struct uw_ctx *c = *slot;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		hmap_init(&c->rule_idx);
		*slot = c;
	}
	return c;
}

static int walk(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		uint64_t *pcs, int max, struct unwind_end *end)
{
	Dwfl *dwfl;
	struct uw_ctx *c;
	struct uw_walk w = { .pcs = pcs, .max = max, .end = end };
	uint64_t ip, spv;
	int rc;

	if (max <= 0)
		return 0;
	if (unwind_reg(in, UNWIND_PERF_IP, &ip) || unwind_reg(in, UNWIND_PERF_SP, &spv))
		return -ENOENT;
	dwfl = sp ? sym_space_dwfl(s, sp) : NULL;
	if (!dwfl) {
		pcs[0] = ip;
		return 1;
	}
	c = ctx_get(sp);
	if (!c)
		return -ENOMEM;
	c->s = s;
	c->sp = sp;
	if (c->attached && c->gen != sym_space_dwfl_attached(sp))
		c->attached = c->failed = 0;	/* a new Dwfl since */
	if (!c->attached && !c->failed) {
		/* Any pid will do: it only names the process inside libdwfl. */
		if (dwfl_attach_state(dwfl, NULL, (pid_t)(in->pid ? in->pid : 1), &uw_callbacks, c)) {
			c->attached = 1;
			c->gen = sym_space_dwfl_attached(sp);
		} else {
			c->failed = 1;
		}
	}
	if (!c->attached) {
		pcs[0] = ip;
		return 1;
	}
	c->in = in;
	c->sp_reg = spv;
	c->read_above = 0;
	/* 0: the walk ended without an error, which libdwfl also says when a
	 * return address could not be read (above the stack copy: then the
	 * stack goes on); -1 or DWARF_CB_ABORT: it stopped short (CFI, depth,
	 * loop). A return address of 0 is the stack's start. */
	rc = dwfl_getthread_frames(dwfl, (pid_t)(in->tid ? in->tid : 1), uw_frame, &w);
	if (end && ((rc == 0 && !c->read_above) || w.zero_pc))
		end->complete = 1;
	if (end)
		end->read_above = c->read_above;
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
	return walk(s, sp, in, pcs, max, NULL);
}

int unwind_dwarf_end(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		     uint64_t *pcs, int max, struct unwind_end *end)
{
	memset(end, 0, sizeof(*end));
	if (max > UNWIND_MAX_DEPTH)
		max = UNWIND_MAX_DEPTH;
	return walk(s, sp, in, pcs, max, end);
}

/* Reads the CFI at pc into a rule; r->base = -1 when it is not a simple one. */
static void rule_compute(struct symbolizer *s, struct sym_space *sp, struct leaf_rule *r)
{
	Dwfl *dwfl = sym_space_dwfl(s, sp);
	Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, r->pc) : NULL;
	Dwarf_Frame *fr = NULL;
	Dwarf_Addr bias = 0;
	Dwarf_CFI *cfi;
	Dwarf_Op *ops, mem[3];
	size_t nops;

	r->base = -1;
	if (!mod)
		return;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, r->pc - bias, &fr)) {
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, r->pc - bias, &fr))
			return;
	}
	if (!dwarf_frame_cfa(fr, &ops, &nops) && nops == 1 && ops[0].atom == DW_OP_bregx &&
	    (ops[0].number == 7 || ops[0].number == 6)) {
		int base = ops[0].number == 7 ? UNWIND_PERF_SP : UNWIND_PERF_BP;
		int64_t cfa_off = (int64_t)ops[0].number2;

		/* The return address column (16) saved at CFA + n, in memory. */
		if (!dwarf_frame_register(fr, 16, mem, &ops, &nops) && nops == 2 &&
		    ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst) {
			r->delta = cfa_off + (int64_t)ops[1].number;
			r->base = (int8_t)base;
		}
	}
	free(fr);
}

static int rule_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct uw_ctx *c = ctx;

	return c->rules[id].pc == *(const uint64_t *)key;
}

/* pc's rule, memoized per address space; NULL when out of memory. A
 * space without a Dwfl gets a rule with base -1. */
static const struct leaf_rule *rule_get(struct symbolizer *s, struct sym_space *sp, uint64_t pc)
{
	static const struct leaf_rule none = { .base = -1 };
	uint64_t h = hash_mix(pc);
	struct uw_ctx *c;
	uint32_t id;

	/* Bring the Dwfl up to date first: re-reporting modules drops the
	 * unwinder's context (and these rules) with the old Dwfl. */
	if (!sp || !sym_space_dwfl(s, sp) || !(c = ctx_get(sp)))
		return &none;
	id = hmap_find(&c->rule_idx, h, &pc, rule_eq, c);
	if (id == UINT32_MAX) {
		struct leaf_rule nr = { .pc = pc };

		rule_compute(s, sp, &nr);
		if (ARRAY_GROW(c->rules, c->arules, c->nrules + 1) ||
		    hmap_insert(&c->rule_idx, h, (uint32_t)c->nrules))
			return NULL;
		id = (uint32_t)c->nrules;
		c->rules[c->nrules++] = nr;
	}
	return &c->rules[id];
}

int unwind_fp_frame(struct symbolizer *s, struct sym_space *sp, uint64_t pc)
{
	const struct leaf_rule *r = rule_get(s, sp, pc);

	return r && r->base == UNWIND_PERF_BP && r->delta == 8;
}

/* The leaf's return address from its memoized rule: 0 and *ra, 1 when the
 * rule is not simple (the caller walks with libdwfl), -errno otherwise. */
static int leaf_ra(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		   uint64_t pc, uint64_t *ra)
{
	uint64_t base, spv, addr;
	const struct leaf_rule *r;

	r = rule_get(s, sp, pc);
	if (!r || r->base < 0)
		return r ? 1 : -ENOMEM;
	if (unwind_reg(in, r->base, &base) || unwind_reg(in, UNWIND_PERF_SP, &spv) || !in->stack)
		return -ENOENT;
	addr = base + (uint64_t)r->delta;
	if (addr < spv || addr - spv > in->stack_size || in->stack_size - (addr - spv) < 8)
		return -EFAULT;
	memcpy(ra, in->stack + (addr - spv), 8);
	return 0;
}

int unwind_fix_fp(struct symbolizer *s, struct sym_space *sp, const struct unwind_input *in,
		  const uint64_t *ips, int n, uint64_t *out, int max)
{
	uint64_t two[2], ip;
	int k = 0, o = 0, rc;

	if (n > max)
		n = max;
	if (n <= 0)
		return 0;
	if (in->regs && !unwind_reg(in, UNWIND_PERF_IP, &ip) && ip == ips[0]) {
		rc = leaf_ra(s, sp, in, ip, &two[1]);
		if (rc == 0) {
			two[0] = ip;
			k = 2;
		} else if (rc == 1) {
			k = walk(s, sp, in, two, 2, NULL);
		}
	}
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
