/*
 * threshold.c - thresholds and the performance-target verdict of pinch
 * load (load layer). Pure functions of a merged load_result, so a merged
 * multi-machine run is judged exactly like a single one.
 */
#include "threshold.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "core/opt.h"
#include "core/banned.h"

const char *const load_verdict_names[] = { "Good", "Acceptable", "Marginal", "Poor" };

static int parse_latency(const char *s, double *ns)
{
	char *end;
	uint64_t v;

	/* A latency needs its unit here ("200ms"): a bare number is refused. */
	strtod(s, &end);
	if (end == s || !*end || opt_parse_duration(s, &v))
		return -EINVAL;
	*ns = (double)v;
	return 0;
}

int load_threshold_parse(const char *s, struct load_threshold *t, char *err, size_t errlen)
{
	const char *op = s + strcspn(s, "<>="), *val;
	char name[32], *end;
	size_t nlen = (size_t)(op - s);

	memset(t, 0, sizeof(*t));
	t->task = -1;
	t->check = -1;
	snprintf(t->text, sizeof(t->text), "%s", s);
	if (!strncmp(s, "checks{", 7)) {
		/* the name may hold < > =: the operator follows the brace */
		const char *close = strchr(s + 7, '}');

		if (!close || close == s + 7 || (size_t)(close - s - 7) >= sizeof(t->check_name)) {
			snprintf(err, errlen, "bad threshold '%s' (want checks{NAME}>99%%)", s);
			return -EINVAL;
		}
		memcpy(t->check_name, s + 7, (size_t)(close - s - 7));
		t->check_name[close - s - 7] = 0;
		op = close + 1 + strspn(close + 1, " ");
		nlen = 6;
	}
	if (!*op || !nlen || nlen >= sizeof(name))
		goto bad;
	memcpy(name, s, nlen);
	name[nlen] = 0;
	while (nlen && name[nlen - 1] == ' ')
		name[--nlen] = 0;
	if (op[0] == '<')
		t->op = op[1] == '=' ? THR_LE : THR_LT;
	else if (op[0] == '>')
		t->op = op[1] == '=' ? THR_GE : THR_GT;
	else
		goto bad;
	val = op + 1 + (op[1] == '=');
	while (*val == ' ')
		val++;
	if (name[0] == 'p' && name[1] >= '0' && name[1] <= '9') {
		t->metric = THR_PCT;
		t->pct = strtod(name + 1, &end);
		if (*end || t->pct <= 0 || t->pct > 100)
			goto bad;
		if (parse_latency(val, &t->value))
			goto bad_lat;
	} else if (!strcmp(name, "avg") || !strcmp(name, "mean") || !strcmp(name, "min") ||
		   !strcmp(name, "max")) {
		t->metric = name[1] == 'v' || name[1] == 'e' ? THR_AVG : name[1] == 'i' ? THR_MIN : THR_MAX;
		if (parse_latency(val, &t->value))
			goto bad_lat;
	} else if (!strcmp(name, "errors") || !strcmp(name, "error_rate")) {
		double v = strtod(val, &end);

		if (end == val || !isfinite(v) || v < 0)
			goto bad;
		if (!strcmp(end, "%")) {
			t->metric = THR_ERR_RATE;
			t->value = v / 100;
		} else if (!*end) {
			t->metric = THR_ERR_COUNT;
			t->value = v;
		} else {
			goto bad;
		}
	} else if (!strcmp(name, "checks")) {
		double v = strtod(val, &end);

		t->metric = THR_CHECKS;
		if (end == val || !isfinite(v) || v < 0 || v > 100 || strcmp(end, "%")) {
			snprintf(err, errlen, "threshold '%s' needs a share such as 99%%", s);
			return -EINVAL;
		}
		t->value = v / 100;
	} else if (!strcmp(name, "rps")) {
		t->metric = THR_RPS;
		t->value = strtod(val, &end);
		if (end == val || *end || !isfinite(t->value) || t->value < 0)
			goto bad;
	} else {
		snprintf(err, errlen, "unknown metric '%s' in threshold '%s' (pNN, avg, min, max, errors, rps, checks)",
			 name, s);
		return -EINVAL;
	}
	return 0;
bad_lat:
	snprintf(err, errlen, "threshold '%s' needs a time with a unit such as 200ms or 1s", s);
	return -EINVAL;
bad:
	snprintf(err, errlen, "bad threshold '%s' (want e.g. p99<200ms, errors<1%%, rps>1000, checks>99%%)", s);
	return -EINVAL;
}

int load_threshold_bind(struct load_threshold *t, const char *const *names, size_t n, char *err,
			size_t errlen)
{
	if (t->metric != THR_CHECKS)
		return 0;
	if (!t->check_name[0]) {
		if (n)
			return 0;
		snprintf(err, errlen, "threshold '%s': there are no checks (--expect-status, checks:)", t->text);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], t->check_name)) {
			t->check = (int)i;
			return 0;
		}
	snprintf(err, errlen, "threshold '%s': no check named '%s'", t->text, t->check_name);
	return -EINVAL;
}

