/*
 * db_sql.c - pinch db explain and pinch db top: the commands that talk to
 * a database themselves (libpq, libsqlite3).
 *
 *   pinch db explain [--commit] [--json] DSN 'SQL'
 *   pinch db explain --plan FILE [--json]
 *   pinch db top [--limit N] [--json] DSN
 */
#include <dlfcn.h>
#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/pgplan.h"
#include "core/banned.h"

int cmd_db_explain(int argc, char **argv);
int cmd_db_top(int argc, char **argv);

/*
 * libpq, loaded when a command first talks to PostgreSQL. Linked into
 * pinch, it and the 20 libraries it brings (Kerberos, LDAP, SASL, GnuTLS,
 * ...) cost every pinch command ~5 ms of start-up, which pinch bench
 * would pay once per run list and every short command once per call.
 */
static struct {
	PGconn *(*connectdb)(const char *);
	ConnStatusType (*status)(const PGconn *);
	char *(*errormessage)(const PGconn *);
	void (*finish)(PGconn *);
	PGresult *(*exec)(PGconn *, const char *);
	PGresult *(*execparams)(PGconn *, const char *, int, const Oid *, const char *const *,
				const int *, const int *, int);
	ExecStatusType (*resultstatus)(const PGresult *);
	char *(*resulterrormessage)(const PGresult *);
	int (*ntuples)(const PGresult *);
	char *(*getvalue)(const PGresult *, int, int);
	void (*clear)(PGresult *);
} pq;

static int pq_load(const char *who)
{
	static const char *const names[] = {
		"PQconnectdb", "PQstatus", "PQerrorMessage", "PQfinish", "PQexec", "PQexecParams",
		"PQresultStatus", "PQresultErrorMessage", "PQntuples", "PQgetvalue", "PQclear",
	};
	void **slot = (void **)&pq;
	void *h;

	if (pq.connectdb)
		return 0;
	h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "pinch %s: cannot load PostgreSQL's client library: %s\n"
			"  (Debian: apt-get install libpq5)\n", who, dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		slot[i] = dlsym(h, names[i]);
		if (!slot[i]) {
			fprintf(stderr, "pinch %s: libpq.so.5 has no %s\n", who, names[i]);
			memset(&pq, 0, sizeof(pq));
			return -1;
		}
	}
	return 0;
}

#define PQconnectdb pq.connectdb
#define PQstatus pq.status
#define PQerrorMessage pq.errormessage
#define PQfinish pq.finish
#define PQexec pq.exec
#define PQexecParams pq.execparams
#define PQresultStatus pq.resultstatus
#define PQresultErrorMessage pq.resulterrormessage
#define PQntuples pq.ntuples
#define PQgetvalue pq.getvalue
#define PQclear pq.clear

static const char *const explain_usage[] = {
	"usage: pinch db explain [--commit] [--json] DSN 'SQL'",
	"   or: pinch db explain --plan FILE [--json]",
	"",
	"Runs EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) on PostgreSQL (DSN: a libpq",
	"connection string or URI) inside a transaction that is rolled back unless",
	"--commit, or EXPLAIN QUERY PLAN on SQLite (DSN: sqlite:PATH), and prints",
	"the plan tree with each node's time, rows, loops, buffers and share, then",
	"findings in plain words, costliest first. --plan reads a saved JSON plan.",
	"SQL '-' reads the statement from stdin.",
	NULL
};

static const char *const top_usage[] = {
	"usage: pinch db top [--limit N] [--json] DSN",
	"",
	"The statements with the most total time (pg_stat_statements) and the",
	"tables read by sequential scans more often than by index (pg_stat_user_tables).",
	NULL
};

static void ms(struct strbuf *sb, double v)
{
	strbuf_add_duration(sb, v * 1e6);
}

/* A condition in the tree: the first 300 bytes of a long one (an IN-list
 * of 100,000 values). For printf("%.*s%s"). */
#define CLIP(s) (strlen(s) > 300 ? 300 : (int)strlen(s)), (s), (strlen(s) > 300 ? "..." : "")

