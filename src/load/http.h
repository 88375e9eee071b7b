/*
 * http.h - the HTTP/1.1 response parser of pinch load: a thin wrapper over
 * Debian's libhttp-parser that reports each complete response (status,
 * body bytes, keep-alive) through a callback. Content-Length, chunked and
 * close-delimited bodies; HEAD responses have no body.
 */
#ifndef PINCH_LOAD_HTTP_H
#define PINCH_LOAD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

struct load_resp_ops {
	/* A whole response arrived. keep_alive 0: the server will close. */
	void (*done)(void *ctx, unsigned status, uint64_t body_bytes, int keep_alive);
	/* 1 if the request this response answers was a HEAD (may be NULL). */
	int (*is_head)(void *ctx);
};

struct load_resp {
	http_parser p;
	const struct load_resp_ops *ops;
	void *ctx;
	uint64_t body;
	int in_message;		/* bytes of a response seen, not yet complete */
};

void load_resp_init(struct load_resp *r, const struct load_resp_ops *ops, void *ctx);
/* Feeds bytes. Returns 0, or -EPROTO on malformed input (the connection
 * must then be dropped; load_resp_error() names the problem). */
int load_resp_feed(struct load_resp *r, const char *buf, size_t len);
/* The peer closed. Completes a close-delimited body. Returns 0 when the
 * close came between responses, -EPIPE when it cut a response short. */
int load_resp_eof(struct load_resp *r);
const char *load_resp_error(const struct load_resp *r);

#endif
