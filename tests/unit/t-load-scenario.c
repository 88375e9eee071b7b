/*
 * t-load-scenario.c - unit tests of scenarios and request templates
 * (src/load/scenario.c): YAML fields, error positions, weights, ramps.
 */
#include "tap.h"

#include "core/strbuf.h"
#include "load/scenario.h"

static int parse(struct load_scenario *s, const char *y, char *err, size_t errlen)
{
	load_scenario_init(s);
	return load_scenario_parse(s, "s.yaml", y, strlen(y), err, errlen);
}

static void expect_error(const char *y, const char *want, const char *name)
{
	struct load_scenario s;
	char err[512] = "";

	ok(parse(&s, y, err, sizeof(err)) < 0 && strstr(err, want), "%s", name);
	if (!strstr(err, want))
		printf("#   got '%s', want '%s'\n", err, want);
	load_scenario_release(&s);
}

int main(void)
{
	struct load_scenario s;
	struct load_tmpl t;
	struct strbuf sb = STRBUF_INIT;
	char err[512];
	uint64_t rng = 12345;
	unsigned counts[3] = { 0, 0, 0 };
	const char *y =
		"url: http://127.0.0.1:8080\n"
		"users: 50\nspawn_rate: 10\nduration: 60s\nwait: 1s..5s\nrequests: 1000\nrate: 200\n"
		"headers: {User-Agent: t}\n"
		"tasks:\n"
		"  - {name: view_items, weight: 3, path: /items}\n"
		"  - name: view_item\n    path: /items/{rand:1..1000}\n"
		"  - name: create_item\n    path: /items\n    json: {name: \"i{seq}\", price: 10, ok: true, tags: [a, 1.5]}\n"
		"thresholds: [\"p99<500ms\", \"errors<1%\"]\n";

	is_int(load_tmpl_compile(&t, "/a/{seq}/{user}/{rand:7..7}/{x}", 31, err, sizeof(err)), 0, "template compiles");
	load_tmpl_expand(&t, &sb, &rng, 42, 3);
	is_str(sb.buf, "/a/42/3/7/{x}", "template expands; unknown braces stay");
	is_int(t.is_const, 0, "template is not constant");
	load_tmpl_release(&t);
	strbuf_reset(&sb);
	is_int(load_tmpl_compile(&t, "{\"a\":1}", 7, err, sizeof(err)), 0, "JSON braces compile");
	is_int(t.is_const, 1, "JSON braces are literal");
	load_tmpl_expand(&t, &sb, &rng, 0, 0);
	is_str(sb.buf, "{\"a\":1}", "JSON kept");
	load_tmpl_release(&t);
	ok(load_tmpl_compile(&t, "{rand:5..1}", 11, err, sizeof(err)) < 0, "empty rand range refused");
	ok(load_tmpl_compile(&t, "{rand:a..b}", 11, err, sizeof(err)) < 0, "non-numeric rand refused");
	is_int(load_tmpl_compile(&t, "{rand:-3..3}", 12, err, sizeof(err)), 0, "negative rand bounds");
	for (int i = 0, bad = 0; i < 1000; i++) {
		long v;

		strbuf_reset(&sb);
		load_tmpl_expand(&t, &sb, &rng, 0, 0);
		v = atol(sb.buf);
		bad += v < -3 || v > 3;
		if (i == 999)
			is_int(bad, 0, "rand stays in its range");
	}
	load_tmpl_release(&t);

	is_int(parse(&s, y, err, sizeof(err)), 0, "example scenario parses");
	is_str(s.base_url, "http://127.0.0.1:8080", "url");
	is_int(s.users, 50, "users");
	near(s.spawn_rate, 10, 0, "spawn_rate");
	is_uint(s.duration_ns, 60000000000ull, "duration");
	is_uint(s.wait_min_ns, 1000000000ull, "wait min");
	is_uint(s.wait_max_ns, 5000000000ull, "wait max");
	is_uint(s.requests, 1000, "requests");
	near(s.rate, 200, 0, "rate");
	is_int(s.n_tasks, 3, "three tasks");
	is_int(s.total_weight, 5, "weights add");
	is_str(s.tasks[0].method, "GET", "GET by default");
	is_str(s.tasks[2].method, "POST", "POST with a body");
	ok(strstr(s.tasks[2].headers, "Content-Type: application/json\r\n") != NULL, "json sets Content-Type");
	ok(strstr(s.tasks[0].headers, "User-Agent: t\r\n") != NULL, "global headers on every task");
	strbuf_reset(&sb);
	load_tmpl_expand(&s.tasks[2].body, &sb, &rng, 9, 0);
	is_str(sb.buf, "{\"name\":\"i9\",\"price\":10,\"ok\":true,\"tags\":[\"a\",1.5]}", "json body from YAML");
	is_int(s.n_thresholds, 2, "thresholds");
	is_str(s.thresholds[1], "errors<1%", "threshold text");
	for (int i = 0; i < 50000; i++)
		counts[load_scenario_pick(&s, load_rng_next(&rng))]++;
	near(counts[0] / 50000.0, 0.6, 0.01, "weight 3 of 5");
	near(counts[1] / 50000.0, 0.2, 0.01, "weight 1 of 5");
	is_int(load_scenario_users_at(&s, 0, 50), 1, "spawn: one user at the start");
	is_int(load_scenario_users_at(&s, 2500000000ull, 50), 26, "spawn: 26 users after 2.5 s at 10/s");
	is_int(load_scenario_users_at(&s, 60000000000ull, 50), 50, "spawn: capped at all users");
	load_scenario_release(&s);

	is_int(parse(&s, "stages:\n  - {duration: 10s, users: 20}\n  - {duration: 10s, users: 0}\ntasks: [{path: /}]\n",
		     err, sizeof(err)), 0, "stages parse");
	is_int(load_scenario_users_at(&s, 5000000000ull, 20), 10, "ramp up halfway");
	is_int(load_scenario_users_at(&s, 15000000000ull, 20), 10, "ramp down halfway");
	is_int(load_scenario_users_at(&s, 30000000000ull, 20), 0, "after the stages");
	is_uint(load_scenario_stages_ns(&s), 20000000000ull, "stages length");
	load_scenario_release(&s);

	expect_error("tasks:\n  - path: /a\n    weight: 0\n", "s.yaml:3:13:", "weight 0 located");
	expect_error("tasks:\n  - path: /a\n    colour: red\n", "s.yaml:3:5: unknown task key 'colour'", "unknown task key");
	expect_error("users: -1\ntasks: [{path: /}]\n", "s.yaml:1:8:", "negative users");
	expect_error("users: 0\ntasks: [{path: /}]\n", "s.yaml:1:8:", "zero users");
	expect_error("rate: 0\ntasks: [{path: /}]\n", "s.yaml:1:7:", "zero rate");
	expect_error("duration: 0s\ntasks: [{path: /}]\n", "s.yaml:1:11:", "zero duration");
	expect_error("duration: soon\ntasks: [{path: /}]\n", "s.yaml:1:11:", "bad duration");
	expect_error("tasks: [{path: /, method: \"G T\"}]\n", "bad method", "bad method");
	expect_error("tasks: [{path: /, headers: {\"a b\": 1}}]\n", "bad header name", "bad header name");
	expect_error("tasks: [{weight: 2}]\n", "task has no 'path'", "missing path");
	expect_error("- a\n- b\n", "s.yaml:1:1: a scenario must be a mapping", "not a mapping");
	expect_error("tasks: {path: /}\n", "'tasks' must be a non-empty list", "tasks not a list");
	expect_error("url: [1]\ntasks: [{path: /}]\n", "s.yaml:1:6: 'url' must be a string", "url type");
	expect_error("stages: [{duration: 1s}]\ntasks: [{path: /}]\n", "needs 'duration' and 'users'", "stage without users");
	expect_error("tasks: [{path: /\n", "s.yaml:2:1:", "unclosed flow sequence");
	expect_error("", "a scenario must be a mapping", "empty file");

	/* Duplicate keys, body with json, YAML null. */
	expect_error("users: 2\ntasks: [{path: /}]\nusers: 3\n", "s.yaml:3:1: duplicate key 'users' (first at line 1)",
		     "duplicate top-level key located");
	expect_error("tasks:\n  - path: /a\n    path: /b\n", "s.yaml:3:5: duplicate key 'path'", "duplicate task key");
	expect_error("tasks:\n  - path: /a\n    body: x\n    json: {a: 1}\n",
		     "s.yaml:4:5: a task has 'body' or 'json', not both (the other is at line 3)", "body with json refused");
	expect_error("tasks:\n  - {path: /a, checks: [{status: 2x}]}\n", "s.yaml:2:34: bad status check '2x'",
		     "bad check located");
	expect_error("tasks: [{path: /}]\ndata: nope.csv\n", "s.yaml:2:7: cannot read data file 'nope.csv'",
		     "missing data file located");
	expect_error("tasks: [{path: /}]\nfollow_redirects: 99\n", "s.yaml:2:19:", "too many redirects");
	is_int(parse(&s, "tasks:\n  - path: /\n    body: ~\n    headers: {X-A: ~, X-B: b}\n    json: ~\n"
		     "users: ~\nwait: null\n", err, sizeof(err)), 0, "~ and null are keys not given");
	is_int(s.tasks[0].has_body, 0, "body: ~ sends no body");
	ok(!strstr(s.tasks[0].headers, "X-A") && strstr(s.tasks[0].headers, "X-B: b\r\n"), "X-A: ~ sends no header");
	is_int(s.users, 0, "users: ~ is unset");
	load_scenario_release(&s);
	is_int(parse(&s, "tasks: [{path: /, json: {a: ~, b: null, c: \"~\", d: \"\"}, wait: 1s..2s, follow_redirects: 3,"
		     " checks: [{name: ok, status: 2xx}], thresholds: [\"p99<1s\"]}]\ncookies: true\n"
		     "checks: [{body: x}, {header: \"A: b\"}]\n", err, sizeof(err)), 0, "new task keys parse");
	strbuf_reset(&sb);
	load_tmpl_expand(&s.tasks[0].body, &sb, &rng, 0, 0);
	is_str(sb.buf, "{\"a\":null,\"b\":null,\"c\":\"~\",\"d\":\"\"}", "json: ~ is null, \"~\" a string");
	is_uint(s.tasks[0].wait_max_ns, 2000000000ull, "task wait");
	is_int(s.tasks[0].redirects, 3, "task follow_redirects");
	is_int(s.cookies, 1, "cookies");
	is_int(s.n_checks, 3, "three checks");
	is_str(s.checks[0].name, "body ~ x", "run-wide checks first");
	is_str(s.checks[2].name, "ok", "a task's check, named");
	is_int(s.checks[2].task, 0, "... of task 0");
	is_int(s.thr_task[0], 0, "a task's threshold");
	is_int((int)s.thr_line[0], 1, "... at its line");
	load_scenario_release(&s);

	/* CSV data */
	{
		struct load_data d;
		const char *csv = "id,name\r\n1,\"a, \"\"b\"\"\"\r\n\n2,c\n";

		memset(&d, 0, sizeof(d));
		is_int(load_data_parse(&d, "u.csv", csv, strlen(csv), err, sizeof(err)), 0, "CSV parses");
		is_int((int)d.n_cols, 2, "two columns");
		is_int((int)d.n_rows, 2, "two rows (an empty line skipped)");
		is_str(d.cells[1], "a, \"b\"", "quoted field with a comma and quotes");
		is_str(d.cells[3], "c", "CRLF and LF lines");
		load_data_release(&d);
		ok(load_data_parse(&d, "u.csv", "a,b\n1\n", 7, err, sizeof(err)) < 0 && strstr(err, "u.csv:2: 1 field, the header line has 2"),
		   "short row located");
		load_data_release(&d);
		ok(load_data_parse(&d, "u.csv", "a b\n1\n", 6, err, sizeof(err)) < 0 && strstr(err, "must be an identifier"),
		   "bad column name");
		load_data_release(&d);
		ok(load_data_parse(&d, "u.csv", "a\n\"1\n", 5, err, sizeof(err)) < 0 && strstr(err, "bad quoting"),
		   "unterminated quote");
		load_data_release(&d);
		ok(load_data_parse(&d, "u.csv", "a\n", 2, err, sizeof(err)) < 0 && strstr(err, "no data rows"), "no rows");
		load_data_release(&d);
		d.n_cols = 0;
		{
			char *cols[] = { "id", "name" }, *row[] = { "7", "zed" };

			is_int(load_tmpl_compile_cols(&t, "/u/{id}?n={name}&x={seq}&{other}", 32, cols, 2, err, sizeof(err)), 0,
			       "template with fields");
			strbuf_reset(&sb);
			load_tmpl_expand_row(&t, &sb, &rng, 5, 0, row);
			is_str(sb.buf, "/u/7?n=zed&x=5&{other}", "fields expand");
			load_tmpl_release(&t);
		}
	}

	is_int(load_scenario_add_task(&s, "x", "GET", "/x", NULL, NULL, 0, 1, err, sizeof(err)), 0, "command-line task");
	ok(load_scenario_add_task(&s, "x", "GET", "x", NULL, NULL, 0, 1, err, sizeof(err)) < 0, "path must start with /");
	load_scenario_release(&s);
	strbuf_release(&sb);
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