static void print_plan(const struct pgplan *p)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	size_t i;

	ms(&a, p->execution_ms);
	ms(&b, p->planning_ms);
	printf("execution %s, planning %s\n\n", a.buf, b.buf);
	printf("%7s %10s %10s %10s %8s %14s  %s\n", "share", "time", "rows", "estimate", "loops",
	       "hit/read", "node");
	for (i = 0; i < p->n_nodes; i++) {
		const struct pgplan_node *n = &p->nodes[i];
		char share[16], bufs[40];

		strbuf_reset(&a);
		ms(&a, n->time_ms);
		if (p->execution_ms > 0)
			snprintf(share, sizeof(share), "%.1f%%", 100.0 * n->self_ms / p->execution_ms);
		else
			snprintf(share, sizeof(share), "-");
		snprintf(bufs, sizeof(bufs), "%llu/%llu", (unsigned long long)n->hit,
			 (unsigned long long)n->read);
		printf("%7s %10s %10.0f %10.0f %8.0f %14s  %*s%s", share, n->analyzed ? a.buf : "-",
		       n->rows, n->plan_rows * (n->loops > 0 ? n->loops : 1), n->loops, bufs,
		       2 * n->depth, "", n->type);
		if (n->relation)
			printf(" on %s", n->relation);
		if (n->alias && n->relation && strcmp(n->alias, n->relation))
			printf(" %s", n->alias);
		if (n->index)
			printf(" using %s", n->index);
		if (n->cond)
			printf("  [%.*s%s]", CLIP(n->cond));
		if (n->filter)
			printf("  filter %.*s%s", CLIP(n->filter));
		if (n->removed > 0)
			printf(", removed %.0f", n->removed);
		if (n->sort_method)
			printf("  (%s%s%s)", n->sort_method, n->sort_space ? ", " : "",
			       n->sort_space ? n->sort_space : "");
		if (n->analyzed && n->loops == 0)
			printf("  (never executed)");
		printf("\n");
	}
	for (i = 0; i < p->n_triggers; i++) {
		strbuf_reset(&a);
		ms(&a, p->triggers[i].time_ms);
		printf("%7s %10s %10s %10s %8.0f %14s  Trigger %s on %s\n", "", a.buf, "", "",
		       p->triggers[i].calls, "", p->triggers[i].name ? p->triggers[i].name : "?",
		       p->triggers[i].relation ? p->triggers[i].relation : "?");
	}
	printf("\nfindings:%s\n", p->n_findings ? "" : " none (no scan filtered most rows away, "
	       "no estimate off by more than 10x, nothing spilled to disk)");
	for (i = 0; i < p->n_findings; i++) {
		strbuf_reset(&a);
		ms(&a, p->findings[i].time_ms);
		printf("  %zu. [%s] %s\n", i + 1, a.buf, p->findings[i].text);
		if (p->findings[i].sql)
			printf("     %s\n", p->findings[i].sql);
	}
	strbuf_release(&a);
	strbuf_release(&b);
}

