/*
 * t-load-http.c - unit tests of the load response parser (src/load/http.c
 * over libhttp-parser): framing, pipelined responses, HEAD, split input,
 * close-delimited bodies, malformed input.
 */
#include "tap.h"

#include <errno.h>

#include "load/http.h"

struct seen {
	int n;
	unsigned status[16];
	uint64_t body[16];
	int keep[16];
	int head;
};

static void done(void *ctx, const struct load_resp *r, unsigned status, uint64_t body, int keep)
{
	struct seen *s = ctx;

	(void)r;
	if (s->n < 16) {
		s->status[s->n] = status;
		s->body[s->n] = body;
		s->keep[s->n] = keep;
	}
	s->n++;
}

static int is_head(void *ctx)
{
	return ((struct seen *)ctx)->head;
}

static const struct load_resp_ops ops = { done, is_head };

static int feed(const char *s, struct seen *out)
{
	struct load_resp r;

	memset(out, 0, sizeof(*out));
	load_resp_init(&r, &ops, out);
	return load_resp_feed(&r, s, strlen(s));
}

int main(void)
{
	struct seen s;
	struct load_resp r;
	const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
	size_t len;

	is_int(feed(two, &s), 0, "two pipelined responses parse");
	is_int(s.n, 2, "two responses seen");
	is_int(s.status[0], 200, "first status");
	is_int(s.body[0], 5, "first body length");
	is_int(s.status[1], 404, "second status");
	is_int(s.body[1], 0, "second body empty");
	is_int(s.keep[0], 1, "HTTP/1.1 keeps alive");

	is_int(feed(chunked, &s), 0, "chunked parses");
	is_int(s.n, 1, "one chunked response");
	is_int(s.body[0], 12, "chunked body bytes without framing");

	/* Byte by byte gives the same answer. */
	memset(&s, 0, sizeof(s));
	load_resp_init(&r, &ops, &s);
	len = strlen(chunked);
	for (size_t i = 0; i < len; i++)
		if (load_resp_feed(&r, chunked + i, 1))
			break;
	is_int(s.n, 1, "chunked fed byte by byte");
	is_int(s.body[0], 12, "same body length byte by byte");

	is_int(feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", &s), 0, "Connection: close");
	is_int(s.keep[0], 0, "close is not keep-alive");
	is_int(feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", &s), 0, "HTTP/1.0");
	is_int(s.keep[0], 0, "HTTP/1.0 without keep-alive closes");

	memset(&s, 0, sizeof(s));
	s.head = 1;
	load_resp_init(&r, &ops, &s);
	is_int(load_resp_feed(&r, "HTTP/1.1 200 OK\r\nContent-Length: 127\r\n\r\n", 40), 0, "HEAD response");
	is_int(s.n, 1, "HEAD response complete without its body");

	/* A body delimited by the close. */
	memset(&s, 0, sizeof(s));
	load_resp_init(&r, &ops, &s);
	is_int(load_resp_feed(&r, "HTTP/1.1 200 OK\r\n\r\nuntil close", 30), 0, "close-delimited body");
	is_int(s.n, 0, "not complete before the close");
	is_int(load_resp_eof(&r), 0, "the close completes it");
	is_int(s.n, 1, "complete after the close");
	is_int(s.body[0], 11, "close-delimited body length");

	/* A close cutting a body short. */
	memset(&s, 0, sizeof(s));
	load_resp_init(&r, &ops, &s);
	load_resp_feed(&r, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 44);
	is_int(load_resp_eof(&r), -EPIPE, "close mid-body is -EPIPE");
	is_int(s.n, 0, "no response counted");
	memset(&s, 0, sizeof(s));
	load_resp_init(&r, &ops, &s);
	is_int(load_resp_eof(&r), 0, "close between responses is clean");

	ok(feed("HTTP/1.1 2x0 OK\r\n\r\n", &s) == -EPROTO, "malformed status line");
	ok(feed("XTTP/1.1 200 OK\r\n\r\n", &s) == -EPROTO, "not HTTP");
	ok(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &s) == -EPROTO, "bad chunk size");
	ok(feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &s) == -EPROTO,
	   "two Content-Length headers");
	memset(&s, 0, sizeof(s));
	load_resp_init(&r, &ops, &s);
	load_resp_feed(&r, "HTTP/1.1 2x0", 12);
	ok(load_resp_error(&r) && *load_resp_error(&r), "the error has a description");
	ok(load_resp_feed(&r, "HTTP/1.1 200 OK\r\n\r\n", 19) == -EPROTO, "stays failed");

	/* Kept headers and body, fed byte by byte (field and value split). */
	{
		const char *resp = "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nContent-Length: 5\r\n"
				   "set-cookie:  b=2 \r\nX-Empty:\r\n\r\nhelloHTTP/1.1 204 No\r\n\r\n";
		const char *v;
		size_t pos = 0, vl;

		memset(&s, 0, sizeof(s));
		load_resp_init(&r, &ops, &s);
		r.keep_headers = r.keep_body = 1;
		len = strlen(resp);
		for (size_t i = 0; i < len && strncmp(resp + i, "HTTP/1.1 204", 12); i++)
			load_resp_feed(&r, resp + i, 1);
		is_int(s.n, 1, "kept: first response");
		is_str(r.bodybuf.buf, "hello", "kept: body bytes");
		v = load_resp_header(&r, "SET-COOKIE", &pos, &vl);
		ok(v && vl == 11 && !strncmp(v, "a=1; Path=/", 11), "kept: first Set-Cookie, any case");
		v = load_resp_header(&r, "Set-Cookie", &pos, &vl);
		ok(v && vl == 3 && !strncmp(v, "b=2", 3), "kept: second, blanks trimmed");
		ok(!load_resp_header(&r, "Set-Cookie", &pos, &vl), "kept: no third");
		pos = 0;
		v = load_resp_header(&r, "X-Empty", &pos, &vl);
		ok(v && vl == 0, "kept: an empty value");
		pos = 0;
		ok(!load_resp_header(&r, "Set", &pos, &vl), "kept: a prefix of a name is not the name");
		load_resp_feed(&r, "HTTP/1.1 204 No\r\n\r\n", 19);
		is_int(s.n, 2, "kept: the next response");
		pos = 0;
		ok(!load_resp_header(&r, "Set-Cookie", &pos, &vl), "kept: the next response's headers only");
		is_int((int)r.bodybuf.len, 0, "kept: the next response's body only");
		load_resp_release(&r);
	}
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
