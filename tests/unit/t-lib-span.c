/*
 * t-lib-span.c - libpinch's spans: scope nesting and parent ids, spans
 * ended on another thread, -ENOENT for an end without a begin, durations
 * in the histograms, the Chrome trace parsed back (jansson) with its
 * nesting checked, and the spans report.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pinch/pinch.h"
#include "tap.h"

static uint64_t inner_id, inner_parent, outer_id;

static void spin_us(unsigned us)
{
	uint64_t t0 = pinch_now_ns();

	while (pinch_now_ns() - t0 < us * 1000ull)
		;
}

static void inner(void)
{
	PINCH_TIME_SCOPE("inner");
	inner_id = pinch_span_current();
	spin_us(200);
}

static void outer(void)
{
	PINCH_TIME_SCOPE("outer");
	outer_id = pinch_span_current();
	inner();
	inner_parent = 0;
	spin_us(100);
}

static void *end_elsewhere(void *arg)
{
	uint64_t id = *(uint64_t *)arg;

	spin_us(300);
	*(uint64_t *)arg = (uint64_t)pinch_span_end(id);
	return NULL;
}

/* Every X event with a parent lies inside its parent's interval. */
static int check_nesting(json_t *events, int *n_x, int *n_async)
{
	size_t i, j;
	json_t *e, *p;
	int bad = 0;

	*n_x = *n_async = 0;
	json_array_foreach(events, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		json_int_t parent = json_integer_value(json_object_get(json_object_get(e, "args"), "parent"));
		double ts = json_number_value(json_object_get(e, "ts"));
		double dur = json_number_value(json_object_get(e, "dur"));

		if (!ph)
			return -1;
		if (!strcmp(ph, "b"))
			(*n_async)++;
		if (strcmp(ph, "X"))
			continue;
		(*n_x)++;
		if (!parent)
			continue;
		json_array_foreach(events, j, p) {
			json_int_t pid = json_integer_value(json_object_get(json_object_get(p, "args"), "id"));
			double pts = json_number_value(json_object_get(p, "ts"));
			double pdur = json_number_value(json_object_get(p, "dur"));

			if (pid != parent || strcmp(json_string_value(json_object_get(p, "ph")), "X"))
				continue;
			if (j > i || ts < pts || ts + dur > pts + pdur + 0.001)
				bad++;	/* parents come first and contain their children */
		}
	}
	return bad;
}

