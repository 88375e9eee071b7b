/*
 * livetop.h - the table behind `pinch top` (like py-spy top): functions
 * ranked by own time, with %Own and %Total of the last interval (percent
 * of one CPU, so a busy multi-threaded process can pass 100) and OwnTime
 * / TotalTime summed over the whole session. Fed one profile per
 * interval; works for Python and native frames alike.
 */
#ifndef PINCH_VIEW_LIVETOP_H
#define PINCH_VIEW_LIVETOP_H

#include <stddef.h>
#include <stdint.h>

struct profile;
struct strbuf;
struct livetop;

struct livetop *livetop_new(void);
void livetop_free(struct livetop *t);

/* Adds an interval's profile (value type 'value', nanoseconds) lasting
 * interval_ns of wall time. 0 or -ENOMEM. */
int livetop_add(struct livetop *t, const struct profile *p, size_t value, uint64_t interval_ns);

enum livetop_span {
	LIVETOP_LAST = 0,	/* percentages of the last interval (live view) */
	LIVETOP_ALL = 1,	/* percentages of the whole session (--once/--duration) */
};

/* Renders the header line and up to rows rows (0 = all), width columns
 * wide (0 = no limit). json = 1 for the machine form. */
int livetop_render(const struct livetop *t, enum livetop_span span, int rows, int width,
		   int json, struct strbuf *out);

#endif
