/*
 * t-view-flamegraph.c - the flame graph SVG on the synthetic profile:
 * frames drawn with exact widths, nested search matches counted once in
 * the embedded C value, titles escaped, threads, the empty profile, and
 * the render-time pruning of narrow frames (kept in the data).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/strbuf.h"
#include "view/view.h"
#include "tap.h"
#include "view-fixture.h"

static int has(const struct strbuf *sb, const char *s)
{
	return strstr(sb->buf, s) != NULL;
}

static int count(const struct strbuf *sb, const char *s)
{
	const char *p = sb->buf;
	int n = 0;

	while ((p = strstr(p, s))) {
		n++;
		p += strlen(s);
	}
	return n;
}

int main(void)
{
	struct profile *p = fx_profile();
	struct view_opts o;
	struct strbuf out = STRBUF_INIT;
	char err[256] = "";

	view_opts_init(&o);
	o.value = 1;
	o.count_value = 0;
	o.title = "t <1> & \"2\"";
	o.search = "rec";
	is_int(view_flamegraph(p, &o, &out, err, sizeof(err)), 0, "flame graph");
	ok(!strncmp(out.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"", 36), "XML declaration");
	ok(has(&out, ">t &lt;1&gt; &amp; &quot;2&quot;</text>"), "title escaped");
	ok(has(&out, "./work --fast \xc2\xb7 cpu 120.0 ms, 120 samples"), "subtitle from metadata");
	is_int(count(&out, "<g class=\"f\""), 9, "nine frames: all, main, c, rec x3, work, a, b");
	ok(has(&out, "data-search-value=\"20000000\" data-search-pct=\"16.67\""),
	   "nested matches counted once");
	ok(has(&out, "<title>a (60.0 ms, 50.00 %)</title><rect x=\"305.00\" y=\"86\" width=\"590.00\""),
	   "a: exact width 590 of 1180, right of c and rec");
	ok(has(&out, "{&quot;n&quot;:9,"), "nine nodes in the data");
	ok(!has(&out, "http://") || !has(&out, "href="), "no external references");
	ok(has(&out, "<![CDATA[") && has(&out, "]]></script>\n</svg>\n"), "script inlined");

	/* a frame below 0.1 % is not drawn but stays in the data */
	{
		uint32_t l[2], t = profile_intern_thread(p, 100, 100, "main");
		int64_t v[2] = { 0, 50000 };	/* 0.04 % of 120 ms */

		l[0] = fx_loc(p, "tiny", "t.c", 1, "work", 0);
		l[1] = fx_loc(p, "main", "src/m.c", 3, "work", 0);
		profile_add_sample(p, profile_intern_stack(p, l, 2), t, v);
		strbuf_reset(&out);
		o.search = "tiny";
		is_int(view_flamegraph(p, &o, &out, err, sizeof(err)), 0, "with a tiny frame");
		ok(!has(&out, "<title>tiny"), "tiny frame not drawn");
		ok(has(&out, "{&quot;n&quot;:10,"), "but kept in the data");
		ok(has(&out, "data-search-value=\"50000\""), "and found by search");
	}

	strbuf_reset(&out);
	o.by_thread = 1;
	o.search = NULL;
	is_int(view_flamegraph(p, &o, &out, err, sizeof(err)), 0, "by thread");
	ok(has(&out, "<title>main-100 (90.0 ms, 75.01 %)</title>"), "thread frame main");
	ok(has(&out, "<title>worker-101 (30.0 ms, 24.99 %)</title>"), "thread frame worker");

	/* empty profile */
	{
		struct profile *q = profile_new();

		profile_add_type(q, "alloc", "bytes");
		view_opts_init(&o);
		strbuf_reset(&out);
		is_int(view_flamegraph(q, &o, &out, err, sizeof(err)), 0, "empty profile");
		ok(has(&out, ">no samples</text>"), "says no samples");
		ok(has(&out, "{&quot;n&quot;:0,"), "no nodes");
		profile_free(q);
	}
	strbuf_release(&out);
	profile_free(p);
	return done_testing();
}