static void print_plan_json(const struct pgplan *p)
{
	static const char *const kinds[] = { "", "seq_scan_filter", "misestimate", "spill",
					     "nested_loops", "trigger" };
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	size_t i;

	json_init(&w, &out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "db");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "mode", "explain");
	json_kdouble(&w, "execution_ms", p->execution_ms);
	json_kdouble(&w, "planning_ms", p->planning_ms);
	json_key(&w, "nodes");
	json_arr_begin(&w);
	for (i = 0; i < p->n_nodes; i++) {
		const struct pgplan_node *n = &p->nodes[i];

		json_obj_begin(&w);
		json_kstr(&w, "type", n->type);
		if (n->relation)
			json_kstr(&w, "relation", n->relation);
		if (n->index)
			json_kstr(&w, "index", n->index);
		if (n->filter)
			json_kstr(&w, "filter", n->filter);
		json_kint(&w, "depth", n->depth);
		json_kdouble(&w, "time_ms", n->time_ms);
		json_kdouble(&w, "self_ms", n->self_ms);
		json_kdouble(&w, "rows", n->rows);
		json_kdouble(&w, "plan_rows", n->plan_rows);
		json_kdouble(&w, "loops", n->loops);
		json_kdouble(&w, "removed", n->removed);
		json_kuint(&w, "shared_hit", n->hit);
		json_kuint(&w, "shared_read", n->read);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_key(&w, "findings");
	json_arr_begin(&w);
	for (i = 0; i < p->n_findings; i++) {
		const struct pgplan_finding *f = &p->findings[i];

		json_obj_begin(&w);
		json_kstr(&w, "kind", kinds[f->kind]);
		json_kdouble(&w, "time_ms", f->time_ms);
		if (f->node != SIZE_MAX) {
			json_kuint(&w, "node", f->node);
			if (p->nodes[f->node].relation)
				json_kstr(&w, "relation", p->nodes[f->node].relation);
		}
		json_kstr(&w, "text", f->text);
		if (f->sql)
			json_kstr(&w, "sql", f->sql);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	fwrite(out.buf, 1, out.len, stdout);
	fputc('\n', stdout);
	strbuf_release(&out);
}

/* For a foreign key check trigger on rel: the referencing columns that
 * have no index, as CREATE INDEX statements, into the finding. */
static void fk_suggestions(PGconn *c, struct pgplan *p)
{
	for (size_t i = 0; i < p->n_findings; i++) {
		struct pgplan_finding *f = &p->findings[i];
		const struct pgplan_trigger *t = NULL;
		const char *params[1];
		PGresult *r;

		if (f->kind != PGF_TRIGGER)
			continue;
		for (size_t k = 0; k < p->n_triggers; k++)
			if (p->triggers[k].name && strstr(f->text, p->triggers[k].name))
				t = &p->triggers[k];
		if (!t || !t->relation || !t->name || strncmp(t->name, "RI_ConstraintTrigger_a_", 23))
			continue;
		params[0] = t->relation;
		r = PQexecParams(c,
			"SELECT format('CREATE INDEX ON %s (%s);', c.conrelid::regclass, a.attname) "
			"FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
			"AND a.attnum = c.conkey[1] WHERE c.contype = 'f' "
			"AND c.confrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_index i "
			"WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]) LIMIT 1",
			1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !f->sql)
			f->sql = strdup(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
}

/* The statement in a report's first line: the start of a long one. */
static void print_head(const char *what, const char *sql, const char *end)
{
	size_t len = strlen(sql);

	if (len > 500)
		printf("%s%.400s... (%zu bytes)%s", what, sql, len, end);
	else
		printf("%s%s%s", what, sql, end);
}

static int explain_pg(const char *dsn, const char *sql, int commit, int json)
{
	struct strbuf q = STRBUF_INIT, plan = STRBUF_INIT;
	struct pgplan p;
	PGconn *c;
	PGresult *r;
	char err[512];
	int rc = EXIT_FAIL;

	if (pq_load("db explain"))
		return EXIT_FAIL;
	c = PQconnectdb(dsn);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pinch db explain: cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return EXIT_FAIL;
	}
	r = PQexec(c, "BEGIN");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "pinch db explain: the server said: %s", PQresultErrorMessage(r));
		goto out;
	}
	PQclear(r);
	strbuf_addf(&q, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) %s", sql);
	/* the extended protocol takes one statement: a "; COMMIT; DELETE ..."
	 * after it can neither escape the rollback nor run unexplained */
	r = PQexecParams(c, q.buf, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *m = PQresultErrorMessage(r);

		fprintf(stderr, "pinch db explain: the server said: %s", m);
		if (strstr(m, "multiple commands"))
			fprintf(stderr, "hint: pinch db explain takes one SQL statement\n");
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++)
		strbuf_addf(&plan, "%s\n", PQgetvalue(r, i, 0));
	if (pgplan_parse(&p, plan.buf, plan.len, err, sizeof(err))) {
		fprintf(stderr, "pinch db explain: cannot read the plan: %s\n", err);
		goto out;
	}
	fk_suggestions(c, &p);
	if (json) {
		print_plan_json(&p);
	} else {
		print_head("pinch db explain: ", sql, "\n");
		printf("(run inside a transaction that was %s)\n", commit ? "committed" : "rolled back");
		print_plan(&p);
	}
	pgplan_release(&p);
	rc = EXIT_OK;
out:
	PQclear(r);
	PQclear(PQexec(c, rc == EXIT_OK && commit ? "COMMIT" : "ROLLBACK"));
	PQfinish(c);
	strbuf_release(&q);
	strbuf_release(&plan);
	return rc;
}

