/*
 * memrec.h - pinch mem's collector: checks that a command can take the
 * LD_PRELOAD agent, runs it with the agent (src/agent/mem), samples the
 * root process's RSS from outside, and turns the agent's per-process
 * files into one REC_KIND_MEM recording (src/agent/mem/wire.h).
 */
#ifndef PINCH_COLLECT_MEMREC_H
#define PINCH_COLLECT_MEMREC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rec_writer;

struct memrec_opts {
	char **argv;		/* the command (argv[0] resolved through PATH) */
	const char *agent;	/* path of libpinch-mem.so */
	const char *dir;	/* where the agent writes its files (exists, empty) */
	int mmap;		/* also count anonymous mmap/munmap */
	int snapshot_signal;	/* 0 or the signal that takes a snapshot */
	uint64_t interval_ns;	/* timeline bucket (0: 10 ms) */
	int depth;		/* stack frames kept (0: 64) */
	int unwind_fp;		/* 1: frame pointers only; 0: CFI (DWARF) with fp fallback */
	int no_leak_scan;	/* 1: no leak classes at exit (the scan reads the live heap) */
};

struct memrec_result {
	uint32_t pid;		/* the launched process */
	int exit_status;	/* -1 when killed by a signal */
	int term_signal;
	uint64_t start_mono_ns, end_mono_ns;
	struct memrec_rss { uint64_t time_ns, rss; } *rss;	/* root RSS samples */
	size_t n_rss;
	int salvaged;		/* memrec_salvage: pinch was killed, the end is unknown */
};

/*
 * Resolves cmd through PATH into path (like execvp) and checks the agent
 * can be preloaded into it. Returns 0, or:
 *   -ENOENT   not found;  -EACCES not executable;
 *   -ENOEXEC  statically linked (no PT_INTERP): LD_PRELOAD cannot work;
 *   -EPERM    set-user-ID or set-group-ID: the loader ignores LD_PRELOAD;
 *   -ENOTSUP  built with ASan/TSan/MSan: the sanitizer owns malloc.
 * err gets a one-line reason.
 */
int memrec_check_target(const char *cmd, char *path, size_t pathlen, char *err, size_t errlen);

/* Finds the agent library next to the running pinch (build tree or
 * install tree) or in $PINCH_MEM_AGENT. 0 or -ENOENT. */
int memrec_find_agent(char *path, size_t len);
/* The same for any of pinch's agents: $env_name when set, else
 * src/agent/DIR/FILE in the build tree or lib[64]/pinch/FILE next to the
 * pinch executable. 0 or -ENOENT. */
int agent_find(const char *dir, const char *file, const char *env_name, char *path, size_t len);
/* An agent's /proc/PID/maps text as REC_MMAP records of pid at time t
 * (executable mappings, with build-ids; the vDSO and the agent library
 * named agent left out). 0 or -errno. */
struct buildid_cache;
int agent_write_maps(struct rec_writer *w, struct buildid_cache *ids, uint32_t pid, uint64_t t,
		     const char *text, size_t len, const char *agent);

/*
 * Starts argv[0] (resolved) with LD_PRELOAD=agent (ahead of any preload
 * already set) and the environment pairs env: "NAME", "VALUE", ...,
 * NULL; a NAME written "?NAME" is set only when not set yet, a NULL VALUE
 * unsets it. The child dies with pinch. Until agent_end(), pinch ignores
 * SIGINT/SIGQUIT (the command gets them from the terminal) and passes
 * SIGTERM/SIGHUP on. Returns 0, or -errno with err set when the command
 * could not be started (then it has been waited for).
 */
struct agent_child {
	pid_t pid;
	struct sigaction old_int, old_quit, old_term, old_hup;
};
int agent_start(struct agent_child *c, char **argv, const char *agent, const char *const *env,
		char *err, size_t errlen);
/* After the child was waited for: pinch's own signal handling back. */
void agent_end(struct agent_child *c);

/*
 * Runs the command with the agent and waits for it. While waiting,
 * SIGINT/SIGQUIT are ignored by pinch (the command gets them from the
 * terminal) and SIGTERM/SIGHUP are passed on. Returns 0 once the command
 * ended (whatever its status), or -errno when it could not be started
 * (err says why). Free res with memrec_result_release().
 */
int memrec_run(const struct memrec_opts *o, struct memrec_result *res, char *err, size_t errlen);
void memrec_result_release(struct memrec_result *res);

/*
 * Writes every process image the agent recorded in dir into w, in start
 * order: MEMW_PROC, REC_COMM, REC_MMAP (executable maps with build-ids),
 * the stream's records, MEMW_SITE per stack, MEMW_SUMMARY; then the RSS
 * samples and REC_FINISH. Returns the number of process images, or
 * -errno (-ENODATA: the agent wrote nothing).
 */
int memrec_write(const char *dir, const struct memrec_result *res, struct rec_writer *w,
		 char *err, size_t errlen);

/* Removes dir and the agent files in it. */
void memrec_cleanup(const char *dir);

/* The meta key naming the agent's working directory: written (and
 * flushed) before the run, so a recording left unfinished by a killed
 * pinch says where the agent's files are. */
#define MEMREC_META_DIR "agent_dir"
#define MEMREC_META_SALVAGED "salvaged"

/*
 * Salvages an unfinished memory recording (pinch was killed while the
 * program ran: no REC_FINISH) whose agent directory is still there: the
 * recording is rewritten from the agent's files (through a temporary file
 * next to it, renamed over it) with every process marked MEMW_F_SALVAGED
 * and the exit unknown, and the directory is removed. Returns 1 when
 * salvaged, 0 when there was nothing to salvage, or -errno with err set.
 */
int memrec_salvage(const char *path, char *err, size_t errlen);

#endif
