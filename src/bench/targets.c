/*
 * targets.c - pinch check's targets (see targets.h): the built-in table,
 * YAML files read with libyaml's document API (every error carries
 * file:line:column), and the metrics each result kind offers.
 */
#include "targets.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "bench/baseline.h"
#include "core/strbuf.h"
#include "core/banned.h"

const char *const target_verdict_names[] = { "good", "acceptable", "degraded", "poor", "-" };

/* The metrics pinch knows, their unit and which way is better. */
struct metric_def {
	const char *name, *label;
	enum target_unit unit;
	int higher_better;
};

static const struct metric_def metric_defs[] = {
	{ "p50", "P50 latency", TU_SECONDS, 0 },
	{ "p90", "P90 latency", TU_SECONDS, 0 },
	{ "p95", "P95 latency", TU_SECONDS, 0 },
	{ "p99", "P99 latency", TU_SECONDS, 0 },
	{ "p99.9", "P99.9 latency", TU_SECONDS, 0 },
	{ "avg", "mean latency", TU_SECONDS, 0 },
	{ "error_rate", "error rate", TU_PERCENT, 0 },
	{ "rps", "requests/s", TU_NUMBER, 1 },
	{ "cpu", "CPU usage", TU_PERCENT, 0 },
	{ "memory", "memory", TU_PERCENT, 0 },
	{ "mean", "mean time", TU_SECONDS, 0 },
	{ "median", "median time", TU_SECONDS, 0 },
	{ "min", "min time", TU_SECONDS, 0 },
	{ "max", "max time", TU_SECONDS, 0 },
	{ "stddev", "time stddev", TU_SECONDS, 0 },
	{ "user", "user CPU", TU_SECONDS, 0 },
	{ "system", "system CPU", TU_SECONDS, 0 },
	{ "wall", "wall time", TU_SECONDS, 0 },
	{ "rss", "max RSS", TU_BYTES, 0 },
	{ "peak", "heap peak", TU_BYTES, 0 },
	{ "total", "allocated", TU_BYTES, 0 },
	{ "leaked", "leaked", TU_BYTES, 0 },
};

static const struct metric_def *find_def(const char *name)
{
	for (size_t i = 0; i < sizeof(metric_defs) / sizeof(metric_defs[0]); i++)
		if (!strcmp(metric_defs[i].name, name))
			return &metric_defs[i];
	return NULL;
}

static int add(struct targets *ts, const struct target *t)
{
	for (size_t i = 0; i < ts->n; i++) {
		if (!strcmp(ts->t[i].metric, t->metric) && !strcmp(ts->t[i].kind, t->kind) &&
		    !strcmp(ts->t[i].endpoint, t->endpoint)) {
			ts->t[i] = *t;
			return 0;
		}
	}
	if (ts->n == ts->alloc) {
		size_t na = ts->alloc ? ts->alloc * 2 : 16;
		struct target *nt = realloc(ts->t, na * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		ts->t = nt;
		ts->alloc = na;
	}
	ts->t[ts->n++] = *t;
	return 0;
}

static struct target_bound lt(double v)
{
	return (struct target_bound){ .set = 1, .higher = 0, .v = v };
}

static struct target_bound gt(double v)
{
	return (struct target_bound){ .set = 1, .higher = 1, .v = v };
}

int targets_init_builtin(struct targets *ts)
{
	static const struct {
		const char *metric;
		double good, acceptable, poor;
	} table[] = {
		{ "p50", 0.050, 0.200, 0.500 },
		{ "p99", 0.200, 1.0, 2.0 },
		{ "error_rate", 0.1, 1, 5 },
		{ "cpu", 50, 80, 90 },
		{ "memory", 70, 85, 95 },
	};

	memset(ts, 0, sizeof(*ts));
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct target t = { .good = lt(table[i].good), .acceptable = lt(table[i].acceptable),
				    .poor = gt(table[i].poor) };

		snprintf(t.metric, sizeof(t.metric), "%s", table[i].metric);
		snprintf(t.origin, sizeof(t.origin), "built in");
		if (add(ts, &t))
			return -ENOMEM;
	}
	return 0;
}

void targets_release(struct targets *ts)
{
	free(ts->t);
	memset(ts, 0, sizeof(*ts));
}

/* ---------- YAML ---------- */

struct yctx {
	const char *path;
	char *err;
	size_t errlen;
};

static int yerr(struct yctx *c, const yaml_node_t *n, const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	snprintf(c->err, c->errlen, "%s:%zu:%zu: %s", c->path, n ? n->start_mark.line + 1 : 1,
		 n ? n->start_mark.column + 1 : 1, msg);
	return -EINVAL;
}

