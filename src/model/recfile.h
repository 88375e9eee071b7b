/*
 * recfile.h - the recording file: a 64-byte header, then typed,
 * length-prefixed records, each padded to 8 bytes. Append-only and
 * self-describing; a file cut short (a crash or SIGKILL of either side)
 * is readable up to its last whole record. Addresses are stored raw;
 * symbolization happens when reporting.
 *
 * Record layouts below are the on-disk format (little-endian, x86-64).
 * Add new record types at the end; readers skip types they do not know.
 */
#ifndef PINCH_MODEL_RECFILE_H
#define PINCH_MODEL_RECFILE_H

#include <stddef.h>
#include <stdint.h>

#define REC_MAGIC "PINCHREC"
#define REC_VERSION 1
#define REC_MAX_RECORD (64u << 20)	/* no record is larger than 64 MiB */

struct rec_file_header {
	char magic[8];		/* "PINCHREC" */
	uint32_t version;	/* REC_VERSION; a reader refuses newer versions */
	uint32_t header_size;	/* 64 */
	uint64_t start_real_ns;	/* CLOCK_REALTIME at start */
	uint64_t start_mono_ns;	/* CLOCK_MONOTONIC at start: sample times are on this clock */
	uint32_t kind;		/* enum rec_kind */
	uint32_t flags;
	uint8_t reserved[24];
};

enum rec_kind {
	REC_KIND_CPU = 1,	/* pinch record */
	REC_KIND_MEM = 2,	/* pinch mem */
	REC_KIND_TRACE = 3,	/* pinch trace */
};

struct rec_hdr {
	uint32_t type;
	uint32_t size;		/* payload bytes, not counting this header or padding */
};

enum rec_type {
	REC_META = 1,		/* "key\0value\0" pairs: command, mode, frequency... */
	REC_COMM = 2,		/* struct rec_comm, then the NUL-terminated name */
	REC_MMAP = 3,		/* struct rec_mmap, then the NUL-terminated path */
	REC_SAMPLE = 4,		/* struct rec_sample, then ips, regs, stack bytes */
	REC_FORK = 5,		/* struct rec_task */
	REC_EXIT = 6,		/* struct rec_task */
	REC_LOST = 7,		/* struct rec_lost */
	REC_FINISH = 8,		/* struct rec_finish: the recording ended cleanly */
	REC_STRING = 9,		/* uint32_t id, then the bytes (no NUL): interned text */
	REC_SYMSTACK = 10,	/* struct rec_symstack: interpreter frames of a sample */
	REC_KSYM = 11,		/* struct rec_ksym: a sampled kernel address's symbol */
	REC_OFFCPU = 12,	/* struct rec_sample (as REC_SAMPLE): the stack where a thread
				 * was switched out (--off-cpu, --wall); period unused */
	REC_SWITCH = 13,	/* struct rec_switch: a thread switched out or in */
	/* 32..63 are pinch mem's agent records (src/agent/mem/wire.h). */
	/* 64..79 are reserved for interpreters (Python). */
	REC_PYTHREAD = 64,	/* struct rec_comm, then the NUL-terminated name threading gave the thread */
	REC_PYGIL = 65,		/* struct rec_pygil: the thread holding the GIL from now on */
	/* 80..95 are pinch trace's agent records (src/agent/trace/wire.h). */
};

struct rec_comm {
	uint32_t pid, tid;
	uint64_t time_ns;
	/* char name[] follows */
};

/* The Python GIL of process pid is held by thread tid (0: by nobody)
 * from time_ns until the next REC_PYGIL of that process. */
struct rec_pygil {
	uint32_t pid, tid;
	uint64_t time_ns;
};

struct rec_mmap {
	uint32_t pid;
	uint32_t prot;		/* PROT_* bits; executable maps matter for symbols */
	uint64_t start, len, pgoff;
	uint64_t time_ns;
	uint8_t build_id_len;	/* 0 when unknown */
	uint8_t build_id[20];
	uint8_t pad[3];
	/* char path[] follows, NUL-terminated ("[vdso]", "//anon", ...) */
};

enum rec_sample_flags {
	REC_SAMPLE_REGS = 1 << 0,	/* user registers follow the ips (regs_mask) */
	REC_SAMPLE_STACK = 1 << 1,	/* stack_size bytes of user stack follow (from SP) */
	REC_SAMPLE_AGENT = 1 << 2,	/* taken by the in-process fallback agent */
	REC_SAMPLE_IDLE = 1 << 3,	/* the thread was off-CPU (waiting) */
	REC_SAMPLE_UNWOUND = 1 << 4,	/* the user ips are a CFI-unwound chain (no fixing) */
	REC_SAMPLE_PARTIAL = 1 << 5,	/* ... that stopped short of the stack's start */
};

struct rec_sample {
	uint32_t pid, tid;
	uint64_t time_ns;	/* CLOCK_MONOTONIC */
	uint64_t period;	/* weight of this sample: nanoseconds of CPU for cpu-clock */
	uint32_t cpu;
	uint16_t nr_ips;	/* call chain, leaf first: nr_kernel kernel addresses, then user */
	uint16_t flags;		/* enum rec_sample_flags */
	uint64_t regs_mask;	/* perf_event x86 PERF_REG_X86_* bits (REC_SAMPLE_REGS) */
	uint32_t stack_size;	/* bytes of stack copy (REC_SAMPLE_STACK) */
	uint32_t nr_kernel;	/* leading ips that are kernel addresses (<= nr_ips) */
	/* uint64_t ips[nr_ips]; uint64_t regs[popcount(regs_mask)]; uint8_t stack[stack_size] */
};

