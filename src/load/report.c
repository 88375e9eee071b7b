/*
 * report.c - renders a load result (load layer) into a strbuf, as an
 * aligned table for people or as JSON for tools; src/cmd/load.c prints it.
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "engine.h"
#include "profile.h"
#include "scenario.h"
#include "threshold.h"
#include "core/banned.h"

static const double pcts[] = { 50, 90, 95, 99, 99.9 };
static const char *const pct_names[] = { "p50", "p90", "p95", "p99", "p99.9" };

void load_fmt_latency(char *buf, size_t size, double ns)
{
	if (ns >= 10e9)
		snprintf(buf, size, "%.1f s", ns / 1e9);
	else if (ns >= 1e9)
		snprintf(buf, size, "%.2f s", ns / 1e9);
	else if (ns >= 100e6)
		snprintf(buf, size, "%.0f ms", ns / 1e6);
	else if (ns >= 10e6)
		snprintf(buf, size, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, size, "%.2f ms", ns / 1e6);
}

static void add_secs(struct strbuf *sb, double s)
{
	if (s < 60)
		strbuf_addf(sb, "%.0f s", s);
	else if (s < 3600)
		strbuf_addf(sb, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
	else
		strbuf_addf(sb, "%.0fh%02.0fm", floor(s / 3600), fmod(floor(s / 60), 60));
}

void load_report_progress(struct strbuf *sb, const struct load_tick *t, uint64_t planned_ns,
			  uint64_t requests)
{
	char p99[32];
	double el = (double)t->elapsed_ns / 1e9, left = 0;
	int known = 0;
	double rps = t->interval_ns ? (double)t->interval->total * 1e9 / (double)t->interval_ns : 0;

	load_fmt_latency(p99, sizeof(p99), (double)hist_percentile(t->interval, 99));
	strbuf_addf(sb, "  %6.1f s", el);
	if (planned_ns) {
		strbuf_addstr(sb, " of ");
		add_secs(sb, (double)planned_ns / 1e9);
		left = (double)planned_ns / 1e9 - el;
		known = 1;
	}
	if (requests && t->total->requests && el > 0) {
		/* A count bound: what is left at the rate so far. */
		double by_count = (double)(requests - (t->total->requests < requests ? t->total->requests : requests)) *
				  el / (double)t->total->requests;

		if (!known || by_count < left)
			left = by_count;
		known = 1;
	}
	if (known) {
		strbuf_addstr(sb, ", ETA ");
		add_secs(sb, left > 0 ? left : 0);
	}
	strbuf_addf(sb, "  %10.0f req/s  p99 %9s  errors %" PRIu64, rps, p99, t->total->failed);
}

void load_report_warnings(struct strbuf *sb, const struct load_result *r)
{
	if (r->target_rate > 0 && r->achieved_rate < 0.98 * r->target_rate && !r->interrupted) {
		strbuf_addf(sb, "pinch load: warning: sent %.0f req/s, short of the %.0f req/s asked for\n",
			    r->achieved_rate, r->target_rate);
		strbuf_addstr(sb, "hint: every connection was busy; raise -c (connections) or -t (threads)\n");
	}
}

static void add_count(struct strbuf *sb, uint64_t v)
{
	char tmp[32], out[48];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = tmp[i];
	}
	out[o] = 0;
	strbuf_addstr(sb, out);
}

static void add_count_w(struct strbuf *sb, uint64_t v, int width)
{
	struct strbuf t = STRBUF_INIT;

	add_count(&t, v);
	strbuf_addf(sb, "%*s", width, t.buf);
	strbuf_release(&t);
}

