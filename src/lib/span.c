/*
 * span.c - libpinch's timers and spans (src/lib): per-thread scope nesting,
 * explicit spans that may end on another thread, duration histograms in
 * the default registry, the optional trace buffer and its Chrome trace
 * export, and the spans report.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "core/banned.h"

#define SPAN_HELP "Duration of pinch spans and timed scopes, by span name."
#define MAX_NAME 200
#define OPEN_BUCKETS 1024

static _Atomic uint64_t next_id = 1;
static __thread uint64_t tls_current;
static __thread uint64_t tls_trace;	/* the outermost scope open on this thread */

uint64_t lib_trace_current(void)
{
	return tls_current ? tls_trace : 0;
}
static __thread int tls_tid;

static int my_tid(void)
{
	if (!tls_tid)
		tls_tid = (int)gettid();
	return tls_tid;
}

/* The span's series; NULL and *rc (with the message left) on failure. */
static struct pinch_histogram *span_hist(const char *name, int *rc)
{
	const char *labels[] = { "span", name, NULL };
	struct pinch_histogram *h = NULL;

	*rc = pinch_histogram_get(NULL, LIB_SPAN_FAMILY, SPAN_HELP, labels, NULL, &h);
	return *rc < 0 ? NULL : h;
}

/* ---- the trace buffer ---- */

struct trace_event {
	const struct pinch_histogram *hist;	/* its label is the name */
	uint64_t id, parent, start, dur;
	int tid, end_tid, async;
	int status;			/* explicit spans: 0 unset, 1 ok, 2 error */
	char *attrs;			/* "key\0value\0" pairs, attrs_len bytes, or NULL */
	size_t attrs_len;
};

static void trace_free_attrs(struct trace_event *ev, size_t n)
{
	size_t i;

	for (i = 0; ev && i < n; i++) {
		free(ev[i].attrs);
		ev[i].attrs = NULL;
	}
}

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int trace_on;
static struct trace_event *trace_ev;	/* a ring: the last trace_cap spans */
static size_t trace_n, trace_cap, trace_next;
static uint64_t trace_dropped, trace_origin;

/* Keeps a finished span; takes *attrs (freed when not kept). */
static void trace_add(const struct pinch_histogram *h, uint64_t id, uint64_t parent,
		      uint64_t start, uint64_t end, int tid, int async, int status,
		      char **attrs, size_t attrs_len)
{
	pthread_mutex_lock(&trace_lock);
	if (trace_ev && start >= trace_origin) {
		struct trace_event *e = &trace_ev[trace_next];

		trace_next = (trace_next + 1) % trace_cap;
		if (trace_n < trace_cap)
			trace_n++;
		else
			trace_dropped++;	/* the oldest span is overwritten */
		{
			e->hist = h;
			e->id = id;
			e->parent = parent;
			e->start = start;
			e->dur = end - start;
			e->tid = tid;
			e->end_tid = my_tid();
			e->async = async;
			e->status = status;
			free(e->attrs);		/* the overwritten span's */
			e->attrs = attrs ? *attrs : NULL;
			e->attrs_len = attrs ? attrs_len : 0;
			if (attrs)
				*attrs = NULL;
		}
	}
	pthread_mutex_unlock(&trace_lock);
	if (attrs) {
		free(*attrs);
		*attrs = NULL;
	}
}

PINCH_API int pinch_trace_start(size_t max_events)
{
	struct trace_event *ev;

	if (!max_events)
		max_events = 100000;
	ev = calloc(max_events, sizeof(*ev));
	if (!ev)
		return lib_err(-ENOMEM, "out of memory for %zu trace events", max_events);
	lib_fork_init();
	pthread_mutex_lock(&trace_lock);
	trace_free_attrs(trace_ev, trace_n);
	free(trace_ev);
	trace_ev = ev;
	trace_cap = max_events;
	trace_n = trace_next = trace_dropped = 0;
	trace_origin = pinch_now_ns();
	atomic_store(&trace_on, 1);
	pthread_mutex_unlock(&trace_lock);
	return 0;
}

PINCH_API void pinch_trace_stop(void)
{
	pthread_mutex_lock(&trace_lock);
	atomic_store(&trace_on, 0);
	trace_free_attrs(trace_ev, trace_n);
	free(trace_ev);
	trace_ev = NULL;
	trace_n = trace_cap = trace_next = 0;
	pthread_mutex_unlock(&trace_lock);
}

/* ---- scopes ---- */

