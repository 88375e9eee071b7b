/*
 * pyfake.h - the fake target memory of the Python fuzz targets
 * (fuzz-pywalk, fuzz-pyobjects): the input is the target's memory from
 * FAKE_BASE up, read through a py_read_fn that never leaves the image.
 */
#ifndef PINCH_TESTS_FUZZ_PYFAKE_H
#define PINCH_TESTS_FUZZ_PYFAKE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FAKE_BASE 0x10000ull

struct image {
	const uint8_t *data;
	size_t size;
};

static inline int fake_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
	struct image *m = ctx;

	if (addr < FAKE_BASE || addr - FAKE_BASE > m->size || len > m->size - (addr - FAKE_BASE))
		return -EFAULT;
	memcpy(dst, m->data + (addr - FAKE_BASE), len);
	return 0;
}

#endif
