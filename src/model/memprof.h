/*
 * memprof.h - a pinch mem recording (REC_KIND_MEM) read into memory:
 * per process image its summary, stacks (raw addresses), per-stack
 * figures (allocated, leaked, at the peak), timeline, RSS samples and
 * snapshots; plus snapshot diffs. Symbolization and the profile model
 * come on top (memprof_profile, built with symbols.h).
 *
 * The reader trusts nothing: sizes, counts and stack ids are checked, a
 * recording cut short yields what is whole (memprof.truncated set) and a
 * process without final figures gets them summed from what is there.
 */
#ifndef PINCH_MODEL_MEMPROF_H
#define PINCH_MODEL_MEMPROF_H

#include <stddef.h>
#include <stdint.h>

#include "agent/mem/wire.h"

struct rec_reader;
struct rec_mmap;

struct memprof_snap_entry {
	uint32_t stack;
	uint64_t bytes, blocks, alloc_calls;
};

struct memprof_snapshot {
	char label[MEMW_LABEL_MAX];
	uint64_t time_ns, heap;
	struct memprof_snap_entry *e;
	size_t n;
};

struct memprof_map {
	struct rec_mmap *m;	/* the record (owned copy) */
	char *path;
};

struct memprof_proc {
	struct memw_proc info;
	char *exe;
	struct memw_summary sum;
	int has_summary;	/* 0: the recording was cut before the final figures */
	/* stacks by id: ips (leaf first, return addresses minus one) */
	uint64_t **stack_ips;
	uint32_t *stack_nr;
	size_t n_stacks;
	struct memw_site *sites;
	size_t n_sites;
	struct memw_point *points;
	size_t n_points;
	struct memw_rss *rss;
	size_t n_rss;
	struct memprof_snapshot *snaps;
	size_t n_snaps;
	struct memprof_map *maps;
	size_t n_maps;
	/* Python code objects (MEMW_PYCODE), for stack words with MEMW_PY_TAG */
	struct memprof_pycode *pycodes;
	size_t n_pycodes;
	/* The leak classes of the blocks in use at exit (MEMW_LEAKS): set
	 * when the process exited through exit() and the agent scanned. */
	int has_leaks;
	struct memw_leaks leaks;
	struct memw_leak_entry *leak_entries;	/* sorted by stack, then class */
	size_t n_leak_entries;
};

struct memprof_pycode {
	uint64_t code;
	int32_t firstlineno;
	char *name, *file;
	uint8_t *table;
	size_t table_len;
};

struct memprof {
	struct memprof_proc *procs;
	size_t n_procs;
	char *command;
	char *pythonmalloc;	/* "pinch:malloc" (pinch set it) or "user:VALUE"; NULL if unknown */
	uint64_t start_mono_ns, start_real_ns;
	int truncated;		/* the file ended inside a record */
	int finished;		/* REC_FINISH seen */
	int exit_status, term_signal;
};

/* Bytes and blocks of stack in leak class cls (enum memw_leak_class);
 * 0 when the recording has no classes. */
void memprof_leak_class(const struct memprof_proc *p, uint32_t stack, uint32_t cls,
			uint64_t *bytes, uint64_t *blocks);

/* Reads a recording. Returns 0, or -errno with a reason in err:
 * -EMEDIUMTYPE (a pinch recording of another kind), -ENODATA (no process
 * in it), and the rec_reader_open errors (-EPROTO: not a pinch recording
 * at all). */
int memprof_load(struct memprof **out, const char *path, char *err, size_t errlen);
/* The same from an open reader (the fuzz target's entry). */
int memprof_read(struct memprof **out, struct rec_reader *r, char *err, size_t errlen);
void memprof_free(struct memprof *m);

/* The process image a report shows by default: the launched process's
 * last image, or (when it allocated nothing) the one that allocated the
 * most. pid selects another (0 = default). NULL when none matches. */
struct memprof_proc *memprof_main(struct memprof *m, uint32_t pid);
/* The stack's frames, or NULL/0 for an unknown id. */
const uint64_t *memprof_stack(const struct memprof_proc *p, uint32_t id, uint32_t *nr);
struct memprof_snapshot *memprof_snapshot_find(struct memprof_proc *p, const char *label);

