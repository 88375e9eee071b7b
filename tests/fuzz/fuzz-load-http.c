/*
 * fuzz-load-http.c - fuzz target for the load response parser
 * (src/load/http.c): arbitrary bytes, fed whole and in random splits,
 * then a close; the first byte picks HEAD mode.
 */
#include <stddef.h>
#include <stdint.h>

#include "load/http.h"

static unsigned long n_done;

static void done(void *ctx, unsigned status, uint64_t body, int keep)
{
	(void)ctx;
	n_done += status + body + (unsigned)keep;
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
	load_resp_init(&r, &ops, &head);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;

		if (load_resp_feed(&r, (const char *)data + pos, n))
			break;
		pos += n;
	}
	load_resp_eof(&r);
	(void)load_resp_error(&r);
	return 0;
}
