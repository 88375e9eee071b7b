/*
 * cfi.c - the mem agent's stack walker for code without frame pointers
 * (Debian's glibc, libstdc++): x86-64 DWARF call-frame information from
 * the loaded objects' .eh_frame_hdr/.eh_frame, found with
 * _dl_find_object, reduced per return address to one rule (CFA = rsp or
 * rbp + offset, return address at CFA-8, rbp saved at CFA+k or kept) and
 * cached per thread, so a warm walk costs one table probe per frame.
 * libc only; never allocates through malloc.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cfi.h"

#define TLS __thread __attribute__((tls_model("initial-exec")))

/* rule: low 32 bits cfa offset, then 16 bits rbp offset, then flags */
#define R_CFA_RSP (1ull << 48)
#define R_CFA_RBP (1ull << 49)
#define R_BP_SAVED (1ull << 50)
#define R_NONE (1ull << 51)	/* looked up: no usable rule */

#define CACHE_BITS 12
struct centry {
	uint64_t pc;
	uint64_t rule;
};
static TLS struct centry *t_cache;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static int g_key_ok;

/* A thread's cache goes with the thread; later events of that thread (other
 * TLS destructors freeing) walk frame pointers instead of making a new one. */
#define CACHE_GONE ((struct centry *)(uintptr_t)1)

static void cache_free(void *c)
{
	if (c && c != CACHE_GONE)
		syscall(SYS_munmap, c, sizeof(struct centry) << CACHE_BITS);
	t_cache = CACHE_GONE;
}

static void make_key(void)
{
	g_key_ok = pthread_key_create(&g_key, cache_free) == 0;
}

