/*
 * hist.c - HDR-style log-linear histogram (model layer). The index
 * arithmetic lives inline in hist.h so recording is a handful of
 * instructions; this file holds the read-out and serialization.
 */
#include "hist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/strbuf.h"
#include "../core/banned.h"

uint64_t hist_bucket_low(uint32_t index)
{
	uint32_t shift, sub;

	if (index < 2 * HIST_SUB_COUNT)
		return index;
	shift = index / HIST_SUB_COUNT - 1;
	sub = index % HIST_SUB_COUNT + HIST_SUB_COUNT;
	return (uint64_t)sub << shift;
}

uint64_t hist_bucket_high(uint32_t index)
{
	uint32_t shift, sub;

	if (index < 2 * HIST_SUB_COUNT)
		return index;
	shift = index / HIST_SUB_COUNT - 1;
	sub = index % HIST_SUB_COUNT + HIST_SUB_COUNT;
	if (shift >= 56 && sub == 2 * HIST_SUB_COUNT - 1)
		return UINT64_MAX;
	return (((uint64_t)sub + 1) << shift) - 1;
}

uint32_t hist_buckets_for(uint64_t max)
{
	return hist_index(max) + 1;
}

int hist_init(struct hist *h, uint64_t max_trackable)
{
	memset(h, 0, sizeof(*h));
	h->max_trackable = max_trackable ? max_trackable : HIST_DEFAULT_MAX;
	h->n_counts = hist_buckets_for(h->max_trackable);
	h->counts = calloc(h->n_counts, sizeof(*h->counts));
	if (!h->counts)
		return -ENOMEM;
	h->min = UINT64_MAX;
	return 0;
}

void hist_release(struct hist *h)
{
	free(h->counts);
	memset(h, 0, sizeof(*h));
}

void hist_reset(struct hist *h)
{
	memset(h->counts, 0, h->n_counts * sizeof(*h->counts));
	h->total = h->max = h->clamped = 0;
	h->sum = h->sumsq = 0;
	h->min = UINT64_MAX;
}

int hist_merge(struct hist *dst, const struct hist *src)
{
	uint32_t i;

	if (src->n_counts > dst->n_counts) {
		uint64_t *n = realloc(dst->counts, src->n_counts * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + dst->n_counts, 0, (src->n_counts - dst->n_counts) * sizeof(*n));
		dst->counts = n;
		dst->n_counts = src->n_counts;
		dst->max_trackable = src->max_trackable;
	}
	for (i = 0; i < src->n_counts; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	if (src->total) {
		if (src->min < dst->min)
			dst->min = src->min;
		if (src->max > dst->max)
			dst->max = src->max;
	}
	return 0;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;
	uint32_t i;

	if (!h->total)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < h->n_counts; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);
			uint64_t mid = lo + (hi - lo) / 2;

			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->total ? h->sum / (double)h->total : 0;
}

double hist_stddev(const struct hist *h)
{
	double m, var;

	if (h->total < 2)
		return 0;
	m = hist_mean(h);
	var = (h->sumsq - (double)h->total * m * m) / (double)(h->total - 1);
	return var > 0 ? sqrt(var) : 0;
}

static void put_varint(struct strbuf *out, uint64_t v)
{
	strbuf_add_varint(out, v);
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char c = *(*p)++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -EINVAL;
}

static void put_double(struct strbuf *out, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	put_varint(out, bits);
}

int hist_encode(const struct hist *h, struct strbuf *out)
{
	uint32_t i, last = 0, nz = 0;

	strbuf_add(out, "PH1", 3);
	put_varint(out, h->max_trackable);
	put_varint(out, h->total);
	put_varint(out, h->total ? h->min : 0);
	put_varint(out, h->max);
	put_double(out, h->sum);
	put_double(out, h->sumsq);
	put_varint(out, h->clamped);
	for (i = 0; i < h->n_counts; i++)
		nz += h->counts[i] != 0;
	put_varint(out, nz);
	for (i = 0; i < h->n_counts; i++) {
		if (!h->counts[i])
			continue;
		put_varint(out, i - last);
		put_varint(out, h->counts[i]);
		last = i;
	}
	return 0;
}

int hist_decode(struct hist *h, const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len;
	uint64_t maxt, total, mn, mx, sum, sumsq, clamped, nz, idx = 0, i, seen = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len < 3 || memcmp(p, "PH1", 3))
		return -EINVAL;
	p += 3;
	if (get_varint(&p, end, &maxt) || get_varint(&p, end, &total) ||
	    get_varint(&p, end, &mn) || get_varint(&p, end, &mx) ||
	    get_varint(&p, end, &sum) || get_varint(&p, end, &sumsq) ||
	    get_varint(&p, end, &clamped) || get_varint(&p, end, &nz))
		return -EINVAL;
	if (!maxt || mx > maxt || (total && mn > mx))
		return -EINVAL;
	rc = hist_init(h, maxt);
	if (rc)
		return rc;
	if (nz > h->n_counts)
		goto bad;
	for (i = 0; i < nz; i++) {
		uint64_t delta, c;

		if (get_varint(&p, end, &delta) || get_varint(&p, end, &c))
			goto bad;
		idx += delta;
		if (idx >= h->n_counts || (i > 0 && delta == 0) || !c)
			goto bad;
		h->counts[idx] = c;
		if (seen + c < seen)
			goto bad;
		seen += c;
	}
	if (seen != total || p != end)
		goto bad;
	h->total = total;
	h->min = total ? mn : UINT64_MAX;
	h->max = mx;
	memcpy(&h->sum, &sum, sizeof(double));
	memcpy(&h->sumsq, &sumsq, sizeof(double));
	h->clamped = clamped;
	return 0;
bad:
	hist_release(h);
	return -EINVAL;
}
