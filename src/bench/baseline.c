/*
 * baseline.c - saving results as baselines and comparing with them
 * (see baseline.h).
 */
#include "baseline.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/machine.h"
#include "core/clock.h"
#include "core/stats.h"
#include "core/strbuf.h"
#include "core/banned.h"

int baseline_path(const char *name, struct strbuf *path, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (!n || n > 100 || name[0] == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789._-") != n) {
		snprintf(err, errlen,
			 "bad baseline name '%s': use letters, digits, '.', '-' and '_' (not first '.')", name);
		return -EINVAL;
	}
	strbuf_reset(path);
	strbuf_addf(path, "%s/%s.json", BASELINE_DIR, name);
	return 0;
}

const char *result_kind(void *jv, const char *what, char *err, size_t errlen)
{
	json_t *j = jv, *k, *s;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "%s is not a pinch result (not a JSON object)", what);
		return NULL;
	}
	s = json_object_get(j, "schema");
	if (s && (!json_is_integer(s) || json_integer_value(s) > 1)) {
		snprintf(err, errlen, "%s has schema %s; this pinch reads schema 1: a newer pinch wrote it", what,
			 json_is_integer(s) ? "newer than 1" : "of an unknown form");
		return NULL;
	}
	k = json_object_get(j, "kind");
	if (json_is_string(k))
		return json_string_value(k);
	if (json_object_get(j, "pinch_bench"))
		return "bench";
	snprintf(err, errlen, "%s is not a pinch result: no \"kind\"", what);
	return NULL;
}