static void latency_row(struct strbuf *sb, const char *label, const struct hist *h)
{
	char b[32];

	strbuf_addf(sb, "  %-12s", label);
	load_fmt_latency(b, sizeof(b), hist_mean(h));
	strbuf_addf(sb, "%10s", b);
	load_fmt_latency(b, sizeof(b), h->total ? (double)h->min : 0);
	strbuf_addf(sb, "%10s", b);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		load_fmt_latency(b, sizeof(b), (double)hist_percentile(h, pcts[i]));
		strbuf_addf(sb, "%10s", b);
	}
	load_fmt_latency(b, sizeof(b), (double)h->max);
	strbuf_addf(sb, "%10s\n", b);
}

static void fmt_bound(char *b, size_t n, double ns)
{
	if (ns >= 1e9)
		snprintf(b, n, "%g s", ns / 1e9);
	else
		snprintf(b, n, "%g ms", ns / 1e6);
}

static void fmt_rate_or_lat(char *b, size_t n, double v, int is_rate)
{
	if (is_rate)
		snprintf(b, n, "%.2f %%", v * 100);
	else
		load_fmt_latency(b, n, v);
}

int load_report_text(struct strbuf *sb, const struct load_result *r, const struct load_report *rep)
{
	double secs = (double)r->duration_ns / 1e9;
	int failed_thr = 0;
	char b[64];

	strbuf_addf(sb, "pinch load: %s\n", rep->target);
	strbuf_addf(sb, "  %.2f s, %u threads, %u connections, ", secs, r->threads, r->connections);
	if (r->target_rate > 0)
		strbuf_addf(sb, "open model at %g req/s (latency from the intended send time)\n",
			    r->target_rate);
	else
		strbuf_addstr(sb, "closed model\n");
	if (r->interrupted)
		strbuf_addstr(sb, "  (interrupted)\n");
	strbuf_addstr(sb, "\n  requests    ");
	add_count_w(sb, r->c.requests, 12);
	strbuf_addstr(sb, "   ");
	add_count(sb, (uint64_t)(r->rps + 0.5));
	strbuf_addstr(sb, "/s\n  successful  ");
	add_count_w(sb, r->c.ok, 12);
	strbuf_addstr(sb, "\n  failed      ");
	add_count_w(sb, r->c.failed, 12);
	strbuf_addf(sb, "   %.2f %%\n  received    ",
		    r->c.requests ? 100.0 * (double)r->c.failed / (double)r->c.requests : 0.0);
	{
		struct strbuf t = STRBUF_INIT;

		strbuf_add_bytes(&t, (double)r->c.bytes);
		strbuf_addf(sb, "%12s   ", t.buf);
		strbuf_reset(&t);
		strbuf_add_bytes(&t, secs > 0 ? (double)r->c.bytes / secs : 0);
		strbuf_addf(sb, "%s/s\n", t.buf);
		strbuf_release(&t);
	}
	if (r->target_rate > 0)
		strbuf_addf(sb, "  sent rate   %12.1f/s (target %g/s)\n", r->achieved_rate, r->target_rate);

	strbuf_addf(sb, "\n  %-12s%10s%10s", "latency", "avg", "min");
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		strbuf_addf(sb, "%10s", pct_names[i]);
	strbuf_addf(sb, "%10s\n", "max");
	latency_row(sb, r->target_rate > 0 ? "corrected" : "", &r->lat);
	if (r->target_rate > 0 && r->uncorrected.total)
		latency_row(sb, "uncorrected", &r->uncorrected);
	{
		/* The closed model waits for a stalled server instead of sending
		 * (coordinated omission): when wrk's corrected estimate of the
		 * tail differs, show it, and say which to trust. */
		struct hist corr;

		if (!load_result_corrected(r, &corr)) {
			uint64_t m99 = hist_percentile(&r->lat, 99), c99 = hist_percentile(&corr, 99);

			if (c99 > 2 * m99 && c99 > m99 + 50000000) {	/* a stall, not noise */
				uint64_t slow = 0, mean = (uint64_t)hist_mean(&r->lat);

				for (uint32_t i = 0; i < r->lat.n_counts; i++)
					if (hist_bucket_low(i) > 10 * mean)
						slow += r->lat.counts[i];
				latency_row(sb, "corrected*", &corr);
				strbuf_addf(sb, "  * closed model: %" PRIu64 " response%s took over 10x the mean, so connections stalled\n"
					    "    instead of sending; 'corrected' estimates what a steady client would see (as wrk\n"
					    "    reports it). For the true tail under a fixed rate, use the open model: -R RATE\n",
					    slow, slow == 1 ? "" : "s");
			}
			hist_release(&corr);
		}
	}

	strbuf_addstr(sb, "\n  status     ");
	{
		int any = 0;

		for (int s = 0; s < LOAD_STATUS_SLOTS; s++) {
			if (!r->c.status[s])
				continue;
			if (s)
				strbuf_addf(sb, " %d: ", s);
			else
				strbuf_addstr(sb, " other: ");
			add_count(sb, r->c.status[s]);
			any = 1;
		}
		if (!any)
			strbuf_addstr(sb, " none");
	}
	strbuf_addstr(sb, "\n  errors     ");
	for (int k = 0; k < LOAD_E_COUNT; k++) {
		strbuf_addf(sb, " %s ", load_err_names[k]);
		add_count(sb, r->c.err[k]);
	}
	strbuf_addch(sb, '\n');
	if (r->c.redirects) {
		strbuf_addstr(sb, "  redirects   ");
		add_count(sb, r->c.redirects);
		strbuf_addstr(sb, " followed (a request counts once, timed to its last answer)\n");
	}
	if (r->c.resent) {
		strbuf_addstr(sb, "  resent      ");
		add_count(sb, r->c.resent);
		strbuf_addstr(sb, " sent again on a new connection (unanswered when the server closed; counted once)\n");
	}
	if (r->c.pipe_stopped) {
		strbuf_addstr(sb, "  pipelining  stopped on ");
		add_count(sb, r->c.pipe_stopped);
		strbuf_addf(sb, " connection%s: the server said Connection: close (asked: %u deep)\n",
			    r->c.pipe_stopped == 1 ? "" : "s", r->pipeline);
	}

	if (rep->profile) {
		const struct load_profile_info *pi = rep->profile;

		strbuf_addf(sb, "  profile     %s: ", pi->path);
		strbuf_add_duration(sb, (double)pi->sampled_ns);
		if (pi->target_ns) {
			strbuf_addstr(sb, " sampled of the server's ");
			strbuf_add_duration(sb, (double)pi->target_ns);
			strbuf_addf(sb, " CPU (%.0f %%; system ", 100.0 * (double)pi->sampled_ns / (double)pi->target_ns);
			strbuf_add_duration(sb, (double)pi->target_sys_ns);
			strbuf_addstr(sb, ")");
		} else {
			strbuf_addstr(sb, " sampled (the server's own CPU time is unknown)");
		}
		if (!strcmp(pi->kernel, "sampled"))
			strbuf_addstr(sb, ", kernel stacks included\n");
		else if (!strcmp(pi->kernel, "excluded"))
			strbuf_addstr(sb, ", user space only\n");
		else
			strbuf_addstr(sb, ", user space only: system time is not sampled\n"
				    "              (kernel stacks need root, CAP_PERFMON or perf_event_paranoid <= 1)\n");
	}

	if (rep->sc && rep->sc->n_checks) {
		uint64_t tp = 0, ta = 0;

		strbuf_addf(sb, "\n  %-36s%12s%12s%10s\n", "check", "passed", "failed", "rate");
		for (size_t i = 0; i < rep->sc->n_checks; i++) {
			uint64_t p = r->c.check_pass[i], f = r->c.check_fail[i];
			const struct load_check *ck = &rep->sc->checks[i];
			char name[80];

			if (ck->task >= 0)
				snprintf(name, sizeof(name), "%s: %s", rep->sc->tasks[ck->task].name, ck->name);
			else
				snprintf(name, sizeof(name), "%s", ck->name);
			strbuf_addf(sb, "  %-36.36s", name);
			add_count_w(sb, p, 12);
			add_count_w(sb, f, 12);
			if (p + f)
				strbuf_addf(sb, "%8.2f %%\n", 100.0 * (double)p / (double)(p + f));
			else
				strbuf_addf(sb, "%10s\n", "-");
			tp += p;
			ta += p + f;
		}
		if (rep->sc->n_checks > 1) {
			strbuf_addf(sb, "  %-36s", "all checks");
			add_count_w(sb, tp, 12);
			add_count_w(sb, ta - tp, 12);
			if (ta)
				strbuf_addf(sb, "%8.2f %%\n", 100.0 * (double)tp / (double)ta);
			else
				strbuf_addf(sb, "%10s\n", "-");
		}
	}

	if (rep->sc && rep->sc->n_tasks > 1 && r->n_tasks == rep->sc->n_tasks) {
		strbuf_addf(sb, "\n  %-20s%8s%12s%8s%10s%10s%10s\n", "task", "weight", "requests", "share",
			    "failed", "p50", "p99");
		for (size_t i = 0; i < r->n_tasks; i++) {
			const struct load_task_result *t = &r->tasks[i];

			strbuf_addf(sb, "  %-20.20s%8u", rep->sc->tasks[i].name, rep->sc->tasks[i].weight);
			add_count_w(sb, t->requests, 12);
			strbuf_addf(sb, "%7.1f%%", r->c.requests ? 100.0 * (double)t->requests / (double)r->c.requests : 0.0);
			add_count_w(sb, t->failed, 10);
			load_fmt_latency(b, sizeof(b), (double)hist_percentile(&t->lat, 50));
			strbuf_addf(sb, "%10s", b);
			load_fmt_latency(b, sizeof(b), (double)hist_percentile(&t->lat, 99));
			strbuf_addf(sb, "%10s\n", b);
		}
	}

	if (rep->verdict) {
		struct load_verdict_row rows[3];
		char v[32], g[32], a[32], p[32];

		load_verdict(r, rows);
		strbuf_addf(sb, "\n  %-14s%10s%12s%12s%12s  %s\n", "target", "value", "good", "acceptable",
			    "poor", "rating");
		for (int i = 0; i < 3; i++) {
			char g2[40], a2[40], p2[40];

			fmt_rate_or_lat(v, sizeof(v), rows[i].value, rows[i].is_rate);
			if (rows[i].is_rate) {
				snprintf(g, sizeof(g), "%g %%", rows[i].good * 100);
				snprintf(a, sizeof(a), "%g %%", rows[i].acceptable * 100);
				snprintf(p, sizeof(p), "%g %%", rows[i].poor * 100);
			} else {
				fmt_bound(g, sizeof(g), rows[i].good);
				fmt_bound(a, sizeof(a), rows[i].acceptable);
				fmt_bound(p, sizeof(p), rows[i].poor);
			}
			snprintf(g2, sizeof(g2), "< %s", g);
			snprintf(a2, sizeof(a2), "< %s", a);
			snprintf(p2, sizeof(p2), "> %s", p);
			strbuf_addf(sb, "  %-14s%10s%12s%12s%12s  %s\n", rows[i].metric, v, g2, a2, p2,
				    load_verdict_names[rows[i].rating]);
		}
	}

	if (rep->n_thr) {
		strbuf_addf(sb, "\n  %-24s%12s  %s\n", "threshold", "actual", "result");
		for (size_t i = 0; i < rep->n_thr; i++) {
			double actual;
			int pass = load_threshold_eval(&rep->thr[i], r, &actual);

			load_threshold_format(&rep->thr[i], actual, b, sizeof(b));
			strbuf_addf(sb, "  %-24s%12s  %s\n", rep->thr[i].text, b, pass ? "pass" : "FAIL");
			failed_thr += !pass;
		}
	}
	return failed_thr;
}

