/*
 * proctree.h - what /proc says about processes (collect layer): one
 * process's CPU, memory, threads, open files and I/O counters, and the
 * list of all processes with their parents, from which the tree below a
 * process is found. Used by `pinch stat` (a command and all its
 * children) and `pinch top` (the whole machine). Never prints.
 */
#ifndef PINCH_COLLECT_PROCTREE_H
#define PINCH_COLLECT_PROCTREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct strbuf;

struct proc_info {
	pid_t pid, ppid;
	char state;
	char comm[32];
	/* CPU of the process (all its threads) and of its waited-for children */
	uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns;
	uint64_t minflt, majflt;
	uint64_t start_ticks;	/* starttime field, clock ticks after boot */
	long threads;
	uint64_t rss_bytes;
	uid_t uid;
	/* /proc/PID/io (PROC_IO; io_ok 0 when unreadable): rchar/wchar count
	 * every read/write, read/write_bytes only what reached storage. These
	 * include the process's waited-for children. */
	int io_ok;
	uint64_t rchar, wchar, read_bytes, write_bytes;
	int fds;		/* PROC_FDS; -1 when unreadable */
};

enum {
	PROC_STAT = 1,		/* /proc/PID/stat (always read) */
	PROC_IO = 2,
	PROC_FDS = 4,
	PROC_UID = 8,		/* /proc/PID/status Uid */
};

/* Reads what `what` asks of pid. 0, or -errno (-ENOENT: it is gone). */
int proc_info_read(pid_t pid, int what, struct proc_info *pi);

/* The parsers behind it, on the text of /proc/PID/stat (0 or -EINVAL;
 * pid is not set) and /proc/PID/io (the fields found are set, io_ok 1). */
int proc_stat_parse(const char *buf, struct proc_info *pi);
void proc_io_parse(const char *buf, struct proc_info *pi);

/* Every process now: pid and ppid (only PROC_STAT fields are read when
 * what is PROC_STAT). *list is malloc'd; 0 or -errno. */
int proc_list(int what, struct proc_info **list, size_t *n);

/* The processes below root (root first, when it is alive), found through
 * /proc/PID/task/TID/children: it reads the tree only, not every process
 * of the machine. -ENOSYS when the kernel has no children files
 * (CONFIG_PROC_CHILDREN): use proc_list and proc_tree_mark then. */
int proc_tree_list(pid_t root, int what, struct proc_info **list, size_t *n);

/* Marks in keep[i] the processes of list below root (root included, when
 * listed). Returns how many. */
size_t proc_tree_mark(const struct proc_info *list, size_t n, pid_t root, unsigned char *keep);

/* The descendants of pid (children, their children...), parents before
 * children, from /proc/PID/task/TID/children: a bounded breadth-first
 * walk; processes that end meanwhile are simply missing. Returns how many
 * were stored in out (at most max). */
size_t proc_descendants(pid_t pid, pid_t *out, size_t max);

/* pid's command line, its NULs as spaces, into sb (appended); 0 or
 * -errno (-ENOENT: gone; an empty line for a kernel thread or zombie). */
int proc_cmdline(pid_t pid, struct strbuf *sb);

/* Clock ticks to nanoseconds (sysconf(_SC_CLK_TCK)). */
uint64_t proc_ticks_ns(uint64_t ticks);

/* Machine: MemTotal in bytes, and the memory limit of our cgroup (v2
 * memory.max or v1 memory.limit_in_bytes), 0 when unlimited/unknown. */
uint64_t proc_mem_total(void);
uint64_t proc_cgroup_mem_limit(void);

#endif