static int mkdir_p(char *err, size_t errlen)
{
	if (mkdir(".pinch", 0755) < 0 && errno != EEXIST)
		goto fail;
	if (mkdir(BASELINE_DIR, 0755) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot create '%s': %s", BASELINE_DIR, strerror(errno));
	return -errno;
}

int baseline_save(const char *name, const char *result, char *err, size_t errlen)
{
	struct strbuf path = STRBUF_INIT, tmp = STRBUF_INIT, mj = STRBUF_INIT;
	struct machine_facts m;
	json_error_t je;
	json_t *j = NULL, *b;
	char stamp[32];
	time_t t = (time_t)(clock_real_ns() / 1000000000ull);
	struct tm tm;
	char *text = NULL;
	int rc, fd = -1;

	rc = baseline_path(name, &path, err, errlen);
	if (rc)
		goto out;
	j = json_loads(result, 0, &je);
	if (!j || !result_kind(j, "the result", err, errlen)) {
		if (!j)
			snprintf(err, errlen, "the result is not JSON: %s", je.text);
		rc = -EINVAL;
		goto out;
	}
	if (!json_object_get(j, "machine")) {
		json_t *mo;

		machine_facts_read(&m);
		machine_facts_doc(&m, &mj);
		mo = json_loads(mj.buf, 0, &je);
		if (mo)
			json_object_set(j, "machine", json_object_get(mo, "machine"));
		json_decref(mo);
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b = json_pack("{s:s, s:s}", "name", name, "saved", stamp);
	json_object_set_new(j, "baseline", b);
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	if (!text) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = mkdir_p(err, errlen);
	if (rc)
		goto out;
	strbuf_addf(&tmp, "%s.tmp.%d", path.buf, (int)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp.buf, path.buf) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write '%s': %s", path.buf, strerror(errno));
		if (fd >= 0)
			unlink(tmp.buf);
		goto out;
	}
	rc = 0;
out:
	free(text);
	json_decref(j);
	strbuf_release(&path);
	strbuf_release(&tmp);
	strbuf_release(&mj);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names (without .json) of the saved baselines. */
static int read_names(char ***names, size_t *n)
{
	DIR *d = opendir(BASELINE_DIR);
	struct dirent *e;
	size_t alloc = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **nn;

		if (len < 6 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".json"))
			continue;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			nn = realloc(*names, alloc * sizeof(*nn));
			if (!nn)
				break;
			*names = nn;
		}
		(*names)[(*n)++] = strndup(e->d_name, len - 5);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int baseline_list_names(struct strbuf *out)
{
	char **names;
	size_t n;
	int rc = read_names(&names, &n);

	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s%s", i ? ", " : "", names[i]);
	free_names(names, n);
	return rc;
}

int baseline_load(const char *name, void **jp, char *err, size_t errlen)
{
	struct strbuf path = STRBUF_INIT, names = STRBUF_INIT;
	json_error_t je;
	json_t *j;
	int rc = baseline_path(name, &path, err, errlen);

	*jp = NULL;
	if (rc)
		goto out;
	if (access(path.buf, F_OK) < 0) {
		baseline_list_names(&names);
		if (names.len)
			snprintf(err, errlen, "no baseline '%s' (saved: %s)", name, names.buf);
		else
			snprintf(err, errlen, "no baseline '%s': none saved here yet (use --save NAME)", name);
		rc = -ENOENT;
		goto out;
	}
	j = json_load_file(path.buf, 0, &je);
	if (!j) {
		snprintf(err, errlen, "%s:%d:%d: %s", path.buf, je.line, je.column, je.text);
		rc = -EINVAL;
		goto out;
	}
	*jp = j;
out:
	strbuf_release(&path);
	strbuf_release(&names);
	return rc;
}

void baseline_free_json(void *json)
{
	json_decref((json_t *)json);
}

int baseline_remove(const char *name, char *err, size_t errlen)
{
	struct strbuf path = STRBUF_INIT, names = STRBUF_INIT;
	int rc = baseline_path(name, &path, err, errlen);

	if (!rc && unlink(path.buf) < 0) {
		rc = -errno;
		if (errno == ENOENT) {
			baseline_list_names(&names);
			snprintf(err, errlen, "no baseline '%s' (saved: %s)", name, names.len ? names.buf : "none");
		} else {
			snprintf(err, errlen, "cannot remove '%s': %s", path.buf, strerror(errno));
		}
	}
	strbuf_release(&path);
	strbuf_release(&names);
	return rc;
}

/* What a result holds, in a few words: "2 commands", "load of URL", ... */
static void describe(json_t *j, const char *kind, struct strbuf *sb)
{
	if (!strcmp(kind, "bench")) {
		size_t n = json_array_size(json_object_get(j, "benchmarks"));
		json_t *b0 = json_array_get(json_object_get(j, "benchmarks"), 0);

		strbuf_addf(sb, "%zu benchmark%s", n, n == 1 ? "" : "s");
		if (b0 && json_is_string(json_object_get(b0, "name")))
			strbuf_addf(sb, ": %s%s", json_string_value(json_object_get(b0, "name")), n > 1 ? ", ..." : "");
	} else if (!strcmp(kind, "load")) {
		json_t *t = json_object_get(j, "target");

		strbuf_addf(sb, "%s", json_is_string(t) ? json_string_value(t) : "");
	} else if (!strcmp(kind, "mem")) {
		json_t *t = json_object_get(j, "command");

		strbuf_addf(sb, "%s", json_is_string(t) ? json_string_value(t) : "");
	}
}

int baseline_list(struct strbuf *out)
{
	char **names;
	size_t n;
	int rc = read_names(&names, &n);

	if (rc)
		return rc;
	if (!n) {
		strbuf_addstr(out, "no baselines saved in " BASELINE_DIR " (use --save NAME)\n");
		return 0;
	}
	strbuf_addf(out, "%-20s %-6s %-21s %s\n", "NAME", "KIND", "SAVED", "HOLDS");
	for (size_t i = 0; i < n; i++) {
		char err[256];
		void *jv;
		const char *kind;
		json_t *b;
		struct strbuf d = STRBUF_INIT;

		if (baseline_load(names[i], &jv, err, sizeof(err))) {
			strbuf_addf(out, "%-20s %-6s %-21s %s\n", names[i], "?", "?", err);
			continue;
		}
		kind = result_kind(jv, names[i], err, sizeof(err));
		b = json_object_get(jv, "baseline");
		if (kind)
			describe(jv, kind, &d);
		strbuf_addf(out, "%-20s %-6s %-21s %s\n", names[i], kind ? kind : "?",
			    json_is_string(json_object_get(b, "saved")) ?
				    json_string_value(json_object_get(b, "saved")) : "?",
			    kind ? d.buf : err);
		strbuf_release(&d);
		json_decref(jv);
	}
	free_names(names, n);
	return 0;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A benchmark's raw times, or NULL when it has fewer than 2: "data" of
 * the benchmark (pinch bench) or of its "stats" (libpinch's
 * pinch_bench_json and pytest-benchmark, pinch.bench in Python). */
static double *raw_times(json_t *b, size_t *n)
{
	json_t *data = json_object_get(b, "data");
	double *x;

	if (!json_is_array(data))
		data = json_object_get(json_object_get(b, "stats"), "data");

	*n = json_array_size(data);
	if (*n < 2)
		return NULL;
	x = malloc(*n * sizeof(*x));
	for (size_t i = 0; x && i < *n; i++)
		x[i] = json_number_value(json_array_get(data, i));
	return x;
}

/* Fills a summary from a benchmark's "stats" (mean, stddev, rounds). */
static void bench_summary(json_t *b, struct stats_summary *s)
{
	json_t *st = json_object_get(b, "stats");

	memset(s, 0, sizeof(*s));
	s->mean = num(st, "mean");
	s->stddev = num(st, "stddev");
	s->n = json_is_integer(json_object_get(st, "rounds")) ?
		       (size_t)json_integer_value(json_object_get(st, "rounds")) : 0;
}

static void fmt_time(char *buf, size_t size, double s)
{
	if (!isfinite(s))
		snprintf(buf, size, "?");
	else if (s < 1e-6)
		snprintf(buf, size, "%.1f ns", s * 1e9);
	else if (s < 1e-3)
		snprintf(buf, size, "%.1f µs", s * 1e6);
	else if (s < 1)
		snprintf(buf, size, "%.2f ms", s * 1e3);
	else
		snprintf(buf, size, "%.3f s", s);
}

static void fmt_p(char *buf, size_t size, double p)
{
	if (p < 0.0001)
		snprintf(buf, size, "<0.0001");
	else
		snprintf(buf, size, "%.4f", p);
}

static int compare_bench(json_t *base, json_t *cur, const struct baseline_opts *o, struct strbuf *out)
{
	json_t *bb = json_object_get(base, "benchmarks"), *cb = json_object_get(cur, "benchmarks");
	int regressed = 0;
	size_t i, k;

	strbuf_addf(out, "  %-28s %12s %12s %9s %9s  %s\n", "benchmark", "baseline", "now", "change", "p",
		    "verdict");
	for (i = 0; i < json_array_size(cb); i++) {
		json_t *c = json_array_get(cb, i), *b = NULL;
		const char *name = json_string_value(json_object_get(c, "name"));
		struct stats_summary sb, sc;
		struct stats_welch w;
		char t1[32], t2[32], pb[32];
		double change, vb, vc, p, *xb, *xc;
		size_t nb, nc;
		const char *verdict;

		if (!name)
			continue;
		for (k = 0; k < json_array_size(bb); k++) {
			const char *bn = json_string_value(json_object_get(json_array_get(bb, k), "name"));

			if (bn && !strcmp(bn, name)) {
				b = json_array_get(bb, k);
				break;
			}
		}
		if (!b) {
			strbuf_addf(out, "  %-28s %12s %12s %9s %9s  %s\n", name, "-", "-", "-", "-",
				    "not in the baseline");
			continue;
		}
		xb = raw_times(b, &nb);
		xc = raw_times(c, &nc);
		if (xb && xc) {
			/* Raw runs: the medians and Mann-Whitney U, robust to
			 * the outliers a busy machine adds. */
			struct stats_mwu m;

			vb = stats_median(xb, nb);
			vc = stats_median(xc, nc);
			p = stats_mann_whitney(xc, nc, xb, nb, &m) ? NAN : m.p;
		} else {
			/* Summaries only: the means and Welch's t-test. */
			bench_summary(b, &sb);
			bench_summary(c, &sc);
			vb = sb.mean;
			vc = sc.mean;
			p = stats_welch(&sc, &sb, &w) ? NAN : w.p;
		}
		free(xb);
		free(xc);
		fmt_time(t1, sizeof(t1), vb);
		fmt_time(t2, sizeof(t2), vc);
		change = vb > 0 ? (vc - vb) / vb * 100 : NAN;
		if (isnan(p))
			snprintf(pb, sizeof(pb), "n/a");
		else
			fmt_p(pb, sizeof(pb), p);
		w.p = p;
		if (!(w.p < o->alpha))
			verdict = "no significant change";
		else if (change > 0)
			verdict = "slower";
		else
			verdict = "faster";
		strbuf_addf(out, "  %-28s %12s %12s %+8.1f%% %9s  %s", name, t1, t2, change, pb, verdict);
		if (o->fail_pct >= 0 && w.p < o->alpha && change > o->fail_pct) {
			strbuf_addf(out, " (over the %.4g %% bound)", o->fail_pct);
			regressed = 1;
		}
		strbuf_addch(out, '\n');
	}
	return regressed;
}

struct metric {
	const char *label, *path1, *path2;	/* value = cur[path1][path2] */
	int higher_better;
	int bytes;
	double scale;				/* display: value * scale */
	const char *unit;
};

static double get2(json_t *j, const char *p1, const char *p2)
{
	json_t *v = json_object_get(j, p1);

	if (p2)
		v = json_object_get(v, p2);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int compare_metrics(json_t *base, json_t *cur, const struct metric *m, size_t n,
			   const struct baseline_opts *o, struct strbuf *out)
{
	int regressed = 0;

	strbuf_addf(out, "  %-16s %14s %14s %9s  %s\n", "metric", "baseline", "now", "change", "verdict");
	for (size_t i = 0; i < n; i++) {
		double b = get2(base, m[i].path1, m[i].path2), c = get2(cur, m[i].path1, m[i].path2);
		double change = b != 0 ? (c - b) / fabs(b) * 100 : (c == b ? 0 : INFINITY);
		double worse = m[i].higher_better ? -change : change;
		struct strbuf v1 = STRBUF_INIT, v2 = STRBUF_INIT;
		const char *verdict;

		if (isnan(b) || isnan(c)) {
			strbuf_addf(out, "  %-16s %14s %14s %9s  %s\n", m[i].label, "?", "?", "-", "not in both");
			continue;
		}
		if (m[i].bytes) {
			strbuf_add_bytes(&v1, b);
			strbuf_add_bytes(&v2, c);
		} else {
			strbuf_addf(&v1, "%.4g%s", b * m[i].scale, m[i].unit);
			strbuf_addf(&v2, "%.4g%s", c * m[i].scale, m[i].unit);
		}
		verdict = worse > 0 ? "worse" : worse < 0 ? "better" : "same";
		strbuf_addf(out, "  %-16s %14s %14s %+8.1f%%  %s", m[i].label, v1.buf, v2.buf,
			    isfinite(change) ? change : 100.0, verdict);
		if (o->fail_pct >= 0 && worse > o->fail_pct) {
			strbuf_addf(out, " (over the %.4g %% bound)", o->fail_pct);
			regressed = 1;
		}
		strbuf_addch(out, '\n');
		strbuf_release(&v1);
		strbuf_release(&v2);
	}
	return regressed;
}

static const struct metric load_metrics[] = {
	{ "p50 latency", "latency_ms", "p50", 0, 0, 1, " ms" },
	{ "p99 latency", "latency_ms", "p99", 0, 0, 1, " ms" },
	{ "requests/s", "rps", NULL, 1, 0, 1, "" },
	{ "error rate", "error_rate", NULL, 0, 0, 100, " %" },
};

static const struct metric mem_metrics[] = {
	{ "peak", "peak_bytes", NULL, 0, 1, 1, "" },
	{ "total allocated", "alloc_bytes", NULL, 0, 1, 1, "" },
	{ "leaked", "leaked_bytes", NULL, 0, 1, 1, "" },
};

static const char *jstr(json_t *o, const char *k1, const char *k2)
{
	json_t *v = json_object_get(o, k1);

	if (k2)
		v = json_object_get(v, k2);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void machine_note(json_t *base, json_t *cur, struct strbuf *out)
{
	static const char *const keys[] = { "cpu_model", "cores", "kernel" };
	json_t *mb = json_object_get(base, "machine"), *mc = json_object_get(cur, "machine");
	struct machine_facts now;
	json_t *la;
	double load1;
	int cores;

	if (!mc) {
		machine_facts_read(&now);
		cores = now.cores;
		load1 = now.loadavg[0];
	} else {
		cores = (int)json_integer_value(json_object_get(mc, "cores"));
		la = json_object_get(mc, "loadavg");
		load1 = json_number_value(json_array_get(la, 0));
	}
	for (size_t i = 0; mb && mc && i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *a = json_object_get(mb, keys[i]), *b = json_object_get(mc, keys[i]);

		if (a && b && !json_equal(a, b))
			strbuf_addf(out, "  note: the baseline's machine differs: %s was %s, now %s\n", keys[i],
				    json_is_string(a) ? json_string_value(a) : "?",
				    json_is_string(b) ? json_string_value(b) : "?");
	}
	la = json_object_get(mb, "loadavg");
	if (la && json_number_value(json_array_get(la, 0)) > cores)
		strbuf_addf(out, "  note: the machine was loaded when the baseline was saved (load %.2f, %d cores)\n",
			    json_number_value(json_array_get(la, 0)), cores);
	if (load1 > cores)
		strbuf_addf(out, "  note: the machine is loaded now (load %.2f, %d cores)\n", load1, cores);
}

int baseline_compare(const char *name, const char *result, const struct baseline_opts *o, struct strbuf *out,
		     char *err, size_t errlen)
{
	json_error_t je;
	json_t *base = NULL, *cur = NULL;
	const char *kb, *kc, *saved;
	void *bv;
	int rc;

	rc = baseline_load(name, &bv, err, errlen);
	if (rc)
		return rc;
	base = bv;
	cur = json_loads(result, 0, &je);
	if (!cur) {
		snprintf(err, errlen, "the result is not JSON: %s", je.text);
		rc = -EINVAL;
		goto out;
	}
	{
		char what[160];

		snprintf(what, sizeof(what), "baseline '%s'", name);
		kb = result_kind(base, what, err, errlen);
	}
	if (!kb || !(kc = result_kind(cur, "the result", err, errlen))) {
		rc = -EINVAL;
		goto out;
	}
	if (strcmp(kb, kc)) {
		snprintf(err, errlen, "baseline '%s' is a %s result, this is a %s result: compare like with like",
			 name, kb, kc);
		rc = -EINVAL;
		goto out;
	}
	saved = jstr(base, "baseline", "saved");
	strbuf_addf(out, "Compared with baseline '%s' (%s, saved %s)", name, kb, saved ? saved : "?");
	if (!strcmp(kb, "bench"))
		strbuf_addf(out, ":\nmedians and Mann-Whitney U over the runs (means and Welch's t-test when only\n"
				 "summaries were saved); a change is significant when p < %g\n", o->alpha);
	else
		strbuf_addstr(out, ": one run each, no significance test\n");
	machine_note(base, cur, out);
	if (!strcmp(kb, "bench"))
		rc = compare_bench(base, cur, o, out);
	else if (!strcmp(kb, "load"))
		rc = compare_metrics(base, cur, load_metrics, sizeof(load_metrics) / sizeof(load_metrics[0]), o,
				     out);
	else if (!strcmp(kb, "mem"))
		rc = compare_metrics(base, cur, mem_metrics, sizeof(mem_metrics) / sizeof(mem_metrics[0]), o, out);
	else {
		snprintf(err, errlen, "cannot compare %s results (bench, load and mem can be)", kb);
		rc = -EINVAL;
	}
out:
	json_decref(base);
	json_decref(cur);
	return rc;
}
