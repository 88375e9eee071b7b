/*
 * sigfwd.c - see sigfwd.h.
 */
#include "collect/sigfwd.h"

#include <string.h>

#include "core/banned.h"

volatile sig_atomic_t sigfwd_last;
static volatile pid_t forward_pid;

static const int sigs[5] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGALRM };

static void on_signal(int sig)
{
	sigfwd_last = sig;
	if (forward_pid > 0 && (sig == SIGTERM || sig == SIGHUP))
		kill(forward_pid, sig);
}

void sigfwd_target(pid_t forward_to)
{
	forward_pid = forward_to;
}

void sigfwd_start(struct sigfwd *s, pid_t forward_to, int alarm)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits return EINTR */
	s->alarm = alarm;
	sigfwd_last = 0;
	forward_pid = forward_to;
	for (int i = 0; i < (alarm ? 5 : 4); i++)
		sigaction(sigs[i], &sa, &s->old[i]);
}

void sigfwd_stop(struct sigfwd *s)
{
	forward_pid = 0;
	for (int i = 0; i < (s->alarm ? 5 : 4); i++)
		sigaction(sigs[i], &s->old[i], NULL);
}