/*
 * "< 200ms", ">= 1000", "0.1%", "64MiB", "2s": an optional operator, a
 * number, an optional unit. op is '<', '>' or 0 (none given).
 */
static int parse_bound(const char *s, int *op, double *v, int *unit_kind)
{
	char *end;
	double mult = 1;

	while (*s == ' ')
		s++;
	*op = 0;
	if (*s == '<' || *s == '>') {
		*op = *s++;
		if (*s == '=')
			s++;
	}
	while (*s == ' ')
		s++;
	*v = strtod(s, &end);
	if (end == s || !isfinite(*v))
		return -1;
	while (*end == ' ')
		end++;
	*unit_kind = -1;	/* none */
	if (!*end) {
		return 0;
	} else if (!strcmp(end, "ns")) {
		mult = 1e-9, *unit_kind = TU_SECONDS;
	} else if (!strcmp(end, "us") || !strcmp(end, "µs")) {
		mult = 1e-6, *unit_kind = TU_SECONDS;
	} else if (!strcmp(end, "ms")) {
		mult = 1e-3, *unit_kind = TU_SECONDS;
	} else if (!strcmp(end, "s")) {
		*unit_kind = TU_SECONDS;
	} else if (!strcmp(end, "m") || !strcmp(end, "min")) {
		mult = 60, *unit_kind = TU_SECONDS;
	} else if (!strcmp(end, "%")) {
		*unit_kind = TU_PERCENT;
	} else if (!strcmp(end, "B")) {
		*unit_kind = TU_BYTES;
	} else if (!strcmp(end, "KiB") || !strcmp(end, "K") || !strcmp(end, "KB") || !strcmp(end, "k")) {
		mult = 1024, *unit_kind = TU_BYTES;
	} else if (!strcmp(end, "MiB") || !strcmp(end, "M") || !strcmp(end, "MB")) {
		mult = 1024.0 * 1024, *unit_kind = TU_BYTES;
	} else if (!strcmp(end, "GiB") || !strcmp(end, "G") || !strcmp(end, "GB")) {
		mult = 1024.0 * 1024 * 1024, *unit_kind = TU_BYTES;
	} else {
		return -1;
	}
	*v *= mult;
	return 0;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int read_target(struct targets *ts, yaml_document_t *doc, yaml_node_t *item, struct yctx *c)
{
	static const char *const level[] = { "good", "acceptable", "poor" };
	struct target t;
	struct target_bound *b[3];
	yaml_node_t *bn[3] = { NULL, NULL, NULL };
	int ops[3] = { 0, 0, 0 }, have_metric = 0;
	const struct metric_def *def;
	int higher;
	yaml_node_pair_t *p;

	memset(&t, 0, sizeof(t));
	b[0] = &t.good;
	b[1] = &t.acceptable;
	b[2] = &t.poor;
	if (item->type != YAML_MAPPING_NODE)
		return yerr(c, item, "a target is a mapping: metric, good, acceptable, poor%s", "");
	for (p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
		const char *key = scalar(k), *val = scalar(v);
		int i;

		if (!key)
			return yerr(c, k, "a key must be a plain word%s", "");
		if (!val)
			return yerr(c, v, "'%s' needs a single value", key);
		if (!strcmp(key, "metric")) {
			if (!*val || strlen(val) >= sizeof(t.metric))
				return yerr(c, v, "bad metric name '%s'", val);
			snprintf(t.metric, sizeof(t.metric), "%s", val);
			have_metric = 1;
			continue;
		}
		if (!strcmp(key, "kind")) {
			if (strcmp(val, "load") && strcmp(val, "bench") && strcmp(val, "mem") && strcmp(val, "stat"))
				return yerr(c, v, "kind '%s' is not one of load, bench, mem, stat", val);
			snprintf(t.kind, sizeof(t.kind), "%s", val);
			continue;
		}
		if (!strcmp(key, "endpoint")) {
			if (strlen(val) >= sizeof(t.endpoint))
				return yerr(c, v, "endpoint name too long: '%.60s...'", val);
			snprintf(t.endpoint, sizeof(t.endpoint), "%s", val);
			continue;
		}
		for (i = 0; i < 3; i++)
			if (!strcmp(key, level[i]))
				break;
		if (i == 3)
			return yerr(c, k, "unknown key '%s' (metric, kind, endpoint, good, acceptable, poor)", key);
		bn[i] = v;
	}
	if (!have_metric)
		return yerr(c, item, "a target needs a metric: p50, p99, error_rate, cpu, memory, mean, ...%s", "");
	def = find_def(t.metric);
	for (int i = 0; i < 3; i++) {
		const char *v = bn[i] ? scalar(bn[i]) : NULL;
		int uk;

		if (!v)
			continue;
		if (parse_bound(v, &ops[i], &b[i]->v, &uk) < 0)
			return yerr(c, bn[i],
				    "bad bound '%s': an optional < or >, a number, a unit (200ms, 1%%, 64MiB)", v);
		if (def && uk >= 0 && (enum target_unit)uk != def->unit &&
		    !(def->unit == TU_NUMBER && uk == TU_BYTES))
			return yerr(c, bn[i], "'%s' has the wrong unit for this metric", v);
		b[i]->set = 1;
	}
	if (!t.good.set && !t.acceptable.set && !t.poor.set)
		return yerr(c, item, "target '%s' has no bound: give good, acceptable or poor", t.metric);
	/* Which way is better: the operators given, the metric's own, or the
	 * order of the numbers. */
	if (ops[0] || ops[1])
		higher = (ops[0] ? ops[0] : ops[1]) == '>';
	else if (ops[2])
		higher = ops[2] == '<';
	else if (def)
		higher = def->higher_better;
	else
		higher = t.good.set && t.poor.set && t.good.v > t.poor.v;
	for (int i = 0; i < 3; i++) {
		int want = i < 2 ? higher : !higher;

		if (!b[i]->set)
			continue;
		if (ops[i] && (ops[i] == '>') != want)
			return yerr(c, bn[i], "'%s' points the other way from the other bounds",
				    bn[i] && scalar(bn[i]) ? scalar(bn[i]) : "");
		b[i]->higher = want;
	}
	if (t.good.set && t.acceptable.set && (higher ? t.good.v < t.acceptable.v : t.good.v > t.acceptable.v))
		return yerr(c, bn[0] ? bn[0] : item, "good '%s' is looser than acceptable",
			    bn[0] && scalar(bn[0]) ? scalar(bn[0]) : "");
	snprintf(t.origin, sizeof(t.origin), "%s:%zu", c->path, item->start_mark.line + 1);
	return add(ts, &t);
}

int targets_load_yaml(struct targets *ts, const char *path, const char *text, size_t len, char *err,
		      size_t errlen)
{
	struct yctx c = { path, err, errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *list = NULL;
	int rc = 0;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s%s%s%s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "",
			 parser.context && strstr(parser.context, "block scalar") ?
				 " (quote a bound that starts with '>': \"> 1s\")" : "");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = yerr(&c, NULL, "empty targets file: write 'targets:' and a list%s", "");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		rc = yerr(&c, root, "the file must be a mapping with a 'targets' list%s", "");
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		const char *key = scalar(k);

		if (!key || strcmp(key, "targets")) {
			rc = yerr(&c, k, "unknown key '%s' (the file holds 'targets:')", key ? key : "?");
			goto out;
		}
		list = yaml_document_get_node(&doc, p->value);
	}
	if (!list || list->type != YAML_SEQUENCE_NODE) {
		rc = yerr(&c, list ? list : root, "'targets' must be a list of targets (- metric: ...)%s", "");
		goto out;
	}
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		rc = read_target(ts, &doc, yaml_document_get_node(&doc, *it), &c);
		if (rc)
			break;
	}
