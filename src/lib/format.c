/*
 * format.c - renders libpinch's registry (src/lib): Prometheus text
 * exposition (escaped HELP and label values, _bucket/_sum/_count), JSON
 * and an aligned text table with count/avg/min/max/p50/p95/p99.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/hist.h"
#include "core/banned.h"

/* Shortest %g form that reads back as the same double (Go's 'g', -1). */
void lib_add_float(struct strbuf *sb, double v)
{
	char buf[64];
	int prec;

	if (isnan(v)) {
		strbuf_addstr(sb, "NaN");
		return;
	}
	if (isinf(v)) {
		strbuf_addstr(sb, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* Like Go's FormatFloat(v, 'g', -1): plain digits ("10", not
	 * "1e+01") unless the exponent is < -4 or >= 21. */
	if (strchr(buf, 'e') && fabs(v) >= 1e-4 && fabs(v) < 1e21) {
		for (prec = 0; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*f", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
	strbuf_addstr(sb, buf);
}

static void add_escaped(struct strbuf *sb, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (*s == '\n')
			strbuf_addstr(sb, "\\n");
		else if (*s == '"' && quote)
			strbuf_addstr(sb, "\\\"");
		else
			strbuf_addch(sb, *s);
	}
}

/* {a="x",b="y"} plus an optional le; nothing when there are no labels. */
static void add_labels(struct strbuf *sb, const struct lib_series *s, const char *key,
		       const char *le)
{
	const struct lib_family *f = s->fam;
	size_t i;

	if (!f->n_labels && !le)
		return;
	strbuf_addch(sb, '{');
	for (i = 0; i < f->n_labels; i++) {
		strbuf_addf(sb, "%s%s=\"", i ? "," : "", f->label_names[i]);
		add_escaped(sb, s->label_values[i], 1);
		strbuf_addch(sb, '"');
	}
	if (le)
		strbuf_addf(sb, "%s%s=\"%s\"", f->n_labels ? "," : "", key, le);
	strbuf_addch(sb, '}');
}

/* A histogram's or summary's _sum (sum in ticks) and _count lines. */
static void add_sum_count(struct strbuf *sb, const struct pinch_histogram *h, double sum, uint64_t count)
{
	const struct lib_family *f = h->s.fam;

	strbuf_addf(sb, "%s_sum", f->name);
	add_labels(sb, &h->s, NULL, NULL);
	strbuf_addch(sb, ' ');
	lib_add_float(sb, sum / f->scale);
	strbuf_addf(sb, "\n%s_count", f->name);
	add_labels(sb, &h->s, NULL, NULL);
	strbuf_addf(sb, " %llu\n", (unsigned long long)count);
}

static int prom_histogram(struct strbuf *sb, const struct pinch_histogram *h)
{
	const struct lib_family *f = h->s.fam;
	uint64_t *le = malloc((f->n_bounds + 1) * sizeof(*le)), cum = 0;
	struct hist m;
	size_t j;

	if (!le || lib_histogram_merge(h, &m, le) < 0) {
		free(le);
		return -ENOMEM;
	}
	for (j = 0; j <= f->n_bounds; j++) {
		struct strbuf b = STRBUF_INIT;

		cum += le[j];
		if (j < f->n_bounds)
			lib_add_float(&b, f->bounds[j]);
		else
			strbuf_addstr(&b, "+Inf");
		strbuf_addf(sb, "%s_bucket", f->name);
		add_labels(sb, &h->s, "le", b.buf);
		strbuf_addf(sb, " %llu\n", (unsigned long long)cum);
		strbuf_release(&b);
	}
	add_sum_count(sb, h, m.sum, cum);
	hist_release(&m);
	free(le);
	return 0;
}

void lib_metadata(struct strbuf *sb, const char *name, const char *type, const char *help, int om)
{
	size_t nl = strlen(name);
	int fam_len = (int)nl;

	/* OpenMetrics: a counter's family is its name without _total */
	if (om && !strcmp(type, "counter") && nl > 6 && !strcmp(name + nl - 6, "_total"))
		fam_len -= 6;
	if (help && *help) {
		strbuf_addf(sb, "# HELP %.*s ", fam_len, name);
		add_escaped(sb, help, om);
		strbuf_addch(sb, '\n');
	}
	strbuf_addf(sb, "# TYPE %.*s %s\n", fam_len, name, type);
}

void lib_sample_name(struct strbuf *sb, const char *name, int counter, int om)
{
	size_t nl = strlen(name);

	strbuf_addstr(sb, name);
	if (om && counter && !(nl > 6 && !strcmp(name + nl - 6, "_total")))
		strbuf_addstr(sb, "_total");
}

/* A summary: quantiles 0.5, 0.9, 0.99 of every value so far (from the
 * HDR histogram, within 0.5 %), _sum and _count. */
static int prom_summary(struct strbuf *sb, const struct pinch_histogram *h)
{
	static const double q[] = { 0.5, 0.9, 0.99 };
	const struct lib_family *f = h->s.fam;
	struct hist m;
	size_t j;

	if (lib_histogram_merge(h, &m, NULL) < 0)
		return -ENOMEM;
	for (j = 0; j < sizeof(q) / sizeof(q[0]); j++) {
		struct strbuf b = STRBUF_INIT;

		lib_add_float(&b, q[j]);
		strbuf_addstr(sb, f->name);
		add_labels(sb, &h->s, "quantile", b.buf);
		strbuf_addch(sb, ' ');
		lib_add_float(sb, m.total ? (double)hist_percentile(&m, q[j] * 100) / f->scale : NAN);
		strbuf_addch(sb, '\n');
		strbuf_release(&b);
	}
	add_sum_count(sb, h, m.sum, m.total);
	hist_release(&m);
	return 0;
}

static int format_prometheus(struct lib_series *const *v, size_t n, struct strbuf *sb, int om)
{
	const struct lib_family *f = NULL;
	const struct lib_series *s;
	size_t k;

	for (k = 0; k < n; k++) {
		s = v[k];
		if (s->fam != f) {	/* a family's series are adjacent */
			f = s->fam;
			lib_metadata(sb, f->name, lib_type_name(f->type), f->help, om);
		}
		if (LIB_HIST_LIKE(f->type)) {
			if ((f->type == LIB_HISTOGRAM ? prom_histogram : prom_summary)(
				    sb, (const struct pinch_histogram *)s) < 0)
				return -ENOMEM;
			continue;
		}
		lib_sample_name(sb, f->name, f->type == LIB_COUNTER, om);
		add_labels(sb, s, NULL, NULL);
		strbuf_addch(sb, ' ');
		if (f->type == LIB_COUNTER)
			strbuf_addf(sb, "%llu", (unsigned long long)
				    pinch_counter_value((const struct pinch_counter *)s));
		else
			lib_add_float(sb, pinch_gauge_value((const struct pinch_gauge *)s));
		strbuf_addch(sb, '\n');
	}
	return 0;
}

static void series_display_name(struct strbuf *sb, const struct lib_series *s)
{
	const struct lib_family *f = s->fam;
	size_t i;

	strbuf_addstr(sb, f->name);
	if (!f->n_labels)
		return;
	strbuf_addch(sb, '{');
	for (i = 0; i < f->n_labels; i++) {
		strbuf_addf(sb, "%s%s=", i ? "," : "", f->label_names[i]);
		strbuf_add_utf8_sanitized(sb, s->label_values[i], strlen(s->label_values[i]));
	}
	strbuf_addch(sb, '}');
}

static int format_json(struct lib_series *const *v, size_t n, struct strbuf *sb)
{
	const struct lib_family *f;
	const struct lib_series *s;
	struct json_writer w;
	size_t i, k;

	json_init(&w, sb, 0);
	json_obj_begin(&w);
	json_key(&w, "metrics");
	json_arr_begin(&w);
	for (k = 0; k < n; k++) {
		s = v[k];
		f = s->fam;
		{
			json_obj_begin(&w);
			json_kstr(&w, "name", f->name);
			json_kstr(&w, "type", lib_type_name(f->type));
			json_kstr(&w, "help", f->help);
			json_key(&w, "labels");
			json_obj_begin(&w);
			for (i = 0; i < f->n_labels; i++)
				json_kstr(&w, f->label_names[i], s->label_values[i]);
			json_obj_end(&w);
			if (f->type == LIB_COUNTER) {
				json_kuint(&w, "value", pinch_counter_value((const struct pinch_counter *)s));
			} else if (f->type == LIB_GAUGE) {
				json_kdouble(&w, "value", pinch_gauge_value((const struct pinch_gauge *)s));
			} else {
				struct pinch_histogram_summary hs;

				pinch_histogram_read((const struct pinch_histogram *)s, &hs);
				json_kuint(&w, "count", hs.count);
				json_kdouble(&w, "sum", hs.sum);
				json_kdouble(&w, "avg", hs.avg);
				json_kdouble(&w, "min", hs.min);
				json_kdouble(&w, "max", hs.max);
				json_kdouble(&w, "p50", hs.p50);
				json_kdouble(&w, "p95", hs.p95);
				json_kdouble(&w, "p99", hs.p99);
			}
			json_obj_end(&w);
		}
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(sb, '\n');
	return 0;
}

#define TEXT_COLS 9

static int format_text(struct lib_series *const *v, size_t n_series, struct strbuf *sb)
{
	static const char *const head[TEXT_COLS] = {
		"METRIC", "TYPE", "VALUE/COUNT", "AVG", "MIN", "MAX", "P50", "P95", "P99",
	};
	const struct lib_family *f;
	const struct lib_series *s;
	struct strbuf *cells = NULL;
	size_t rows = 1, n = 0, i, c, width[TEXT_COLS] = { 0 };

	rows += n_series;
	cells = calloc(rows * TEXT_COLS, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	for (i = 0; i < rows * TEXT_COLS; i++)
		strbuf_init(&cells[i], 0);
	for (c = 0; c < TEXT_COLS; c++)
		strbuf_addstr(&cells[c], head[c]);
	for (n = 1; n < rows; n++) {
		s = v[n - 1];
		f = s->fam;
		{
			struct strbuf *row = &cells[n * TEXT_COLS];

			series_display_name(&row[0], s);
			strbuf_addstr(&row[1], lib_type_name(f->type));
			if (f->type == LIB_COUNTER) {
				strbuf_addf(&row[2], "%llu", (unsigned long long)
					    pinch_counter_value((const struct pinch_counter *)s));
			} else if (f->type == LIB_GAUGE) {
				strbuf_addf(&row[2], "%.6g", pinch_gauge_value((const struct pinch_gauge *)s));
			} else {
				struct pinch_histogram_summary hs;
				double v[6];

				pinch_histogram_read((const struct pinch_histogram *)s, &hs);
				v[0] = hs.avg, v[1] = hs.min, v[2] = hs.max;
				v[3] = hs.p50, v[4] = hs.p95, v[5] = hs.p99;
				strbuf_addf(&row[2], "%llu", (unsigned long long)hs.count);
				for (c = 0; c < 6; c++)
					strbuf_addf(&row[3 + c], "%.6g", v[c]);
			}
		}
	}
	for (i = 0; i < rows * TEXT_COLS; i++)
		if (cells[i].len > width[i % TEXT_COLS])
			width[i % TEXT_COLS] = cells[i].len;
	for (n = 0; n < rows; n++) {
		struct strbuf line = STRBUF_INIT;

		for (c = 0; c < TEXT_COLS; c++) {
			const struct strbuf *cell = &cells[n * TEXT_COLS + c];

			if (c == 0)
				strbuf_addf(&line, "%-*s", (int)width[c], cell->buf);
			else if (c == 1)
				strbuf_addf(&line, "  %-*s", (int)width[c], cell->buf);
			else
				strbuf_addf(&line, "  %*s", (int)width[c], cell->buf);
		}
		strbuf_rtrim(&line);
		strbuf_addstr(sb, line.buf);
		strbuf_addch(sb, '\n');
		strbuf_release(&line);
	}
	for (i = 0; i < rows * TEXT_COLS; i++)
		strbuf_release(&cells[i]);
	free(cells);
	return 0;
}

int lib_format(struct pinch_registry *r, enum pinch_format fmt, struct strbuf *out)
{
	struct lib_series **v;
	size_t n;
	int rc;

	if (fmt != PINCH_FORMAT_TEXT && fmt != PINCH_FORMAT_JSON && fmt != PINCH_FORMAT_PROMETHEUS &&
	    fmt != PINCH_FORMAT_OPENMETRICS)
		return lib_err(-EINVAL, "unknown format %d", (int)fmt);
	/* The lock only for the copy: registration and spans go on while
	 * the values are read and the text is built. */
	if (lib_registry_snapshot(r, &v, &n) < 0)
		return -ENOMEM;
	switch (fmt) {
	case PINCH_FORMAT_TEXT: rc = format_text(v, n, out); break;
	case PINCH_FORMAT_JSON: rc = format_json(v, n, out); break;
	default: rc = format_prometheus(v, n, out, fmt == PINCH_FORMAT_OPENMETRICS); break;
	}
	lib_registry_snapshot_done(r, v);
	return rc;
}

PINCH_API int pinch_registry_format(struct pinch_registry *reg, enum pinch_format fmt,
				    char **out, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (!reg)
		reg = pinch_registry_default();
	if (!reg || !out)
		return lib_err(-EINVAL, "pinch_registry_format: NULL argument");
	rc = lib_format(reg, fmt, &sb);
	if (rc == 0 && fmt == PINCH_FORMAT_OPENMETRICS)
		strbuf_addstr(&sb, "# EOF\n");
	if (rc < 0) {
		strbuf_release(&sb);
		return rc == -ENOMEM ? lib_err(rc, "out of memory") : rc;
	}
	*out = strbuf_detach(&sb, len);
	return 0;
}
