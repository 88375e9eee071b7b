/*
 * cpu_sampler.h - the CPU sampler's pieces, shared by the files behind
 * cpu_record() (collect layer, internal):
 *   cpu.c         cpu_record(): opens the recording, picks the path;
 *   cpu_perf.c    perf_event: opening the events, reading their rings,
 *                 converting perf records, synthesized records, rounds;
 *   cpu_target.c  the target: launching or attaching, the wait loop,
 *                 and how a recording ends (coverage, FINISH);
 *   cpu_agent.c   the LD_PRELOAD fallback agent when perf is refused;
 *   cpu_queue.c   records merged by time.
 */
#ifndef PINCH_COLLECT_CPU_SAMPLER_H
#define PINCH_COLLECT_CPU_SAMPLER_H

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cpu.h"
#include "cpu_queue.h"

#define ROUND_NS (50ull * 1000000ull)	/* drain and flush at least this often */

struct perf_event_mmap_page;
struct cpu_follow;
struct rec_finish;

struct ring {
	int fd;			/* the event whose buffer this is */
	int polled;		/* 0 after POLLHUP: drained by timer only */
	struct perf_event_mmap_page *page;
	unsigned char *data;
	size_t map_size, data_size;
};

struct sampler {
	const struct cpu_record_config *cfg;
	struct rec_writer *w;
	struct buildid_cache *bids;
	struct queue q;
	int ncpu;
	struct ring *rings;
	int *fds;		/* every event fd (attach mode opens one per thread per CPU) */
	size_t nfds, fdcap;
	unsigned char *tmp;	/* a record that wraps around the ring end */
	uint64_t samples, lost;
	uint64_t switches, offcpu_stacks;	/* --off-cpu: switch records, switch-out stacks */
	uint32_t stack_size;
	uint64_t regs_mask;
	uint64_t last_round;	/* start of the previous round */
	int sigfd;
	struct rlimit nofile_old;	/* RLIMIT_NOFILE before we raised it */
	int nofile_raised;
	struct py_sampler *py;	/* Python stacks (cfg->python), or NULL */
	int kernel;		/* sampling kernel stacks too (dropped if refused) */
	uint32_t switch_stack;	/* user stack bytes per switch sample */
	int switch_kernel;	/* switch samples allowed (not exclude_kernel), --off-cpu */
	struct ksyms *ksyms;	/* kernel addresses seen, named at the end */
	int agent;		/* the fallback agent sampled (no kernel stacks) */
	struct recunwind *uw;	/* --call-graph cfi: unwinds samples as they are written */
	struct cpu_follow *follow;	/* the target's descendants (cpu_follow.c), or NULL */
	uint32_t py_string_id;	/* REC_STRING ids given out by all Python samplers */
	struct py_probe_cache *py_cache;	/* their probes' ELF symbols, or NULL */
};

/* Threads with events opened (attach mode). */
struct tidset {
	pid_t *v;
	size_t n, cap;
};

struct target {
	pid_t pid;
	int pidfd;		/* readable when the target has exited */
	int launched;
	int gone;
	int status;		/* waitpid status when launched */
	struct rusage ru;	/* launched: the command's CPU (wait4), with waited-for children */
	uint64_t cpu0_user_ns, cpu0_sys_ns;	/* attached: the process's CPU when we started */
};

struct child {
	pid_t pid;
	int go_fd;		/* write one byte: exec now; close: give up */
	int err_fd;		/* reads errno of a failed exec, or EOF on success */
};

/* cpu_perf.c */
int cpu_sampler_init(struct sampler *s, const struct cpu_record_config *cfg);
void cpu_sampler_release(struct sampler *s);
/* One round: drain all rings, write what is old enough (all if final). */
int cpu_sampler_round(struct sampler *s, int final);
/* Opens one event for (pid, cpu); 0 or -errno. */
int cpu_open_event(struct sampler *s, pid_t pid, int cpu, int launch);
/* cpu_open_event on every CPU (offline ones skipped). */
int cpu_open_all(struct sampler *s, pid_t pid, int launch);
void cpu_py_start(struct sampler *s, pid_t pid);
void cpu_py_finish(struct sampler *s, struct cpu_record_result *res);
int cpu_synth_comm(struct sampler *s, pid_t pid, pid_t tid, uint64_t now);
int cpu_synth_maps(struct sampler *s, pid_t pid, uint64_t now, int *unreadable);
/* Queues a Python sampler's record (a py_emit_fn). */
int cpu_py_emit(void *ctx, uint32_t type, uint64_t time, const void *data, size_t len);

/* cpu_target.c */
int cpu_pidfd_open(pid_t pid);
/* Blocks the stop signals; returns a signalfd for them or -errno. */
int cpu_block_signals(sigset_t *old);
int cpu_wait_loop(struct sampler *s, struct target *t, uint64_t deadline,
		  int (*round)(struct sampler *, int));
int cpu_finish_recording(struct sampler *s, const struct target *t,
			 struct cpu_record_result *res, int rc);
int cpu_child_start(const struct cpu_record_config *cfg, const sigset_t *oldmask,
		    char *const *envp, const struct rlimit *nofile, struct child *ch);
int cpu_child_go(struct child *ch);
void cpu_child_abort(struct child *ch);
int cpu_write_meta(struct rec_writer *w, const struct cpu_record_config *cfg,
		   const char *mode, uint32_t stack_size);
void cpu_describe(const struct cpu_record_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cpu_record_launch(struct sampler *s, const sigset_t *oldmask,
		      struct cpu_record_result *res, char *err, size_t errlen);
int cpu_record_attach(struct sampler *s, struct cpu_record_result *res, char *err,
		      size_t errlen);
int cpu_attach_threads(struct sampler *s, pid_t pid, struct tidset *ts, uint64_t now);

/* cpu_follow.c: the descendants of the target, polled every 100 ms and
 * in the round where perf reports a fork (cpu_follow_forked). Each
 * gets a Python reader (cfg->python) and a "cmdline.PID" meta entry (the
 * root too, once it has a child). Attached (attach != 0), a descendant
 * perf did not inherit (it existed before, or was forked by a process
 * before its events were opened) gets events of its own; one perf
 * reported forked (cpu_follow_forked) is already sampled. */
int cpu_follow_init(struct sampler *s, pid_t root, int attach, uint64_t now);
void cpu_follow_forked(struct sampler *s, pid_t pid);
int cpu_follow_poll(struct sampler *s, uint64_t now);
int cpu_follow_drain(struct sampler *s);
/* Stops the Python readers; fills res's python fields when the root's
 * reader found none. */
void cpu_follow_finish(struct sampler *s, struct cpu_record_result *res);
void cpu_follow_free(struct cpu_follow *f);

/* cpu_agent.c */
int cpu_record_agent(struct sampler *s, const sigset_t *oldmask,
		     struct cpu_record_result *res, const char *why, char *err, size_t errlen);

#endif
