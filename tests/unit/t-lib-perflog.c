/*
 * t-lib-perflog.c - libpinch's performance log lines: every line parses
 * as JSON with the documented keys, failures carry the error, the slow
 * threshold filters, user fields come along, and lines written by many
 * threads at once stay whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "pinch/pinch.h"
#include "tap.h"

#define THREADS 8
#define LINES 2000

static struct pinch_log *shared_log;

static int work(int x)
{
	return x % 7 == 0 ? -ENOENT : x;
}

static void *writer(void *arg)
{
	long id = (long)arg;
	int i;

	for (i = 0; i < LINES; i++)
		PINCH_LOG_CALL(shared_log, "work", work(i), PINCH_FIELD_INT("thread", id),
			       PINCH_FIELD_STR("pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
	return NULL;
}

int main(void)
{
	char path[] = "/tmp/t-lib-perflog-XXXXXX";
	struct strbuf sb = STRBUF_INIT;
	struct pinch_log *l;
	struct pinch_log_opts slow = { .slow_ms = 5 };
	struct pinch_field f[] = { PINCH_FIELD_INT("user_id", 42), PINCH_FIELD_STR("event", "spoof"),
				   PINCH_FIELD_DOUBLE("ratio", 0.5), PINCH_FIELD_BOOL("cached", 1) };
	json_t *j;
	json_error_t jerr;
	char *line, *save;
	int fd, n_lines = 0, n_failed = 0, bad = 0;
	pthread_t t[THREADS];
	long i;

	fd = mkstemp(path);
	ok(fd >= 0, "temp file");
	is_int(pinch_log_open_fd(-1, NULL, &l), -EBADF, "bad fd");
	slow.slow_ms = -1;
	is_int(pinch_log_open_fd(fd, &slow, &l), -EINVAL, "negative threshold");
	ok(pinch_log_open_fd(fd, NULL, &l) == 0, "open on fd");
	is_int(pinch_log_call(l, "load_items", 12345678, 0, NULL, f, 4), 1, "completed line written");
	is_int(pinch_log_call(l, "save_item", 1000000, -EIO, "disk on fire", NULL, 0), 1, "failed line written");
	is_int(pinch_log_call(l, "save_item", 1000000, -ENOSPC, NULL, NULL, 0), 1, "failed line, errno text");
	is_int(pinch_log_call(NULL, "x", 0, 0, NULL, NULL, 0), -EINVAL, "NULL log");
	pinch_log_close(l);

	ok(strbuf_read_file(&sb, path, 0) == 0, "read back");
	line = strtok_r(sb.buf, "\n", &save);
	j = json_loads(line, 0, &jerr);
	ok(j != NULL, "line 1 is JSON: %s", line);
	is_str(json_string_value(json_object_get(j, "event")), "function_completed", "event completed");
	is_str(json_string_value(json_object_get(j, "function")), "load_items", "function");
	near(json_number_value(json_object_get(j, "duration_ms")), 12.346, 0.0005, "duration_ms");
	is_str(json_string_value(json_object_get(j, "status")), "ok", "status ok");
	ok(json_is_null(json_object_get(j, "error")), "error null");
	is_int(json_integer_value(json_object_get(j, "user_id")), 42, "user field int");
	near(json_number_value(json_object_get(j, "ratio")), 0.5, 0, "user field double");
	ok(json_is_true(json_object_get(j, "cached")), "user field bool");
	ok(json_string_value(json_object_get(j, "timestamp")) != NULL, "timestamp");
	json_decref(j);
	line = strtok_r(NULL, "\n", &save);
	j = json_loads(line, 0, &jerr);
	is_str(json_string_value(json_object_get(j, "event")), "function_failed", "event failed");
	is_str(json_string_value(json_object_get(j, "status")), "error", "status error");
	is_str(json_string_value(json_object_get(j, "error")), "disk on fire", "error text");
	json_decref(j);
	line = strtok_r(NULL, "\n", &save);
	j = json_loads(line, 0, &jerr);
	is_str(json_string_value(json_object_get(j, "error")), "No space left on device", "strerror text");
	json_decref(j);
	ok(strtok_r(NULL, "\n", &save) == NULL, "three lines");

	/* every byte of a string survives: RFC 8259 escapes, not '?' */
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return 1;
	{
		static const char name[] = "a\x01b\"c\\d\ne\rf\tg\x1fh\x7fi\xc3\xa9j";
		struct pinch_field ctl[] = { PINCH_FIELD_STR("k\x02y", "v\x03\nw"),
					     PINCH_FIELD_STR("bad_utf8", "x\xffy") };

		ok(pinch_log_open_fd(fd, NULL, &l) == 0, "open for escapes");
		is_int(pinch_log_call(l, name, 1000, -EIO, "line1\nline2\x1b[0m", ctl, 2), 1,
		       "line with control characters");
		pinch_log_close(l);
		strbuf_reset(&sb);
		strbuf_read_file(&sb, path, 0);
		ok(sb.len && !memchr(sb.buf, '\n', sb.len - 1), "one line: no raw newline inside");
		j = json_loads(sb.buf, 0, &jerr);
		ok(j != NULL, "line parses: %s", sb.buf);
		is_str(json_string_value(json_object_get(j, "function")), name, "function name kept exactly");
		is_str(json_string_value(json_object_get(j, "error")), "line1\nline2\x1b[0m", "error kept exactly");
		is_str(json_string_value(json_object_get(j, "k\x02y")), "v\x03\nw", "field key and value kept exactly");
		is_str(json_string_value(json_object_get(j, "bad_utf8")), "x\xef\xbf\xbdy",
		       "invalid UTF-8 byte is U+FFFD");
		json_decref(j);
	}

	/* lines logged inside a scope carry its trace and span ids */
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return 1;
	ok(pinch_log_open_fd(fd, NULL, &l) == 0, "open for span ids");
	pinch_log_call(l, "outside", 1000, 0, NULL, NULL, 0);
	{
		char want_trace[24], want_span[24];

		{
			PINCH_TIME_SCOPE("request");
			snprintf(want_trace, sizeof(want_trace), "0x%llx", (unsigned long long)pinch_span_current());
			{
				PINCH_TIME_SCOPE("query");
				snprintf(want_span, sizeof(want_span), "0x%llx",
					 (unsigned long long)pinch_span_current());
				pinch_log_call(l, "inside", 1000, 0, NULL, NULL, 0);
			}
		}
		pinch_log_close(l);
		strbuf_reset(&sb);
		strbuf_read_file(&sb, path, 0);
		line = strtok_r(sb.buf, "\n", &save);
		j = json_loads(line, 0, &jerr);
		ok(j && !json_object_get(j, "span_id") && !json_object_get(j, "trace_id"), "no ids outside a span");
		json_decref(j);
		line = strtok_r(NULL, "\n", &save);
		j = json_loads(line, 0, &jerr);
		is_str(json_string_value(json_object_get(j, "span_id")), want_span, "span_id is the inner scope");
		is_str(json_string_value(json_object_get(j, "trace_id")), want_trace, "trace_id is the outermost scope");
		json_decref(j);
	}

	/* slow threshold */
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return 1;
	slow.slow_ms = 5;
	ok(pinch_log_open_fd(fd, &slow, &l) == 0, "open with slow_ms 5");
	is_int(pinch_log_call(l, "fast", 4999999, 0, NULL, NULL, 0), 0, "4.999 ms not logged");
	is_int(pinch_log_call(l, "slow", 5000000, 0, NULL, NULL, 0), 1, "5 ms logged");
	is_int(pinch_log_call(l, "fastfail", 1000, -EINVAL, NULL, NULL, 0), 1, "fast failure logged");
	pinch_log_close(l);
	strbuf_reset(&sb);
	strbuf_read_file(&sb, path, 0);
	ok(!strstr(sb.buf, "\"fast\"") && strstr(sb.buf, "\"slow\"") && strstr(sb.buf, "\"fastfail\""),
	   "only slow calls and failures");

	/* many threads, one file opened by path (O_APPEND) */
	unlink(path);
	ok(pinch_log_open_file(path, NULL, &shared_log) == 0, "open file");
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, writer, (void *)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pinch_log_close(shared_log);
	strbuf_reset(&sb);
	strbuf_read_file(&sb, path, 0);
	for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		j = json_loads(line, 0, &jerr);
		if (!j) {
			bad++;
			continue;
		}
		n_lines++;
		n_failed += !strcmp(json_string_value(json_object_get(j, "event")), "function_failed");
		json_decref(j);
	}
	is_int(bad, 0, "no torn lines");
	is_int(n_lines, THREADS * LINES, "every call logged once");
	is_int(n_failed, THREADS * ((LINES + 6) / 7), "failures: x %% 7 == 0");
	is_int(pinch_log_open_file("/nonexistent-dir/log", NULL, &l), -ENOENT, "open in a missing dir");
	strbuf_release(&sb);
	unlink(path);
	close(fd);
	return done_testing();
}
