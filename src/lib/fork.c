/*
 * fork.c - libpinch across fork(): pthread_atfork handlers that take every
 * library lock before the fork (so the child never inherits one held by a
 * thread that does not exist there) and, in the child, give back what the
 * parent's threads owned: the thread slots and the HTTP servers (their
 * threads are not copied; the child closes its copies of their listening
 * sockets and pinch_serve_stop() there frees only the child's memory).
 */
#include "internal.h"

#include <pthread.h>

#include "core/banned.h"

/* The order is the lock order: registries, spans, slots, servers. */
static void fork_prepare(void)
{
	lib_registries_atfork(LIB_FORK_PREPARE);
	lib_span_atfork(LIB_FORK_PREPARE);
	lib_slot_atfork(LIB_FORK_PREPARE);
	lib_serve_atfork(LIB_FORK_PREPARE);
}

static void fork_release(enum lib_fork_phase phase)
{
	lib_serve_atfork(phase);
	lib_slot_atfork(phase);
	lib_span_atfork(phase);
	lib_registries_atfork(phase);
}

static void fork_parent(void)
{
	fork_release(LIB_FORK_PARENT);
}

static void fork_child(void)
{
	fork_release(LIB_FORK_CHILD);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_register(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Called by whatever first creates a lock-holding object (a registry, a
 * thread slot, a server, a trace), not by a constructor: the unit tests
 * link the static archive, where nothing would pull this file in. glibc
 * drops the handlers of a library unloaded by dlclose(). */
void lib_fork_init(void)
{
	pthread_once(&fork_once, fork_register);
}
