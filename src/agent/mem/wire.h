/*
 * wire.h - what pinch mem's LD_PRELOAD agent (src/agent/mem/agent.c) and
 * its reader (src/collect/memrec.c, src/model/memprof.c) share: the
 * agent's two files per process and the record types 32..63 of a
 * REC_KIND_MEM recording. Depends only on libc (<stdint.h>).
 *
 * Per process (and per exec'd image) the agent writes, in PINCH_MEM_DIR:
 *   <pid>-<n>.stream  a 64-byte struct memw_stream_hdr, then records framed
 *                     exactly like the recording file (u32 type, u32 size,
 *                     payload padded to 8 bytes). A record's type word is
 *                     stored last, so a reader stops at the first zero type:
 *                     a SIGKILLed target leaves every whole record.
 *   <pid>-<n>.stats   struct memw_stats_hdr, then struct memw_site_live[]
 *                     indexed by stack id: the exact running accounting,
 *                     updated in place through a shared file mapping, so it
 *                     is current whatever way the process ends.
 * pinch mem turns these into one recording: per process a MEMW_PROC, its
 * REC_COMM/REC_MMAP, its stream records, then MEMW_SITE and MEMW_SUMMARY.
 * Records after a MEMW_PROC belong to that process.
 *
 * Stack addresses are return addresses minus one (they point into the
 * call instruction), leaf (the allocating call) first.
 */
#ifndef PINCH_AGENT_MEM_WIRE_H
#define PINCH_AGENT_MEM_WIRE_H

#include <stdint.h>

#define MEMW_STREAM_MAGIC "PINCHMS1"
#define MEMW_STATS_MAGIC "PINCHMT1"
#define MEMW_VERSION 1
#define MEMW_MAX_DEPTH 64	/* frames kept per stack */
#define MEMW_MAX_STACKS (1u << 20)	/* distinct stacks; more fold into stack 0 */
#define MEMW_LABEL_MAX 64

/* Environment the agent reads. */
#define MEMW_ENV_DIR "PINCH_MEM_DIR"	/* where to write; the agent is idle without it */
#define MEMW_ENV_OPTS "PINCH_MEM_OPTS"	/* "mmap=1,unwind=cfi,signal=12,interval_us=10000,depth=64" */

enum memw_type {
	MEMW_PROC = 32,		/* struct memw_proc, then the NUL-terminated executable path */
	MEMW_STACK = 33,	/* struct memw_stack, then uint64_t ips[nr] */
	MEMW_MAPS = 34,		/* stream only: /proc/self/maps text (becomes REC_MMAP records) */
	MEMW_POINT = 35,	/* struct memw_point: one timeline bucket */
	MEMW_SNAPSHOT = 36,	/* struct memw_snapshot, then struct memw_snap_entry[n] */
	MEMW_SITE = 37,		/* recording only: struct memw_site, final per-stack figures */
	MEMW_SUMMARY = 38,	/* recording only: struct memw_summary */
	MEMW_RSS = 39,		/* recording only: struct memw_rss, sampled by pinch from outside */
	MEMW_PYCODE = 40,	/* struct memw_pycode, then name, file and line table bytes */
	MEMW_LEAKS = 41,	/* struct memw_leaks, then struct memw_leak_entry[n] (at exit) */
};

enum memw_proc_flags {
	MEMW_F_FORKED = 1 << 0,		/* a fork child: inherited the parent's live blocks */
	MEMW_F_EXITED = 1 << 1,		/* reached the agent's destructor (exit() or return from main) */
	MEMW_F_MMAP = 1 << 2,		/* anonymous mmap/munmap counted as allocations */
	MEMW_F_DROPPED = 1 << 3,	/* the stream could not grow (disk full): records lost */
	MEMW_F_STACKS_FULL = 1 << 4,	/* more than MEMW_MAX_STACKS stacks; the rest are stack 0 */
	MEMW_F_EXECED = 1 << 5,		/* recording only: this image was replaced by exec */
	MEMW_F_PYTHON = 1 << 6,		/* a Python interpreter (PYTHONMALLOC matters) */
	MEMW_F_SALVAGED = 1 << 7,	/* recording only: made from files pinch left (pinch was killed) */
};

