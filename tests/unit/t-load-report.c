/*
 * t-load-report.c - unit tests of the load reports (src/load/report.c):
 * the terminal progress line with the planned time and the time left.
 */
#include "tap.h"

#include "core/strbuf.h"
#include "load/engine.h"
#include "load/report.h"

static const char *line(const struct load_tick *t, uint64_t planned, uint64_t requests)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	load_report_progress(&sb, t, planned, requests);
	return sb.buf;
}

int main(void)
{
	struct hist h;
	struct load_counts c;
	struct load_tick t;

	hist_init(&h, 0);
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 1000; i++)
		hist_record(&h, 2000000);	/* 2 ms */
	c.requests = 3000;
	c.failed = 4;
	t.elapsed_ns = 3000000000ull;
	t.interval_ns = 1000000000ull;
	t.interval = &h;
	t.total = &c;
	t.interval_errors = 1;
	is_str(line(&t, 10000000000ull, 0), "     3.0 s of 10 s, ETA 7 s        1000 req/s  p99   2.00 ms  errors 4",
	       "-d 10s: planned time and ETA");
	is_str(line(&t, 0, 9000), "     3.0 s, ETA 6 s        1000 req/s  p99   2.00 ms  errors 4",
	       "-n 9000: ETA from the rate so far");
	is_str(line(&t, 10000000000ull, 4000), "     3.0 s of 10 s, ETA 1 s        1000 req/s  p99   2.00 ms  errors 4",
	       "-d and -n: whichever ends first");
	t.elapsed_ns = 65000000000ull;
	is_str(line(&t, 300000000000ull, 0), "    65.0 s of 5m00s, ETA 3m55s        1000 req/s  p99   2.00 ms  errors 4",
	       "minutes");
	t.elapsed_ns = 10200000000ull;
	is_str(line(&t, 10000000000ull, 0), "    10.2 s of 10 s, ETA 0 s        1000 req/s  p99   2.00 ms  errors 4",
	       "past the plan (answers awaited): ETA 0");
	hist_release(&h);
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
