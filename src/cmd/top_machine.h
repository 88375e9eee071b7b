/*
 * top_machine.h - `pinch top` without --pid: the busiest processes of the
 * machine (src/cmd/top_machine.c), with a key to drill into one of them
 * (today's `pinch top --pid` view).
 */
#ifndef PINCH_CMD_TOP_MACHINE_H
#define PINCH_CMD_TOP_MACHINE_H

#include <stdint.h>

struct top_machine_opts {
	uint64_t interval_ns;
	uint64_t duration_ns;	/* 0: until q */
	int once;		/* one interval, one table */
	int json;
	int limit;		/* rows; 0: the terminal's height (or 30) */
	const char *sort;	/* cpu (default), rss, io, threads */
};

int top_machine(const struct top_machine_opts *o);

#endif
