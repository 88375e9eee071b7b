/*
 * out.c - text, JSON, Markdown and CSV renderings of pinch bench results.
 */
#include "out.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/machine.h"
#include "bench/run.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/banned.h"

#ifndef PINCH_VERSION
#define PINCH_VERSION "0.0.0"
#endif

const char *bench_unit(double ref, double *scale)
{
	if (ref < 1e-3) {
		*scale = 1e6;
		return "µs";
	}
	if (ref < 1) {
		*scale = 1e3;
		return "ms";
	}
	*scale = 1;
	return "s";
}

/* The mean of the runs that are not outliers. */
static double mean_without_outliers(const struct bench_cmd *c)
{
	double sum = 0;
	size_t k = 0;

	for (size_t i = 0; i < c->n_runs; i++) {
		if (stats_is_outlier(c->runs[i].wall_s, c->wall.median, c->wall.mad))
			continue;
		sum += c->runs[i].wall_s;
		k++;
	}
	return k ? sum / (double)k : c->wall.mean;
}

void bench_text_cmd(struct strbuf *sb, const struct bench_cmd *c, size_t index)
{
	double sc, usc;
	const char *u = bench_unit(c->wall.mean, &sc);
	const char *uu = bench_unit(c->user.mean > c->sys.mean ? c->user.mean : c->sys.mean, &usc);

	strbuf_addf(sb, "Benchmark %zu: %s\n", index + 1, c->name);
	if (!c->n_runs) {
		strbuf_addstr(sb, "  no completed runs\n");
		return;
	}
	strbuf_addf(sb, "  Time (mean ± σ):   %8.1f %s ± %6.1f %s    [User: %.1f %s, System: %.1f %s]\n",
		    c->wall.mean * sc, u, c->wall.stddev * sc, u, c->user.mean * usc, uu, c->sys.mean * usc, uu);
	strbuf_addf(sb, "  Range (min … max): %8.1f %s … %.1f %s    %zu run%s\n", c->wall.min * sc, u,
		    c->wall.max * sc, u, c->n_runs, c->n_runs == 1 ? "" : "s");
	strbuf_addf(sb, "  Median:            %8.1f %s    MAD %.1f %s    max RSS %s", c->wall.median * sc, u,
		    c->wall.mad * sc, u, c->max_rss_bytes <= c->rss_floor_bytes ? "≤ " : "");
	strbuf_add_bytes(sb, (double)c->max_rss_bytes);
	strbuf_addf(sb, "    %zu outlier%s\n", c->wall.outliers, c->wall.outliers == 1 ? "" : "s");
	if (c->wall.outliers) {
		double clean = mean_without_outliers(c);
		double shift = clean > 0 ? (c->wall.mean - clean) / clean * 100 : 0;

		if (fabs(shift) >= 1)
			strbuf_addf(sb,
				    "  Warning: %zu outlier%s (more than 3.5 MADs from the median) move%s the mean by "
				    "%+.1f %%; the median is the better figure. A quieter machine, --warmup or "
				    "--prepare may help.\n",
				    c->wall.outliers, c->wall.outliers == 1 ? "" : "s",
				    c->wall.outliers == 1 ? "s" : "", shift);
	}
	if (c->failed_runs)
		strbuf_addf(sb, "  Warning: %zu of %zu runs exited non-zero (ignored: --ignore-failure)\n",
			    c->failed_runs, c->n_runs);
}

/* r = b / a and its standard deviation by first-order error propagation. */
static void ratio(const struct bench_cmd *a, const struct bench_cmd *b, double *r, double *sd)
{
	double ra = a->wall.mean > 0 ? a->wall.stddev / a->wall.mean : 0;
	double rb = b->wall.mean > 0 ? b->wall.stddev / b->wall.mean : 0;

	*r = a->wall.mean > 0 ? b->wall.mean / a->wall.mean : 0;
	*sd = *r * sqrt(ra * ra + rb * rb);
}

static size_t fastest(const struct bench_cmd *c, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++)
		if (c[i].n_runs && (!c[best].n_runs || c[i].wall.mean < c[best].wall.mean))
			best = i;
	return best;
}

void bench_text_summary(struct strbuf *sb, const struct bench_cmd *c, size_t n)
{
	size_t best = fastest(c, n);

	if (n < 2 || !c[best].n_runs)
		return;
	strbuf_addf(sb, "Summary\n  '%s' ran\n", c[best].name);
	for (size_t i = 0; i < n; i++) {
		double r, sd;

		if (i == best || !c[i].n_runs)
			continue;
		ratio(&c[best], &c[i], &r, &sd);
		strbuf_addf(sb, "    %.2f ± %.2f times faster than '%s'\n", r, sd, c[i].name);
	}
}

