/*
 * sysstat.h - what `pinch stat` measured of a command or process and all
 * its children (model layer, data only): totals over the run, peaks, the
 * software perf counters, and the time series taken with --interval.
 * Filled by src/collect/sysstat.c, drawn by src/view/view_stat.c.
 */
#ifndef PINCH_MODEL_SYSSTAT_H
#define PINCH_MODEL_SYSSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stat_point {
	double t_s;		/* end of the interval, since the start */
	double cpu_pct;		/* of one CPU (200 = two cores busy) */
	uint64_t rss_bytes;	/* resident memory of the whole tree */
	double read_bps, write_bps;	/* bytes read / written per second (rchar, wchar) */
	long threads;		/* threads of the whole tree */
};

enum stat_perf_counter {
	STAT_TASK_CLOCK = 0,	/* ns on a CPU */
	STAT_CONTEXT_SWITCHES,
	STAT_CPU_MIGRATIONS,
	STAT_PAGE_FAULTS,
	STAT_PERF_N,
};

struct stat_result {
	pid_t pid;
	int launched;
	int exit_status;	/* launched: exit code, -1 when killed or attached */
	int term_signal;
	int gone;		/* attached: the process exited during the run */
	int timed_out;		/* --duration ended it */
	uint64_t wall_ns;
	uint64_t user_ns, sys_ns;
	int ncpu;		/* online CPUs */
	uint64_t mem_total;	/* MemTotal, bytes */
	uint64_t mem_limit;	/* cgroup memory limit, 0: none */
	uint64_t max_rss_bytes;		/* peak resident memory (tree sum sampled, or the biggest process) */
	uint64_t max_rss_process_bytes;	/* the biggest single process's high-water mark */
	uint64_t minflt, majflt;
	uint64_t nvcsw, nivcsw;	/* voluntary / involuntary context switches (launched) */
	int have_ctxsw;
	int io_ok;
	uint64_t rchar, wchar;	/* every byte read / written (files, pipes, sockets) */
	uint64_t read_bytes, write_bytes;	/* what reached storage */
	long peak_threads;
	int peak_fds;
	unsigned processes;	/* distinct processes seen */
	unsigned samples;	/* /proc samplings taken */
	/* software perf counters, inherited by threads and children */
	int perf_ok;
	int perf_errno;		/* why perf_event_open refused (perf_ok 0) */
	uint64_t perf[STAT_PERF_N];
	struct stat_point *series;	/* --interval */
	size_t nseries;
	uint64_t interval_ns;
};

#endif