struct memw_stream_hdr {
	char magic[8];		/* MEMW_STREAM_MAGIC */
	uint32_t version;
	uint32_t header_size;	/* 64 */
	uint32_t pid, ppid;
	uint64_t start_mono_ns;
	uint64_t start_real_ns;
	uint64_t used;		/* bytes of whole records after the header (a hint) */
	uint8_t reserved[16];
};

struct memw_proc {
	uint32_t pid, ppid;
	uint32_t flags;		/* enum memw_proc_flags */
	uint32_t seq;		/* n of <pid>-<n>: images of one pid in exec order */
	uint64_t start_mono_ns;
	/* char exe[] follows */
};

struct memw_stack {
	uint32_t id;		/* 1.. (0 is the overflow stack, nr = 0) */
	uint32_t nr;		/* frames, leaf first */
	/* uint64_t ips[nr] */
};

struct memw_point {
	uint64_t time_ns;	/* bucket start, CLOCK_MONOTONIC */
	uint64_t heap_max;	/* the most heap in use at any moment of the bucket */
	uint64_t heap_end;	/* heap in use when the bucket closed */
	uint64_t rss;		/* resident bytes when the bucket closed (0 if unknown) */
};

struct memw_snapshot {
	uint64_t time_ns;
	uint64_t heap;		/* heap in use at the snapshot */
	uint32_t n;		/* entries */
	uint32_t pad;
	char label[MEMW_LABEL_MAX];	/* NUL-terminated */
	/* struct memw_snap_entry entries[n]: every stack with live blocks */
};

struct memw_snap_entry {
	uint32_t stack;
	uint32_t pad;
	uint64_t bytes;		/* live bytes of the stack at the snapshot */
	uint64_t blocks;	/* live blocks */
	uint64_t alloc_calls;	/* allocations made from the stack so far */
};

/* The leak classes of the blocks in use at exit (memcheck's), found by a
 * conservative scan from the roots when the process exits through
 * exit(); absent when it did not (_exit, a signal) or the scan was off. */
enum memw_leak_class {
	MEMW_LEAK_REACHABLE = 1,	/* still reachable: a pointer to its start is */
	MEMW_LEAK_POSSIBLE = 2,		/* possibly lost: only interior pointers */
	MEMW_LEAK_INDIRECT = 3,		/* indirectly lost: only lost blocks point to it */
	MEMW_LEAK_DEFINITE = 4,		/* definitely lost: nothing points to it */
	MEMW_LEAK_CLASSES = 5
};

struct memw_leaks {
	uint64_t scan_ns;		/* how long the scan took */
	uint64_t root_bytes;		/* bytes of roots scanned */
	uint64_t block_bytes;		/* bytes of blocks scanned */
	uint64_t bytes[MEMW_LEAK_CLASSES];	/* totals per class (index 0 unused) */
	uint64_t blocks[MEMW_LEAK_CLASSES];
	uint32_t n;			/* entries */
	uint32_t pad;
};

struct memw_leak_entry {
	uint32_t stack;
	uint32_t cls;			/* enum memw_leak_class */
	uint64_t bytes, blocks;
};

/* The agent's running accounting (stats file). */
struct memw_stats_hdr {
	char magic[8];		/* MEMW_STATS_MAGIC */
	uint32_t version;
	uint32_t header_size;	/* sizeof(struct memw_stats_hdr) */
	uint32_t pid, ppid;
	uint32_t flags;		/* enum memw_proc_flags */
	uint32_t n_stacks;	/* sites in use (ids 0..n_stacks-1) */
	uint64_t start_mono_ns;
	uint64_t seq;		/* events so far (the clock of the peak bookkeeping) */
	uint64_t alloc_calls, alloc_bytes, free_calls;
	uint64_t live_bytes, live_blocks;
	uint64_t peak_bytes, peak_blocks;
	uint64_t peak_seq;	/* the event that made the peak */
	uint64_t peak_time_ns;	/* when (to the agent's clock granularity, 64 events) */
	uint64_t temp_calls, temp_bytes;
	uint64_t unknown_frees;	/* frees of blocks the agent never saw allocated */
	uint64_t last_time_ns;	/* time of the latest clock reading */
	uint64_t bucket_start_ns, bucket_max;	/* the timeline bucket still open */
	uint64_t rss_max;	/* the largest RSS read */
	uint64_t snapshots;
	uint64_t end_mono_ns;	/* set by the destructor */
	uint64_t dropped;	/* events the agent could not book (a signal handler's queue was full) */
	uint8_t reserved[24];
};