PINCH_API struct pinch_scope pinch_scope_enter(struct pinch_histogram **cache, const char *name)
{
	struct pinch_scope s;

	s.hist = cache ? __atomic_load_n(cache, __ATOMIC_ACQUIRE) : NULL;
	if (!s.hist && name) {
		int rc;

		s.hist = span_hist(name, &rc);
		if (cache && s.hist)
			__atomic_store_n(cache, s.hist, __ATOMIC_RELEASE);
	}
	s.id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
	s.parent = tls_current;
	if (!s.parent)
		tls_trace = s.id;
	tls_current = s.id;
	s.start_ns = pinch_now_ns();
	return s;
}

PINCH_API void pinch_scope_leave(struct pinch_scope *s)
{
	uint64_t end = pinch_now_ns();

	pinch_histogram_observe_ns(s->hist, end - s->start_ns);
	tls_current = s->parent;
	if (!s->parent)
		tls_trace = 0;
	if (s->hist && atomic_load_explicit(&trace_on, memory_order_relaxed))
		trace_add(s->hist, s->id, s->parent, s->start_ns, end, my_tid(), 0, 0, NULL, 0);
}

PINCH_API uint64_t pinch_span_current(void)
{
	return tls_current;
}

PINCH_API uint64_t pinch_span_set_current(uint64_t id)
{
	uint64_t prev = tls_current;

	tls_current = id;
	return prev;
}

/* ---- explicit spans: a hash table of the open ones ---- */

struct open_span {
	uint64_t id, parent, start;
	struct pinch_histogram *hist;
	int tid, status;
	struct strbuf attrs;		/* "key\0value\0" pairs */
	struct open_span *next;
};

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct open_span *open_table[OPEN_BUCKETS];

/* The open span id, open_lock held; NULL if none. */
static struct open_span *open_find(uint64_t id)
{
	struct open_span *o;

	for (o = open_table[id % OPEN_BUCKETS]; o && o->id != id; o = o->next)
		;
	return o;
}

static int attr_add(struct open_span *o, const char *key, const char *value)
{
	return strbuf_add(&o->attrs, key, strlen(key) + 1) || strbuf_add(&o->attrs, value, strlen(value) + 1)
		? -ENOMEM : 0;
}

PINCH_API int pinch_span_set_attr(uint64_t id, const char *key, const char *value)
{
	struct open_span *o;
	int rc;

	if (!key || !value || !*key)
		return lib_err(-EINVAL, "pinch_span_set_attr: NULL or empty key, or NULL value");
	pthread_mutex_lock(&open_lock);
	o = open_find(id);
	rc = o ? attr_add(o, key, value) : -ENOENT;
	pthread_mutex_unlock(&open_lock);
	if (rc == -ENOENT)
		return lib_err(rc, "no open span with id %llu", (unsigned long long)id);
	return rc < 0 ? lib_err(rc, "out of memory") : 0;
}

PINCH_API int pinch_span_set_status(uint64_t id, int error, const char *message)
{
	struct open_span *o;
	int rc = 0;

	pthread_mutex_lock(&open_lock);
	o = open_find(id);
	if (!o)
		rc = -ENOENT;
	else {
		o->status = error ? 2 : 1;
		if (message)
			rc = attr_add(o, "status_message", message);
	}
	pthread_mutex_unlock(&open_lock);
	if (rc == -ENOENT)
		return lib_err(rc, "no open span with id %llu", (unsigned long long)id);
	return rc < 0 ? lib_err(rc, "out of memory") : 0;
}


PINCH_API int pinch_span_begin(const char *name, uint64_t parent, uint64_t *id)
{
	struct open_span *o;
	size_t b;
	int rc;

	if (!name || !id)
		return lib_err(-EINVAL, "pinch_span_begin: NULL name or id");
	if (strlen(name) > MAX_NAME)
		return lib_err(-EINVAL, "span name longer than %d bytes", MAX_NAME);
	o = calloc(1, sizeof(*o));
	if (!o)
		return lib_err(-ENOMEM, "out of memory");
	o->hist = span_hist(name, &rc);
	if (!o->hist) {
		free(o);
		return rc;	/* span_hist left the message */
	}
	o->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
	o->parent = parent == PINCH_SPAN_CURRENT ? tls_current : parent;
	o->tid = my_tid();
	strbuf_init(&o->attrs, 0);
	b = o->id % OPEN_BUCKETS;
	o->start = pinch_now_ns();
	pthread_mutex_lock(&open_lock);
	o->next = open_table[b];
	open_table[b] = o;
	pthread_mutex_unlock(&open_lock);
	*id = o->id;
	return 0;
}

