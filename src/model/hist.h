/*
 * hist.h - the one latency/value histogram of pinch: HDR-style log-linear
 * buckets (128 sub-buckets per power of two: at most 0.4 % relative error
 * for the midpoint of a bucket), exact below 256. Used by load, bench,
 * spans, db and libpinch. Mergeable (counts add) and serializable.
 *
 * Not thread-safe: one writer at a time; shard per thread and merge.
 */
#ifndef PINCH_MODEL_HIST_H
#define PINCH_MODEL_HIST_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define HIST_SUB_BITS 7
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)		/* 128 */
/* Default upper bound: one hour in nanoseconds. */
#define HIST_DEFAULT_MAX 3600000000000ull

struct hist {
	uint64_t *counts;
	uint32_t n_counts;
	uint64_t max_trackable;	/* values above are clamped to it */
	uint64_t total;		/* number of recorded values */
	uint64_t min, max;	/* exact extremes (min = UINT64_MAX when empty) */
	double sum;		/* exact sum, for the mean */
	double sumsq;		/* sum of squares, for the standard deviation */
	uint64_t clamped;	/* values that were above max_trackable */
};

/* Bucket index of a value, and the [low, high] range a bucket covers. */
static inline uint32_t hist_index(uint64_t v)
{
	unsigned int e, shift;

	if (v < 2 * HIST_SUB_COUNT)
		return (uint32_t)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	shift = e - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB_COUNT + (uint32_t)((v >> shift) - HIST_SUB_COUNT);
}
uint64_t hist_bucket_low(uint32_t index);
uint64_t hist_bucket_high(uint32_t index);
/* Number of buckets needed for values up to max. */
uint32_t hist_buckets_for(uint64_t max);

/* Allocates the bucket array. max_trackable 0 means HIST_DEFAULT_MAX.
 * Returns 0 or -ENOMEM. */
int hist_init(struct hist *h, uint64_t max_trackable);
void hist_release(struct hist *h);
void hist_reset(struct hist *h);

static inline void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
	if (v > h->max_trackable) {
		h->clamped += n;
		v = h->max_trackable;
	}
	h->counts[hist_index(v)] += n;
	h->total += n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->sum += (double)v * (double)n;
	h->sumsq += (double)v * (double)v * (double)n;
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	hist_record_n(h, v, 1);
}

/* Adds src into dst; dst grows its range if src's is larger. 0 or -ENOMEM. */
int hist_merge(struct hist *dst, const struct hist *src);

/* The value at percentile p (0..100): the midpoint of the bucket holding
 * that rank, clamped to the exact [min, max]. 0 for an empty histogram. */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);

/* Compact binary form (varints, sparse buckets). */
int hist_encode(const struct hist *h, struct strbuf *out);
/* Decodes what hist_encode wrote into an uninitialized h. Returns 0,
 * -EINVAL for malformed input or -ENOMEM. */
int hist_decode(struct hist *h, const void *data, size_t len);

#endif