static uint64_t uleb(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static int64_t sleb(const uint8_t **p, const uint8_t *end)
{
	int64_t v = 0;
	int shift = 0;
	uint8_t b = 0;

	while (*p < end) {
		b = *(*p)++;
		if (shift < 64)
			v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= -((int64_t)1 << shift);
	return v;
}

/* Reads a DW_EH_PE-encoded pointer. 0 ok, -1 unsupported. */
static int read_enc(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t datarel, uint64_t *out)
{
	const uint8_t *start = *p;
	uint64_t v;

	if (enc == 0xff) {
		*out = 0;
		return 0;
	}
	switch (enc & 0x0f) {
	case 0x00: if (end - *p < 8) return -1; memcpy(&v, *p, 8); *p += 8; break;
	case 0x01: v = uleb(p, end); break;
	case 0x02: { uint16_t x; if (end - *p < 2) return -1; memcpy(&x, *p, 2); *p += 2; v = x; break; }
	case 0x03: { uint32_t x; if (end - *p < 4) return -1; memcpy(&x, *p, 4); *p += 4; v = x; break; }
	case 0x04: if (end - *p < 8) return -1; memcpy(&v, *p, 8); *p += 8; break;
	case 0x09: v = (uint64_t)sleb(p, end); break;
	case 0x0a: { int16_t x; if (end - *p < 2) return -1; memcpy(&x, *p, 2); *p += 2; v = (uint64_t)(int64_t)x; break; }
	case 0x0b: { int32_t x; if (end - *p < 4) return -1; memcpy(&x, *p, 4); *p += 4; v = (uint64_t)(int64_t)x; break; }
	case 0x0c: if (end - *p < 8) return -1; memcpy(&v, *p, 8); *p += 8; break;
	default: return -1;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += (uint64_t)(uintptr_t)start; break;
	case 0x30: v += datarel; break;
	default: return -1;
	}
	if (enc & 0x80)
		return -1;	/* indirect: not in code we walk */
	*out = v;
	return 0;
}

struct state {
	int cfa_reg;		/* 7 rsp, 6 rbp, -1 unknown */
	int64_t cfa_off;
	int bp_saved;
	int64_t bp_off;
};

/* Runs CFA instructions up to pc. 0, or -1 on anything unsupported. */
static int run(const uint8_t *p, const uint8_t *end, uint64_t loc, uint64_t pc, uint64_t caf, int64_t daf,
	       uint8_t fde_enc, struct state *s, const struct state *init)
{
	struct state stack[8];
	int depth = 0;

	while (p < end && loc <= pc) {
		uint8_t op = *p++, low = op & 0x3f;
		uint64_t reg, off;

		switch (op & 0xc0) {
		case 0x40:
			loc += low * caf;
			continue;
		case 0x80:
			off = uleb(&p, end);
			if (low == 6) {
				s->bp_saved = 1;
				s->bp_off = (int64_t)off * daf;
			}
			continue;
		case 0xc0:
			if (low == 6)
				s->bp_saved = init->bp_saved, s->bp_off = init->bp_off;
			continue;
		}
		switch (op) {
		case 0x00: break;	/* nop */
		case 0x01: if (read_enc(&p, end, fde_enc, 0, &loc)) return -1; break;
		case 0x02: if (p >= end) return -1; loc += *p++ * caf; break;
		case 0x03: { uint16_t d; if (end - p < 2) return -1; memcpy(&d, p, 2); p += 2; loc += d * caf; break; }
		case 0x04: { uint32_t d; if (end - p < 4) return -1; memcpy(&d, p, 4); p += 4; loc += d * caf; break; }
		case 0x05:	/* offset_extended */
			reg = uleb(&p, end);
			off = uleb(&p, end);
			if (reg == 6)
				s->bp_saved = 1, s->bp_off = (int64_t)off * daf;
			break;
		case 0x06: case 0x07: case 0x08:	/* restore_extended, undefined, same_value */
			reg = uleb(&p, end);
			if (reg == 6)
				s->bp_saved = op == 0x06 ? init->bp_saved : 0,
				s->bp_off = op == 0x06 ? init->bp_off : 0;
			if (reg == 16 && op == 0x07)
				return -1;	/* no return address: the outermost frame */
			break;
		case 0x09:	/* register */
			reg = uleb(&p, end);
			uleb(&p, end);
			if (reg == 6 || reg == 16)
				return -1;
			break;
		case 0x0a:
			if (depth == 8)
				return -1;
			stack[depth++] = *s;
			break;
		case 0x0b:
			if (!depth)
				return -1;
			*s = stack[--depth];
			break;
		case 0x0c:	/* def_cfa */
			s->cfa_reg = (int)uleb(&p, end);
			s->cfa_off = (int64_t)uleb(&p, end);
			break;
		case 0x0d: s->cfa_reg = (int)uleb(&p, end); break;
		case 0x0e: s->cfa_off = (int64_t)uleb(&p, end); break;
		case 0x0f: return -1;	/* def_cfa_expression */
		case 0x10: case 0x16:	/* expression, val_expression */
			reg = uleb(&p, end);
			off = uleb(&p, end);
			if (reg == 6 || reg == 16 || off > (uint64_t)(end - p))
				return -1;
			p += off;
			break;
		case 0x11:	/* offset_extended_sf */
			reg = uleb(&p, end);
			{
				int64_t so = sleb(&p, end);

				if (reg == 6)
					s->bp_saved = 1, s->bp_off = so * daf;
			}
			break;
		case 0x12:
			s->cfa_reg = (int)uleb(&p, end);
			s->cfa_off = sleb(&p, end) * daf;
			break;
		case 0x13: s->cfa_off = sleb(&p, end) * daf; break;
		case 0x14: case 0x15:	/* val_offset */
			reg = uleb(&p, end);
			if (op == 0x14)
				uleb(&p, end);
			else
				sleb(&p, end);
			if (reg == 6 || reg == 16)
				return -1;
			break;
		case 0x2e: uleb(&p, end); break;	/* GNU_args_size */
		case 0x2f:	/* GNU_negative_offset_extended */
			reg = uleb(&p, end);
			off = uleb(&p, end);
			if (reg == 6)
				s->bp_saved = 1, s->bp_off = -(int64_t)off * daf;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* Finds the FDE of pc and computes its rule. */
static uint64_t lookup(uint64_t pc)
{
	struct dl_find_object fo;
	const uint8_t *hdr, *p, *end, *fde, *cie, *cie_end, *fde_end, *aug;
	uint64_t eh_frame, count, lo, hi, caf, pc_begin, pc_range, hdr_base;
	int64_t daf;
	uint8_t enc_ptr, enc_count, enc_table, fde_enc = 0, version;
	uint32_t len, cie_off;
	struct state s, init;
	int has_z = 0;

	if (_dl_find_object((void *)(uintptr_t)pc, &fo) || !fo.dlfo_eh_frame)
		return R_NONE;
	hdr = fo.dlfo_eh_frame;
	hdr_base = (uint64_t)(uintptr_t)hdr;
	if (hdr[0] != 1)
		return R_NONE;
	enc_ptr = hdr[1];
	enc_count = hdr[2];
	enc_table = hdr[3];
	p = hdr + 4;
	end = p + 16;
	if (read_enc(&p, end, enc_ptr, hdr_base, &eh_frame) || read_enc(&p, end, enc_count, hdr_base, &count) ||
	    enc_table != 0x3b || !count)
		return R_NONE;
	/* binary search of (int32 initial location, int32 fde), datarel */
	lo = 0;
	hi = count;
	while (hi - lo > 1) {
		uint64_t mid = (lo + hi) / 2;
		int32_t loc;

		memcpy(&loc, p + mid * 8, 4);
		if (hdr_base + (uint64_t)(int64_t)loc <= pc)
			lo = mid;
		else
			hi = mid;
	}
	{
		int32_t loc, f;

		memcpy(&loc, p + lo * 8, 4);
		memcpy(&f, p + lo * 8 + 4, 4);
		if (hdr_base + (uint64_t)(int64_t)loc > pc)
			return R_NONE;
		fde = (const uint8_t *)(uintptr_t)(hdr_base + (uint64_t)(int64_t)f);
	}
	memcpy(&len, fde, 4);
	if (len == 0 || len == 0xffffffffu || len > (1u << 20))
		return R_NONE;
	fde_end = fde + 4 + len;
	memcpy(&cie_off, fde + 4, 4);
	cie = fde + 4 - cie_off;
	memcpy(&len, cie, 4);
	if (len == 0 || len == 0xffffffffu || len > (1u << 20))
		return R_NONE;
	cie_end = cie + 4 + len;
	p = cie + 8;	/* after length and CIE id */
	version = *p++;
	aug = p;
	while (p < cie_end && *p)
		p++;
	p++;
	caf = uleb(&p, cie_end);
	daf = sleb(&p, cie_end);
	if (version == 1)
		p++;
	else
		uleb(&p, cie_end);
	if (*aug == 'z') {
		uint64_t alen = uleb(&p, cie_end);
		const uint8_t *adata = p;

		has_z = 1;
		for (aug++; *aug; aug++) {
			if (*aug == 'R') {
				fde_enc = *p++;
			} else if (*aug == 'P') {
				uint64_t dummy;
				uint8_t penc = *p++;

				if (read_enc(&p, cie_end, penc & 0x7f, hdr_base, &dummy))
					return R_NONE;
			} else if (*aug == 'L') {
				p++;
			} else if (*aug != 'S') {
				break;
			}
		}
		p = adata + alen;
	} else if (*aug) {
		return R_NONE;
	}
	memset(&init, 0, sizeof(init));
	init.cfa_reg = -1;
	if (run(p, cie_end, 0, UINT64_MAX, caf, daf, fde_enc, &init, &init))
		return R_NONE;
	/* the FDE */
	p = fde + 8;
	if (read_enc(&p, fde_end, fde_enc, hdr_base, &pc_begin) ||
	    read_enc(&p, fde_end, fde_enc & 0x0f, hdr_base, &pc_range))
		return R_NONE;
	if (pc < pc_begin || pc >= pc_begin + pc_range)
		return R_NONE;
	if (has_z)
		p += uleb(&p, fde_end);
	s = init;
	if (run(p, fde_end, pc_begin, pc, caf, daf, fde_enc, &s, &init))
		return R_NONE;
	if ((s.cfa_reg != 7 && s.cfa_reg != 6) || s.cfa_off < 0 || s.cfa_off > INT32_MAX ||
	    s.bp_off < INT16_MIN || s.bp_off > INT16_MAX)
		return R_NONE;
	return (uint64_t)(uint32_t)s.cfa_off | (uint64_t)(uint16_t)(int16_t)s.bp_off << 32 |
	       (s.cfa_reg == 7 ? R_CFA_RSP : R_CFA_RBP) | (s.bp_saved ? R_BP_SAVED : 0);
}

void cfi_thread_init(void)
{
	long m;

	if (t_cache)
		return;
	/* the kernel directly: the agent interposes mmap itself */
	m = syscall(SYS_mmap, NULL, sizeof(struct centry) << CACHE_BITS, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)m > -4096ul)
		return;
	t_cache = (struct centry *)m;
	pthread_once(&g_key_once, make_key);
	if (g_key_ok)
		pthread_setspecific(g_key, t_cache);
}

static inline uint64_t rule_of(uint64_t pc, int nocache)
{
	struct centry *e;
	uint64_t r;

	if (__builtin_expect(!t_cache || t_cache == CACHE_GONE, 0))
		return R_NONE;
	e = &t_cache[((pc * 0x9e3779b97f4a7c15ull) >> (64 - CACHE_BITS))];
	if (e->pc == pc)
		return e->rule;
	if (nocache)
		return lookup(pc);
	/* a handler's walk reading this entry meanwhile sees no pc, never a
	 * pc with another's rule */
	r = lookup(pc);
	e->pc = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	e->rule = r;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	e->pc = pc;
	return r;
}

static int walk(uint64_t pc, uint64_t sp, uint64_t bp, uint64_t stack_hi, uint64_t *ips,
		uint64_t *cfas, int n, int max, int nocache)
{
	while (n < max) {
		uint64_t r, cfa, ra;

		if (pc < 4096)
			break;
		ips[n++] = pc - 1;
		r = rule_of(pc - 1, nocache);
		if (r & R_NONE) {
			/* no CFI: trust the frame-pointer chain if it looks sane */
			if (bp <= sp || bp + 16 > stack_hi || (bp & 7))
				break;
			cfa = bp + 16;
			ra = ((const uint64_t *)(uintptr_t)bp)[1];
			bp = ((const uint64_t *)(uintptr_t)bp)[0];
		} else {
			cfa = ((r & R_CFA_RSP) ? sp : bp) + (uint32_t)r;
			if (cfa <= sp || cfa > stack_hi || (cfa & 7))
				break;
			ra = ((const uint64_t *)(uintptr_t)cfa)[-1];
			if (r & R_BP_SAVED) {
				uint64_t at = cfa + (uint64_t)(int64_t)(int16_t)(r >> 32);

				if (at < sp || at + 8 > stack_hi)
					break;
				bp = *(const uint64_t *)(uintptr_t)at;
			}
		}
		if (cfas)
			cfas[n - 1] = cfa;
		sp = cfa;
		pc = ra;
	}
	return n;
}

int cfi_walk(uint64_t pc, uint64_t sp, uint64_t bp, uint64_t stack_hi, uint64_t *ips, int n, int max,
	     int nocache)
{
	return walk(pc, sp, bp, stack_hi, ips, NULL, n, max, nocache);
}

int cfi_walk_frames(uint64_t pc, uint64_t sp, uint64_t bp, uint64_t stack_hi, uint64_t *ips,
		    uint64_t *cfas, int max)
{
	int n = walk(pc, sp, bp, stack_hi, ips, cfas, 0, max, 1);

	/* the last frame's CFA is known only if the walk went past it */
	return n > 0 && n < max ? n - 1 : n;
}
