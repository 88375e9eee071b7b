/*
 * sysc.h - what `pinch syscalls` measured (model layer): per-syscall
 * counts, errors, time and log2 latency histograms, the syscall names of
 * this machine (x86_64, generated from <asm/unistd.h> at build time), and
 * the syscall groups of --trace and -e.
 */
#ifndef PINCH_MODEL_SYSC_H
#define PINCH_MODEL_SYSC_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/sysc_wire.h"

enum sysc_mechanism {
	SYSC_MECH_AUTO = 0,
	SYSC_MECH_BPF,
	SYSC_MECH_PTRACE,
};

struct sysc_result {
	enum sysc_mechanism mechanism;	/* the one that ran */
	char bpf_refused[256];		/* why BPF was not used, or "" */
	struct sysc_stat stats[SYSC_MAX_NR];
	uint64_t events, lost;		/* --trace events delivered / dropped */
	pid_t pid;
	int launched;
	int exit_status, term_signal;
	int gone, timed_out;
	uint64_t wall_ns;
	unsigned processes;		/* processes followed */
};

/* The name of syscall nr ("syscall_N" in buf when unknown). */
const char *sysc_name(unsigned nr, char *buf, size_t len);
/* The number of a name, or -1. */
int sysc_number(const char *name);
/* Appends every known name to out, comma-separated (for error messages). */
struct strbuf;
void sysc_list_names(struct strbuf *out);

/* Groups of --trace and -e: "file", "net", "process", "all". */
enum {
	SYSC_GROUP_FILE = 1,
	SYSC_GROUP_NET = 2,
	SYSC_GROUP_PROCESS = 4,
	SYSC_GROUP_ALL = 8,
};
/* The group bit of a name, or 0. */
int sysc_group(const char *name);
/* Whether nr belongs to the groups in mask. */
int sysc_in_groups(unsigned nr, int mask);
/* SYSC_PATH0 / SYSC_PATH1 / SYSC_SOCKADDR1 for nr: where its path or
 * address argument is. */
unsigned sysc_arg_layout(unsigned nr);

/* Latency percentile (0..100) from a log2 histogram: the upper bound of
 * the bucket holding it, capped at max_ns. */
uint64_t sysc_percentile(const struct sysc_stat *s, double pct);

#endif