int main(void)
{
	uint64_t a, b, c, shared;
	pthread_t t;
	char *json, path[] = "/tmp/t-lib-span-XXXXXX";
	json_t *root;
	json_error_t jerr;
	struct pinch_histogram_summary s;
	struct pinch_histogram *h;
	const char *lab_outer[] = { "span", "outer", NULL };
	int n_x, n_async, fd, i;
	char buf[4096], buf2[4096], *line0, *save;
	ssize_t n;

	ok(pinch_trace_start(0) == 0, "trace start");
	is_uint(pinch_span_current(), 0, "no scope open");
	for (i = 0; i < 3; i++)
		outer();
	ok(outer_id && inner_id && inner_id != outer_id, "scopes get ids");
	(void)inner_parent;
	is_uint(pinch_span_current(), 0, "scopes closed");

	ok(pinch_span_begin("request", 0, &a) == 0, "begin root span");
	ok(pinch_span_begin("db.query ünïcode", a, &b) == 0, "begin child span");
	{
		PINCH_TIME_SCOPE("handler");
		ok(pinch_span_begin("cache", PINCH_SPAN_CURRENT, &c) == 0, "begin span under the current scope");
		spin_us(50);
		is_int(pinch_span_end(c), 0, "end it");
	}
	shared = b;
	pthread_create(&t, NULL, end_elsewhere, &shared);
	pthread_join(t, NULL);
	is_int((int)shared, 0, "span ended on another thread");
	is_uint(pinch_span_set_current(a), 0, "set_current returns the previous (none)");
	{
		PINCH_TIME_SCOPE("under_request");
		uint64_t me = pinch_span_current();
		struct pinch_scope probe = pinch_scope_enter(NULL, NULL);

		is_uint(probe.parent, me, "nested scope's parent is the enclosing scope");
		pinch_scope_leave(&probe);
	}
	is_uint(pinch_span_set_current(0), a, "current was the request span");
	is_int(pinch_span_end(a), 0, "end root");
	is_int(pinch_span_end(a), -ENOENT, "second end is -ENOENT");
	is_int(pinch_span_end(123456789), -ENOENT, "end without begin is -ENOENT");
	ok(strstr(pinch_last_error(), "without begin") != NULL, "message: %s", pinch_last_error());
	is_int(pinch_span_begin(NULL, 0, &a), -EINVAL, "NULL name");
	is_int(pinch_span_begin("\xff", 0, &a), -EINVAL, "invalid UTF-8 name");

	ok(pinch_histogram_get(NULL, "pinch_span_duration_seconds", NULL, lab_outer, NULL, &h) == 0,
	   "span histogram in the default registry");
	pinch_histogram_read(h, &s);
	is_uint(s.count, 3, "outer ran 3 times");
	ok(s.min >= 300e-6, "outer lasts at least its 300 us of spinning (%g)", s.min);

	ok(pinch_trace_json(&json, NULL) == 0, "trace json");
	root = json_loads(json, 0, &jerr);
	ok(root != NULL, "trace parses as JSON: %s", root ? "ok" : jerr.text);
	ok(strstr(json, "db.query ünïcode") != NULL, "UTF-8 written raw, not \\u-escaped");
	is_int(check_nesting(json_object_get(root, "traceEvents"), &n_x, &n_async), 0,
	       "children inside parents, parents first");
	is_int(n_x, 3 * 2 + 2, "scope events: 3 outer + 3 inner + handler + under_request");
	{
		size_t k;
		json_t *e;
		json_int_t par = -1;

		json_array_foreach(json_object_get(root, "traceEvents"), k, e)
			if (!strcmp(json_string_value(json_object_get(e, "name")), "under_request"))
				par = json_integer_value(json_object_get(json_object_get(e, "args"), "parent"));
		is_int(par, (json_int_t)a, "a scope under set_current(request) has the request as parent");
	}
	is_int(n_async, 3, "async events: request, db.query, cache");
	{	/* every event, async ends included, in ts order */
		size_t k;
		json_t *e;
		double prev = -1;
		int sorted = 1;

		json_array_foreach(json_object_get(root, "traceEvents"), k, e) {
			double ts = json_number_value(json_object_get(e, "ts"));

			if (ts < prev)
				sorted = 0;
			prev = ts;
		}
		ok(sorted, "trace events sorted by ts, async ends included");
	}
	json_decref(root);
	pinch_free(json);

	fd = mkstemp(path);
	ok(fd >= 0 && pinch_spans_report(fd) == 0, "spans report");
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	memcpy(buf2, buf, sizeof(buf));
	ok(strstr(buf, "SPAN") && strstr(buf, "P95") && strstr(buf, "outer "), "report table");
	for (line0 = strtok_r(buf2, "\n", &save); line0; line0 = strtok_r(NULL, "\n", &save))
		printf("# %s\n", line0);
	{
		const char *line = strstr(buf, "\nouter ");
		unsigned long long cnt = 0;

		ok(line && sscanf(line + 7, "%llu", &cnt) == 1 && cnt == 3, "report counts outer 3 times");
	}
	close(fd);
	unlink(path);
	ok(pinch_trace_write("/nonexistent-dir/x.json") < 0, "trace_write to a bad path fails");
	pinch_trace_stop();

	/* attributes and status of an explicit span */
	ok(pinch_trace_start(0) == 0, "trace start for attributes");
	{
		uint64_t sid;
		json_t *ev, *args;

		ok(pinch_span_begin("checkout", 0, &sid) == 0, "span");
		is_int(pinch_span_set_attr(sid, "user", "u42"), 0, "attribute");
		is_int(pinch_span_set_attr(sid, NULL, "x"), -EINVAL, "NULL key is -EINVAL");
		is_int(pinch_span_set_status(sid, 1, "card declined"), 0, "status error");
		is_int(pinch_span_end(sid), 0, "end");
		is_int(pinch_span_set_attr(sid, "late", "x"), -ENOENT, "attribute of an ended span is -ENOENT");
		ok(pinch_trace_json(&json, NULL) == 0, "trace json");
		root = json_loads(json, 0, &jerr);
		ev = json_object_get(root, "traceEvents");
		args = json_object_get(json_array_get(ev, 0), "args");
		is_str(json_string_value(json_object_get(args, "user")), "u42", "args.user");
		is_str(json_string_value(json_object_get(args, "status")), "error", "args.status");
		is_str(json_string_value(json_object_get(args, "status_message")), "card declined", "args.status_message");
		json_decref(root);
		pinch_free(json);
	}
	pinch_trace_stop();

	/* a ring: a long run keeps its last spans, not its first */
	ok(pinch_trace_start(4) == 0, "trace start, 4 events");
	{
		const char *names[] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9" };
		json_t *ev;
		size_t k;

		for (k = 0; k < 10; k++) {	/* one call site per name: explicit spans */
			uint64_t sid;

			if (pinch_span_begin(names[k], 0, &sid) == 0)
				pinch_span_end(sid);
		}
		ok(pinch_trace_json(&json, NULL) == 0, "trace json");
		root = json_loads(json, 0, &jerr);
		ev = json_object_get(root, "traceEvents");
		is_int((int)json_array_size(ev), 8, "4 spans kept (begin and end each)");
		ok(json_array_size(ev) == 8 &&
		   !strcmp(json_string_value(json_object_get(json_array_get(ev, 0), "name")), "r6") &&
		   !strcmp(json_string_value(json_object_get(json_array_get(ev, 7), "name")), "r9"),
		   "the last 4 (r6..r9)");
		is_int((int)json_integer_value(json_object_get(json_object_get(root, "otherData"), "dropped_events")),
		       6, "6 older ones dropped");
		json_decref(root);
		pinch_free(json);
	}
	pinch_trace_stop();
	return done_testing();
}
