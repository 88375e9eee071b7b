/*
 * t-load-threshold.c - unit tests of thresholds and the verdict table
 * (src/load/threshold.c) on results whose numbers are known exactly.
 */
#include "tap.h"

#include "load/engine.h"
#include "load/threshold.h"

static int check(const char *expr, const struct load_result *r)
{
	struct load_threshold t;
	char err[256];
	double actual;

	if (load_threshold_parse(expr, &t, err, sizeof(err)))
		return -1;
	return load_threshold_eval(&t, r, &actual);
}

int main(void)
{
	struct load_result r;
	struct load_threshold t;
	struct load_verdict_row rows[3];
	char err[256];

	load_result_init(&r, 1);
	/* 1000 latencies: 1 ms .. 1000 ms; 30 of 1000 requests failed. */
	for (int i = 1; i <= 1000; i++)
		hist_record(&r.lat, (uint64_t)i * 1000000);
	r.c.requests = 1000;
	r.c.failed = 30;
	r.rps = 500;

	is_int(load_threshold_parse("p99<200ms", &t, err, sizeof(err)), 0, "p99<200ms parses");
	is_int(t.metric, THR_PCT, "percentile metric");
	near(t.pct, 99, 0, "99th");
	near(t.value, 200e6, 0, "200 ms in ns");
	is_int(load_threshold_parse("p99.9 <= 1.5s", &t, err, sizeof(err)), 0, "spaces and <=");
	near(t.pct, 99.9, 1e-9, "99.9th");
	is_int(t.op, THR_LE, "<=");
	is_int(load_threshold_parse("errors<1%", &t, err, sizeof(err)), 0, "error rate parses");
	near(t.value, 0.01, 1e-12, "1 %% as a fraction");
	ok(load_threshold_parse("p99<200", &t, err, sizeof(err)) < 0, "latency needs a unit");
	ok(load_threshold_parse("p0<1s", &t, err, sizeof(err)) < 0, "p0 refused");
	ok(load_threshold_parse("p101<1s", &t, err, sizeof(err)) < 0, "p101 refused");
	ok(load_threshold_parse("speed<1", &t, err, sizeof(err)) < 0, "unknown metric");
	ok(load_threshold_parse("p99", &t, err, sizeof(err)) < 0, "no operator");
	ok(load_threshold_parse("p99=1s", &t, err, sizeof(err)) < 0, "= alone is not an operator");
	ok(load_threshold_parse("errors<x%", &t, err, sizeof(err)) < 0, "bad number");

	is_int(check("p99<985ms", &r), 0, "p99 of 1..1000 ms is about 990 ms");
	is_int(check("p99<1s", &r), 1, "p99 < 1 s");
	is_int(check("p50<495ms", &r), 0, "p50 is about 500 ms");
	is_int(check("p50<510ms", &r), 1, "p50 < 510 ms");
	is_int(check("max<=1000ms", &r), 1, "max is exactly 1000 ms");
	is_int(check("min>=1ms", &r), 1, "min is exactly 1 ms");
	is_int(check("avg<500ms", &r), 0, "avg is 500.5 ms");
	is_int(check("avg<501ms", &r), 1, "avg < 501 ms");
	is_int(check("errors<3%", &r), 0, "3.0 %% is not below 3 %%");
	is_int(check("errors<=3%", &r), 1, "3.0 %% <= 3 %%");
	is_int(check("errors<31", &r), 1, "30 errors < 31");
	is_int(check("rps>=500", &r), 1, "rps");
	is_int(check("rps>500", &r), 0, "rps strict");

	hist_reset(&r.lat);
	hist_record_n(&r.lat, 350000000, 1000);
	load_verdict(&r, rows);
	is_str(rows[0].metric, "P50 latency", "row 1 is P50");
	is_int(rows[0].rating, V_MARGINAL, "P50 350 ms: between acceptable and poor");
	is_int(rows[1].rating, V_ACCEPTABLE, "P99 350 ms: acceptable (< 1 s)");
	is_int(rows[2].rating, V_MARGINAL, "3 %% errors: between 1 %% and 5 %%");
	r.c.failed = 0;
	hist_reset(&r.lat);
	hist_record(&r.lat, 1000000);
	load_verdict(&r, rows);
	is_int(rows[0].rating, V_GOOD, "1 ms P50 is good");
	is_int(rows[2].rating, V_GOOD, "no errors is good");
	r.c.failed = 100;
	load_verdict(&r, rows);
	is_int(rows[2].rating, V_POOR, "10 %% errors is poor");
	hist_reset(&r.lat);
	load_verdict(&r, rows);
	is_int(rows[1].rating, V_POOR, "no answers at all is poor");
	load_result_release(&r);
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
