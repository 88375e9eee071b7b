/*
 * t-pyreader.c - the frame walker on a fake CPython 3.11 memory image
 * (tests/fuzz/corpus/pywalk/seed-basic, made by make-pywalk-seed.py):
 * threads, GIL holder, frames, lines, skipped incomplete frames, entry
 * flags, cycle detection, a torn code pointer, and a stale code cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/python/pyreader.h"
#include "core/strbuf.h"
#include "tap.h"
#include "core/banned.h"

#define BASE 0x10000ull

struct image {
	uint8_t *data;
	size_t size;
};

static int fake_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	struct image *m = ctx;

	if (addr < BASE || addr - BASE > m->size || len > m->size - (addr - BASE))
		return -EFAULT;
	memcpy(dst, m->data + (addr - BASE), len);
	return 0;
}

static void put64(struct image *m, size_t off, uint64_t v)
{
	memcpy(m->data + off, &v, 8);
}

int main(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct image m;
	struct py_target t = { .version_hex = 0x030b07f0, .runtime = BASE };
	struct py_reader *r;
	struct py_thread th[8];
	struct py_frame fr[16];
	size_t nt, nf;
	char err[256];

	if (argc < 2 || strbuf_read_file(&sb, argv[1], 0) < 0) {
		printf("1..0 # SKIP no seed image\n");
		return 0;
	}
	m.data = (uint8_t *)sb.buf;
	m.size = sb.len;
	is_int(py_reader_new(&r, &t, fake_read, &m, err, sizeof(err)), 0, "reader");
	is_int(py_reader_threads(r, th, 8, &nt), 0, "threads walk");
	is_uint(nt, 2, "two threads");
	is_uint(th[0].tid, 1234, "first tid");
	ok(th[0].holds_gil && !th[1].holds_gil, "gil holder");
	is_int(py_reader_stack(r, th[0].tstate, fr, 16, &nf), 0, "stack walk");
	is_uint(nf, 2, "two frames (the incomplete one skipped)");
	is_str(fr[0].function, "Worker.run", "leaf qualname");
	is_str(fr[0].file, "/srv/app.py", "leaf file");
	is_int(fr[0].line, 12, "leaf line from the line table");
	is_str(fr[1].function, "gen", "caller");
	is_int(fr[1].line, 22, "caller line (long form entry)");
	ok(fr[1].flags & PY_FRAME_GENERATOR, "generator frame");
	ok(fr[1].flags & PY_FRAME_ENTRY, "entry flag moved from the skipped incomplete frame");
	ok(!(fr[0].flags & PY_FRAME_ENTRY), "leaf is not an entry");
	is_int(py_reader_stack(r, th[1].tstate, fr, 16, &nf), 0, "thread without frames");
	is_uint(nf, 0, "no frames");
	is_int(py_reader_stack_tid(r, 1234, fr, 1, &nf), 0, "by tid, depth 1");
	ok(nf == 1 && (fr[0].flags & PY_FRAME_TRUNCATED), "cut at the depth asked, marked");
	is_int(py_reader_stack_tid(r, 999, fr, 16, &nf), -ENOENT, "unknown tid");

	/* A changed code object at the same address: the cache revalidates. */
	put64(&m, 0x5000 + 128, BASE + 0x6300);
	py_reader_stack(r, th[0].tstate, fr, 16, &nf);
	is_str(fr[0].function, "gen", "stale cache entry re-read");
	/* A frame chain that loops. */
	put64(&m, 0x4200 + 48, BASE + 0x4000);
	is_int(py_reader_stack(r, th[0].tstate, fr, 16, &nf), -ELOOP, "a cycle ends the walk");
	/* A code pointer into nowhere: torn. */
	put64(&m, 0x4000 + 32, 0xdead0000);
	is_int(py_reader_stack(r, th[0].tstate, fr, 16, &nf), -EBADMSG, "bad code pointer");
	/* A thread list that loops. */
	put64(&m, 0x2200 + 8, BASE + 0x2000);
	is_int(py_reader_threads(r, th, 8, &nt), -ELOOP, "a thread cycle ends the walk");
	py_reader_free(r);
	strbuf_release(&sb);
	return done_testing();
}
