/*
 * fuzz-pywalk.c - the Python frame walker (pyreader.c) over a fake memory
 * image: the input is the target's memory from FAKE_BASE up, _PyRuntime
 * at its start. Threads and stacks are walked with a reader kept across
 * inputs (so stale code-cache entries are exercised too); every walk
 * must end, and no read may leave the image.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/python/pyreader.h"
#include "pyfake.h"

static struct image img;

volatile size_t sink;	/* keeps the reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct py_reader *r;
	struct py_target t = { .version_hex = 0x030b07f0, .runtime = FAKE_BASE };
	struct py_thread th[16];
	static struct py_frame fr[PY_MAX_DEPTH];
	size_t nt = 0, nf;
	char err[256];

	img.data = data;
	img.size = size;
	if (!r && py_reader_new(&r, &t, fake_read, &img, err, sizeof(err)) < 0)
		abort();
	if (py_reader_threads(r, th, 16, &nt) < 0)
		nt = 0;
	for (size_t i = 0; i < nt; i++) {
		if (py_reader_stack(r, th[i].tstate, fr, PY_MAX_DEPTH, &nf) == 0)
			for (size_t j = 0; j < nf; j++)
				sink += strlen(fr[j].function) + strlen(fr[j].file) + (size_t)fr[j].line;
		if (py_reader_stack_tid(r, th[i].tid, fr, 8, &nf) == 0)
			sink += nf;
	}
	return 0;
}
