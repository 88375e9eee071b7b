/*
 * sysstat.h - `pinch stat`'s collector (collect layer): runs a command
 * (or watches a running process) and measures it and all its children:
 * wait4 resource usage, /proc sampling of the tree (RSS, threads, fds,
 * I/O) and software perf counters inherited by threads and children.
 * Never prints.
 */
#ifndef PINCH_COLLECT_SYSSTAT_H
#define PINCH_COLLECT_SYSSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/sysstat.h"

struct stat_config {
	pid_t pid;			/* > 0: watch this process */
	uint64_t duration_ns;		/* 0: until it ends */
	uint64_t interval_ns;		/* 0: no time series */
	char *const *argv;		/* launch: the command */
	const char *exe_path;		/* launch: argv[0] resolved */
	int no_perf;			/* do not open perf counters */
};

/*
 * Runs or watches until the end; fills res (res->series is malloc'd:
 * stat_result_release). Returns 0 or -errno with a reason in err:
 * -ESRCH no such process, -EPERM not ours to watch, exec failures.
 * When the failure comes after the start, res holds what was measured.
 */
int stat_run(const struct stat_config *cfg, struct stat_result *res, char *err, size_t errlen);
void stat_result_release(struct stat_result *res);

#endif