void bench_json(struct strbuf *sb, const struct bench_cmd *c, size_t n, const struct bench_cfg *cfg,
		const struct bench_shell_cost *shell, const struct machine_facts *m)
{
	struct json_writer w;
	char stamp[32];

	clock_format_iso8601(clock_real_ns(), stamp, sizeof(stamp));
	json_result_begin(&w, sb, "bench");
	json_kint(&w, "pinch_bench", 1);
	json_kstr(&w, "version", PINCH_VERSION);
	json_kstr(&w, "datetime", stamp);
	json_kstr(&w, "tool", "pinch bench");
	machine_facts_json(&w, m);
	json_key(&w, "options");
	json_obj_begin(&w);
	json_kint(&w, "warmup", cfg->warmup);
	json_kint(&w, "runs", cfg->runs);
	json_kint(&w, "min_runs", cfg->min_runs);
	json_kdouble_g(&w, "max_time", (double)cfg->max_time_ns / 1e9, 9);
	if (cfg->shell) {
		json_kstr(&w, "shell", cfg->shell);
		json_kdouble_g(&w, "shell_spawn_s", shell ? shell->wall_s : 0, 9);
	} else {
		json_key(&w, "shell");
		json_null(&w);
	}
	json_kbool(&w, "ignore_failure", cfg->ignore_failure);
	json_obj_end(&w);
	json_key(&w, "benchmarks");
	json_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		const struct bench_cmd *b = &c[i];

		json_obj_begin(&w);
		json_kstr(&w, "name", b->name);
		json_kstr(&w, "command", b->name);
		if (b->param_name) {
			json_key(&w, "parameters");
			json_obj_begin(&w);
			json_kstr(&w, b->param_name, b->param_value);
			json_obj_end(&w);
		}
		json_key(&w, "stats");
		json_obj_begin(&w);
		json_kdouble_g(&w, "min", b->wall.min, 9);
		json_kdouble_g(&w, "max", b->wall.max, 9);
		json_kdouble_g(&w, "mean", b->wall.mean, 9);
		json_kdouble_g(&w, "stddev", b->wall.stddev, 9);
		json_kuint(&w, "rounds", b->n_runs);
		json_kdouble_g(&w, "median", b->wall.median, 9);
		json_kdouble_g(&w, "mad", b->wall.mad, 9);
		json_kuint(&w, "outliers", b->wall.outliers);
		json_kdouble_g(&w, "user", b->user.mean, 9);
		json_kdouble_g(&w, "system", b->sys.mean, 9);
		json_kuint(&w, "max_rss_bytes", b->max_rss_bytes);
		json_kuint(&w, "rss_floor_bytes", b->rss_floor_bytes);
		json_kuint(&w, "failed_runs", b->failed_runs);
		json_obj_end(&w);
		json_key(&w, "data");
		json_arr_begin(&w);
		for (size_t k = 0; k < b->n_runs; k++)
			json_double_g(&w, b->runs[k].wall_s, 9);
		json_arr_end(&w);
		json_key(&w, "runs");
		json_arr_begin(&w);
		for (size_t k = 0; k < b->n_runs; k++) {
			const struct bench_run *r = &b->runs[k];

			json_obj_begin(&w);
			json_kdouble_g(&w, "wall_s", r->wall_s, 9);
			json_kdouble_g(&w, "user_s", r->user_s, 9);
			json_kdouble_g(&w, "sys_s", r->sys_s, 9);
			json_kuint(&w, "max_rss_bytes", r->max_rss_bytes);
			json_kuint(&w, "minflt", r->minflt);
			json_kuint(&w, "majflt", r->majflt);
			json_kuint(&w, "nvcsw", r->nvcsw);
			json_kuint(&w, "nivcsw", r->nivcsw);
			json_kint(&w, "exit_status", r->exit_status);
			json_obj_end(&w);
		}
		json_arr_end(&w);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(sb, '\n');
}

/* Markdown and CSV quote the command: ` and | in Markdown, " in CSV. */
static void md_cell(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '`');
	for (; *s; s++) {
		if (*s == '|')
			strbuf_addstr(sb, "\\|");
		else if (*s == '`')
			strbuf_addch(sb, '\'');
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '`');
}

void bench_markdown(struct strbuf *sb, const struct bench_cmd *c, size_t n)
{
	size_t best = fastest(c, n);
	double sc;
	const char *u = bench_unit(n ? c[best].wall.mean : 1, &sc);

	strbuf_addf(sb, "| Command | Mean [%s] | Min [%s] | Max [%s] | Relative |\n", u, u, u);
	strbuf_addstr(sb, "|:---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n; i++) {
		double r = 1, sd = 0;

		if (i != best)
			ratio(&c[best], &c[i], &r, &sd);
		strbuf_addstr(sb, "| ");
		md_cell(sb, c[i].name);
		strbuf_addf(sb, " | %.1f ± %.1f | %.1f | %.1f | ", c[i].wall.mean * sc, c[i].wall.stddev * sc,
			    c[i].wall.min * sc, c[i].wall.max * sc);
		if (i == best)
			strbuf_addstr(sb, "1.00 |\n");
		else
			strbuf_addf(sb, "%.2f ± %.2f |\n", r, sd);
	}
}

static void csv_cell(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

void bench_csv(struct strbuf *sb, const struct bench_cmd *c, size_t n)
{
	const char *pname = NULL;

	for (size_t i = 0; i < n; i++)
		if (c[i].param_name)
			pname = c[i].param_name;
	strbuf_addstr(sb, "command,mean,stddev,median,user,system,min,max,max_rss_bytes,runs");
	if (pname) {
		strbuf_addstr(sb, ",parameter_");
		strbuf_addstr(sb, pname);
	}
	strbuf_addch(sb, '\n');
	for (size_t i = 0; i < n; i++) {
		csv_cell(sb, c[i].name);
		strbuf_addf(sb, ",%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%llu,%zu", c[i].wall.mean, c[i].wall.stddev,
			    c[i].wall.median, c[i].user.mean, c[i].sys.mean, c[i].wall.min, c[i].wall.max,
			    (unsigned long long)c[i].max_rss_bytes, c[i].n_runs);
		if (pname) {
			strbuf_addch(sb, ',');
			csv_cell(sb, c[i].param_value ? c[i].param_value : "");
		}
		strbuf_addch(sb, '\n');
	}
}
