/*
 * cpu_queue.h - records of the CPU sampler waiting to be written, merged
 * by time (collect layer, internal to src/collect/cpu*.c). The per-CPU
 * rings each deliver records in time order; the queue holds a round's
 * worth from all of them and writes out, sorted, what is older than the
 * previous round's start.
 */
#ifndef PINCH_COLLECT_CPU_QUEUE_H
#define PINCH_COLLECT_CPU_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct rec_writer;
struct recunwind;

struct pending {
	uint64_t time;
	uint64_t seq;		/* arrival order: keeps equal times stable */
	size_t off;		/* payload offset in the arena */
	uint32_t len;
	uint32_t type;
};

struct queue {
	unsigned char *arena;
	size_t alen, acap;
	struct pending *v;
	size_t n, cap;
	uint64_t seq;
};

/* Copies the concatenation a|b|c (any may be NULL) as one record. */
int cpu_queue_push(struct queue *q, uint32_t type, uint64_t time, const void *a, size_t alen,
		   const void *b, size_t blen, const void *c, size_t clen);
/* Writes every pending record with time <= horizon, in time order, through
 * the record-time unwinder when uw is not NULL. */
int cpu_queue_flush(struct queue *q, struct rec_writer *w, struct recunwind *uw,
		    uint64_t horizon);
void cpu_queue_release(struct queue *q);

#endif