struct memw_site_live {
	uint64_t alloc_bytes, alloc_calls, free_calls, temp_calls;
	uint64_t live_bytes, live_blocks;
	uint64_t peak_bytes, peak_blocks;	/* saved value at the peak (valid if last_seq > peak_seq) */
	uint64_t last_seq;	/* event of the last change */
};

/* Recording-side records, written by pinch mem from the stats file. */
struct memw_site {
	uint32_t stack;
	uint32_t pad;
	uint64_t alloc_bytes, alloc_calls, free_calls, temp_calls;
	uint64_t live_bytes, live_blocks;	/* still in use at the end ("leaked") */
	uint64_t peak_bytes, peak_blocks;	/* in use at the moment of the peak */
};

struct memw_summary {
	uint32_t pid, ppid;
	uint32_t flags;
	int32_t exit_status;	/* -1 unknown */
	int32_t term_signal;	/* 0 none */
	uint32_t n_stacks;
	uint64_t start_mono_ns, end_mono_ns;
	uint64_t alloc_calls, alloc_bytes, free_calls;
	uint64_t live_bytes, live_blocks;
	uint64_t peak_bytes, peak_blocks, peak_time_ns;
	uint64_t temp_calls, temp_bytes;
	uint64_t unknown_frees;
	uint64_t rss_max;
	uint64_t snapshots;
	uint64_t dropped;	/* events not booked (absent in recordings before it: 0) */
};

struct memw_rss {
	uint32_t pid, pad;
	uint64_t time_ns;
	uint64_t rss;
};

/*
 * Python frames (CPython 3.11). When the allocating thread holds the GIL,
 * the agent appends its Python frames to the native stack (outermost
 * last), one word each: MEMW_PY_TAG | lasti << 47 | code object address
 * (lasti in code units, capped). Each code object is described once, in
 * a MEMW_PYCODE record, before the first stack that uses it. Offsets are
 * CPython 3.11's (x86-64), the same as src/collect/python/pyoffsets.h
 * (checked against the headers by tests/unit/t-pyoffsets.c).
 */
#define MEMW_PY_TAG (1ull << 63)
#define MEMW_PY_CODE_MASK ((1ull << 47) - 1)
#define MEMW_PY_LASTI_MAX 0xffffu
#define MEMW_PY_MAX_FRAMES 24
#define MEMW_PY311_GIL_TSTATE 576
#define MEMW_PY311_TSTATE_CFRAME 56
#define MEMW_PY311_TSTATE_NATIVE_TID 160
#define MEMW_PY311_CFRAME_CURRENT 8
#define MEMW_PY311_FRAME_CODE 32
#define MEMW_PY311_FRAME_PREVIOUS 48
#define MEMW_PY311_FRAME_PREV_INSTR 56
#define MEMW_PY311_FRAME_OWNER 69
#define MEMW_PY311_CODE_FIRSTLINENO 72
#define MEMW_PY311_CODE_FILENAME 112
#define MEMW_PY311_CODE_QUALNAME 128
#define MEMW_PY311_CODE_LINETABLE 136
#define MEMW_PY311_CODE_FIRSTTRACEABLE 168
#define MEMW_PY311_CODE_ADAPTIVE 184

struct memw_pycode {
	uint64_t code;		/* the code object's address (as in the stack words) */
	int32_t firstlineno;
	uint32_t name_len;	/* bytes of co_qualname (UTF-8, no NUL) */
	uint32_t file_len;	/* bytes of co_filename */
	uint32_t table_len;	/* bytes of co_linetable */
	/* char name[name_len], file[file_len]; uint8_t linetable[table_len] */
};

#endif
