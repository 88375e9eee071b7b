/*
 * report_results.c - pinch report --html's sections for the result JSON
 * of other pinch commands (a top-level "kind"): a load result's summary,
 * latency-by-percentile chart and verdict table; any other kind shown as
 * its JSON. Apart from report.c because jansson's names clash with
 * core/json.h's writer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "core/strbuf.h"
#include "view/view.h"
#include "core/banned.h"

/* A number of a JSON result as text ("?" when absent). */
static const char *jnum(json_t *o, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (json_is_number(v))
		snprintf(buf, size, "%.6g", json_number_value(v));
	else
		snprintf(buf, size, "?");
	return buf;
}

/* A load result's section: the summary, then the data report.js draws
 * (latency by percentile from the JSON's percentiles; no per-second
 * figures: a JSON result has none) and the verdict table. */
static void load_section(json_t *j, const char *path, struct strbuf *page, struct strbuf *lead, int *prio)
{
	static const struct { const char *key; double x; } pts[] = {
		{ "min", 0 }, { "p50", 0.30103 }, { "p90", 1 }, { "p95", 1.30103 }, { "p99", 2 },
		{ "p99.9", 3 },
	};
	json_t *lat = json_object_get(j, "latency_ms"), *thr = json_object_get(j, "thresholds"), *v;
	const char *target = json_string_value(json_object_get(j, "target"));
	struct strbuf text = STRBUF_INIT, js = STRBUF_INIT, h = STRBUF_INIT;
	char b1[32], b2[32], b3[32], b4[32], b5[32];
	size_t i, nfail = 0, n = 0;
	double last = 0;
	char *dump;

	if (!target)
		target = path;
	strbuf_addf(&h, "Load test: %s", target);
	view_html_heading(page, h.buf);
	strbuf_addf(&text, "%s requests, %s req/s, %s failed; latency p50 %s ms, p99 %s ms",
		    jnum(j, "requests", b1, sizeof(b1)), jnum(j, "rps", b2, sizeof(b2)),
		    jnum(j, "failed", b3, sizeof(b3)), jnum(lat, "p50", b4, sizeof(b4)),
		    jnum(lat, "p99", b5, sizeof(b5)));
	strbuf_addf(&text, ", max %s ms\n(from %s; the per-second charts are in pinch load --html's page)",
		    jnum(lat, "max", b1, sizeof(b1)), path);
	json_array_foreach(thr, i, v) {
		if (json_is_false(json_object_get(v, "pass")) && !nfail++) {
			strbuf_addf(lead, "load %s: threshold %s failed (%s %s)", target,
				    json_string_value(json_object_get(v, "threshold")) ?: "?",
				    jnum(v, "actual", b1, sizeof(b1)),
				    json_string_value(json_object_get(v, "unit")) ?: "");
		}
	}
	if (nfail) {
		*prio = 0;
	} else if (json_number_value(json_object_get(j, "failed")) > 0) {
		*prio = 0;
		strbuf_addf(lead, "load %s: %s of %s requests failed", target,
			    jnum(j, "failed", b1, sizeof(b1)), jnum(j, "requests", b2, sizeof(b2)));
	} else {
		*prio = 3;
		strbuf_addf(lead, "load %s: p99 %s ms at %s req/s, no request failed", target,
			    jnum(lat, "p99", b1, sizeof(b1)), jnum(j, "rps", b2, sizeof(b2)));
	}
	strbuf_addf(&text, "\n%s", lead->buf);
	view_html_text(page, NULL, text.buf, "summary");
	dump = json_dumps(j, JSON_COMPACT);
	strbuf_addf(&js, "{\"result\":%s,\n\"pct\":[", dump ? dump : "{}");
	free(dump);
	for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		v = json_object_get(lat, pts[i].key);
		if (!json_is_number(v))
			continue;
		strbuf_addf(&js, "%s[%.5f,%.6g]", n++ ? "," : "", pts[i].x, json_number_value(v));
		last = pts[i].x;
	}
	v = json_object_get(lat, "max");
	if (json_is_number(v))
		strbuf_addf(&js, "%s[%.5f,%.6g]", n++ ? "," : "", last, json_number_value(v));
	strbuf_addstr(&js, "],\n\"ticks\":[]}");
	strbuf_addstr(page, "<section class=\"load\"><div class=\"loadbox\"></div>\n"
		      "<script type=\"application/json\" class=\"ldata\">");
	view_html_json(page, js.buf, js.len);
	strbuf_addstr(page, "</script></section>\n");
	strbuf_release(&text);
	strbuf_release(&js);
	strbuf_release(&h);
}

/* A result JSON of another pinch command (a top-level "kind"): its section
 * of the page, the lead line and its rank (0 first). 1 when path is one,
 * 0 when it is not JSON with a "kind" (a recording or an import). */
int report_json_section(const char *path, struct strbuf *page, struct strbuf *lead, int *prio)
{
	json_error_t e;
	json_t *j;
	const char *kind;
	FILE *f = fopen(path, "r");
	int c = EOF;

	if (!f)
		return 0;
	while ((c = getc(f)) != EOF && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		;
	fclose(f);
	if (c != '{')
		return 0;
	j = json_load_file(path, 0, &e);
	kind = j ? json_string_value(json_object_get(j, "kind")) : NULL;
	if (!kind) {
		json_decref(j);
		return 0;
	}
	if (!strcmp(kind, "load")) {
		load_section(j, path, page, lead, prio);
	} else {
		struct strbuf h = STRBUF_INIT;
		char *dump = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		strbuf_addf(&h, "%c%s result: %s", toupper((unsigned char)*kind), kind + 1, path);
		view_html_heading(page, h.buf);
		view_html_text(page, NULL, dump ? dump : "", "result");
		free(dump);
		if (!strcmp(kind, "stat") && json_is_number(json_object_get(j, "wall_s"))) {
			char b1[32], b2[32];

			strbuf_addf(lead, "stat %s: %s s wall, %s %% CPU", json_string_value(json_object_get(j, "command")) ?: path,
				    jnum(j, "wall_s", b1, sizeof(b1)), jnum(j, "cpu_pct", b2, sizeof(b2)));
		} else {
			strbuf_addf(lead, "%s %s: see its section", kind, path);
		}
		*prio = 4;
		strbuf_release(&h);
	}
	json_decref(j);
	return 1;
}
