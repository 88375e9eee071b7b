/*
 * syscalls.h - `pinch syscalls`' collector (collect layer): counts the
 * system calls of a command (or a running process) and all its threads
 * and children, per syscall with errors, time and a latency histogram,
 * and optionally hands each call of the chosen groups to a callback.
 * Two mechanisms: eBPF on the raw_syscalls tracepoints (in-kernel
 * aggregation, syscalls_bpf.c) and, when BPF is refused, ptrace stopped
 * only by a seccomp filter (syscalls_ptrace.c). Never prints.
 */
#ifndef PINCH_COLLECT_SYSCALLS_H
#define PINCH_COLLECT_SYSCALLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/sysc.h"

struct sysc_config {
	enum sysc_mechanism mechanism;	/* AUTO: BPF, else ptrace */
	pid_t pid;			/* > 0: attach */
	uint64_t duration_ns;
	char *const *argv;
	const char *exe_path;
	/* -e: count only these (NULL: all) */
	const unsigned char *only;	/* SYSC_MAX_NR flags */
	int trace;			/* SYSC_GROUP_* of --trace, 0: none */
	void (*on_event)(void *ctx, const struct sysc_event *e);
	void *ctx;
};

/* 0 or -errno with err set. res holds what was counted even on a late
 * failure. */
int sysc_run(const struct sysc_config *cfg, struct sysc_result *res, char *err, size_t errlen);

/* internal: one mechanism each; -EPERM/-ENOSYS/-ENOENT from sysc_run_bpf
 * mean "BPF refused" before anything ran (AUTO falls back) */
int sysc_run_bpf(const struct sysc_config *cfg, struct sysc_result *res, char *err, size_t errlen);
int sysc_run_ptrace(const struct sysc_config *cfg, struct sysc_result *res, char *err, size_t errlen);

#endif