out:
	yaml_document_delete(&doc);
	return rc;
}

/* ---------- evaluation ---------- */

static double mem_total_bytes(void)
{
	unsigned long long kb = 0, lim;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");
	double total = 0;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
				break;
		fclose(f);
		total = (double)kb * 1024;
	}
	f = fopen("/sys/fs/cgroup/memory.max", "re");
	if (f) {
		if (fscanf(f, "%llu", &lim) == 1 && lim > 0 && (double)lim < total)
			total = (double)lim;
		fclose(f);
	}
	return total;
}

static int num_at(json_t *o, const char *k1, const char *k2, double *v)
{
	json_t *x = json_object_get(o, k1);

	if (k2)
		x = json_object_get(x, k2);
	if (!json_is_number(x))
		return 0;
	*v = json_number_value(x);
	return 1;
}

/* A dotted path ("latency_ms.p75", "stats.ops") into o. */
static int path_value(json_t *o, const char *path, double *v)
{
	char buf[64], *save = NULL, *tok;
	json_t *x = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && x; tok = strtok_r(NULL, ".", &save))
		x = json_object_get(x, tok);
	if (!json_is_number(x))
		return 0;
	*v = json_number_value(x);
	return 1;
}

static int cores_of(json_t *root)
{
	json_t *c = json_object_get(json_object_get(root, "machine"), "cores");

	if (!json_is_integer(c))
		c = json_object_get(json_object_get(root, "machine_info"), "cpu_count");
	if (json_is_integer(c) && json_integer_value(c) > 0)
		return (int)json_integer_value(c);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/*
 * The value of metric in a result of kind (sub: a load task or a
 * benchmark, NULL for the whole result). 1 when it has one.
 */
static int metric_value(const char *kind, json_t *root, json_t *sub, const char *metric, double *v,
			enum target_unit *unit)
{
	const struct metric_def *def = find_def(metric);
	json_t *o = sub ? sub : root;
	double a, b, c;

	*unit = def ? def->unit : TU_NUMBER;
	if (!strcmp(kind, "load")) {
		if (def && def->unit == TU_SECONDS && num_at(o, "latency_ms", metric, v)) {
			*v /= 1000;
			return 1;
		}
		if (!strcmp(metric, "error_rate")) {
			if (!sub && num_at(o, "error_rate", NULL, v)) {
				*v *= 100;
				return 1;
			}
			if (sub && num_at(o, "requests", NULL, &a) && num_at(o, "failed", NULL, &b)) {
				*v = a > 0 ? b / a * 100 : 0;
				return 1;
			}
			return 0;
		}
		if (!strcmp(metric, "rps"))
			return !sub && num_at(o, "rps", NULL, v);
	} else if (!strcmp(kind, "bench")) {
		json_t *st = json_object_get(o, "stats");

		if (!sub)
			goto generic;
		if (def && def->unit == TU_SECONDS && strcmp(metric, "wall"))
			return num_at(st, metric, NULL, v);
		if (!strcmp(metric, "cpu")) {
			if (!num_at(st, "user", NULL, &a) || !num_at(st, "system", NULL, &b) ||
			    !num_at(st, "mean", NULL, &c) || c <= 0)
				return 0;
			*v = (a + b) / c / cores_of(root) * 100;
			return 1;
		}
		if (!strcmp(metric, "memory") || !strcmp(metric, "rss")) {
			double total = mem_total_bytes();

			if (!num_at(st, "max_rss_bytes", NULL, &a) || total <= 0)
				return 0;
			*v = !strcmp(metric, "rss") ? a : a / total * 100;
			return 1;
		}
	} else if (!strcmp(kind, "mem")) {
		static const char *const keys[][2] = { { "peak", "peak_bytes" }, { "total", "alloc_bytes" },
						       { "leaked", "leaked_bytes" }, { "rss", "rss_max" } };

		for (size_t i = 0; i < 4; i++)
			if (!strcmp(metric, keys[i][0]))
				return num_at(o, keys[i][1], NULL, v);
		if (!strcmp(metric, "memory")) {
			double total = mem_total_bytes();

			if (!num_at(o, "rss_max", NULL, &a) || total <= 0 || a <= 0)
				return 0;
			*v = a / total * 100;
			return 1;
		}
	} else if (!strcmp(kind, "stat")) {
		static const char *const keys[][2] = { { "cpu", "cpu_pct" }, { "memory", "memory_pct" },
						       { "rss", "max_rss_bytes" }, { "wall", "wall_s" },
						       { "user", "user_s" }, { "system", "sys_s" } };

		for (size_t i = 0; i < 6; i++)
			if (!strcmp(metric, keys[i][0]))
				return num_at(o, keys[i][1], NULL, v);
	}
generic:
	if (def)
		return 0;
	*unit = TU_NUMBER;
	return path_value(o, metric, v);
}

static void fmt_value(struct strbuf *sb, double v, enum target_unit u)
{
	switch (u) {
	case TU_SECONDS:
		if (v < 1e-3)
			strbuf_addf(sb, "%.3g µs", v * 1e6);
		else if (v < 1)
			strbuf_addf(sb, "%.4g ms", v * 1e3);
		else
			strbuf_addf(sb, "%.4g s", v);
		break;
	case TU_PERCENT:
		strbuf_addf(sb, "%.3g %%", v);
		break;
	case TU_BYTES:
		strbuf_add_bytes(sb, v);
		break;
	default:
		strbuf_addf(sb, "%.6g", v);
	}
}

static void fmt_bound(struct strbuf *sb, const struct target_bound *b, enum target_unit u)
{
	if (!b->set) {
		strbuf_addstr(sb, "-");
		return;
	}
	strbuf_addstr(sb, b->higher ? "> " : "< ");
	fmt_value(sb, b->v, u);
}

static int holds(const struct target_bound *b, double v)
{
	return b->higher ? v > b->v : v < b->v;
}

static enum target_verdict judge(const struct target *t, double v)
{
	if (t->good.set && holds(&t->good, v))
		return TV_GOOD;
	if (t->acceptable.set && holds(&t->acceptable, v))
		return TV_ACCEPTABLE;
	if (t->poor.set)
		return holds(&t->poor, v) ? TV_POOR : TV_DEGRADED;
	return TV_POOR;
}

void targets_header(struct strbuf *out)
{
	strbuf_addf(out, "%-22s %-26s %12s %12s %12s %12s  %s\n", "RESULT", "METRIC", "VALUE", "GOOD",
		    "ACCEPTABLE", "POOR", "VERDICT");
}

static void row(struct strbuf *out, const char *label, const struct target *t, const char *sub, double v,
		enum target_unit u, enum target_verdict vd)
{
	const struct metric_def *def = find_def(t->metric);
	struct strbuf m = STRBUF_INIT, val = STRBUF_INIT, g = STRBUF_INIT, a = STRBUF_INIT, p = STRBUF_INIT;

	strbuf_addstr(&m, def ? def->label : t->metric);
	if (sub)
		strbuf_addf(&m, " [%s]", sub);
	fmt_value(&val, v, u);
	fmt_bound(&g, &t->good, u);
	fmt_bound(&a, &t->acceptable, u);
	fmt_bound(&p, &t->poor, u);
	strbuf_addf(out, "%-22s %-26s %12s %12s %12s %12s  %s\n", label, m.buf, val.buf, g.buf, a.buf, p.buf,
		    target_verdict_names[vd]);
	strbuf_release(&m);
	strbuf_release(&val);
	strbuf_release(&g);
	strbuf_release(&a);
	strbuf_release(&p);
}

static int has_endpoint_target(const struct targets *ts, const struct target *t, const char *kind,
			       const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->t[i].metric, t->metric) && !strcmp(ts->t[i].endpoint, name) &&
		    (!ts->t[i].kind[0] || !strcmp(ts->t[i].kind, kind)))
			return 1;
	return 0;
}

