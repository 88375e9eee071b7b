/*
 * error.c - libpinch's error reporting: static texts for codes and one
 * per-thread message with context (never printed by the library itself).
 * Also the small shared entry points: version, clock, free.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/banned.h"

static __thread char last_error[512];

int lib_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

PINCH_API const char *pinch_last_error(void)
{
	return last_error;
}

PINCH_API const char *pinch_strerror(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case 0: return "success";
	case EINVAL: return "invalid argument";
	case EEXIST: return "already registered";
	case EADDRINUSE: return "address already in use";
	case EPERM: return "not allowed (non-loopback address without allow_remote)";
	case ENOENT: return "no such span or file";
	case ENOMEM: return "out of memory";
	case EIO: return "input/output error";
	default: return strerror(code);	/* glibc: static for known codes */
	}
}

PINCH_API const char *pinch_version(void)
{
	return PINCH_VERSION;
}

PINCH_API void pinch_free(void *p)
{
	free(p);
}

PINCH_API uint64_t pinch_now_ns(void)
{
	return clock_mono_ns();
}
