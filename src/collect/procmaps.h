/*
 * procmaps.h - the mappings of a process, from /proc/PID/maps (collect
 * layer). The line parser itself is pcw_maps_parse_line() in
 * src/agent/cpu/wire.h, shared with the fallback agent.
 */
#ifndef PINCH_COLLECT_PROCMAPS_H
#define PINCH_COLLECT_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct procmap {
	uint64_t start, end, pgoff;
	uint32_t prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	char *path;		/* owned; "" for anonymous mappings */
};

struct procmaps {
	struct procmap *v;
	size_t n, alloc;
};

#define PROCMAPS_INIT { NULL, 0, 0 }

/* Parses maps text (malformed lines are skipped and counted in *bad when
 * bad is not NULL). exec_only keeps only executable mappings. 0 or -ENOMEM. */
int procmaps_parse(struct procmaps *m, const char *text, size_t len, int exec_only,
		   size_t *bad);
/* Reads /proc/PID/maps. 0, -ESRCH (no such process), -EACCES or -ENOMEM. */
int procmaps_read(struct procmaps *m, pid_t pid, int exec_only);
void procmaps_release(struct procmaps *m);

#endif
