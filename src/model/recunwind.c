/*
 * recunwind.c - unwinding while recording: samples with a stack copy
 * become address chains (model layer; see recunwind.h).
 */
#include "recunwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recfile.h"
#include "symbols.h"
#include "unwind.h"
#include "../core/banned.h"

#define PERF_CONTEXT_MAX ((uint64_t)-4095)
#define MAX_USER (2 * UNWIND_MAX_DEPTH)	/* CFI frames plus the fp tail above them */
#define FP_SLICE 512			/* stack kept for the report's fp leaf fix */

struct recunwind {
	struct symbolizer *sym;
	struct recunwind_stats st;
	uint32_t copy_size;		/* stack bytes asked of the kernel per sample */
	uint32_t off_copy_size;		/* ... per REC_OFFCPU (context-switch) sample */
	uint32_t cur_copy;		/* the one of the sample being unwound */
	uint64_t pcs[UNWIND_MAX_DEPTH];
	uint64_t user[MAX_USER];	/* the kernel's user chain, markers removed */
	unsigned char *buf;		/* the rewritten record */
	size_t abuf;
};

struct recunwind *recunwind_new(uint32_t copy_size)
{
	struct recunwind *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->copy_size = copy_size;
	u->off_copy_size = copy_size;
	u->sym = symbolizer_new();
	if (!u->sym) {
		free(u);
		return NULL;
	}
	return u;
}

void recunwind_free(struct recunwind *u)
{
	if (!u)
		return;
	symbolizer_free(u->sym);
	free(u->buf);
	free(u);
}

void recunwind_set_offcpu_copy(struct recunwind *u, uint32_t copy_size)
{
	u->off_copy_size = copy_size;
}

const struct recunwind_stats *recunwind_stats(const struct recunwind *u)
{
	return &u->st;
}

static int reserve(struct recunwind *u, size_t need)
{
	unsigned char *nb;

	if (need <= u->abuf)
		return 0;
	nb = realloc(u->buf, need);
	if (!nb)
		return -ENOMEM;
	u->buf = nb;
	u->abuf = need;
	return 0;
}

static int copy_u64(const struct unwind_input *in, uint64_t sp, uint64_t addr, uint64_t *val)
{
	if (addr < sp || addr - sp > in->stack_size || in->stack_size - (addr - sp) < 8)
		return -1;
	memcpy(val, in->stack + (addr - sp), 8);
	return 0;
}

/*
 * A walk that ran out of stack copy goes on with the kernel's
 * frame-pointer chain, when the two provably meet. That chain is
 * [ip, ret(L0), ret(L1), ...] with L0 = the sampled RBP and L(i+1) = *L(i).
 * If the walk's outermost frame keeps a frame pointer and its RBP is the
 * link Lj, the chain's entries after j + 1 are that frame's callers. The
 * links up to Lj must lie in the copy and agree with the chain.
 */
static int splice(struct recunwind *u, struct sym_space *sp, const struct unwind_input *in,
		  int n, int nk, uint64_t bp)
{
	uint64_t spv, link, prev = 0, ret, next;
	int j = 0, tail;

	if (n < 1 || nk < 2 || !bp || unwind_reg(in, UNWIND_PERF_SP, &spv) ||
	    unwind_reg(in, UNWIND_PERF_BP, &link))
		return n;
	for (;;) {
		if (link == bp)
			break;
		if (link <= prev || j + 1 >= nk || copy_u64(in, spv, link, &next) ||
		    copy_u64(in, spv, link + 8, &ret) || ret != u->user[j + 1])
			return n;
		prev = link;
		link = next;
		j++;
	}
	if (j + 1 >= nk || !unwind_fp_frame(u->sym, sp, n > 1 ? u->pcs[n - 1] - 1 : u->pcs[0]))
		return n;
	tail = nk - (j + 1);
	if (tail > MAX_USER - n)
		tail = MAX_USER - n;
	memmove(u->user + n, u->user + j + 1, (size_t)tail * 8);
	memcpy(u->user, u->pcs, (size_t)n * 8);
	u->st.spliced++;
	return -(n + tail);	/* negative: the result is in u->user */
}

