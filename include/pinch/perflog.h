/*
 * pinch/perflog.h - performance log lines: one JSON object per call, e.g.
 *   {"timestamp":"2026-11-25T13:04:05.123Z","event":"function_completed",
 *    "function":"load_items","duration_ms":12.345,"status":"ok","error":null,
 *    "user_id":42}
 * "event" is "function_failed" and "status" "error" when the call failed.
 * Inside a PINCH_TIME_SCOPE, "trace_id" (the thread's outermost open
 * scope) and "span_id" (pinch_span_current()) follow "error", as hex
 * strings like the Chrome trace's ids. Strings are escaped per RFC 8259
 * (control characters as \n, \t, \u00XX; invalid UTF-8 as U+FFFD).
 * Each line is written with one write() call, so lines from many threads
 * never interleave (for pipes up to PIPE_BUF bytes, for O_APPEND files in
 * practice always).
 */
#ifndef PINCH_PERFLOG_H
#define PINCH_PERFLOG_H

#include <stddef.h>
#include <stdint.h>

#ifndef PINCH_API
#define PINCH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct pinch_log;

struct pinch_log_opts {
	/* Log only calls that took at least this many milliseconds; failures
	 * are always logged. 0 logs every call. */
	double slow_ms;
};

/* A user field added to a line. Build them with PINCH_FIELD_*. */
enum pinch_field_type { PINCH_FIELD_STR, PINCH_FIELD_INT, PINCH_FIELD_DOUBLE, PINCH_FIELD_BOOL };
struct pinch_field {
	const char *key;
	enum pinch_field_type type;
	const char *s;
	int64_t i;
	double d;
};
#define PINCH_FIELD_STR(k, v) ((struct pinch_field){ .key = (k), .type = PINCH_FIELD_STR, .s = (v) })
#define PINCH_FIELD_INT(k, v) ((struct pinch_field){ .key = (k), .type = PINCH_FIELD_INT, .i = (v) })
#define PINCH_FIELD_DOUBLE(k, v) ((struct pinch_field){ .key = (k), .type = PINCH_FIELD_DOUBLE, .d = (v) })
#define PINCH_FIELD_BOOL(k, v) ((struct pinch_field){ .key = (k), .type = PINCH_FIELD_BOOL, .i = !!(v) })

/* Logs to fd, which stays the caller's (not closed by pinch_log_close).
 * opts may be NULL. Returns 0, -EBADF (fd < 0), -EINVAL (negative slow_ms)
 * or -ENOMEM. */
PINCH_API int pinch_log_open_fd(int fd, const struct pinch_log_opts *opts,
				struct pinch_log **out);
/* Logs to the file at path, opened for appending (created 0644). Returns 0,
 * -errno from open(2), -EINVAL or -ENOMEM. */
PINCH_API int pinch_log_open_file(const char *path, const struct pinch_log_opts *opts,
				  struct pinch_log **out);
/* Flushes nothing (there is no buffer), closes a file opened by
 * pinch_log_open_file, frees l. NULL is fine. No call on l may be running. */
PINCH_API void pinch_log_close(struct pinch_log *l);

/* Logs one call of function that took duration_ns and returned rc: rc >= 0
 * is "function_completed", rc < 0 "function_failed" with error (or, when
 * error is NULL, strerror(-rc)). fields (n of them) are appended; keys
 * that repeat the standard ones are skipped. Returns 1 when a line was
 * written, 0 when it was below the slow threshold, -EINVAL (NULL l or
 * function), -errno from write(2). Thread-safe. */
PINCH_API int pinch_log_call(struct pinch_log *l, const char *function,
			     uint64_t duration_ns, int rc, const char *error,
			     const struct pinch_field *fields, size_t n);

/* Times expr (an int expression: >= 0 success, < 0 -errno) and logs it as
 * function name; evaluates to expr's value. Extra arguments are
 * struct pinch_field values: PINCH_LOG_CALL(log, "f", f(x), PINCH_FIELD_INT("x", x)) */
#define PINCH_LOG_CALL(log, name, expr, ...) __extension__({ \
	uint64_t pinch__t0 = pinch_now_ns(); \
	int pinch__rc = (expr); \
	const struct pinch_field pinch__f[] = { PINCH_FIELD_BOOL(NULL, 0), ##__VA_ARGS__ }; \
	pinch_log_call((log), (name), pinch_now_ns() - pinch__t0, pinch__rc, NULL, \
		       pinch__f + 1, sizeof(pinch__f) / sizeof(pinch__f[0]) - 1); \
	pinch__rc; })

#ifdef __cplusplus
}
#endif

#endif
