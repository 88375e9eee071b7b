/*
 * fuzz-pyobjects.c - the Python object reader (pyobjects.c: thread names
 * from threading._active, reprs, frame locals) over a fake memory image:
 * the input is the target's memory from FAKE_BASE up, with the types at
 * fixed places (see make-pyobjects-seed.py), an interpreter at +0x2000,
 * an object to repr at +0x3000, a frame at +0x4000 whose code object is
 * at +0x5000. Every walk must end, every repr stay within its buffer,
 * and no read leave the image.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/python/pyobjects.h"
#include "collect/python/pyreader.h"
#include "pyfake.h"

static struct image img;

volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct py_reader *r;
	struct py_target t = {
		.version_hex = 0x030b07f0, .runtime = FAKE_BASE,
		.unicode_type = FAKE_BASE + 0x1000, .long_type = FAKE_BASE + 0x1100,
		.float_type = FAKE_BASE + 0x1200, .bool_type = FAKE_BASE + 0x1300,
		.list_type = FAKE_BASE + 0x1400, .tuple_type = FAKE_BASE + 0x1500,
		.dict_type = FAKE_BASE + 0x1600, .cell_type = FAKE_BASE + 0x1700,
		.bytes_type = FAKE_BASE + 0x1800, .none_obj = FAKE_BASE + 0x1900,
		.true_obj = FAKE_BASE + 0x1910, .false_obj = FAKE_BASE + 0x1920,
	};
	struct py_thread_name names[8];
	static struct py_local locals[PY_LOCALS_MAX];
	struct py_frame f = { .addr = FAKE_BASE + 0x4000, .code = FAKE_BASE + 0x5000 };
	char repr[PY_REPR_MAX];
	size_t n = 0;
	uint64_t holder;
	int locked;
	char err[256];

	img.data = data;
	img.size = size;
	if (!r && py_reader_new(&r, &t, fake_read, &img, err, sizeof(err)) < 0)
		abort();
	if (py_thread_names(r, FAKE_BASE + 0x2000, names, 8, &n) == 0)
		for (size_t i = 0; i < n; i++)
			sink += strlen(names[i].name);
	py_repr(r, FAKE_BASE + 0x3000, repr, sizeof(repr));
	sink += strlen(repr);
	if (py_frame_locals(r, &f, locals, PY_LOCALS_MAX, &n) == 0)
		for (size_t i = 0; i < n; i++)
			sink += strlen(locals[i].name) + strlen(locals[i].repr);
	if (py_gil_state(r, &locked, &holder) == 0)
		sink += (size_t)locked;
	return 0;
}
