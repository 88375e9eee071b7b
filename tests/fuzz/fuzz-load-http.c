/*
 * fuzz-load-http.c - fuzz target for the load response parser
 * (src/load/http.c): arbitrary bytes, fed whole and in random splits,
 * then a close; the first byte picks HEAD mode. The split run keeps
 * header lines and body bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "load/http.h"

static unsigned long n_done;

static void done(void *ctx, const struct load_resp *r, unsigned status, uint64_t body, int keep)
{
	size_t pos = 0, len;

	(void)ctx;
	n_done += status + body + (unsigned)keep + r->bodybuf.len;
	while (load_resp_header(r, "Set-Cookie", &pos, &len))
		n_done += len;
}

static int is_head(void *ctx)
{
	return *(const int *)ctx;
}

static const struct load_resp_ops ops = { done, is_head };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_resp r;
	int head = size && (data[0] & 1);
	size_t pos = 0, step = size ? (size_t)(data[0] >> 1) % 7 + 1 : 1;

	load_resp_init(&r, &ops, &head);
	if (!load_resp_feed(&r, (const char *)data, size))
		load_resp_eof(&r);
	load_resp_release(&r);
	/* The split run keeps headers and body, as checks and cookies do. */
	load_resp_init(&r, &ops, &head);
	r.keep_headers = r.keep_body = 1;
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;

		if (load_resp_feed(&r, (const char *)data + pos, n))
			break;
		pos += n;
	}
	load_resp_eof(&r);
	(void)load_resp_error(&r);
	load_resp_release(&r);
	return 0;
}
