/*
 * t-load-hdrlog.c - unit tests of the load histogram log (src/load/
 * hdrlog.c): write, read back, merge two logs into exact combined counts.
 */
#include "tap.h"

#include <unistd.h>

#include "core/strbuf.h"
#include "load/engine.h"
#include "load/hdrlog.h"

static void write_log(const char *path, uint64_t from_ms, uint64_t to_ms, unsigned status, uint64_t failed)
{
	struct load_hdrlog l;
	struct load_result r;
	struct hist h;
	char err[256];

	load_result_init(&r, 0);
	hist_init(&h, 0);
	load_hdrlog_open(&l, path, "http://t/", err, sizeof(err));
	/* One interval per 100 values. */
	for (uint64_t v = from_ms; v <= to_ms; v++) {
		hist_record(&h, v * 1000000);
		hist_record(&r.lat, v * 1000000);
		if (h.total == 100 || v == to_ms) {
			load_hdrlog_interval(&l, (v - from_ms) * 1000000, 1000000000, &h);
			hist_reset(&h);
		}
	}
	r.c.requests = to_ms - from_ms + 1;
	r.c.ok = r.c.requests - failed;
	r.c.failed = failed;
	r.c.err[LOAD_E_TIMEOUT] = failed;
	r.c.status[status] = r.c.ok;
	r.duration_ns = 2000000000;
	r.rps = (double)r.c.requests / 2;
	r.threads = 2;
	r.connections = 10;
	load_hdrlog_finish(&l, &r);
	hist_release(&h);
	load_result_release(&r);
}

static int merge(struct load_result *acc, const char *path, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	strbuf_read_file(&sb, path, 0);
	rc = load_hdrlog_merge(acc, path, sb.buf, sb.len, err, errlen);
	strbuf_release(&sb);
	return rc;
}

int main(void)
{
	char a[] = "/tmp/t-load-hdrlog-a.XXXXXX", b[] = "/tmp/t-load-hdrlog-b.XXXXXX";
	struct load_result acc;
	char err[256];
	int fa = mkstemp(a), fb = mkstemp(b);

	close(fa);
	close(fb);
	write_log(a, 1, 1000, 200, 3);		/* 1..1000 ms */
	write_log(b, 1001, 2000, 201, 5);	/* 1001..2000 ms */

	load_result_init(&acc, 0);
	is_int(merge(&acc, a, err, sizeof(err)), 0, "log a merges");
	is_uint(acc.lat.total, 1000, "1000 latencies from a");
	is_uint(acc.c.requests, 1000, "requests from the totals line");
	is_uint(acc.c.err[LOAD_E_TIMEOUT], 3, "errors by kind");
	is_int(merge(&acc, b, err, sizeof(err)), 0, "log b merges");
	is_uint(acc.lat.total, 2000, "2000 latencies");
	is_uint(acc.c.requests, 2000, "requests add");
	is_uint(acc.c.failed, 8, "failures add");
	is_uint(acc.c.status[200], 997, "status 200 from a");
	is_uint(acc.c.status[201], 995, "status 201 from b");
	is_uint(acc.lat.min, 1000000, "exact min");
	is_uint(acc.lat.max, 2000000000, "exact max");
	near(hist_percentile(&acc.lat, 50) / 1e6, 1000, 1000 * 0.01, "combined p50 = 1000 ms within 1 %%");
	near(hist_percentile(&acc.lat, 99) / 1e6, 1980, 1980 * 0.01, "combined p99 = 1980 ms within 1 %%");
	is_uint(acc.duration_ns, 2000000000, "duration is the longest");
	near(acc.rps, 1000, 1e-6, "rates add (concurrent runs)");
	is_int(acc.connections, 20, "connections add");
	load_result_release(&acc);

	/* HdrHistogram's V2 encoding: counts round-trip bucket for bucket. */
	{
		struct hist h, d;
		struct strbuf b64 = STRBUF_INIT;
		int same = 1;

		hist_init(&h, 0);
		for (uint64_t v = 0; v < 300; v++)
			hist_record_n(&h, v, v % 3);		/* zero runs and counts */
		hist_record_n(&h, 123456789, 1000000);	/* a multi-byte count */
		hist_record(&h, 3000000000000ull);
		is_int(load_hdr_encode(&h, &b64), 0, "V2 encodes");
		ok(!strncmp(b64.buf, "HISTF", 5), "base64 of cookie 0x1c849314 starts HISTF");
		is_int(load_hdr_decode(&d, b64.buf, b64.len, err, sizeof(err)), 0, "V2 decodes");
		is_uint(d.total, h.total, "same total");
		for (uint32_t i = 0; i < h.n_counts; i++)
			same &= (i < d.n_counts ? d.counts[i] : 0) == h.counts[i];
		ok(same, "same count in every bucket");
		hist_release(&d);
		b64.buf[10] ^= 1;
		ok(load_hdr_decode(&d, b64.buf, b64.len, err, sizeof(err)) < 0, "a damaged histogram is refused");
		strbuf_release(&b64);
		hist_release(&h);
	}

	load_result_init(&acc, 0);
	ok(load_hdrlog_merge(&acc, "x", "nope\n", 5, err, sizeof(err)) < 0, "wrong header refused");
	ok(load_hdrlog_merge(&acc, "x", "#pinch-load-hdrlog 1\nI 0 1 1 !!!!\n", 33, err, sizeof(err)) < 0,
	   "bad base64 refused");
	ok(strstr(err, "x:2:") != NULL, "error names the line");
	ok(load_hdrlog_merge(&acc, "x", "#pinch-load-hdrlog 1\nT requests=x\n", 33, err, sizeof(err)) < 0,
	   "bad totals refused");
	ok(load_hdrlog_merge(&acc, "x", "", 0, err, sizeof(err)) < 0, "empty file refused");
	load_result_release(&acc);
	unlink(a);
	unlink(b);
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
