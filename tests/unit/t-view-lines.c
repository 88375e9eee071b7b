/*
 * t-view-lines.c - the line listing: per-line values inclusive of
 * callees, the hottest line marked, source found directly, under
 * source_root or missing (note), function matching rules, JSON.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "view/view.h"
#include "tap.h"
#include "view-fixture.h"

static int has(const struct strbuf *sb, const char *s)
{
	return strstr(sb->buf, s) != NULL;
}

int main(void)
{
	struct profile *p = fx_profile();
	struct view_opts o;
	struct strbuf out = STRBUF_INIT;
	char err[256] = "", dir[] = "/tmp/t-view-lines.XXXXXX", path[512];
	FILE *f;
	int i;

	view_opts_init(&o);
	o.value = 1;
	o.count_value = 0;
	o.func = "a";
	is_int(view_lines(p, &o, &out, err, sizeof(err)), 0, "lines of a, no source");
	diag_out(&out);
	ok(!strncmp(out.buf, "Function: a at src/a.c:12\nTotal time: 60.0 ms (60 samples), 50.0 % of all\n",
		    70), "header");
	ok(has(&out, ">     12       45  45.0 ms    75.0\n"), "hottest line marked, 75 %%");
	ok(has(&out, "      13       15  15.0 ms    25.0\n"), "second line 25 %%");
	ok(has(&out, "source not found: src/a.c\n"), "missing source note");

	/* a temp source tree: src/a.c under a root */
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof(path), "%s/src", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/src/a.c", dir);
	f = fopen(path, "w");
	for (i = 1; i <= 40; i++)
		fprintf(f, i == 12 ? "\tx += hot(%d);\n" : "line %d\n", i);
	fclose(f);
	strbuf_reset(&out);
	o.source_root = dir;
	is_int(view_lines(p, &o, &out, err, sizeof(err)), 0, "lines with source_root");
	diag_out(&out);
	ok(has(&out, ">     12       45  45.0 ms    75.0          x += hot(12);\n"),
	   "hot line with its source text, tab expanded");
	ok(has(&out, "      10                            line 10\n"), "context before");
	ok(has(&out, "      15                            line 15\n"), "context after");
	ok(!has(&out, "line 16") && !has(&out, "line 9\n"), "only a little context");
	ok(!has(&out, "source not found"), "no note when found");

	/* recursion: rec's innermost frame is line 4, once per sample */
	strbuf_reset(&out);
	o.func = "rec";
	o.source_root = NULL;
	is_int(view_lines(p, &o, &out, err, sizeof(err)), 0, "lines of rec");
	ok(has(&out, ">      4       20  20.0 ms   100.0\n"), "recursion: innermost line, 100 %%");
	ok(!has(&out, "      5 "), "outer recursive frames not counted");

	/* inclusive of callees: work's lines carry a and b */
	strbuf_reset(&out);
	o.func = "work";
	is_int(view_lines(p, &o, &out, err, sizeof(err)), 0, "lines of work");
	ok(has(&out, ">      5       60  60.0 ms    66.7\n"), "line 5 includes its callee a");
	ok(has(&out, "       6       30  30.0 ms    33.3\n"), "line 6 includes its callee b");

	/* matching */
	o.func = "r";
	is_int(view_lines(p, &o, &out, err, sizeof(err)), -EINVAL, "ambiguous substring");
	ok(strstr(err, "rec") && strstr(err, "work"), "candidates listed: %s", err);
	o.func = "mian";
	is_int(view_lines(p, &o, &out, err, sizeof(err)), -ENOENT, "no match");
	ok(strstr(err, "main") != NULL, "close match offered: %s", err);
	o.func = "wor";
	strbuf_reset(&out);
	is_int(view_lines(p, &o, &out, err, sizeof(err)), 0, "unique substring");
	ok(has(&out, "Function: work at"), "substring found work");

	/* JSON */
	strbuf_reset(&out);
	o.func = "a";
	o.source_root = dir;
	o.json = 1;
	is_int(view_lines(p, &o, &out, err, sizeof(err)), 0, "json");
	ok(has(&out, "\"hottest_line\": 12"), "json hottest line");
	ok(has(&out, "\"text\": \"\\tx += hot(12);\""), "json source text");
	ok(has(&out, "\"value\": 45000000"), "json exact value");

	unlink(path);
	snprintf(path, sizeof(path), "%s/src", dir);
	rmdir(path);
	rmdir(dir);
	strbuf_release(&out);
	profile_free(p);
	return done_testing();
}
