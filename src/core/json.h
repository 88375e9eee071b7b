/*
 * json.h - a streaming JSON writer into a strbuf. Strings are escaped and
 * invalid UTF-8 is replaced, so any symbol name yields valid JSON.
 * Parsing JSON is jansson's job, not this module's.
 */
#ifndef PINCH_CORE_JSON_H
#define PINCH_CORE_JSON_H

#include <stdint.h>

struct strbuf;

#define JSON_MAX_DEPTH 64

struct json_writer {
	struct strbuf *out;
	int depth;
	int pretty;
	unsigned char first[JSON_MAX_DEPTH];	/* no member written yet at this depth */
	int after_key;
};

void json_init(struct json_writer *w, struct strbuf *out, int pretty);
void json_obj_begin(struct json_writer *w);
void json_obj_end(struct json_writer *w);
void json_arr_begin(struct json_writer *w);
void json_arr_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_str(struct json_writer *w, const char *s);
void json_strn(struct json_writer *w, const char *s, unsigned long len);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_double(struct json_writer *w, double v);
/* A double with the given significant digits (json_double keeps 6). */
void json_double_g(struct json_writer *w, double v, int digits);
void json_kdouble_g(struct json_writer *w, const char *key, double v, int digits);
void json_bool(struct json_writer *w, int v);
void json_null(struct json_writer *w);
/* key + value shorthands */
void json_kstr(struct json_writer *w, const char *key, const char *s);
void json_kint(struct json_writer *w, const char *key, int64_t v);
void json_kuint(struct json_writer *w, const char *key, uint64_t v);
void json_kdouble(struct json_writer *w, const char *key, double v);
void json_kbool(struct json_writer *w, const char *key, int v);
/* Starts a pinch result document: a pretty-printed object whose first
 * members are "kind" and "schema": 1 (pinch check and baselines read them). */
void json_result_begin(struct json_writer *w, struct strbuf *out, const char *kind);
/* Appends s as a quoted, escaped JSON string to sb. */
void json_quote(struct strbuf *sb, const char *s, unsigned long len);

#endif