static void json_latency(struct json_writer *w, const char *key, const struct hist *h)
{
	json_key(w, key);
	json_obj_begin(w);
	json_kuint(w, "count", h->total);
	json_kdouble(w, "avg", hist_mean(h) / 1e6);
	json_kdouble(w, "stddev", hist_stddev(h) / 1e6);
	json_kdouble(w, "min", h->total ? (double)h->min / 1e6 : 0);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		json_kdouble(w, pct_names[i], (double)hist_percentile(h, pcts[i]) / 1e6);
	json_kdouble(w, "max", (double)h->max / 1e6);
	json_obj_end(w);
}

int load_report_json(struct strbuf *sb, const struct load_result *r, const struct load_report *rep)
{
	struct json_writer w;
	int failed_thr = 0;
	char key[16];

	json_init(&w, sb, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "load");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "target", rep->target);
	json_kstr(&w, "model", r->target_rate > 0 ? "open" : "closed");
	json_kuint(&w, "threads", r->threads);
	json_kuint(&w, "connections", r->connections);
	json_kdouble(&w, "duration_s", (double)r->duration_ns / 1e9);
	json_kbool(&w, "interrupted", r->interrupted);
	json_kuint(&w, "requests", r->c.requests);
	json_kuint(&w, "successful", r->c.ok);
	json_kuint(&w, "failed", r->c.failed);
	json_kdouble(&w, "error_rate", r->c.requests ? (double)r->c.failed / (double)r->c.requests : 0);
	json_kdouble(&w, "rps", r->rps);
	json_kuint(&w, "bytes", r->c.bytes);
	json_kdouble(&w, "bytes_per_s", r->duration_ns ? (double)r->c.bytes * 1e9 / (double)r->duration_ns : 0);
	if (r->target_rate > 0) {
		json_kdouble(&w, "target_rate", r->target_rate);
		json_kdouble(&w, "achieved_rate", r->achieved_rate);
	}
	json_latency(&w, "latency_ms", &r->lat);
	if (r->target_rate > 0 && r->uncorrected.total)
		json_latency(&w, "uncorrected_latency_ms", &r->uncorrected);
	{
		struct hist corr;

		if (!load_result_corrected(r, &corr)) {
			json_latency(&w, "corrected_latency_ms", &corr);
			hist_release(&corr);
		}
	}
	json_key(&w, "status");
	json_obj_begin(&w);
	for (int s = 0; s < LOAD_STATUS_SLOTS; s++) {
		if (!r->c.status[s])
			continue;
		snprintf(key, sizeof(key), "%d", s);
		json_kuint(&w, s ? key : "other", r->c.status[s]);
	}
	json_obj_end(&w);
	json_key(&w, "errors");
	json_obj_begin(&w);
	for (int k = 0; k < LOAD_E_COUNT; k++)
		json_kuint(&w, load_err_names[k], r->c.err[k]);
	json_obj_end(&w);
	if (rep->profile) {
		const struct load_profile_info *pi = rep->profile;

		json_key(&w, "profile");
		json_obj_begin(&w);
		json_kstr(&w, "file", pi->path);
		json_kuint(&w, "samples", pi->samples);
		json_kdouble(&w, "sampled_ms", (double)pi->sampled_ns / 1e6);
		if (pi->target_ns) {
			json_kdouble(&w, "server_cpu_ms", (double)pi->target_ns / 1e6);
			json_kdouble(&w, "server_system_ms", (double)pi->target_sys_ns / 1e6);
			json_kdouble(&w, "coverage", (double)pi->sampled_ns / (double)pi->target_ns);
		}
		json_kstr(&w, "kernel", pi->kernel[0] ? pi->kernel : "unknown");
		json_obj_end(&w);
	}
	json_kuint(&w, "pipeline", r->pipeline ? r->pipeline : 1);
	json_kuint(&w, "resent", r->c.resent);
	json_kuint(&w, "pipelining_stopped", r->c.pipe_stopped);
	json_kuint(&w, "redirects_followed", r->c.redirects);
	if (rep->sc && rep->sc->n_checks) {
		uint64_t tp = 0, ta = 0;

		json_key(&w, "checks");
		json_arr_begin(&w);
		for (size_t i = 0; i < rep->sc->n_checks; i++) {
			uint64_t p = r->c.check_pass[i], f = r->c.check_fail[i];
			const struct load_check *ck = &rep->sc->checks[i];

			json_obj_begin(&w);
			json_kstr(&w, "name", ck->name);
			if (ck->task >= 0)
				json_kstr(&w, "task", rep->sc->tasks[ck->task].name);
			json_kuint(&w, "passed", p);
			json_kuint(&w, "failed", f);
			if (p + f) {
				json_kdouble(&w, "rate", (double)p / (double)(p + f));
			} else {
				json_key(&w, "rate");
				json_null(&w);
			}
			json_obj_end(&w);
			tp += p;
			ta += p + f;
		}
		json_arr_end(&w);
		if (ta) {
			json_kdouble(&w, "checks_rate", (double)tp / (double)ta);
		} else {
			json_key(&w, "checks_rate");
			json_null(&w);
		}
	}
	if (rep->sc && rep->sc->n_tasks > 1 && r->n_tasks == rep->sc->n_tasks) {
		json_key(&w, "tasks");
		json_arr_begin(&w);
		for (size_t i = 0; i < r->n_tasks; i++) {
			json_obj_begin(&w);
			json_kstr(&w, "name", rep->sc->tasks[i].name);
			json_kuint(&w, "weight", rep->sc->tasks[i].weight);
			json_kuint(&w, "requests", r->tasks[i].requests);
			json_kuint(&w, "successful", r->tasks[i].ok);
			json_kuint(&w, "failed", r->tasks[i].failed);
			json_latency(&w, "latency_ms", &r->tasks[i].lat);
			json_obj_end(&w);
		}
		json_arr_end(&w);
	}
	{
		struct load_verdict_row rows[3];

		load_verdict(r, rows);
		json_key(&w, "verdict");
		json_arr_begin(&w);
		for (int i = 0; i < 3; i++) {
			json_obj_begin(&w);
			json_kstr(&w, "metric", rows[i].metric);
			if (rows[i].is_rate)
				json_kdouble(&w, "value", rows[i].value);
			else
				json_kdouble(&w, "value_ms", rows[i].value / 1e6);
			json_kstr(&w, "rating", load_verdict_names[rows[i].rating]);
			json_obj_end(&w);
		}
		json_arr_end(&w);
	}
	json_key(&w, "thresholds");
	json_arr_begin(&w);
	for (size_t i = 0; i < rep->n_thr; i++) {
		double actual;
		int pass = load_threshold_eval(&rep->thr[i], r, &actual);

		failed_thr += !pass;
		json_obj_begin(&w);
		json_kstr(&w, "threshold", rep->thr[i].text);
		if (isnan(actual)) {
			json_key(&w, "actual");
			json_null(&w);
		} else {
			json_kdouble(&w, "actual", rep->thr[i].metric <= THR_MAX ? actual / 1e6 : actual);
		}
		json_kstr(&w, "unit", rep->thr[i].metric <= THR_MAX ? "ms" :
			  rep->thr[i].metric == THR_ERR_RATE || rep->thr[i].metric == THR_CHECKS ? "fraction" :
			  rep->thr[i].metric == THR_RPS ? "req/s" : "count");
		json_kbool(&w, "pass", pass);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_kbool(&w, "passed", failed_thr == 0);
	json_obj_end(&w);
	strbuf_addch(sb, '\n');
	return failed_thr;
}
