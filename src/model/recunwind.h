/*
 * recunwind.h - unwinding while recording (model layer, used by the
 * collector's write path). The default call-graph mode ("cfi") samples
 * like --call-graph dwarf (all user registers and a copy of the top of
 * the user stack) but never stores the copy: each sample is unwound with
 * the binaries' CFI as it is written, and only the return addresses reach
 * the file, so whole stacks cost about what frame-pointer chains cost on
 * disk. Where a stack is deeper than the copy, the kernel's frame-pointer
 * chain continues it from the frame where the copy ended, when the two
 * agree there.
 *
 * The stage sees the records in the order they are written: REC_MMAP and
 * REC_FORK build the address spaces, REC_SAMPLE is rewritten. Not
 * thread-safe; one stage per recording.
 */
#ifndef PINCH_MODEL_RECUNWIND_H
#define PINCH_MODEL_RECUNWIND_H

#include <stddef.h>
#include <stdint.h>

struct recunwind;

struct recunwind_stats {
	uint64_t samples;	/* samples with a stack copy seen */
	uint64_t unwound;	/* rewritten as address chains */
	uint64_t spliced;	/* of those, continued with the fp chain above the copy */
	uint64_t resumed;	/* CFI walks resumed by a frame-pointer step */
	uint64_t partial;	/* unwound chains that stop short of the stack's start */
	uint64_t kept_fp;	/* CFI found nothing better: the fp chain was kept */
	uint64_t bytes_in;	/* sample payload bytes before and after */
	uint64_t bytes_out;
};

/* copy_size: the stack bytes asked of the kernel per sample. */
struct recunwind *recunwind_new(uint32_t copy_size);
void recunwind_free(struct recunwind *u);

/*
 * Takes one record (type, payload) in file order. Sets *out and *outlen to
 * what should be written instead: the input itself, or a rewritten sample
 * held by the stage until the next call. Returns 0 or -ENOMEM.
 */
int recunwind_record(struct recunwind *u, uint32_t type, const void *data, size_t len,
		     const void **out, size_t *outlen);

/* The stack bytes asked per REC_OFFCPU sample, when not copy_size. */
void recunwind_set_offcpu_copy(struct recunwind *u, uint32_t copy_size);

const struct recunwind_stats *recunwind_stats(const struct recunwind *u);

#endif
