/*
 * pylinetable.c - CPython 3.11 co_linetable decoding for the Python
 * reader (collect/python/pyreader.c) and pinch mem: the same walk as CPython's advance() in
 * Objects/codeobject.c, but bounded by the table length everywhere.
 */
#include <errno.h>

#include "model/pylinetable.h"
#include "core/banned.h"

/* Reads a 6-bit-chunk varint at *p (bounded by end). 0, or -1 past end. */
static int scan_varint(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
	uint32_t val = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (*p >= end)
			return -1;
		b = *(*p)++;
		if (shift < 32)
			val |= (uint32_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	*out = val;
	return 0;
}

static int scan_svarint(const uint8_t **p, const uint8_t *end, int32_t *out)
{
	uint32_t v;

	if (scan_varint(p, end, &v) < 0)
		return -1;
	*out = (v & 1) ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
	return 0;
}

/* Decodes the entry at *p: its line delta, whether it has a location,
 * and its length in code units. Advances *p to the next entry. */
static int next_entry(const uint8_t **p, const uint8_t *end, int32_t *delta, int *noloc,
		      uint32_t *units)
{
	const uint8_t *q = *p;
	uint8_t first = *q;
	int code = (first >> 3) & 15;

	*units = (uint32_t)(first & 7) + 1;
	*noloc = code == 15;
	*delta = 0;
	q++;
	if (code == 13 || code == 14) {
		if (scan_svarint(&q, end, delta) < 0)
			return -1;
	} else if (code >= 10 && code <= 12) {
		*delta = code - 10;
	}
	/* Skip the rest of the entry: continuation bytes have bit 7 clear. */
	while (q < end && !(*q & 128))
		q++;
	*p = q;
	return 0;
}

int py_linetable_decode(const uint8_t *tab, size_t len, int32_t firstlineno,
			struct py_linerange *out, size_t max, size_t *n)
{
	const uint8_t *p = tab, *end = tab + len;
	int64_t line = firstlineno;
	uint64_t addr = 0;

	*n = 0;
	while (p < end) {
		int32_t delta;
		int noloc;
		uint32_t units;

		if (!(*p & 128))
			return -EBADMSG;	/* not at an entry start */
		if (next_entry(&p, end, &delta, &noloc, &units) < 0)
			return -EBADMSG;
		line += delta;
		if (line > INT32_MAX || line < INT32_MIN)
			line = firstlineno;	/* garbage: keep the arithmetic defined */
		if (addr + units * 2 > UINT32_MAX)
			return -EBADMSG;
		if (*n >= max)
			return -EOVERFLOW;
		out[*n].start = (uint32_t)addr;
		out[*n].end = (uint32_t)(addr + units * 2);
		out[*n].line = noloc ? -1 : (int32_t)line;
		(*n)++;
		addr += units * 2;
	}
	return 0;
}

int32_t py_linerange_find(const struct py_linerange *r, size_t n, int32_t firstlineno,
			  int64_t addr)
{
	size_t lo = 0, hi = n;

	if (addr < 0)
		return firstlineno;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uint64_t)addr < r[mid].start)
			hi = mid;
		else if ((uint64_t)addr >= r[mid].end)
			lo = mid + 1;
		else
			return r[mid].line;
	}
	return firstlineno;
}

int32_t py_linetable_line(const uint8_t *tab, size_t len, int32_t firstlineno, int64_t addr)
{
	const uint8_t *p = tab, *end = tab + len;
	int64_t line = firstlineno;
	uint64_t start = 0;

	if (addr < 0)
		return firstlineno;
	while (p < end) {
		int32_t delta;
		int noloc;
		uint32_t units;

		if (!(*p & 128) || next_entry(&p, end, &delta, &noloc, &units) < 0)
			break;
		line += delta;
		if (line > INT32_MAX || line < INT32_MIN)
			line = firstlineno;
		if ((uint64_t)addr < start + units * 2)
			return noloc ? -1 : (int32_t)line;
		start += units * 2;
	}
	return firstlineno;
}