static int explain_sqlite(const char *path, const char *sql, int json)
{
	struct strbuf q = STRBUF_INIT, out = STRBUF_INIT;
	struct json_writer w;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = EXIT_FAIL, n = 0, scans = 0, sorts = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "pinch db explain: cannot open '%s': %s\n", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	strbuf_addf(&q, "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(db, q.buf, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "pinch db explain: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	json_init(&w, &out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "db");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "mode", "explain");
	json_kstr(&w, "engine", "sqlite");
	json_key(&w, "nodes");
	json_arr_begin(&w);
	if (!json)
		print_head("pinch db explain (SQLite query plan): ", sql, "\n\n");
	{
		/* rows come parent first: depth from the parent ids seen */
		int ids[256], depths[256], nids = 0, s;

		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			int id = sqlite3_column_int(st, 0), parent = sqlite3_column_int(st, 1), d = 0;
			const char *detail = (const char *)sqlite3_column_text(st, 3);

			detail = detail ? detail : "";
			for (int k = 0; k < nids; k++)
				if (ids[k] == parent)
					d = depths[k] + 1;
			if (nids < 256) {
				ids[nids] = id;
				depths[nids++] = d;
			}
			if (!strncmp(detail, "SCAN ", 5) && !strstr(detail, " INDEX "))
				scans++;
			if (strstr(detail, "TEMP B-TREE"))
				sorts++;
			if (json) {
				json_obj_begin(&w);
				json_kint(&w, "depth", d);
				json_kstr(&w, "detail", detail);
				json_obj_end(&w);
			} else {
				printf("  %*s%s\n", 2 * d, "", detail);
			}
			n++;
		}
		if (s != SQLITE_DONE) {
			fprintf(stderr, "pinch db explain: %s\n", sqlite3_errmsg(db));
			goto out;
		}
	}
	json_arr_end(&w);
	json_kint(&w, "full_scans", scans);
	json_kint(&w, "temp_btrees", sorts);
	json_obj_end(&w);
	if (json) {
		fwrite(out.buf, 1, out.len, stdout);
		fputc('\n', stdout);
	} else {
		printf("\nfindings:%s\n", scans || sorts ? "" : " none");
		if (scans)
			printf("  - %d full table scan%s (SCAN without an index): if the query filters the table, an index on the filtered columns would serve it\n",
			       scans, scans == 1 ? "" : "s");
		if (sorts)
			printf("  - %d temporary B-tree%s (a sort or DISTINCT no index provides)\n", sorts,
			       sorts == 1 ? "" : "s");
		printf("(SQLite's EXPLAIN QUERY PLAN does not run the statement: no times or row counts)\n");
	}
	rc = EXIT_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	strbuf_release(&q);
	strbuf_release(&out);
	return rc;
}

static int explain_file(const char *path, int json)
{
	struct strbuf buf = STRBUF_INIT;
	struct pgplan p;
	char err[512], chunk[65536];
	FILE *f = fopen(path, "r");
	size_t n;
	int rc = EXIT_FAIL;

	if (!f) {
		fprintf(stderr, "pinch db explain: cannot read '%s': %s\n", path, strerror(errno));
		return EXIT_FAIL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&buf, chunk, n);
	fclose(f);
	if (pgplan_parse(&p, buf.buf ? buf.buf : "", buf.len, err, sizeof(err))) {
		fprintf(stderr, "pinch db explain: %s: %s\n", path, err);
	} else {
		if (json) {
			print_plan_json(&p);
		} else {
			printf("pinch db explain: plan from %s%s\n", path,
			       p.analyzed ? "" : " (no ANALYZE figures: EXPLAIN without ANALYZE)");
			print_plan(&p);
		}
		pgplan_release(&p);
		rc = EXIT_OK;
	}
	strbuf_release(&buf);
	return rc;
}