/* One row of a snapshot diff (tracemalloc's compare_to per group). */
struct memprof_diff_row {
	uint32_t group;
	int64_t bytes_diff, blocks_diff;
	uint64_t bytes, blocks;	/* at the later snapshot */
};
/*
 * Groups both snapshots' entries (stack id s goes to group keys[s]; a
 * stack without a key, or keyed UINT32_MAX, is left out; keys NULL: the
 * group is the stack id) and returns a row for every group whose live
 * bytes or blocks differ, largest growth first. Groups must be below
 * n_groups. *rows is malloc'd. Returns the count or -ENOMEM.
 */
long memprof_diff(const struct memprof_snapshot *from, const struct memprof_snapshot *to,
		  const uint32_t *keys, size_t n_keys, uint32_t n_groups,
		  struct memprof_diff_row **rows);

#endif

/* ---- the profile model (symbolized) ------------------------------------ */

struct profile;
struct strbuf;

/* Sample types of a memory profile, in this order. */
enum memprof_value {
	MP_ALLOC_BYTES = 0,	/* ("alloc_bytes", "bytes") */
	MP_ALLOC_COUNT,		/* ("alloc_count", "count") */
	MP_PEAK_BYTES,		/* ("peak_bytes", "bytes"): in use at the peak */
	MP_PEAK_COUNT,		/* ("peak_count", "count") */
	MP_LEAK_BYTES,		/* ("leaked_bytes", "bytes"): definitely and indirectly lost at
				 * exit; in use at the end when the recording has no classes */
	MP_LEAK_COUNT,		/* ("leaked_count", "count") */
	MP_TEMP_COUNT,		/* ("temp_count", "count"): freed right after */
	MP_POSSIBLE_BYTES,	/* ("possibly_lost_bytes", "bytes"): only interior pointers */
	MP_POSSIBLE_COUNT,	/* ("possibly_lost_count", "count") */
	MP_REACHABLE_BYTES,	/* ("reachable_bytes", "bytes"): still pointed to at exit */
	MP_REACHABLE_COUNT,	/* ("reachable_count", "count") */
	MP_N_VALUES
};

/*
 * Symbolizes the process image's stacks (through symbols.h, from its
 * REC_MMAP records) and builds a profile: one sample per stack with the
 * values above, one thread (pid, pid, executable name); stacks are leaf
 * first with inline chains expanded; an empty stack becomes one
 * "[unknown stack]" frame. *stack_map (malloc'd, p->n_stacks entries,
 * may be NULL) gives the profile stack id of each recorded stack id
 * (UINT32_MAX when unknown). Unless o->keep_alloc_fns, the allocator
 * frames at the top of each stack (memprof_is_alloc_frame) are dropped,
 * keeping at least one frame. o may be NULL (the defaults). Warnings
 * from the symbolizer are appended to warnings (may be NULL). Returns 0
 * or -ENOMEM.
 */
struct memprof_sym_opts {
	/* More allocator functions (glob patterns, massif's --alloc-fn),
	 * matched against the function name with or without its C++
	 * parameter list. */
	const char *const *alloc_fns;
	size_t n_alloc_fns;
	int keep_alloc_fns;	/* 1: keep allocator frames as they are */
	/* Suppressions (--suppress): "fun:PATTERN", "obj:PATTERN" (a module's
	 * file name or path) or a bare function pattern. A site whose stack
	 * has a matching frame has its lost and possibly lost blocks taken
	 * out of the leak figures and counted here instead. */
	const char *const *suppress;
	size_t n_suppress;
	uint64_t suppressed_bytes, suppressed_blocks;	/* out */
};

int memprof_profile(const struct memprof_proc *p, struct memprof_sym_opts *o,
		    struct profile **out, uint32_t **stack_map, struct strbuf *warnings, char *err,
		    size_t errlen);

/*
 * 1 when a frame (function name, source file, module) is allocator
 * plumbing that memprof_profile drops from the top of each stack so that
 * a site is the first caller that is not: the C allocation family,
 * operator new/new[], known wrappers (xmalloc, g_malloc, sqlite3Malloc,
 * PyMem_*, ...), the C++ standard library's allocation code (its headers
 * and libstdc++ itself), and o's patterns.
 */
int memprof_is_alloc_frame(const struct memprof_sym_opts *o, const char *function,
			   const char *file, const char *module);
