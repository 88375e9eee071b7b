/*
 * cpu_queue.c - the CPU sampler's records merged by time (collect layer):
 * an arena of payloads and an index sorted at each flush.
 */
#include "cpu_queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "model/recfile.h"
#include "model/recunwind.h"
#include "core/banned.h"

int cpu_queue_push(struct queue *q, uint32_t type, uint64_t time, const void *a, size_t alen,
		   const void *b, size_t blen, const void *c, size_t clen)
{
	size_t len = alen + blen + clen;
	struct pending *p;

	/* Payloads start 8-byte aligned, as the recording reader's do. */
	q->alen = (q->alen + 7) & ~(size_t)7;
	if (ARRAY_GROW(q->arena, q->acap, q->alen + len) || ARRAY_GROW(q->v, q->cap, q->n + 1))
		return -ENOMEM;
	p = &q->v[q->n++];
	p->time = time;
	p->seq = q->seq++;
	p->off = q->alen;
	p->len = (uint32_t)len;
	p->type = type;
	if (alen)
		memcpy(q->arena + q->alen, a, alen), q->alen += alen;
	if (blen)
		memcpy(q->arena + q->alen, b, blen), q->alen += blen;
	if (clen)
		memcpy(q->arena + q->alen, c, clen), q->alen += clen;
	return 0;
}

static int pending_cmp(const void *x, const void *y)
{
	const struct pending *a = x, *b = y;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Writes every pending record with time <= horizon, in time order, and
 * keeps the rest (compacting the arena). */
int cpu_queue_flush(struct queue *q, struct rec_writer *w, struct recunwind *uw,
		    uint64_t horizon)
{
	size_t i, keep = 0, newlen = 0;
	int rc = 0;

	if (!q->n)
		return 0;
	qsort(q->v, q->n, sizeof(*q->v), pending_cmp);
	for (i = 0; i < q->n && q->v[i].time <= horizon; i++) {
		const void *data = q->arena + q->v[i].off;
		size_t len = q->v[i].len;

		if (uw && (rc = recunwind_record(uw, q->v[i].type, data, len, &data, &len)))
			return rc;
		rc = rec_writer_add(w, q->v[i].type, data, len, NULL, 0, NULL, 0);
		if (rc)
			return rc;
	}
	if (i == q->n) {
		q->n = 0;
		q->alen = 0;
		return 0;
	}
	/* Keep the tail: move its bytes down (offsets only grow by sort
	 * order of time, not of offset, so copy through a scratch buffer). */
	{
		size_t rest = q->n - i, bytes = 0;
		unsigned char *scratch;

		for (keep = i; keep < q->n; keep++)
			bytes += (q->v[keep].len + 7) & ~(size_t)7;
		scratch = malloc(bytes ? bytes : 1);
		if (!scratch)
			return -ENOMEM;
		for (keep = i; keep < q->n; keep++) {
			newlen = (newlen + 7) & ~(size_t)7;
			memcpy(scratch + newlen, q->arena + q->v[keep].off, q->v[keep].len);
			q->v[keep].off = newlen;
			newlen += q->v[keep].len;
		}
		memcpy(q->arena, scratch, newlen);
		free(scratch);
		memmove(q->v, q->v + i, rest * sizeof(*q->v));
		q->n = rest;
		q->alen = newlen;
	}
	return rc;
}

void cpu_queue_release(struct queue *q)
{
	free(q->arena);
	free(q->v);
	memset(q, 0, sizeof(*q));
}
