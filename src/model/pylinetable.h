/*
 * pylinetable.h - decoder for CPython 3.11+ co_linetable (the location
 * table of Objects/locations.md): maps a bytecode offset to its source
 * line. Pure functions over bytes, bounded by the table length, so they
 * are safe on data read from another process.
 */
#ifndef PINCH_MODEL_PYLINETABLE_H
#define PINCH_MODEL_PYLINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* One entry: code bytes [start, end) belong to line (-1: no location). */
struct py_linerange {
	uint32_t start, end;
	int32_t line;
};

/*
 * Decodes the table into ranges (at most max; *n gets the count), the
 * running line starting at firstlineno. Returns 0, or -EOVERFLOW when
 * more than max entries exist (the first max are filled), or -EBADMSG
 * when an entry runs past the end of the table (the ranges before it
 * are kept).
 */
int py_linetable_decode(const uint8_t *tab, size_t len, int32_t firstlineno,
			struct py_linerange *out, size_t max, size_t *n);

/* Line of code byte offset addr (2 * instruction index) in decoded
 * ranges: the line, -1 for "no location", or firstlineno when addr
 * precedes the code or is past its end. */
int32_t py_linerange_find(const struct py_linerange *r, size_t n, int32_t firstlineno,
			  int64_t addr);

/* Both in one go without allocation (slower for repeated lookups). */
int32_t py_linetable_line(const uint8_t *tab, size_t len, int32_t firstlineno, int64_t addr);

#endif
