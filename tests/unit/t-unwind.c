/*
 * t-unwind.c - the CFI unwinder on this test's own stack. Built without
 * frame pointers: uw_a -> uw_b -> uw_c captures its registers (inline asm,
 * in perf's register order) and a copy of its stack, then the test
 * unwinds that copy and checks the function names in order. The fp leaf
 * fix is checked by handing it a chain that skips uw_b.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/recfile.h"
#include "model/recunwind.h"
#include "model/symbols.h"
#include "model/unwind.h"
#include "tap.h"

#define STACK_COPY 16384

struct capture {
	uint64_t regs[17];	/* ax bx cx dx si di bp sp ip r8..r15 */
	uint8_t stack[STACK_COPY];
	uint32_t size;
};

static uint64_t stack_top;	/* end of the [stack] mapping */

/* Byte copy the sanitizers do not instrument: it reads other frames. */
__attribute__((no_sanitize_address, noinline)) static void copy_stack(uint8_t *dst,
								       const uint8_t *src,
								       uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		((volatile uint8_t *)dst)[i] = src[i];
}

__attribute__((noinline, noipa)) int uw_c(struct capture *c, int x)
{
	uint64_t *r = c->regs;
	uint64_t avail;

	__asm__ volatile(
		"movq %%rax, 0(%0)\n\t"
		"movq %%rbx, 8(%0)\n\t"
		"movq %%rcx, 16(%0)\n\t"
		"movq %%rdx, 24(%0)\n\t"
		"movq %%rsi, 32(%0)\n\t"
		"movq %%rdi, 40(%0)\n\t"
		"movq %%rbp, 48(%0)\n\t"
		"movq %%rsp, 56(%0)\n\t"
		"leaq 0(%%rip), %%rax\n\t"
		"movq %%rax, 64(%0)\n\t"
		"movq %%r8, 72(%0)\n\t"
		"movq %%r9, 80(%0)\n\t"
		"movq %%r10, 88(%0)\n\t"
		"movq %%r11, 96(%0)\n\t"
		"movq %%r12, 104(%0)\n\t"
		"movq %%r13, 112(%0)\n\t"
		"movq %%r14, 120(%0)\n\t"
		"movq %%r15, 128(%0)\n\t"
		: : "r"(r) : "rax", "memory");
	avail = stack_top > r[7] ? stack_top - r[7] : 0;
	c->size = avail < STACK_COPY ? (uint32_t)avail : STACK_COPY;
	copy_stack(c->stack, (const uint8_t *)(uintptr_t)r[7], c->size);
	return x + 1;
}

__attribute__((noinline, noipa)) int uw_b(struct capture *c, int x)
{
	int r = uw_c(c, x * 2);

	__asm__ volatile("" ::: "memory");
	return r + 1;
}

__attribute__((noinline, noipa)) int uw_a(struct capture *c, int x)
{
	int r = uw_b(c, x + 3);

	__asm__ volatile("" ::: "memory");
	return r * 2;
}

static struct capture cap;

static const char *name_at(struct symbolizer *s, struct sym_space *sp, uint64_t pc, int caller)
{
	uint32_t n;
	const struct sym_frame *f = sym_result(s, sym_lookup(s, sp, caller ? pc - 1 : pc), &n);

	return n ? f[n - 1].function : "";
}

static void find_stack_top(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]"))
			{ uint64_t lo; sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &stack_top); }
	if (f)
		fclose(f);
}

