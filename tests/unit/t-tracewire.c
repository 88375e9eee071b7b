/*
 * t-tracewire.c - pinch trace's wire.h, shared by the agent and the
 * reader: varints and zig-zag at their edges, the event encoding round
 * trip, and the calling-context tree: exact lookups across many grows,
 * the per-node hint, and the depth cap that keeps recursion bounded.
 */
#include <stdint.h>
#include <string.h>

#include "agent/trace/wire.h"
#include "tap.h"

int main(void)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX };
	static const int64_t svals[] = { 0, -1, 1, -64, 64, INT64_MIN, INT64_MAX };
	unsigned char buf[64];
	struct trw_cct c;
	uint32_t wrong = 0, node, parent, i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const unsigned char *p = buf;
		unsigned char *e = trw_put(buf, vals[i]);
		uint64_t v = 0;

		if (trw_get(&p, e, &v) || v != vals[i] || p != e)
			wrong++;
		/* cut short by one byte: an error, never a read past the end */
		p = buf;
		if (e - buf > 1 && !trw_get(&p, e - 1, &v))
			wrong++;
	}
	is_uint(wrong, 0, "varints round-trip; a cut varint is an error");
	wrong = 0;
	for (i = 0; i < sizeof(svals) / sizeof(svals[0]); i++)
		if (trw_unzigzag(trw_zigzag(svals[i])) != svals[i])
			wrong++;
	is_uint(wrong, 0, "zig-zag round-trips at the edges");
	is_uint(trw_zigzag(0), 0, "a repeated function costs one byte: zigzag(0) = 0");
	{
		/* a one-byte exit for a delta of 31 ticks */
		unsigned char *e = trw_put(buf, 31ull << 2 | TRW_EV_EXIT);

		is_uint((uint64_t)(e - buf), 1, "an exit 31 ticks later is one byte");
	}

	ok(trw_cct_init(&c) == 0, "tree made");
	/* 100 000 children of the root and 1000 under each of 3 of them:
	 * the tree grows many times; every lookup stays exact */
	for (i = 1; i <= 100000; i++)
		trw_cct_child(&c, 0, 0x400000 + i * 16);
	is_uint(c.n, 100001, "100 000 distinct paths, one node each");
	for (i = 1; i <= 100000; i++) {
		node = trw_cct_child(&c, 0, 0x400000 + i * 16);
		if (c.v[node].fn != 0x400000 + (uint64_t)i * 16 || c.v[node].parent != 0)
			wrong++;
	}
	is_uint(wrong, 0, "found again after growing, not duplicated");
	is_uint(c.n, 100001, "no new nodes on lookups");
	parent = trw_cct_child(&c, 0, 0x400010);
	node = trw_cct_child(&c, parent, 0x400010);
	ok(node != parent && c.v[node].parent == parent && c.v[node].depth == 2,
	   "the same function under itself is a new path (recursion)");
	is_uint(trw_cct_child(&c, parent, 0x400010), node, "the hint gives it again");
	ok(!c.full, "not full");
	trw_cct_release(&c);

	ok(trw_cct_init(&c) == 0, "second tree");
	parent = 0;
	for (i = 0; i < 100000; i++)
		parent = trw_cct_child(&c, parent, 0x1000);
	is_uint(c.n, TRW_CCT_MAX_DEPTH + 1, "unbounded recursion: nodes stop at the depth cap");
	is_uint(c.v[parent].depth, TRW_CCT_MAX_DEPTH, "the deepest node is at the cap");
	trw_cct_release(&c);
	return done_testing();
}