static void check_counts(const struct load_threshold *t, const struct load_result *r, uint64_t *pass,
			 uint64_t *all)
{
	*pass = *all = 0;
	for (int i = 0; i < LOAD_MAX_CHECKS; i++)
		if (t->check < 0 || t->check == i) {
			*pass += r->c.check_pass[i];
			*all += r->c.check_pass[i] + r->c.check_fail[i];
		}
}

/* Is there anything to judge the metric on? No answer means no latency,
 * no request means no error rate, no response checked no check rate: such
 * a threshold fails (it cannot be shown to hold), as the verdict rates it
 * poor. */
static int has_data(const struct load_threshold *t, enum thr_metric m, const struct load_result *r)
{
	const struct hist *lat = &r->lat;
	uint64_t requests = r->c.requests;

	if (t && t->task >= 0 && (size_t)t->task < r->n_tasks) {
		lat = &r->tasks[t->task].lat;
		requests = r->tasks[t->task].requests;
	}
	if (m <= THR_MAX)
		return lat->total > 0;
	if (m == THR_ERR_RATE)
		return requests > 0;
	if (m == THR_CHECKS) {
		uint64_t pass, all;

		check_counts(t, r, &pass, &all);
		return all > 0;
	}
	return 1;
}

int load_threshold_eval(const struct load_threshold *t, const struct load_result *r, double *actual)
{
	const struct hist *lat = &r->lat;
	uint64_t requests = r->c.requests, failed = r->c.failed;
	double v;

	if (t->task >= 0) {
		if ((size_t)t->task >= r->n_tasks) {
			*actual = NAN;
			return 0;
		}
		lat = &r->tasks[t->task].lat;
		requests = r->tasks[t->task].requests;
		failed = r->tasks[t->task].failed;
	}
	if (!has_data(t, t->metric, r)) {
		*actual = NAN;
		return 0;
	}
	switch (t->metric) {
	case THR_PCT:
		v = (double)hist_percentile(lat, t->pct);
		break;
	case THR_AVG:
		v = hist_mean(lat);
		break;
	case THR_MIN:
		v = lat->total ? (double)lat->min : 0;
		break;
	case THR_MAX:
		v = (double)lat->max;
		break;
	case THR_ERR_RATE:
		v = requests ? (double)failed / (double)requests : 0;
		break;
	case THR_ERR_COUNT:
		v = (double)failed;
		break;
	case THR_CHECKS: {
		uint64_t pass, all;

		check_counts(t, r, &pass, &all);
		v = (double)pass / (double)all;
		break;
	}
	case THR_RPS:
	default:
		v = t->task >= 0 ? (double)requests * 1e9 / (double)(r->duration_ns ? r->duration_ns : 1) : r->rps;
		break;
	}
	*actual = v;
	switch (t->op) {
	case THR_LT: return v < t->value;
	case THR_LE: return v <= t->value;
	case THR_GT: return v > t->value;
	case THR_GE: default: return v >= t->value;
	}
}

void load_threshold_format(const struct load_threshold *t, double v, char *buf, size_t size)
{
	if (isnan(v)) {
		snprintf(buf, size, "no data");
		return;
	}
	switch (t->metric) {
	case THR_ERR_RATE:
	case THR_CHECKS:
		snprintf(buf, size, "%.3g %%", v * 100);
		break;
	case THR_ERR_COUNT:
		snprintf(buf, size, "%.0f", v);
		break;
	case THR_RPS:
		snprintf(buf, size, "%.1f/s", v);
		break;
	default:
		if (v >= 1e9)
			snprintf(buf, size, "%.3g s", v / 1e9);
		else
			snprintf(buf, size, "%.3g ms", v / 1e6);
	}
}

static enum verdict_rating rate(double v, double good, double acceptable, double poor)
{
	if (v < good)
		return V_GOOD;
	if (v < acceptable)
		return V_ACCEPTABLE;
	if (v > poor)
		return V_POOR;
	return V_MARGINAL;
}

void load_verdict(const struct load_result *r, struct load_verdict_row rows[3])
{
	double err = r->c.requests ? (double)r->c.failed / (double)r->c.requests : 0;

	rows[0] = (struct load_verdict_row){ "P50 latency", (double)hist_percentile(&r->lat, 50), 0,
					     50e6, 200e6, 500e6, V_GOOD };
	rows[1] = (struct load_verdict_row){ "P99 latency", (double)hist_percentile(&r->lat, 99), 0,
					     200e6, 1e9, 2e9, V_GOOD };
	rows[2] = (struct load_verdict_row){ "error rate", err, 1, 0.001, 0.01, 0.05, V_GOOD };
	for (int i = 0; i < 3; i++)
		rows[i].rating = rate(rows[i].value, rows[i].good, rows[i].acceptable, rows[i].poor);
	/* The thresholds' rule: a figure without data is not "Good". */
	if (!has_data(NULL, THR_PCT, r)) {
		rows[0].rating = V_POOR;
		rows[1].rating = V_POOR;
	}
	if (!has_data(NULL, THR_ERR_RATE, r))
		rows[2].rating = V_POOR;
}