int cmd_db_explain(int argc, char **argv)
{
	const char *plan = NULL;
	int commit = 0, json = 0, n, rc;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "plan", &plan, "FILE", "analyze a saved EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output", NULL, 0 },
		{ OPT_FLAG, 0, "commit", &commit, NULL, "commit the statement's changes (default: roll back)", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "print the plan and findings as JSON", NULL, 0 },
		OPT_END_(),
	};

	n = opt_parse(argc, argv, opts, explain_usage, 0, NULL);
	if ((rc = cmd_opt_exit(n)) >= 0)
		return rc;
	if (plan) {
		if (n) {
			fprintf(stderr, "pinch db explain: --plan takes no DSN or SQL\n");
			return EXIT_USAGE;
		}
		return explain_file(plan, json);
	}
	if (n != 2) {
		fprintf(stderr, "pinch db explain: a DSN and one SQL statement are needed\n");
		fprintf(stderr, "hint: pinch db explain 'host=/run/postgresql dbname=app' 'SELECT ...'\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-")) {	/* a statement too long for the command line */
		struct strbuf sql = STRBUF_INIT;

		if (strbuf_read_file(&sql, "/dev/stdin", 1u << 30) < 0) {
			fprintf(stderr, "pinch db explain: cannot read the SQL from stdin: %s\n",
				strerror(errno));
			strbuf_release(&sql);
			return EXIT_FAIL;
		}
		strbuf_addch(&sql, 0);	/* buf is NUL-terminated even when empty */
		rc = !strncmp(argv[0], "sqlite:", 7) ? explain_sqlite(argv[0] + 7, sql.buf, json)
						     : explain_pg(argv[0], sql.buf, commit, json);
		strbuf_release(&sql);
		return rc;
	}
	if (!strncmp(argv[0], "sqlite:", 7))
		return explain_sqlite(argv[0] + 7, argv[1], json);
	return explain_pg(argv[0], argv[1], commit, json);
}

