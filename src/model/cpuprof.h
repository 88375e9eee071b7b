/*
 * cpuprof.h - a CPU recording (pinch record) turned into a struct
 * profile (model layer, report side). Replays the recording in file
 * order: REC_MMAP/REC_FORK build the address spaces, REC_COMM names
 * threads (the latest name wins), each REC_SAMPLE becomes a leaf-first
 * stack of symbolized locations (DWARF-unwound in dwarf mode, the
 * kernel's frame-pointer chain with the leaf fix in fp mode; inline
 * chains expanded), weighted by ("samples","count") at index 0 and
 * ("cpu","nanoseconds") at index 1.
 *
 * Metadata: every REC_META pair, plus "samples", "lost", "unreadable",
 * "duration_ns", "truncated" ("yes" when the file ended without
 * REC_FINISH), "exit_status"/"term_signal" when known.
 */
#ifndef PINCH_MODEL_CPUPROF_H
#define PINCH_MODEL_CPUPROF_H

#include <stddef.h>
#include <stdint.h>

struct profile;
struct rec_reader;
struct strbuf;

/* Every sample in file order, when asked for (the HTML report's time
 * strip, the Chrome trace): time since the recording started, profile
 * stack and thread ids, CPU nanoseconds. Freed with cpuprof_timeline_release. */
struct cpuprof_timeline {
	uint64_t *t_ns;
	uint32_t *stack, *thread;
	int64_t *value;
	size_t n, alloc;
};
void cpuprof_timeline_release(struct cpuprof_timeline *tl);

/* Blocked (off-CPU) time, --off-cpu and --wall recordings: each blocked
 * interval becomes a sample whose leaf is "[off: REASON]". */
enum cpuprof_reason {
	OFF_PREEMPTED = 0,	/* runnable but switched out (run-queue wait) */
	OFF_SLEEP,		/* nanosleep, clock_nanosleep */
	OFF_FUTEX,		/* locks, condition variables, joins */
	OFF_READ,		/* pipe, socket, terminal reads, accept */
	OFF_WRITE,		/* pipe, socket writes (a full buffer) */
	OFF_POLL,		/* poll, select, epoll */
	OFF_IO,			/* waiting for the disk (page cache reads, O_DIRECT) */
	OFF_FSYNC,		/* fsync, fdatasync, sync_file_range */
	OFF_FAULT,		/* page faults (swap-in, file-backed pages) */
	OFF_OTHER,		/* anything else, or no stack to tell */
	OFF_NREASONS
};
const char *cpuprof_reason_name(enum cpuprof_reason r);

enum cpuprof_view {
	CPUPROF_VIEW_DEFAULT = 0,	/* what the recording was made for (meta "offcpu") */
	CPUPROF_VIEW_ON,		/* on-CPU samples only */
	CPUPROF_VIEW_OFF,		/* blocked intervals only */
	CPUPROF_VIEW_WALL,		/* both */
};

struct cpuprof_offcpu {
	int recorded;		/* the recording has blocked time (meta "offcpu") */
	enum cpuprof_view view;	/* what the profile shows (never DEFAULT) */
	uint64_t on_cpu_ns;	/* on-CPU sample time (after filters) */
	uint64_t off_cpu_ns;	/* blocked time (after filters) */
	uint64_t intervals;	/* blocked intervals */
	uint64_t stacks;	/* ... of them with a stack sampled at switch-out */
	uint64_t reasons[OFF_NREASONS];	/* ns per reason */
};

struct cpuprof_opts {
	int no_inline;		/* 1: one location per address (no inline chain) */
	int no_leaf_fix;	/* 1: use fp chains as the kernel recorded them */
	int native;		/* 1: Python samples keep native frames (eval frames replaced) */
	int idle;		/* 1: include off-CPU samples of waiting threads */
	int user_only;		/* 1: leave kernel frames out (their time stays with the caller) */
	int gil;		/* 1: only samples of the thread holding the Python GIL (REC_PYGIL) */
	/* Filters (0 / NULL: all): samples of this process, thread, thread
	 * name, or whose leaf is in this binary (basename, "libc" matches
	 * "libc.so.6"). */
	uint32_t pid, tid;
	const char *comm, *dso;
	struct cpuprof_timeline *timeline;	/* filled when not NULL */
	enum cpuprof_view view;	/* on-CPU, blocked or both (default: as recorded) */
};

struct cpuprof_stats {
	uint64_t samples;	/* samples in the profile */
	uint64_t skipped;	/* malformed or off-CPU (idle) samples left out */
	uint64_t filtered;	/* samples left out by the --pid/--tid/--comm/--dso filters */
	uint64_t lost;		/* samples the kernel dropped (REC_LOST) */
	uint64_t unreadable;	/* samples taken but not readable (REC_LOST) */
	uint64_t leaf_fixed;	/* fp chains where the leaf's missing caller was put back */
	uint64_t dwarf_unwound;	/* samples unwound with CFI */
	uint64_t partial;	/* of those, stacks that stop short of their start */
	uint64_t kernel_samples;	/* samples taken in the kernel (with kernel frames) */
	uint64_t duration_ns;	/* first record to REC_FINISH (or last sample) */
	int truncated;		/* the file ended without REC_FINISH, or mid-record */
	int finished;		/* REC_FINISH seen */
	int32_t exit_status;	/* from REC_FINISH, -1 unknown */
	int32_t term_signal;
	struct cpuprof_offcpu off;	/* blocked time (off.recorded) */
};

/*
 * Builds a profile from r (read from its current position to the end).
 * On success returns 0 and *out (caller frees with profile_free); warnings
 * (one line each: binary changed since recording, missing files, a cut
 * file) are appended to warnings when it is not NULL. Errors: -EPROTO
 * (not a CPU recording), -ENOMEM; err holds a one-line reason.
 */
int cpuprof_build(struct rec_reader *r, const struct cpuprof_opts *opts, struct profile **out,
		  struct cpuprof_stats *st, struct strbuf *warnings, char *err, size_t errlen);

/*
 * Finds the newest (by modification time) CPU recording "*.rec" in dir
 * and appends its path to path. Returns 0, -ENOENT when there is none,
 * or -errno when dir cannot be read.
 */
int cpuprof_find_newest(const char *dir, struct strbuf *path);

#endif