int targets_check(const struct targets *ts, const char *label, const char *result, struct strbuf *out,
		  enum target_verdict *worst, size_t *n_rows, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(result, 0, &je), *subs = NULL;
	const char *kind;
	char what[300];

	if (!root) {
		snprintf(err, errlen, "'%s' is not JSON: line %d: %s", label, je.line, je.text);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "'%s'", label);
	kind = result_kind(root, what, err, errlen);
	if (!kind) {
		json_decref(root);
		return -EINVAL;
	}
	if (strcmp(kind, "load") && strcmp(kind, "bench") && strcmp(kind, "mem") && strcmp(kind, "stat")) {
		snprintf(err, errlen, "'%s' is a %s result; pinch check reads load, bench, mem and stat results", label,
			 kind);
		json_decref(root);
		return -EINVAL;
	}
	if (!strcmp(kind, "load"))
		subs = json_object_get(root, "tasks");
	else if (!strcmp(kind, "bench"))
		subs = json_object_get(root, "benchmarks");
	for (size_t i = 0; i < ts->n; i++) {
		const struct target *t = &ts->t[i];
		enum target_unit u;
		double v;

		if (t->kind[0] && strcmp(t->kind, kind))
			continue;
		if (!t->endpoint[0] && strcmp(kind, "bench") &&
		    metric_value(kind, root, NULL, t->metric, &v, &u)) {
			enum target_verdict vd = judge(t, v);

			row(out, label, t, NULL, v, u, vd);
			(*n_rows)++;
			if (*worst == TV_NONE || vd > *worst)
				*worst = vd;
		}
		for (size_t k = 0; k < json_array_size(subs); k++) {
			json_t *s = json_array_get(subs, k);
			const char *name = json_string_value(json_object_get(s, "name"));
			enum target_verdict vd;

			if (!name || (t->endpoint[0] && strcmp(t->endpoint, name)))
				continue;
			if (!t->endpoint[0] && has_endpoint_target(ts, t, kind, name))
				continue;	/* that endpoint has a target of its own */
			if (!metric_value(kind, root, s, t->metric, &v, &u))
				continue;
			vd = judge(t, v);
			row(out, label, t, name, v, u, vd);
			(*n_rows)++;
			if (*worst == TV_NONE || vd > *worst)
				*worst = vd;
		}
	}
	json_decref(root);
	return 0;
}
