/*
 * slot.c - per-thread slot indexes for libpinch's sharded metrics. A thread
 * gets a free index on its first update and gives it back when it exits
 * (pthread key destructor), so each index has one writer at a time.
 */
#include "internal.h"

#include <pthread.h>

#include "core/banned.h"

__thread int lib_tls_slot __attribute__((tls_model("initial-exec"))) = -1;

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static pthread_key_t slot_key;
static uint64_t slot_used;	/* bit i: index i owned by a live thread */

static void slot_release(void *p)
{
	int s = (int)(intptr_t)p - 1;

	if (s < 0 || s >= LIB_SLOTS)
		return;
	/* Updates from destructors that run after this one share a slot. */
	lib_tls_slot = LIB_SLOT_SHARED;
	/* The mutex orders the old owner's last writes before the next
	 * owner's first ones. */
	pthread_mutex_lock(&slot_lock);
	slot_used &= ~(1ull << s);
	pthread_mutex_unlock(&slot_lock);
}

static void slot_key_init(void)
{
	if (pthread_key_create(&slot_key, slot_release))
		slot_key = (pthread_key_t)-1;
}

int lib_slot_assign(void)
{
	int s = LIB_SLOT_SHARED;

	pthread_once(&slot_once, slot_key_init);
	lib_fork_init();
	pthread_mutex_lock(&slot_lock);
	if (slot_key != (pthread_key_t)-1 && ~slot_used) {
		s = __builtin_ctzll(~slot_used);
		slot_used |= 1ull << s;
	}
	pthread_mutex_unlock(&slot_lock);
	if (s != LIB_SLOT_SHARED && pthread_setspecific(slot_key, (void *)(intptr_t)(s + 1))) {
		slot_release((void *)(intptr_t)(s + 1));
		s = LIB_SLOT_SHARED;
	}
	lib_tls_slot = s;
	return s;
}

void lib_slot_atfork(enum lib_fork_phase phase)
{
	int s = lib_tls_slot;

	if (phase == LIB_FORK_PREPARE) {
		pthread_mutex_lock(&slot_lock);
		return;
	}
	/* The child has one thread, the one that forked: only its slot
	 * stays taken. */
	if (phase == LIB_FORK_CHILD)
		slot_used = s >= 0 && s < LIB_SLOTS ? 1ull << s : 0;
	pthread_mutex_unlock(&slot_lock);
}
