/*
 * perflog.c - libpinch's performance log lines (src/lib): one JSON object
 * per call, formatted in memory and written with a single write(2), with
 * an optional slow-call threshold.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/banned.h"

struct pinch_log {
	int fd;
	int owned;
	uint64_t slow_ns;
};

static int log_new(int fd, int owned, const struct pinch_log_opts *o, struct pinch_log **out)
{
	struct pinch_log *l;

	if (!out)
		return lib_err(-EINVAL, "pinch_log_open: NULL out");
	if (o && (!(o->slow_ms >= 0) || o->slow_ms > 1e12))
		return lib_err(-EINVAL, "slow_ms must be a number >= 0, not %g", o->slow_ms);
	l = calloc(1, sizeof(*l));
	if (!l)
		return lib_err(-ENOMEM, "out of memory");
	l->fd = fd;
	l->owned = owned;
	l->slow_ns = o ? (uint64_t)(o->slow_ms * 1e6) : 0;
	*out = l;
	return 0;
}

PINCH_API int pinch_log_open_fd(int fd, const struct pinch_log_opts *opts, struct pinch_log **out)
{
	if (fd < 0)
		return lib_err(-EBADF, "pinch_log_open_fd: bad file descriptor %d", fd);
	return log_new(fd, 0, opts, out);
}

PINCH_API int pinch_log_open_file(const char *path, const struct pinch_log_opts *opts,
				  struct pinch_log **out)
{
	int fd, rc;

	if (!path || !out)
		return lib_err(-EINVAL, "pinch_log_open_file: NULL path or out");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		return lib_err(rc, "cannot open '%s': %s", path, strerror(-rc));
	}
	rc = log_new(fd, 1, opts, out);
	if (rc < 0)
		close(fd);
	return rc;
}

PINCH_API void pinch_log_close(struct pinch_log *l)
{
	if (!l)
		return;
	if (l->owned)
		close(l->fd);
	free(l);
}

static int reserved_key(const char *k)
{
	static const char *const keys[] = {
		"timestamp", "event", "function", "duration_ms", "status", "error",
		"trace_id", "span_id",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return 1;
	return 0;
}

void lib_json_quote(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	strbuf_addch(sb, '"');
	for (; *p; p += n) {
		n = lib_utf8_seq(p);
		if (!n) {
			strbuf_addstr(sb, "\\ufffd");
			n = 1;
			continue;
		}
		if (n > 1) {
			strbuf_add(sb, p, n);
			continue;
		}
		switch (*p) {
		case '"': strbuf_addstr(sb, "\\\""); break;
		case '\\': strbuf_addstr(sb, "\\\\"); break;
		case '\b': strbuf_addstr(sb, "\\b"); break;
		case '\f': strbuf_addstr(sb, "\\f"); break;
		case '\n': strbuf_addstr(sb, "\\n"); break;
		case '\r': strbuf_addstr(sb, "\\r"); break;
		case '\t': strbuf_addstr(sb, "\\t"); break;
		default:
			if (*p < 0x20)
				strbuf_addf(sb, "\\u%04x", *p);
			else
				strbuf_addch(sb, (char)*p);
		}
	}
	strbuf_addch(sb, '"');
}

/* A member of the line's one flat object, key and (for strings) value
 * quoted by lib_json_quote rather than core/json.c's display-sanitizing
 * quote, which turns control characters into '?'. */
static void log_key(struct json_writer *w, const char *k)
{
	if (!w->first[w->depth])
		strbuf_addch(w->out, ',');
	w->first[w->depth] = 0;
	lib_json_quote(w->out, k);
	strbuf_addch(w->out, ':');
	w->after_key = 1;
}

static void log_str(struct json_writer *w, const char *v)
{
	if (!v) {
		json_null(w);
		return;
	}
	w->after_key = 0;
	lib_json_quote(w->out, v);
}

static void log_kstr(struct json_writer *w, const char *k, const char *v)
{
	log_key(w, k);
	log_str(w, v);
}

static void add_timestamp(struct json_writer *w)
{
	uint64_t now = clock_real_ns();
	time_t t = (time_t)(now / 1000000000ull);
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(now % 1000000000ull / 1000000));
	log_kstr(w, "timestamp", buf);
}

PINCH_API int pinch_log_call(struct pinch_log *l, const char *function, uint64_t duration_ns,
			     int rc, const char *error, const struct pinch_field *fields, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	size_t i;
	ssize_t wr;
	int ret = 1;

	if (!l || !function)
		return lib_err(-EINVAL, "pinch_log_call: NULL log or function");
	if (rc >= 0 && duration_ns < l->slow_ns)
		return 0;
	json_init(&w, &sb, 0);
	json_obj_begin(&w);
	add_timestamp(&w);
	log_kstr(&w, "event", rc >= 0 ? "function_completed" : "function_failed");
	log_kstr(&w, "function", function);
	log_key(&w, "duration_ms");
	w.after_key = 0;	/* fixed microsecond precision, not %g */
	strbuf_addf(&sb, "%.3f", (double)duration_ns / 1e6);
	log_kstr(&w, "status", rc >= 0 ? "ok" : "error");
	log_kstr(&w, "error", rc >= 0 ? NULL : error ? error : strerror(-rc));
	if (pinch_span_current()) {	/* inside a scope: which one, and its outermost */
		char id[24];

		snprintf(id, sizeof(id), "0x%llx", (unsigned long long)lib_trace_current());
		if (lib_trace_current())
			log_kstr(&w, "trace_id", id);
		snprintf(id, sizeof(id), "0x%llx", (unsigned long long)pinch_span_current());
		log_kstr(&w, "span_id", id);
	}
	for (i = 0; fields && i < n; i++) {
		const struct pinch_field *f = &fields[i];

		if (!f->key || reserved_key(f->key))
			continue;
		log_key(&w, f->key);
		switch (f->type) {
		case PINCH_FIELD_STR: log_str(&w, f->s); break;
		case PINCH_FIELD_INT: json_int(&w, f->i); break;
		case PINCH_FIELD_DOUBLE: json_double(&w, f->d); break;
		case PINCH_FIELD_BOOL: json_bool(&w, (int)f->i); break;
		default: json_null(&w); break;
		}
	}
	json_obj_end(&w);
	strbuf_addch(&sb, '\n');
	/* One write: a short write is reported, never completed by a second
	 * write that another thread's line could split. */
	do
		wr = write(l->fd, sb.buf, sb.len);
	while (wr < 0 && errno == EINTR);
	if (wr < 0)
		ret = lib_err(-errno, "cannot write a log line: %s", strerror(errno));
	else if ((size_t)wr != sb.len)
		ret = lib_err(-EIO, "short write of a log line (%zd of %zu bytes)", wr, sb.len);
	strbuf_release(&sb);
	return ret;
}