static int is_start(struct recunwind *u, struct sym_space *sp, uint64_t pc)
{
	uint32_t nf, id = sym_lookup(u->sym, sp, pc);
	const struct sym_frame *f = id == UINT32_MAX ? NULL : sym_result(u->sym, id, &nf);

	return f && nf && f[nf - 1].function && !strcmp(f[nf - 1].function, "_start");
}

/*
 * The CFI walk, resumed where it lost track: libdwfl forgets a register
 * that a leaf without CFI rules for it leaves alone (glibc's hack_digit
 * and RBP), and the walk then stops at the caller that needs it. When
 * that caller keeps a frame pointer, one frame-pointer step from the last
 * RBP the walk knew gets past it, and the walk goes on from there. Every
 * step must move up the stack copy and land in code.
 */
static int walk_resumed(struct recunwind *u, struct sym_space *sp, const struct unwind_input *in0,
			uint64_t *bp, int *complete)
{
	struct unwind_end end;
	struct unwind_input in = *in0;
	uint64_t regs[3], sp0, top;
	int n, m;

	*bp = 0;
	if (unwind_reg(in0, UNWIND_PERF_SP, &sp0))
		return -ENOENT;
	top = sp0 + in0->stack_size;
	n = unwind_dwarf_end(u->sym, sp, in0, u->pcs, UNWIND_MAX_DEPTH, &end);
	for (int steps = 0; n >= 1 && n < UNWIND_MAX_DEPTH && steps < 16; steps++) {
		uint64_t b = end.bp_known ? end.bp : end.last_known_bp, ra, nbp;

		*bp = b;
		if (!b || b < end.sp || b + 16 > top ||
		    !unwind_fp_frame(u->sym, sp, n > 1 ? u->pcs[n - 1] - 1 : u->pcs[0]) ||
		    copy_u64(in0, sp0, b + 8, &ra) || copy_u64(in0, sp0, b, &nbp) ||
		    !sym_space_maps(sp, ra))
			break;
		/* PERF_REG_X86_BP, SP, IP: ascending bit order. */
		regs[0] = nbp;
		regs[1] = b + 16;
		regs[2] = ra;
		in.regs = regs;
		in.regs_mask = (1ull << UNWIND_PERF_BP) | (1ull << UNWIND_PERF_SP) |
			       (1ull << UNWIND_PERF_IP);
		in.stack = in0->stack + (b + 16 - sp0);
		in.stack_size = (uint32_t)(top - (b + 16));
		m = unwind_dwarf_end(u->sym, sp, &in, u->pcs + n, UNWIND_MAX_DEPTH - n, &end);
		if (m < 1)
			break;
		n += m;
		*bp = 0;
		u->st.resumed++;
	}
	if (n >= 1 && !*bp)
		*bp = end.bp_known ? end.bp : end.last_known_bp;
	/* A copy shorter than asked for ends at the top of the stack: a walk
	 * that wanted memory above it was past the program's first frame. The
	 * dynamic linker's _start has no CFI saying it is the first (the walk
	 * fails on the garbage above it). */
	*complete = n >= 1 && (end.complete || (end.read_above && in0->stack_size < u->cur_copy) ||
			       is_start(u, sp, u->pcs[n - 1] - (n > 1)));
	return n;
}

