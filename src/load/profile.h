/*
 * profile.h - profile under load (load layer): 'pinch record --pid' runs
 * beside the load for exactly its window, a server given as a command is
 * started and stopped, and the recording's own figures say how much of the
 * server's CPU the samples cover and whether kernel stacks were sampled.
 */
#ifndef PINCH_LOAD_PROFILE_H
#define PINCH_LOAD_PROFILE_H

#include <stdint.h>
#include <sys/types.h>

struct load_profiler {
	pid_t record;		/* pinch record */
	pid_t server;		/* --profile-cmd */
	int errfd;		/* record's stderr */
};

/* What a recording covers (from its metadata). */
struct load_profile_info {
	const char *path;
	uint64_t samples;
	uint64_t sampled_ns;	/* samples x the sampling period */
	uint64_t target_ns;	/* the target's user + system CPU time, 0: unknown */
	uint64_t target_sys_ns;
	char kernel[16];	/* "sampled", "excluded", "unavailable" or "" */
};

/* Starts cmd with /bin/sh in its own process group. */
pid_t load_profile_spawn(const char *cmd);
/* Starts 'pinch record --pid target -o out'; a refusal shows within a
 * moment and is reported on stderr. Returns 0 or a negative errno. */
int load_profile_start(struct load_profiler *pr, pid_t target, const char *out);
/* Stops the recording (SIGINT) and waits for it. Returns 0 or -1. */
int load_profile_stop(struct load_profiler *pr, const char *out);
void load_profile_stop_server(struct load_profiler *pr);
/* Reads the recording's figures. Returns 0 or a negative errno. */
int load_profile_read(const char *path, struct load_profile_info *info);

#endif