/* Written at the end of a recording for each distinct kernel address that
 * was sampled, resolved through /proc/kallsyms while it could be read. */
struct rec_ksym {
	uint64_t addr;		/* the sampled address */
	uint64_t offset;	/* from the start of its function */
	/* char name[] follows, NUL-terminated ("" when unknown) */
};

enum rec_switch_flags {
	REC_SWITCH_OUT = 1 << 0,	/* switched out (else: in) */
	REC_SWITCH_PREEMPT = 1 << 1,	/* ... while still runnable (preempted) */
};

/* A context switch of thread tid (perf's PERF_RECORD_SWITCH). Blocked time
 * is the switch-in time minus the switch-out time; the REC_OFFCPU of the
 * thread between the two holds the stack. */
struct rec_switch {
	uint32_t pid, tid;
	uint64_t time_ns;
	uint32_t flags;		/* enum rec_switch_flags */
	uint32_t cpu;
};

struct rec_task {
	uint32_t pid, ppid, tid, ptid;
	uint64_t time_ns;
};

struct rec_lost {
	uint64_t lost;		/* samples lost by the kernel ring buffer */
	uint64_t unreadable;	/* samples taken but not readable (e.g. a torn stack) */
};

struct rec_finish {
	uint64_t end_mono_ns;
	int32_t exit_status;	/* of the profiled command; -1 if attached */
	int32_t term_signal;	/* signal that ended the command, or 0 */
	uint64_t samples;
};

/* One interpreter frame of a REC_SYMSTACK: ids refer to REC_STRING records. */
struct rec_symframe {
	uint32_t function;	/* string id of the qualified name */
	uint32_t file;		/* string id of the source path */
	uint32_t line;		/* 0 when unknown */
	uint32_t flags;		/* bit 0: entry frame of a native eval call (for merging) */
};

#define REC_SYMFRAME_ENTRY 1u	/* rec_symframe.flags: entry frame of a native eval call */

/*
 * The interpreter stack of thread tid as read at time_ns. It holds for
 * that thread's samples from then on, until the next REC_SYMSTACK of the
 * thread (the Python sampler writes one only when the stack changed).
 * nr = 0: the thread has no readable interpreter stack now.
 */
struct rec_symstack {
	uint32_t tid;
	uint16_t nr;		/* frames, leaf first */
	uint16_t lang;		/* 1 = Python */
	uint64_t time_ns;	/* CLOCK_MONOTONIC of the read */
	/* struct rec_symframe frames[nr] */
};

/* ---- writer ---------------------------------------------------------- */

struct rec_writer;

/* Creates (truncates) path and writes the header. Returns 0 or -errno. */
int rec_writer_open(struct rec_writer **w, const char *path, enum rec_kind kind);
/* Appends one record made of up to three parts (NULL/0 parts are skipped).
 * The record is buffered; only whole records ever reach the file. */
int rec_writer_add(struct rec_writer *w, uint32_t type, const void *a, size_t alen,
		   const void *b, size_t blen, const void *c, size_t clen);
/* Appends a REC_META key/value pair. */
int rec_writer_meta(struct rec_writer *w, const char *key, const char *value);
/* Writes buffered records to the file (whole records only). */
int rec_writer_flush(struct rec_writer *w);
/* Flushes, closes and frees. Returns the first error seen, if any. */
int rec_writer_close(struct rec_writer *w);
uint64_t rec_writer_bytes(const struct rec_writer *w);

/* ---- reader ---------------------------------------------------------- */

struct rec_reader;

struct rec {
	uint32_t type;
	uint32_t size;
	const void *data;	/* valid until the reader is closed; 8-byte aligned */
};

/*
 * Opens and validates a recording. On failure returns -errno style codes
 * and writes a one-line reason into err: -ENOENT, -EACCES (open),
 * -ENODATA (empty), -EPROTO (not a recording), -EPROTONOSUPPORT (newer
 * version).
 */
int rec_reader_open(struct rec_reader **r, const char *path, char *err, size_t errlen);
/* Opens a recording held in memory (the fuzz target's entry); the reader
 * keeps its own aligned copy. */
int rec_reader_open_mem(struct rec_reader **r, const void *data, size_t len, char *err,
			size_t errlen);
const struct rec_file_header *rec_reader_header(const struct rec_reader *r);
/* Next record: 1 and *out filled, or 0 at the end. Stops (returning 0)
 * at a record that is cut short or has an impossible size, and then
 * rec_reader_truncated() is true. */
int rec_reader_next(struct rec_reader *r, struct rec *out);
int rec_reader_truncated(const struct rec_reader *r);
/* Bytes of whole records read so far / total file size. */
uint64_t rec_reader_offset(const struct rec_reader *r);
uint64_t rec_reader_size(const struct rec_reader *r);
void rec_reader_rewind(struct rec_reader *r);
void rec_reader_close(struct rec_reader *r);

/* Parses a REC_SAMPLE payload into its parts. Returns 0 or -EINVAL when the
 * sizes do not add up. */
struct rec_sample_view {
	const struct rec_sample *s;
	const uint64_t *ips;
	const uint64_t *regs;
	uint32_t nr_regs;
	const uint8_t *stack;
};
int rec_sample_parse(const struct rec *rec, struct rec_sample_view *v);

#endif