int recunwind_record(struct recunwind *u, uint32_t type, const void *data, size_t len,
		     const void **out, size_t *outlen)
{
	struct rec rec = { .type = type, .data = data, .size = (uint32_t)len };
	struct rec_sample_view v;
	struct unwind_input in;
	struct rec_sample hdr;
	const uint64_t *chain;
	size_t need, off;
	int n, nk = 0, rc;
	struct sym_space *sp;
	uint64_t bp = 0;
	int complete = 0;

	*out = data;
	*outlen = len;
	switch (type) {
	case REC_MMAP:
		if (len > sizeof(struct rec_mmap)) {
			const struct rec_mmap *m = data;
			size_t plen = len - sizeof(*m);
			char *path = strndup((const char *)(m + 1), plen);

			if (!path)
				return -ENOMEM;
			rc = symbolizer_mmap(u->sym, m, path);
			free(path);
			return rc == -ENOMEM ? rc : 0;
		}
		return 0;
	case REC_FORK:
		if (len >= sizeof(struct rec_task)) {
			const struct rec_task *t = data;

			rc = symbolizer_fork(u->sym, t->pid, t->ppid);
			return rc == -ENOMEM ? rc : 0;
		}
		return 0;
	case REC_SAMPLE:
	case REC_OFFCPU:
		break;
	default:
		return 0;
	}
	if (rec_sample_parse(&rec, &v) || !v.regs)
		return 0;
	if (!v.stack) {
		/* Registers but no stack copy: the kernel could not read the
		 * stack (a sample inside execve, after the new program's memory
		 * is in place but before its registers are: the stale stack
		 * pointer is unmapped). Only the kernel's frame-pointer chain
		 * is left, and nothing says it is whole. */
		if (v.s->nr_ips <= v.s->nr_kernel || (v.s->flags & REC_SAMPLE_PARTIAL) ||
		    reserve(u, len))
			return 0;
		memcpy(u->buf, data, len);
		((struct rec_sample *)u->buf)->flags |= REC_SAMPLE_PARTIAL;
		u->st.partial++;
		*out = u->buf;
		return 0;
	}
	u->st.samples++;
	u->st.bytes_in += len;
	memset(&in, 0, sizeof(in));
	in.pid = v.s->pid;
	in.tid = v.s->tid;
	in.regs = v.regs;
	in.regs_mask = v.s->regs_mask;
	in.stack = v.stack;
	in.stack_size = v.s->stack_size;
	for (uint32_t i = v.s->nr_kernel; i < v.s->nr_ips && nk < MAX_USER; i++)
		if (v.ips[i] && v.ips[i] < PERF_CONTEXT_MAX)
			u->user[nk++] = v.ips[i];

	sp = symbolizer_space(u->sym, v.s->pid);
	u->cur_copy = type == REC_OFFCPU ? u->off_copy_size : u->copy_size;
	n = sp ? walk_resumed(u, sp, &in, &bp, &complete) : -ENOENT;
	hdr = *v.s;
	if (n > 1 || (n == 1 && nk <= 1)) {
		int r = splice(u, sp, &in, n, nk, bp);

		if (r < 0) {
			chain = u->user;
			n = -r;
			complete = 1;	/* as whole as the kernel's chain */
		} else {
			chain = u->pcs;
		}
		hdr.flags = (uint16_t)((hdr.flags & ~(REC_SAMPLE_REGS | REC_SAMPLE_STACK)) |
				       REC_SAMPLE_UNWOUND | (complete ? 0 : REC_SAMPLE_PARTIAL));
		u->st.partial += !complete;
		hdr.regs_mask = 0;
		hdr.stack_size = 0;
		hdr.nr_ips = (uint16_t)(v.s->nr_kernel + (uint32_t)n);
		need = sizeof(hdr) + (size_t)hdr.nr_ips * 8;
		if (reserve(u, need))
			return -ENOMEM;
		memcpy(u->buf, &hdr, sizeof(hdr));
		off = sizeof(hdr);
		memcpy(u->buf + off, v.ips, (size_t)v.s->nr_kernel * 8);
		off += (size_t)v.s->nr_kernel * 8;
		memcpy(u->buf + off, chain, (size_t)n * 8);
		u->st.unwound++;
	} else {
		/* CFI found nothing better than the fp chain: keep it, with the
		 * registers and a slice for the report's leaf fix, marked partial:
		 * nothing says the chain is whole (code without frame pointers
		 * cuts it silently). */
		uint32_t slice = v.s->stack_size < FP_SLICE ? v.s->stack_size : FP_SLICE;

		hdr.flags |= REC_SAMPLE_PARTIAL;
		u->st.partial++;
		hdr.stack_size = slice;
		need = sizeof(hdr) + ((size_t)v.s->nr_ips + v.nr_regs) * 8 + slice;
		if (reserve(u, need))
			return -ENOMEM;
		memcpy(u->buf, &hdr, sizeof(hdr));
		off = sizeof(hdr);
		memcpy(u->buf + off, v.ips, ((size_t)v.s->nr_ips + v.nr_regs) * 8);
		off += ((size_t)v.s->nr_ips + v.nr_regs) * 8;
		memcpy(u->buf + off, v.stack, slice);
		u->st.kept_fp++;
	}
	*out = u->buf;
	*outlen = need;
	u->st.bytes_out += need;
	return 0;
}
