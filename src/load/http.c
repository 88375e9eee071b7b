/*
 * http.c - response parsing for the load engine (load layer) over
 * libhttp-parser (the parser wrk uses). Only the status line, framing and
 * body length matter here, so only three callbacks are set.
 */
#include "http.h"

#include <errno.h>
#include <string.h>

#include "core/banned.h"

static int on_begin(http_parser *p)
{
	struct load_resp *r = p->data;

	r->body = 0;
	r->in_message = 1;
	return 0;
}

static int on_headers(http_parser *p)
{
	struct load_resp *r = p->data;

	/* 1 tells http-parser that no body follows (HEAD). */
	return r->ops->is_head && r->ops->is_head(r->ctx) ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct load_resp *r = p->data;

	(void)at;
	r->body += len;
	return 0;
}

static int on_complete(http_parser *p)
{
	struct load_resp *r = p->data;

	r->in_message = 0;
	r->ops->done(r->ctx, p->status_code, r->body, http_should_keep_alive(p));
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_begin,
	.on_headers_complete = on_headers,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

void load_resp_init(struct load_resp *r, const struct load_resp_ops *ops, void *ctx)
{
	memset(r, 0, sizeof(*r));
	http_parser_init(&r->p, HTTP_RESPONSE);
	r->p.data = r;
	r->ops = ops;
	r->ctx = ctx;
}

int load_resp_feed(struct load_resp *r, const char *buf, size_t len)
{
	size_t n;

	if (HTTP_PARSER_ERRNO(&r->p) != HPE_OK)
		return -EPROTO;
	n = http_parser_execute(&r->p, &settings, buf, len);
	if (HTTP_PARSER_ERRNO(&r->p) != HPE_OK || n != len)
		return -EPROTO;
	return 0;
}

int load_resp_eof(struct load_resp *r)
{
	if (HTTP_PARSER_ERRNO(&r->p) != HPE_OK)
		return -EPROTO;
	if (!r->in_message)
		return 0;
	http_parser_execute(&r->p, &settings, NULL, 0);
	if (HTTP_PARSER_ERRNO(&r->p) != HPE_OK || r->in_message)
		return -EPIPE;
	return 0;
}

const char *load_resp_error(const struct load_resp *r)
{
	return http_errno_description(HTTP_PARSER_ERRNO(&r->p));
}