int main(void)
{
	struct symbolizer *s = symbolizer_new();
	struct sym_space *sp;
	struct unwind_input in;
	uint64_t pcs[UNWIND_MAX_DEPTH], out[UNWIND_MAX_DEPTH];
	int n, i;

	find_stack_top();
	ok(stack_top != 0, "found the stack mapping");
	is_int(symbolizer_load_proc_maps(s, (uint32_t)getpid()), 0, "maps of this process");
	sp = symbolizer_space(s, (uint32_t)getpid());
	uw_a(&cap, 1);
	ok(cap.size > 256, "captured %u bytes of stack", cap.size);

	memset(&in, 0, sizeof(in));
	in.pid = in.tid = (uint32_t)getpid();
	in.regs_mask = 0x1ff | (0xffull << 16);
	in.regs = cap.regs;
	in.stack = cap.stack;
	in.stack_size = cap.size;
	{
		uint64_t v;

		ok(unwind_reg(&in, UNWIND_PERF_IP, &v) == 0 && v == cap.regs[8], "IP from regs");
		ok(unwind_reg(&in, UNWIND_PERF_R8, &v) == 0 && v == cap.regs[9], "R8 after IP");
		ok(unwind_reg(&in, 9, &v) == -ENOENT, "FLAGS not recorded");
	}

	n = unwind_dwarf(s, sp, &in, pcs, UNWIND_MAX_DEPTH);
	ok(n >= 4, "unwound %d frames", n);
	if (n >= 4) {
		is_str(name_at(s, sp, pcs[0], 0), "uw_c", "frame 0 is uw_c");
		is_str(name_at(s, sp, pcs[1], 1), "uw_b", "frame 1 is uw_b");
		is_str(name_at(s, sp, pcs[2], 1), "uw_a", "frame 2 is uw_a");
		is_str(name_at(s, sp, pcs[3], 1), "main", "frame 3 is main");
	}
	for (i = 0; i < n; i++)
		printf("# %d %#" PRIx64 " %s\n", i, pcs[i], name_at(s, sp, pcs[i], i > 0));

	/* Bounded: a depth cap is honoured. */
	is_int(unwind_dwarf(s, sp, &in, pcs, 2), 2, "depth cap");

	/* No stack copy: only the leaf is known. */
	{
		struct unwind_input none = in;

		none.stack = NULL;
		none.stack_size = 0;
		n = unwind_dwarf(s, sp, &none, pcs, UNWIND_MAX_DEPTH);
		ok(n >= 1 && pcs[0] == cap.regs[8], "without a stack copy the leaf remains");
	}

	/* Garbage registers never crash. */
	{
		uint64_t bad[17];
		struct unwind_input g = in;

		for (i = 0; i < 17; i++)
			bad[i] = 0xdeadbeefull * (uint64_t)(i + 1);
		g.regs = bad;
		n = unwind_dwarf(s, sp, &g, pcs, UNWIND_MAX_DEPTH);
		ok(n >= 1 && n <= UNWIND_MAX_DEPTH, "garbage registers: bounded result (%d)", n);
	}

	/* The fp leaf fix with only IP, SP and BP and a 512-byte slice. */
	{
		struct unwind_input fp;
		uint64_t r3[3] = { cap.regs[6], cap.regs[7], cap.regs[8] };	/* bp sp ip */
		uint64_t full[UNWIND_MAX_DEPTH];
		uint64_t skipped[UNWIND_MAX_DEPTH];
		int nf, k = 0;

		nf = unwind_dwarf(s, sp, &in, full, UNWIND_MAX_DEPTH);
		memset(&fp, 0, sizeof(fp));
		fp.pid = fp.tid = in.pid;
		fp.regs_mask = (1u << UNWIND_PERF_BP) | (1u << UNWIND_PERF_SP) | (1u << UNWIND_PERF_IP);
		fp.regs = r3;
		fp.stack = cap.stack;
		fp.stack_size = cap.size < 512 ? cap.size : 512;
		/* What the kernel gives for a frameless leaf: its caller missing. */
		skipped[k++] = full[0];
		for (i = 2; i < nf; i++)
			skipped[k++] = full[i];
		n = unwind_fix_fp(s, sp, &fp, skipped, k, out, UNWIND_MAX_DEPTH);
		is_int(n, nf, "leaf fix puts one frame back");
		if (n >= 3) {
			is_str(name_at(s, sp, out[1], 1), "uw_b", "the leaf's caller is back");
			is_str(name_at(s, sp, out[2], 1), "uw_a", "then its caller");
		}
		/* A correct chain is left alone. */
		n = unwind_fix_fp(s, sp, &fp, full, nf, out, UNWIND_MAX_DEPTH);
		is_int(n, nf, "a complete chain is unchanged");
		ok(n == nf && !memcmp(out, full, (size_t)nf * 8), "same frames");
		/* Without registers nothing changes. */
		fp.regs = NULL;
		fp.regs_mask = 0;
		n = unwind_fix_fp(s, sp, &fp, skipped, k, out, UNWIND_MAX_DEPTH);
		is_int(n, k, "no registers: chain as recorded");
		/* A looping chain is cut. */
		{
			uint64_t loop[40];

			for (i = 0; i < 40; i++)
				loop[i] = i < 2 ? full[i] : full[1];
			n = unwind_fix_fp(s, sp, &fp, loop, 40, out, UNWIND_MAX_DEPTH);
			ok(n < 40, "a repeating frame ends the chain (%d)", n);
		}
	}
	/* Registers but no stack copy (a sample inside execve): the kernel's
	 * chain is kept as it is and marked partial. */
	{
		struct recunwind *u = recunwind_new(8192);
		struct {
			struct rec_sample h;
			uint64_t w[5];	/* 2 ips, 3 regs */
		} r;
		const void *o;
		size_t olen;

		memset(&r, 0, sizeof(r));
		r.h.pid = r.h.tid = 1;
		r.h.nr_ips = 2;
		r.h.flags = REC_SAMPLE_REGS;
		r.h.regs_mask = (1u << UNWIND_PERF_BP) | (1u << UNWIND_PERF_SP) | (1u << UNWIND_PERF_IP);
		r.w[0] = 0x401000;
		r.w[1] = 0x401234;
		ok(u != NULL, "recunwind_new");
		is_int(recunwind_record(u, REC_SAMPLE, &r, sizeof(r), &o, &olen), 0, "sample without a stack copy");
		ok(olen == sizeof(r) && o != (const void *)&r &&
		   (((const struct rec_sample *)o)->flags & REC_SAMPLE_PARTIAL) &&
		   !memcmp((const char *)o + sizeof(r.h), r.w, sizeof(r.w)),
		   "... kept as recorded, marked partial");
		is_int((int)recunwind_stats(u)->partial, 1, "... counted partial");
		r.h.nr_kernel = 2;	/* kernel frames only: nothing to mark */
		recunwind_record(u, REC_SAMPLE, &r, sizeof(r), &o, &olen);
		ok(o == (const void *)&r, "a kernel-only chain is left alone");
		recunwind_free(u);
	}
	symbolizer_free(s);
	return done_testing();
}
