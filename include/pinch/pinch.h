/*
 * pinch.h - libpinch, the embeddable part of pinch: in-app metrics
 * (counters, gauges, histograms), timers and spans, JSON performance log
 * lines, an HTTP /health and /metrics endpoint, and a micro-benchmark
 * harness. Include this one header; link with `pkg-config --libs pinch`.
 *
 * Conventions for every function of the library:
 * - it never prints and never exits: it returns 0 (or a count) on success
 *   and a negative errno-style code on failure (-EINVAL, -EEXIST,
 *   -EADDRINUSE, -ENOMEM, ...). pinch_strerror() turns a code into text and
 *   pinch_last_error() gives the calling thread's last message with context;
 * - strings it returns through `char **out` are owned by the caller and
 *   freed with pinch_free();
 * - unless a function says otherwise it is safe to call from any thread.
 *
 * The library keeps a little process-wide state (the default registry, the
 * per-thread slot allocator, the trace buffer); it may be dlopen()ed but
 * must not be dlclose()d while threads that used it are alive.
 */
#ifndef PINCH_PINCH_H
#define PINCH_PINCH_H

#include <stddef.h>
#include <stdint.h>

#if defined(PINCH_BUILDING)
#define PINCH_API __attribute__((visibility("default")))
#else
#define PINCH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The library version, "MAJOR.MINOR.PATCH". Static string. */
PINCH_API const char *pinch_version(void);

/* A static description of an error code (negative or positive errno).
 * Never NULL. Thread-safe. */
PINCH_API const char *pinch_strerror(int code);

/* The calling thread's last error message, with context, e.g.
 * "invalid metric name 'http requests': must match [a-zA-Z_:][a-zA-Z0-9_:]*".
 * Valid until the next failing pinch call on the same thread; "" when none. */
PINCH_API const char *pinch_last_error(void);

/* Frees a string or buffer the library handed over. NULL is fine. */
PINCH_API void pinch_free(void *p);

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC), the time base of
 * timers, spans and log lines. */
PINCH_API uint64_t pinch_now_ns(void);

#ifdef __cplusplus
}
#endif

#include "pinch/metrics.h"
#include "pinch/span.h"
#include "pinch/perflog.h"
#include "pinch/serve.h"
#include "pinch/bench.h"

#endif
