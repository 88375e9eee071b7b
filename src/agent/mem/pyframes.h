/*
 * pyframes.h - CPython 3.11 frames read in-process, shared by the mem
 * agent (agent.c) and the db agent (src/agent/db/agent.c): the walk of a
 * thread state's frame chain into stack words (MEMW_PY_TAG | lasti << 47
 * | code object) and the description of a code object (struct
 * memw_pycode with its name, file and line table). Header-only, libc
 * only; offsets from wire.h. The caller makes sure the frames cannot
 * change under the walk (the thread is its own, or holds the GIL).
 */
#ifndef PINCH_AGENT_MEM_PYFRAMES_H
#define PINCH_AGENT_MEM_PYFRAMES_H

#include <stdint.h>
#include <string.h>

#include "wire.h"

#define PYLOAD(type, addr, off) (*(const type *)((uintptr_t)(addr) + (off)))

/* Appends the frames of thread state ts to ips[n..max). Returns the new count. */
static inline int pyframes_walk(uintptr_t ts, uintptr_t code_type, uint64_t *ips, int n, int max)
{
	uintptr_t cf = PYLOAD(uintptr_t, ts, MEMW_PY311_TSTATE_CFRAME);
	uintptr_t fr = cf ? PYLOAD(uintptr_t, cf, MEMW_PY311_CFRAME_CURRENT) : 0;
	int k = 0;

	while (fr && n < max && k++ < 4 * MEMW_PY_MAX_FRAMES) {
		uintptr_t code = PYLOAD(uintptr_t, fr, MEMW_PY311_FRAME_CODE);
		uintptr_t prev = PYLOAD(uintptr_t, fr, MEMW_PY311_FRAME_PREV_INSTR);
		uintptr_t start;
		int64_t lasti;

		if (!code || PYLOAD(uintptr_t, code, 8) != code_type)
			break;
		start = code + MEMW_PY311_CODE_ADAPTIVE;
		if (PYLOAD(uint8_t, fr, MEMW_PY311_FRAME_OWNER) == 1 ||
		    prev >= start + 2 * (uintptr_t)PYLOAD(int32_t, code, MEMW_PY311_CODE_FIRSTTRACEABLE)) {
			lasti = ((int64_t)prev - (int64_t)start) / 2;
			if (lasti < 0)
				lasti = 0;
			if (lasti > MEMW_PY_LASTI_MAX)
				lasti = MEMW_PY_LASTI_MAX;
			ips[n++] = MEMW_PY_TAG | (uint64_t)lasti << 47 | ((uint64_t)code & MEMW_PY_CODE_MASK);
		}
		fr = PYLOAD(uintptr_t, fr, MEMW_PY311_FRAME_PREVIOUS);
	}
	return n;
}

/* Makes room for the Python frames after n native words of ips[max]:
 * keeps at most max - MEMW_PY_MAX_FRAMES of them and clears the tag in
 * any (a native word never has it: a return address of 0 minus one
 * would), so the tag marks Python frames only. Returns the new n. */
static inline int pyframes_room(uint64_t *ips, int n, int max)
{
	if (n > max - MEMW_PY_MAX_FRAMES)
		n = max - MEMW_PY_MAX_FRAMES;
	for (int i = 0; i < n; i++)
		if (ips[i] & MEMW_PY_TAG)
			ips[i] = 0;
	return n;
}

/* A str object's text: compact ASCII or compact latin-1 only. */
static inline const char *pyframes_str(uintptr_t o, uint32_t *len)
{
	uint32_t state;
	int64_t l;

	*len = 0;
	if (!o)
		return "";
	state = PYLOAD(uint32_t, o, 32);
	l = PYLOAD(int64_t, o, 16);
	if (!(state & (1u << 5)) || l < 0 || l > 4096)
		return "";
	*len = (uint32_t)l;
	if (state & (1u << 6))
		return (const char *)(o + 48);
	if (((state >> 2) & 7) == 1)
		return (const char *)(o + 72);	/* latin-1: the reader shows '?' for bytes >= 0x80 */
	*len = 0;
	return "";
}

/* Describes the code object of a stack word: *pc, and where its name,
 * file and line table bytes are (*table NULL when it has none). */
static inline void pyframes_code(uint64_t word, struct memw_pycode *pc, const char **name,
				 const char **file, const void **table)
{
	uintptr_t c = (uintptr_t)(word & MEMW_PY_CODE_MASK);
	uintptr_t tab = PYLOAD(uintptr_t, c, MEMW_PY311_CODE_LINETABLE);
	uint32_t nl, fl;

	*name = pyframes_str(PYLOAD(uintptr_t, c, MEMW_PY311_CODE_QUALNAME), &nl);
	*file = pyframes_str(PYLOAD(uintptr_t, c, MEMW_PY311_CODE_FILENAME), &fl);
	memset(pc, 0, sizeof(*pc));
	pc->code = (uint64_t)c;
	pc->firstlineno = PYLOAD(int32_t, c, MEMW_PY311_CODE_FIRSTLINENO);
	pc->name_len = nl;
	pc->file_len = fl;
	pc->table_len = tab ? (uint32_t)PYLOAD(int64_t, tab, 16) : 0;
	if (pc->table_len > (1u << 16))
		pc->table_len = 0;
	*table = pc->table_len ? (const void *)(tab + 32) : NULL;
}

#endif
