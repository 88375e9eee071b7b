/*
 * agentstream.h - reads the record stream the CPU fallback agent appends
 * (src/agent/cpu/wire.h) back in (collect layer): indexes its whole
 * records, keeps the types a CPU recording may hold, and orders them by
 * time for copying into the recording. The bytes come from inside the
 * profiled program, so nothing in them is trusted.
 */
#ifndef PINCH_COLLECT_AGENTSTREAM_H
#define PINCH_COLLECT_AGENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

struct agentstream_rec {
	uint64_t time;		/* 0 for records without a timestamp */
	size_t off;		/* of the payload (after the header) in the stream */
	uint32_t type;		/* a REC_* / PCW_* type */
	uint32_t size;		/* payload bytes */
};

/*
 * Indexes buf[0..len): *out (malloc'd, caller frees) gets the records of
 * known types (COMM, MMAP, SAMPLE, FORK, EXIT, LOST) whose payload is at
 * least their fixed struct, sorted by time, stable. Reading stops at a
 * record that is cut short or impossible (*torn = 1): what the agent wrote
 * before it is kept. Returns 0 or -ENOMEM.
 */
int agentstream_index(const void *buf, size_t len, struct agentstream_rec **out, size_t *n,
		      int *torn);

#endif
