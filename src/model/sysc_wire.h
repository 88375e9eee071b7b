/*
 * sysc_wire.h - the layout shared by the syscall counter's BPF program
 * (syscalls.bpf.c) and its reader (src/collect/syscalls.c): per-syscall
 * statistics kept in the kernel, and the trace events of --trace.
 * Included by both; only fixed-size integer types.
 */
#ifndef PINCH_MODEL_SYSC_WIRE_H
#define PINCH_MODEL_SYSC_WIRE_H

#define SYSC_MAX_NR 512		/* syscall numbers counted (x86_64: < 512) */
#define SYSC_HIST 40		/* log2 ns buckets: [2^i, 2^(i+1)) ns */
#define SYSC_BUF 256		/* a path or socket address per traced call */
#define SYSC_MAX_PIDS 16384

/* what the ptrace fallback and the BPF program both produce */
struct sysc_stat {
	__u64 count;		/* entries (exit and exit_group never return) */
	__u64 errors;		/* returns in [-4095, -1] */
	__u64 total_ns;		/* entry to return */
	__u64 max_ns;
	__u64 hist[SYSC_HIST];
};

enum sysc_buf_kind {
	SYSC_BUF_NONE = 0,
	SYSC_BUF_PATH,		/* buf: a NUL-terminated path (args[path_arg]) */
	SYSC_BUF_SOCKADDR,	/* buf: the sockaddr at args[1], args[2] bytes */
};

struct sysc_event {
	__u32 pid, tid;
	__u32 nr;
	__u32 buf_kind;
	__s64 ret;
	__u64 start_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 dur_ns;
	__u64 args[6];
	char buf[SYSC_BUF];
};

/* per syscall number in the `traced` map: which calls --trace lists and
 * where their path or address is */
enum {
	SYSC_TRACE = 1,		/* list it */
	SYSC_PATH0 = 2,		/* args[0] is a path */
	SYSC_PATH1 = 4,		/* args[1] is a path */
	SYSC_SOCKADDR1 = 8,	/* args[1] is a sockaddr of args[2] bytes */
	SYSC_COUNT = 16,	/* -e: count it (with filter_on) */
};

#endif