PINCH_API int pinch_span_end(uint64_t id)
{
	uint64_t end = pinch_now_ns();
	struct open_span **pp, *o = NULL;

	pthread_mutex_lock(&open_lock);
	for (pp = &open_table[id % OPEN_BUCKETS]; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			o = *pp;
			*pp = o->next;
			break;
		}
	pthread_mutex_unlock(&open_lock);
	if (!o)
		return lib_err(-ENOENT, "span end without begin: no open span with id %llu",
			       (unsigned long long)id);
	if (end < o->start)
		end = o->start;
	pinch_histogram_observe_ns(o->hist, end - o->start);
	if (atomic_load_explicit(&trace_on, memory_order_relaxed)) {
		size_t alen = o->attrs.len;
		char *attrs = alen ? strbuf_detach(&o->attrs, NULL) : NULL;

		trace_add(o->hist, o->id, o->parent, o->start, end, o->tid, 1, o->status,
			  attrs ? &attrs : NULL, alen);
	}
	strbuf_release(&o->attrs);
	free(o);
	return 0;
}

/* ---- Chrome trace export ---- */

/* One line of the trace: a span's begin ("X" or "b") or an async end. */
struct trace_line {
	const struct trace_event *e;
	uint64_t ts;
	int end;
};

static int line_cmp(const void *a, const void *b)
{
	const struct trace_line *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->end != y->end)
		return x->end - y->end;		/* begins first */
	if (x->e->dur != y->e->dur)
		return x->e->dur > y->e->dur ? -1 : 1;	/* parents (longer) first */
	return x->e->id < y->e->id ? -1 : x->e->id > y->e->id;
}

static void kraw_us(struct json_writer *w, const char *key, uint64_t ns)
{
	json_key(w, key);
	w->after_key = 0;
	strbuf_addf(w->out, "%llu.%03llu", (unsigned long long)(ns / 1000),
		    (unsigned long long)(ns % 1000));
}

static void event_head(struct json_writer *w, const struct trace_event *e, const char *ph, int pid)
{
	json_obj_begin(w);
	json_kstr(w, "name", lib_series_label(&e->hist->s, 0));
	json_kstr(w, "cat", e->async ? "pinch.async" : "pinch");
	json_kstr(w, "ph", ph);
	json_kint(w, "pid", pid);
}

static void event_id(struct json_writer *w, uint64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)id);
	json_kstr(w, "id", buf);
}

PINCH_API int pinch_trace_json(char **out, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	struct trace_event *ev = NULL;
	struct trace_line *lines = NULL;
	size_t n, i, k, n_lines;
	uint64_t origin, dropped;
	int pid = (int)getpid();

	if (!out)
		return lib_err(-EINVAL, "pinch_trace_json: NULL out");
	pthread_mutex_lock(&trace_lock);
	n = trace_n;
	origin = trace_origin;
	dropped = trace_dropped;
	if (n && (ev = malloc(n * sizeof(*ev)))) {
		memcpy(ev, trace_ev, n * sizeof(*ev));
		for (i = 0; i < n; i++)		/* the ring may overwrite them */
			if (ev[i].attrs && (ev[i].attrs = malloc(ev[i].attrs_len)))
				memcpy(ev[i].attrs, trace_ev[i].attrs, ev[i].attrs_len);
	}
	pthread_mutex_unlock(&trace_lock);
	if (n && !ev)
		return lib_err(-ENOMEM, "out of memory");
	for (i = 0, n_lines = n; i < n; i++)
		n_lines += ev[i].async;
	if (n_lines && !(lines = malloc(n_lines * sizeof(*lines)))) {
		free(ev);
		return lib_err(-ENOMEM, "out of memory");
	}
	for (i = 0, k = 0; i < n; i++) {
		lines[k++] = (struct trace_line){ &ev[i], ev[i].start, 0 };
		if (ev[i].async)	/* its end, on the begin thread's track */
			lines[k++] = (struct trace_line){ &ev[i], ev[i].start + ev[i].dur, 1 };
	}
	qsort(lines, n_lines, sizeof(*lines), line_cmp);

	json_init(&w, &sb, 0);
	json_obj_begin(&w);
	json_key(&w, "traceEvents");
	json_arr_begin(&w);
	for (k = 0; k < n_lines; k++) {
		const struct trace_event *e = lines[k].e;

		if (lines[k].end) {
			event_head(&w, e, "e", pid);
			json_kint(&w, "tid", e->tid);
			kraw_us(&w, "ts", lines[k].ts - origin);
			event_id(&w, e->id);
			json_obj_end(&w);
			continue;
		}
		event_head(&w, e, e->async ? "b" : "X", pid);
		json_kint(&w, "tid", e->tid);
		kraw_us(&w, "ts", e->start - origin);
		if (e->async)
			event_id(&w, e->id);
		else
			kraw_us(&w, "dur", e->dur);
		json_key(&w, "args");
		json_obj_begin(&w);
		json_kuint(&w, "id", e->id);
		json_kuint(&w, "parent", e->parent);
		if (e->async)
			json_kint(&w, "end_tid", e->end_tid);
		if (e->status)
			json_kstr(&w, "status", e->status == 2 ? "error" : "ok");
		for (i = 0; e->attrs && i < e->attrs_len; ) {
			const char *key = e->attrs + i, *value = key + strlen(key) + 1;

			json_kstr(&w, key, value);
			i = (size_t)(value + strlen(value) + 1 - e->attrs);
		}
		json_obj_end(&w);
		json_obj_end(&w);
	}
	free(lines);
	trace_free_attrs(ev, n);
	json_arr_end(&w);
	json_key(&w, "otherData");
	json_obj_begin(&w);
	json_kstr(&w, "producer", "libpinch " PINCH_VERSION);
	json_kuint(&w, "dropped_events", dropped);
	json_obj_end(&w);
	json_obj_end(&w);
	strbuf_addch(&sb, '\n');
	free(ev);
	*out = strbuf_detach(&sb, len);
	return *out ? 0 : lib_err(-ENOMEM, "out of memory");
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

PINCH_API int pinch_trace_write(const char *path)
{
	char *json;
	size_t len;
	int fd, rc;

	if (!path)
		return lib_err(-EINVAL, "pinch_trace_write: NULL path");
	rc = pinch_trace_json(&json, &len);
	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		free(json);
		return lib_err(rc, "cannot open '%s': %s", path, strerror(-rc));
	}
	rc = write_all(fd, json, len);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	free(json);
	return rc < 0 ? lib_err(rc, "cannot write '%s': %s", path, strerror(-rc)) : 0;
}

