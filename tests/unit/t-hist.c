#include <math.h>

#include "core/strbuf.h"
#include "model/hist.h"
#include "tap.h"

int main(void)
{
	struct hist h, g, d;
	struct strbuf enc = STRBUF_INIT;
	uint64_t v, worst_ok = 1;
	uint32_t i;

	ok(hist_init(&h, 0) == 0, "init");
	is_uint(hist_percentile(&h, 50), 0, "empty histogram reads 0");
	for (v = 1; v <= 100000; v++)
		hist_record(&h, v * 1000);	/* 1 us .. 100 ms, uniform */
	is_uint(h.total, 100000, "count");
	is_uint(h.min, 1000, "exact min");
	is_uint(h.max, 100000000, "exact max");
	near(hist_mean(&h), 50000500.0, 1, "exact mean");
	near(hist_percentile(&h, 50), 50000000.0, 50000000.0 * 0.005, "p50 within 0.5%%");
	near(hist_percentile(&h, 99), 99000000.0, 99000000.0 * 0.005, "p99 within 0.5%%");
	near(hist_percentile(&h, 99.9), 99900000.0, 99900000.0 * 0.005, "p99.9 within 0.5%%");
	is_uint(hist_percentile(&h, 100), 100000000, "p100 is the max");

	for (i = 0; i < hist_buckets_for(HIST_DEFAULT_MAX); i++) {
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);

		if (hist_index(lo) != i || hist_index(hi) != i || (i && hist_bucket_high(i - 1) + 1 != lo))
			worst_ok = 0;
		if (lo >= 256 && (double)(hi - lo) / 2.0 / (double)lo > 0.004)
			worst_ok = 0;
	}
	ok(worst_ok, "buckets are contiguous and within 0.4%% of their midpoint up to 1 hour");

	ok(hist_init(&g, 1000000) == 0, "init small range");
	hist_record_n(&g, 7, 3);
	hist_record(&g, 2000000);
	is_uint(g.clamped, 1, "values above range are counted as clamped");
	ok(hist_merge(&g, &h) == 0, "merge");
	is_uint(g.total, 100004, "merged count");
	is_uint(g.min, 7, "merged min");

	hist_encode(&g, &enc);
	ok(hist_decode(&d, enc.buf, enc.len) == 0, "decode what encode wrote");
	is_uint(d.total, g.total, "round trip total");
	is_uint(hist_percentile(&d, 99), hist_percentile(&g, 99), "round trip p99");
	hist_release(&d);
	ok(hist_decode(&d, enc.buf, enc.len - 1) != 0 || (hist_release(&d), 0), "truncated input refused");
	enc.buf[5] ^= 0x55;
	if (hist_decode(&d, enc.buf, enc.len) == 0)
		hist_release(&d);
	ok(1, "corrupt input does not crash");
	hist_release(&d);
	hist_release(&g);
	hist_release(&h);
	strbuf_release(&enc);
	return done_testing();
}
