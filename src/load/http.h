/*
 * http.h - the HTTP/1.1 response parser of pinch load: a thin wrapper over
 * Debian's libhttp-parser that reports each complete response (status,
 * body bytes, keep-alive) through a callback. Content-Length, chunked and
 * close-delimited bodies; HEAD responses have no body. On request it keeps
 * the response's header lines (checks, cookies, redirects) and the first
 * bytes of its body (body checks).
 */
#ifndef PINCH_LOAD_HTTP_H
#define PINCH_LOAD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "core/strbuf.h"

#define LOAD_BODY_KEEP (1u << 20)	/* body bytes kept for checks */

struct load_resp;

struct load_resp_ops {
	/* A whole response arrived. keep_alive 0: the server will close.
	 * r holds its headers and body when they are kept. */
	void (*done)(void *ctx, const struct load_resp *r, unsigned status, uint64_t body_bytes,
		     int keep_alive);
	/* 1 if the request this response answers was a HEAD (may be NULL). */
	int (*is_head)(void *ctx);
};

struct load_resp {
	http_parser p;
	const struct load_resp_ops *ops;
	void *ctx;
	uint64_t body;
	int in_message;		/* bytes of a response seen, not yet complete */
	int keep_headers;	/* fill hdrs: "name: value\n" lines */
	int keep_body;		/* fill bodybuf (up to LOAD_BODY_KEEP bytes) */
	int in_value;		/* the last header callback was a value */
	struct strbuf hdrs;
	struct strbuf bodybuf;
};

/* Sets r up (keep nothing); set keep_headers and keep_body after it. */
void load_resp_init(struct load_resp *r, const struct load_resp_ops *ops, void *ctx);
/* For the next connection: the parser starts over, the keep flags stay. */
void load_resp_reset(struct load_resp *r);
void load_resp_release(struct load_resp *r);
/* Feeds bytes. Returns 0, or -EPROTO on malformed input (the connection
 * must then be dropped; load_resp_error() names the problem). */
int load_resp_feed(struct load_resp *r, const char *buf, size_t len);
/* The peer closed. Completes a close-delimited body. Returns 0 when the
 * close came between responses, -EPIPE when it cut a response short. */
int load_resp_eof(struct load_resp *r);
const char *load_resp_error(const struct load_resp *r);
/* Iterates over the kept header lines named name (case-insensitive): pass
 * *pos = 0 first. Returns the value (not NUL-terminated) and its length
 * in *len, or NULL after the last. */
const char *load_resp_header(const struct load_resp *r, const char *name, size_t *pos, size_t *len);

#endif
