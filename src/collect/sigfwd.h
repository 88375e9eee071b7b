/*
 * sigfwd.h - the signals of a collector that runs a command (pinch stat,
 * pinch syscalls): SIGINT/SIGQUIT are noted (the terminal sends them to
 * the command too), SIGTERM/SIGHUP noted and forwarded to the command,
 * SIGALRM (optional) only noted, so a blocking wait returns EINTR.
 */
#ifndef PINCH_COLLECT_SIGFWD_H
#define PINCH_COLLECT_SIGFWD_H

#include <signal.h>
#include <sys/types.h>

struct sigfwd {
	struct sigaction old[5];
	int alarm;
};

/* The last signal received since sigfwd_start (0: none); the caller may reset it. */
extern volatile sig_atomic_t sigfwd_last;

void sigfwd_start(struct sigfwd *s, pid_t forward_to, int alarm);
/* Changes where SIGTERM/SIGHUP go (0: nowhere). */
void sigfwd_target(pid_t forward_to);
void sigfwd_stop(struct sigfwd *s);

#endif
