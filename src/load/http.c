/*
 * http.c - response parsing for the load engine (load layer) over
 * libhttp-parser (the parser wrk uses). The status line, framing and body
 * length always; header lines and body bytes only when a check, a cookie
 * jar or a redirect needs them.
 */
#include "http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/banned.h"

static int on_begin(http_parser *p)
{
	struct load_resp *r = p->data;

	r->body = 0;
	r->in_message = 1;
	r->in_value = 0;
	if (r->keep_headers)
		strbuf_reset(&r->hdrs);
	if (r->keep_body)
		strbuf_reset(&r->bodybuf);
	return 0;
}

static int on_field(http_parser *p, const char *at, size_t len)
{
	struct load_resp *r = p->data;

	if (!r->keep_headers)
		return 0;
	if (r->in_value)
		strbuf_addch(&r->hdrs, '\n');
	r->in_value = 0;
	strbuf_add(&r->hdrs, at, len);
	return 0;
}

static int on_value(http_parser *p, const char *at, size_t len)
{
	struct load_resp *r = p->data;

	if (!r->keep_headers)
		return 0;
	if (!r->in_value)
		strbuf_addstr(&r->hdrs, ": ");
	r->in_value = 1;
	strbuf_add(&r->hdrs, at, len);
	return 0;
}

static int on_headers(http_parser *p)
{
	struct load_resp *r = p->data;

	if (r->keep_headers && r->in_value)
		strbuf_addch(&r->hdrs, '\n');
	r->in_value = 0;
	/* 1 tells http-parser that no body follows (HEAD). */
	return r->ops->is_head && r->ops->is_head(r->ctx) ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct load_resp *r = p->data;

	r->body += len;
	if (r->keep_body && r->bodybuf.len < LOAD_BODY_KEEP) {
		size_t room = LOAD_BODY_KEEP - r->bodybuf.len;

		strbuf_add(&r->bodybuf, at, len < room ? len : room);
	}
	return 0;
}

static int on_complete(http_parser *p)
{
	struct load_resp *r = p->data;

	r->in_message = 0;
	r->ops->done(r->ctx, r, p->status_code, r->body, http_should_keep_alive(p));
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_begin,
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_headers_complete = on_headers,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

void load_resp_init(struct load_resp *r, const struct load_resp_ops *ops, void *ctx)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->hdrs, 0);
	strbuf_init(&r->bodybuf, 0);
	r->ops = ops;
	r->ctx = ctx;
	load_resp_reset(r);
}

void load_resp_reset(struct load_resp *r)
{
	http_parser_init(&r->p, HTTP_RESPONSE);
	r->p.data = r;
	r->body = 0;
	r->in_message = 0;
	r->in_value = 0;
	strbuf_reset(&r->hdrs);
	strbuf_reset(&r->bodybuf);
}

void load_resp_release(struct load_resp *r)
{
	strbuf_release(&r->hdrs);
	strbuf_release(&r->bodybuf);
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

const char *load_resp_header(const struct load_resp *r, const char *name, size_t *pos, size_t *len)
{
	size_t n = strlen(name);

	while (*pos < r->hdrs.len) {
		const char *l = r->hdrs.buf + *pos, *end = memchr(l, '\n', r->hdrs.len - *pos);
		size_t ll = end ? (size_t)(end - l) : r->hdrs.len - *pos;

		*pos += ll + 1;
		if (ll >= n + 1 && l[n] == ':' && !strncasecmp(l, name, n)) {
			const char *v = l + n + 1;

			while (v < l + ll && (*v == ' ' || *v == '\t'))
				v++;
			*len = (size_t)(l + ll - v);
			while (*len && (v[*len - 1] == ' ' || v[*len - 1] == '\t'))
				(*len)--;
			return v;
		}
	}
	return NULL;
}
