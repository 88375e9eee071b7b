/*
 * clock.h - the one place pinch reads time. Monotonic for intervals,
 * realtime only for wall-clock stamps written into files.
 */
#ifndef PINCH_CORE_CLOCK_H
#define PINCH_CORE_CLOCK_H

#include <stdint.h>

uint64_t clock_mono_ns(void);
uint64_t clock_real_ns(void);
/* CPU time consumed by the calling process (user + system). */
uint64_t clock_process_cpu_ns(void);
/* Formats a realtime stamp as "2026-11-25 12:47:14" (UTC) into buf. */
void clock_format_utc(uint64_t real_ns, char *buf, unsigned long size);
/* Formats a realtime stamp as "2026-11-25T12:47:14Z" (UTC, ISO 8601). */
void clock_format_iso8601(uint64_t real_ns, char *buf, unsigned long size);
/* Sleeps ns nanoseconds, resuming after signals unless *stop becomes set. */
void clock_sleep_ns(uint64_t ns, volatile int *stop);

#endif
