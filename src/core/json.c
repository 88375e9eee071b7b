/*
 * json.c - streaming JSON writer (core layer) behind every --json output.
 */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "banned.h"

void json_init(struct json_writer *w, struct strbuf *out, int pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
	w->first[0] = 1;
}

static void newline(struct json_writer *w)
{
	if (!w->pretty)
		return;
	strbuf_addch(w->out, '\n');
	strbuf_addchars(w->out, ' ', (size_t)w->depth * 2);
}

/* Separator before a value or key at the current depth. */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0) {
		if (!w->first[w->depth])
			strbuf_addch(w->out, ',');
		newline(w);
	}
	w->first[w->depth] = 0;
}

static void open_(struct json_writer *w, char c)
{
	before_value(w);
	strbuf_addch(w->out, c);
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = 1;
}

static void close_(struct json_writer *w, char c)
{
	int empty = w->first[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (!empty)
		newline(w);
	strbuf_addch(w->out, c);
	if (w->depth == 0 && w->pretty)
		strbuf_addch(w->out, '\n');
}

void json_obj_begin(struct json_writer *w) { open_(w, '{'); }
void json_obj_end(struct json_writer *w) { close_(w, '}'); }
void json_arr_begin(struct json_writer *w) { open_(w, '['); }
void json_arr_end(struct json_writer *w) { close_(w, ']'); }

void json_quote(struct strbuf *sb, const char *s, unsigned long len)
{
	struct strbuf clean = STRBUF_INIT;
	unsigned long run = 0, i;

	/* Control characters are escaped (RFC 8259), never lost; the text
	 * between them is made valid UTF-8 (U+FFFD for bad bytes). */
	strbuf_addch(sb, '"');
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : 0;

		if (i < len && c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
			continue;
		strbuf_reset(&clean);
		strbuf_add_utf8_sanitized(&clean, s + run, i - run);
		strbuf_add(sb, clean.buf, clean.len);
		run = i + 1;
		if (i == len)
			break;
		switch (c) {
		case '"': strbuf_addstr(sb, "\\\""); break;
		case '\\': strbuf_addstr(sb, "\\\\"); break;
		case '\t': strbuf_addstr(sb, "\\t"); break;
		case '\n': strbuf_addstr(sb, "\\n"); break;
		case '\r': strbuf_addstr(sb, "\\r"); break;
		default: strbuf_addf(sb, "\\u%04x", c);
		}
	}
	strbuf_addch(sb, '"');
	strbuf_release(&clean);
}

void json_key(struct json_writer *w, const char *key)
{
	before_value(w);
	json_quote(w->out, key, strlen(key));
	strbuf_addstr(w->out, w->pretty ? ": " : ":");
	w->after_key = 1;
}

void json_strn(struct json_writer *w, const char *s, unsigned long len)
{
	before_value(w);
	if (!s)
		strbuf_addstr(w->out, "null");
	else
		json_quote(w->out, s, len);
}

void json_str(struct json_writer *w, const char *s)
{
	json_strn(w, s, s ? strlen(s) : 0);
}

void json_int(struct json_writer *w, int64_t v)
{
	before_value(w);
	strbuf_addf(w->out, "%lld", (long long)v);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	before_value(w);
	strbuf_addf(w->out, "%llu", (unsigned long long)v);
}

void json_double(struct json_writer *w, double v)
{
	before_value(w);
	if (!isfinite(v))
		strbuf_addstr(w->out, "null");
	else if (fabs(v) < 1e15 && v == (double)(long long)v)	/* range first: the cast is UB outside it */
		strbuf_addf(w->out, "%lld", (long long)v);
	else
		strbuf_addf(w->out, "%.6g", v);
}

void json_double_g(struct json_writer *w, double v, int digits)
{
	before_value(w);
	if (!isfinite(v))
		strbuf_addstr(w->out, "null");
	else
		strbuf_addf(w->out, "%.*g", digits, v);
}

void json_kdouble_g(struct json_writer *w, const char *key, double v, int digits)
{
	json_key(w, key);
	json_double_g(w, v, digits);
}

void json_bool(struct json_writer *w, int v)
{
	before_value(w);
	strbuf_addstr(w->out, v ? "true" : "false");
}

void json_null(struct json_writer *w)
{
	before_value(w);
	strbuf_addstr(w->out, "null");
}

void json_kstr(struct json_writer *w, const char *k, const char *s) { json_key(w, k); json_str(w, s); }
void json_kint(struct json_writer *w, const char *k, int64_t v) { json_key(w, k); json_int(w, v); }
void json_kuint(struct json_writer *w, const char *k, uint64_t v) { json_key(w, k); json_uint(w, v); }
void json_kdouble(struct json_writer *w, const char *k, double v) { json_key(w, k); json_double(w, v); }
void json_kbool(struct json_writer *w, const char *k, int v) { json_key(w, k); json_bool(w, v); }

void json_result_begin(struct json_writer *w, struct strbuf *out, const char *kind)
{
	json_init(w, out, 1);
	json_obj_begin(w);
	json_kstr(w, "kind", kind);
	json_kint(w, "schema", 1);
}