int cmd_db_top(int argc, char **argv)
{
	long limit = 10;
	int json = 0, n, rc, have;
	const struct opt opts[] = {
		{ OPT_INT, 0, "limit", &limit, "N", "statements and tables shown (default 10)", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "print as JSON", NULL, 0 },
		OPT_END_(),
	};
	struct strbuf out = STRBUF_INIT, q = STRBUF_INIT;
	struct json_writer w;
	PGconn *c;
	PGresult *r;

	n = opt_parse(argc, argv, opts, top_usage, 0, NULL);
	if ((rc = cmd_opt_exit(n)) >= 0)
		return rc;
	if (n != 1 || limit < 1) {
		fprintf(stderr, "pinch db top: %s\n", n != 1 ? "one DSN is needed" : "--limit must be 1 or more");
		return EXIT_USAGE;
	}
	if (pq_load("db top"))
		return EXIT_FAIL;
	c = PQconnectdb(argv[0]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pinch db top: cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return EXIT_FAIL;
	}
	r = PQexec(c, "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
	have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	json_init(&w, &out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "db");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "mode", "top");
	json_kbool(&w, "pg_stat_statements", have);
	json_key(&w, "statements");
	json_arr_begin(&w);
	rc = EXIT_OK;
	if (!have) {
		r = PQexec(c, "SHOW shared_preload_libraries");
		fprintf(stderr, "pinch db top: the pg_stat_statements extension is not installed in this database.\n"
			"To enable it (the postgresql-contrib package provides it):\n"
			"  1. in postgresql.conf: shared_preload_libraries = 'pg_stat_statements'%s\n"
			"  2. restart the server\n"
			"  3. in this database: CREATE EXTENSION pg_stat_statements;\n",
			PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
					strstr(PQgetvalue(r, 0, 0), "pg_stat_statements")
				? " (already set: skip 1 and 2)" : "");
		PQclear(r);
		rc = EXIT_FAIL;
	} else {
		strbuf_addf(&q, "SELECT query, calls, total_exec_time, mean_exec_time, rows, "
			    "shared_blks_hit, shared_blks_read FROM pg_stat_statements "
			    "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
			    "ORDER BY total_exec_time DESC LIMIT %ld", limit);
		r = PQexec(c, q.buf);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "pinch db top: the server said: %s", PQresultErrorMessage(r));
			rc = EXIT_FAIL;
		} else {
			if (!json)
				printf("top statements by total time (pg_stat_statements):\n%10s %12s %12s %10s %12s %10s  %s\n",
				       "calls", "total", "mean", "rows", "shared hit", "read", "statement");
			for (int i = 0; i < PQntuples(r); i++) {
				struct strbuf t = STRBUF_INIT, m = STRBUF_INIT;
				const char *text = PQgetvalue(r, i, 0);

				json_obj_begin(&w);
				json_kstr(&w, "statement", text);
				json_kuint(&w, "calls", strtoull(PQgetvalue(r, i, 1), NULL, 10));
				json_kdouble(&w, "total_ms", strtod(PQgetvalue(r, i, 2), NULL));
				json_kdouble(&w, "mean_ms", strtod(PQgetvalue(r, i, 3), NULL));
				json_kuint(&w, "rows", strtoull(PQgetvalue(r, i, 4), NULL, 10));
				json_kuint(&w, "shared_blks_hit", strtoull(PQgetvalue(r, i, 5), NULL, 10));
				json_kuint(&w, "shared_blks_read", strtoull(PQgetvalue(r, i, 6), NULL, 10));
				json_obj_end(&w);
				ms(&t, strtod(PQgetvalue(r, i, 2), NULL));
				ms(&m, strtod(PQgetvalue(r, i, 3), NULL));
				if (!json) {
					printf("%10s %12s %12s %10s %12s %10s  ", PQgetvalue(r, i, 1), t.buf,
					       m.buf, PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
					       PQgetvalue(r, i, 6));
					/* one line: fold the statement's whitespace */
					for (const char *s = text; *s && s - text < 200; s++)
						putchar(*s == '\n' || *s == '\t' || *s == '\r' ? ' ' : *s);
					putchar('\n');
				}
				strbuf_release(&t);
				strbuf_release(&m);
			}
		}
		PQclear(r);
	}
	json_arr_end(&w);
	json_key(&w, "tables");
	json_arr_begin(&w);
	strbuf_reset(&q);
	strbuf_addf(&q, "SELECT schemaname || '.' || relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), "
		    "n_live_tup FROM pg_stat_user_tables WHERE seq_scan > coalesce(idx_scan, 0) "
		    "ORDER BY seq_tup_read DESC LIMIT %ld", limit);
	r = PQexec(c, q.buf);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (!json)
			printf("\ntables scanned sequentially more often than by index (missing-index candidates):\n"
			       "%10s %14s %10s %12s  %s\n", "seq scans", "rows read", "idx scans", "live rows", "table");
		for (int i = 0; i < PQntuples(r); i++) {
			json_obj_begin(&w);
			json_kstr(&w, "table", PQgetvalue(r, i, 0));
			json_kuint(&w, "seq_scan", strtoull(PQgetvalue(r, i, 1), NULL, 10));
			json_kuint(&w, "seq_tup_read", strtoull(PQgetvalue(r, i, 2), NULL, 10));
			json_kuint(&w, "idx_scan", strtoull(PQgetvalue(r, i, 3), NULL, 10));
			json_kuint(&w, "n_live_tup", strtoull(PQgetvalue(r, i, 4), NULL, 10));
			json_obj_end(&w);
			if (!json)
				printf("%10s %14s %10s %12s  %s\n", PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
				       PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 0));
		}
		if (!json && !PQntuples(r))
			printf("  none\n");
	} else {
		fprintf(stderr, "pinch db top: the server said: %s", PQresultErrorMessage(r));
		rc = EXIT_FAIL;
	}
	PQclear(r);
	json_arr_end(&w);
	json_obj_end(&w);
	if (json) {
		fwrite(out.buf, 1, out.len, stdout);
		fputc('\n', stdout);
	}
	PQfinish(c);
	strbuf_release(&out);
	strbuf_release(&q);
	return rc;
}