/* ---- report ---- */

/* Columns of a UTF-8 string: one per character (no wide-glyph tables). */
static size_t utf8_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

struct span_row {
	const char *name;
	struct pinch_histogram_summary s;
};

static int row_cmp(const void *a, const void *b)
{
	const struct span_row *x = a, *y = b;

	if (x->s.sum != y->s.sum)
		return x->s.sum > y->s.sum ? -1 : 1;
	return strcmp(x->name, y->name);
}

PINCH_API int pinch_spans_report(int fd)
{
	struct pinch_registry *r = pinch_registry_default();
	struct strbuf sb = STRBUF_INIT;
	struct lib_family *f;
	struct lib_series *s;
	struct span_row *rows = NULL;
	size_t n = 0, i, width = 4;
	int rc;

	if (!r)
		return lib_err(-ENOMEM, "out of memory");
	lib_registry_lock(r);
	for (f = r->families; f && strcmp(f->name, LIB_SPAN_FAMILY); f = f->next)
		;
	n = f ? f->n_series : 0;
	if (n && !(rows = calloc(n, sizeof(*rows)))) {
		lib_registry_unlock(r);
		return lib_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		s = f->series[i];
		rows[i].name = lib_series_label(s, 0);
		pinch_histogram_read((struct pinch_histogram *)s, &rows[i].s);
		if (utf8_width(rows[i].name) > width)
			width = utf8_width(rows[i].name);
	}
	lib_registry_unlock(r);	/* series live as long as the registry */
	qsort(rows, n, sizeof(*rows), row_cmp);
	strbuf_addf(&sb, "%-*s  %10s  %10s  %10s  %10s  %10s\n", (int)width,
		    "SPAN", "COUNT", "AVG", "P95", "MAX", "TOTAL");
	for (i = 0; i < n; i++) {
		struct strbuf c[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
		int k;

		strbuf_add_duration(&c[0], rows[i].s.avg * 1e9);
		strbuf_add_duration(&c[1], rows[i].s.p95 * 1e9);
		strbuf_add_duration(&c[2], rows[i].s.max * 1e9);
		strbuf_add_duration(&c[3], rows[i].s.sum * 1e9);
		strbuf_add_utf8_sanitized(&sb, rows[i].name, strlen(rows[i].name));
		strbuf_addchars(&sb, ' ', width - utf8_width(rows[i].name));
		strbuf_addf(&sb, "  %10llu  %10s  %10s  %10s  %10s\n",
			    (unsigned long long)rows[i].s.count, c[0].buf, c[1].buf, c[2].buf, c[3].buf);
		for (k = 0; k < 4; k++)
			strbuf_release(&c[k]);
	}
	free(rows);
	rc = write_all(fd, sb.buf, sb.len);
	strbuf_release(&sb);
	return rc < 0 ? lib_err(rc, "cannot write the spans report: %s", strerror(-rc)) : 0;
}

void lib_span_atfork(enum lib_fork_phase phase)
{
	if (phase == LIB_FORK_PREPARE) {
		pthread_mutex_lock(&trace_lock);
		pthread_mutex_lock(&open_lock);
		return;
	}
	pthread_mutex_unlock(&open_lock);
	pthread_mutex_unlock(&trace_lock);
}
