/*
 * clock.c - time sources (core layer). Everything that measures an interval
 * uses CLOCK_MONOTONIC through here.
 */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "banned.h"

static uint64_t clock_read(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void) { return clock_read(CLOCK_MONOTONIC); }
uint64_t clock_real_ns(void) { return clock_read(CLOCK_REALTIME); }
uint64_t clock_process_cpu_ns(void) { return clock_read(CLOCK_PROCESS_CPUTIME_ID); }

void clock_format_utc(uint64_t real_ns, char *buf, unsigned long size)
{
	time_t t = (time_t)(real_ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

void clock_format_iso8601(uint64_t real_ns, char *buf, unsigned long size)
{
	time_t t = (time_t)(real_ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void clock_sleep_ns(uint64_t ns, volatile int *stop)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		if (stop && *stop)
			break;
}
