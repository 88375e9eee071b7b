/*
 * pinch/span.h - timers and spans. A span is a named interval with an id
 * and a parent id. Every finished span records its duration (seconds) in
 * the default registry's histogram `pinch_span_duration_seconds{span=NAME}`,
 * so spans show up in /metrics and in pinch_spans_report(); when tracing is
 * on, finished spans are also kept for a Chrome trace (Perfetto UI,
 * chrome://tracing).
 *
 * Two kinds:
 * - scopes: PINCH_TIME_SCOPE("name") times the enclosing block (GCC/Clang
 *   cleanup attribute). Scopes nest per thread: a scope's parent is the
 *   innermost scope open on the same thread.
 * - explicit spans: pinch_span_begin()/pinch_span_end() with an id that can
 *   be handed to another thread or a callback (async work) and ended there.
 */
#ifndef PINCH_SPAN_H
#define PINCH_SPAN_H

#include <stddef.h>
#include <stdint.h>

#ifndef PINCH_API
#define PINCH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct pinch_histogram;

/* parent argument of pinch_span_begin(): the innermost scope open on the
 * calling thread (0, a root span, when there is none). */
#define PINCH_SPAN_CURRENT UINT64_MAX

/* Begins an explicit span named name (any UTF-8; at most 200 bytes) with
 * the given parent: 0 for a root, PINCH_SPAN_CURRENT, or an id returned
 * earlier. Stores the new id (never 0) in *id. Returns 0, -EINVAL (NULL or
 * over-long name, NULL id), -ENOMEM. Thread-safe. */
PINCH_API int pinch_span_begin(const char *name, uint64_t parent, uint64_t *id);

/* Ends the span id, from any thread. Returns 0, or -ENOENT when no span
 * with that id is open (never begun, or already ended). A span that is
 * never ended keeps its ~64 bytes until the process exits. */
PINCH_API int pinch_span_end(uint64_t id);
/* Attributes and status of an open explicit span, written into its trace
 * event's args ("key":"value", "status":"ok"|"error", "status_message").
 * 0, -ENOENT (not open), -EINVAL (NULL or empty key, NULL value), -ENOMEM.
 * Strings are copied. */
PINCH_API int pinch_span_set_attr(uint64_t id, const char *key, const char *value);
PINCH_API int pinch_span_set_status(uint64_t id, int error, const char *message);

/* The id of the innermost scope open on the calling thread, 0 if none. */
PINCH_API uint64_t pinch_span_current(void);

/* Makes span id the calling thread's current span, so scopes opened from
 * now on nest under it (e.g. an async request span while its handler runs
 * on this thread), and returns the previous current id; restore that when
 * done: prev = pinch_span_set_current(req); ...; pinch_span_set_current(prev).
 * 0 means none. Never fails. */
PINCH_API uint64_t pinch_span_set_current(uint64_t id);

/* What PINCH_TIME_SCOPE keeps on the stack. Fields are private. */
struct pinch_scope {
	uint64_t id, parent, start_ns;
	struct pinch_histogram *hist;
};

/* Used by PINCH_TIME_SCOPE: *cache memoizes the histogram of a call site.
 * The name must be the same every time a given call site runs. */
PINCH_API struct pinch_scope pinch_scope_enter(struct pinch_histogram **cache,
					       const char *name);
PINCH_API void pinch_scope_leave(struct pinch_scope *s);

#define PINCH__CAT2(a, b) a##b
#define PINCH__CAT(a, b) PINCH__CAT2(a, b)
/* Times the rest of the enclosing block as a span called name. */
#define PINCH_TIME_SCOPE(name) \
	static struct pinch_histogram *PINCH__CAT(pinch__hist_, __LINE__); \
	struct pinch_scope PINCH__CAT(pinch__scope_, __LINE__) \
		__attribute__((cleanup(pinch_scope_leave), unused)) = \
		pinch_scope_enter(&PINCH__CAT(pinch__hist_, __LINE__), (name))

/* Starts keeping finished spans for export: the last max_events of them
 * (0 means 100,000; each takes 56 bytes), a ring, so a long-running
 * service's trace ends now, not at its start; the older ones overwritten
 * are counted as dropped (otherData.dropped_events in the trace). Calling
 * it again clears what was kept. Returns 0 or -ENOMEM. */
PINCH_API int pinch_trace_start(size_t max_events);
/* Stops keeping spans and frees what was kept. */
PINCH_API void pinch_trace_stop(void);

/* Renders the kept spans as a Chrome trace (JSON object format:
 * {"traceEvents":[...]}): scopes as complete events (ph "X"), explicit
 * spans as nestable async events (ph "b"/"e"), ts and dur in microseconds
 * from the start of tracing, every event (async ends too) sorted by ts with
 * begins before ends and parents before children on ties, names as raw UTF-8 without control characters; args carry id and
 * parent. *out is freed with pinch_free(). Returns 0 or -ENOMEM. */
PINCH_API int pinch_trace_json(char **out, size_t *len);
/* Writes the same to path (created or truncated). 0 or -errno. */
PINCH_API int pinch_trace_write(const char *path);

/* Writes a table of every span name seen — name, count, avg, p95, max —
 * to the file descriptor fd, slowest total first. 0 or -errno. */
PINCH_API int pinch_spans_report(int fd);

#ifdef __cplusplus
}
#endif

#endif
