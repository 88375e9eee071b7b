/*
 * db-client.c - exactly known statement counts for pinch db trace.
 *
 *   db-client sqlite         in-memory SQLite: CREATE (exec), 100 INSERTs
 *                            through one prepared statement (bind/step/
 *                            reset), 3 SELECTs (10 rows each, one stopped
 *                            early by reset after 5 rows) and 1 failing
 *                            prepare-less exec
 *   db-client pg CONNINFO    PostgreSQL: 50 x PQexec "SELECT n" with
 *                            literals 0..49, 20 x PQexecParams, 1 PQprepare (SELECT $1::bigint * 2) +
 *                            30 x PQexecPrepared, 10 x PQsendQuery +
 *                            PQgetResult, 1 failing statement, and one
 *                            slow_query(): SELECT pg_sleep(0.3)
 *                            then 5 queries in pipeline mode (PQsendQueryParams,
 *                            one PQpipelineSync), a 2 MiB statement and a
 *                            binary-format parameter
 *   db-client pg-async CONNINFO  PQsendPrepare + 4 x PQsendQueryPrepared,
 *                            one PQsendQuery of two statements (2 results),
 *                            one failing PQsendQuery, a pipeline of 3 whose
 *                            second fails (the third is aborted), then 3
 *                            threads x 100 PQexec "SELECT n AS n"
 *   db-client sqlite-threads 4 threads, each its own connection, 1000
 *                            INSERTs each (prepared once per thread)
 *   db-client bench-sqlite N N x "SELECT ?+1" on a prepared statement
 *   db-client bench-pg CONNINFO N   N x PQexec("SELECT 1")
 *   db-client bench-pg-null N       N x PQexec(NULL, "SELECT 1"): the
 *                            agent's own cost per libpq call, no round trip
 */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's CPU time: what the tracing adds is spent here, and it
 * is not inflated by waiting for a CPU on a loaded machine. */
static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_sqlite(void)
{
	sqlite3 *db;
	sqlite3_stmt *ins, *sel;
	char *err = NULL;
	int i, rows = 0;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return 1;
	sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (?)", -1, &ins, NULL);
	for (i = 0; i < 100; i++) {
		sqlite3_bind_int(ins, 1, i);
		if (sqlite3_step(ins) != SQLITE_DONE)
			return 1;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_prepare_v2(db, "SELECT id FROM t WHERE v < 10", -1, &sel, NULL);
	for (i = 0; i < 2; i++) {
		while (sqlite3_step(sel) == SQLITE_ROW)
			rows++;
		sqlite3_reset(sel);
	}
	for (i = 0; i < 5; i++)
		if (sqlite3_step(sel) == SQLITE_ROW)
			rows++;
	sqlite3_finalize(sel);	/* the third execution ends here, 5 rows in */
	if (sqlite3_exec(db, "SELECT nosuchcolumn FROM t", NULL, NULL, &err) == SQLITE_OK)
		return 1;
	sqlite3_free(err);
	sqlite3_close(db);
	printf("sqlite rows %d\n", rows);
	return rows == 25 ? 0 : 1;
}

static void *insert_thread(void *arg)
{
	sqlite3 *db = arg;
	sqlite3_stmt *st;
	long i, ok = 1;

	sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (?)", -1, &st, NULL);
	for (i = 0; i < 1000; i++) {
		sqlite3_bind_int(st, 1, (int)i);
		ok &= sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return (void *)ok;
}

static int run_sqlite_threads(void)
{
	pthread_t th[4];
	sqlite3 *db[4];
	int i, ok = 1;

	for (i = 0; i < 4; i++) {
		if (sqlite3_open(":memory:", &db[i]) != SQLITE_OK)
			return 1;
		sqlite3_exec(db[i], "CREATE TABLE t (v INTEGER)", NULL, NULL, NULL);
	}
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, insert_thread, db[i]);
	for (i = 0; i < 4; i++) {
		void *r;

		pthread_join(th[i], &r);
		ok &= r != NULL;
		sqlite3_close(db[i]);
	}
	printf("threads ok %d\n", ok);
	return ok ? 0 : 1;
}

static int check(PGresult *r, ExecStatusType want)
{
	int ok = r && PQresultStatus(r) == want;

	PQclear(r);
	return ok;
}

static int __attribute__((noinline)) slow_query(PGconn *c)
{
	return check(PQexec(c, "SELECT pg_sleep(0.3)"), PGRES_TUPLES_OK);
}

static int run_pg(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	char q[64];
	int i, ok = 1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "db-client: %s", PQerrorMessage(c));
		return 1;
	}
	for (i = 0; i < 50; i++) {
		snprintf(q, sizeof(q), "SELECT %d", i);
		ok &= check(PQexec(c, q), PGRES_TUPLES_OK);
	}
	for (i = 0; i < 20; i++) {
		const char *v[1] = { q };

		snprintf(q, sizeof(q), "%d", i);
		ok &= check(PQexecParams(c, "SELECT $1::int + 1", 1, NULL, v, NULL, NULL, 0),
			    PGRES_TUPLES_OK);
	}
	ok &= check(PQprepare(c, "plus2", "SELECT $1::bigint * 2", 1, NULL), PGRES_COMMAND_OK);
	for (i = 0; i < 30; i++) {
		const char *v[1] = { q };

		snprintf(q, sizeof(q), "%d", i);
		ok &= check(PQexecPrepared(c, "plus2", 1, v, NULL, NULL, 0), PGRES_TUPLES_OK);
	}
	for (i = 0; i < 10; i++) {
		PGresult *r;

		snprintf(q, sizeof(q), "SELECT generate_series(1, %d)", 3);
		ok &= PQsendQuery(c, q);
		while ((r = PQgetResult(c)))
			PQclear(r);
	}
	ok &= check(PQexec(c, "SELECT * FROM no_such_table"), PGRES_FATAL_ERROR);
	ok &= slow_query(c);
	/* pipeline mode: 5 queries, one sync */
	ok &= PQenterPipelineMode(c);
	for (i = 0; i < 5; i++) {
		const char *v[1] = { q };

		snprintf(q, sizeof(q), "%d", i);
		ok &= PQsendQueryParams(c, "SELECT $1::int * 10", 1, NULL, v, NULL, NULL, 0);
	}
	ok &= PQpipelineSync(c);
	for (i = 0; i < 5; i++) {
		PGresult *r = PQgetResult(c);

		ok &= r && PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		ok &= PQgetResult(c) == NULL;
	}
	{
		PGresult *r = PQgetResult(c);

		ok &= r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
	}
	ok &= PQexitPipelineMode(c);
	{
		/* a 2 MiB statement */
		size_t big = 2u << 20;
		char *sql = malloc(big + 32);

		strcpy(sql, "SELECT length('");
		memset(sql + 15, 'x', big);
		strcpy(sql + 15 + big, "')");
		ok &= check(PQexec(c, sql), PGRES_TUPLES_OK);
		free(sql);
	}
	{
		/* a binary parameter: int4 in network order */
		uint32_t be = htonl(41);
		const char *v[1] = { (const char *)&be };
		int len[1] = { 4 }, fmt[1] = { 1 };
		Oid type[1] = { 23 };

		ok &= check(PQexecParams(c, "SELECT $1 + 1", 1, type, v, len, fmt, 0), PGRES_TUPLES_OK);
	}
	PQfinish(c);
	printf("pg ok %d\n", ok);
	return ok ? 0 : 1;
}

static int drain(PGconn *c, int *rows)
{
	PGresult *r;
	int n = 0;

	while ((r = PQgetResult(c))) {
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			*rows += PQntuples(r);
		PQclear(r);
		n++;
	}
	return n;
}

static void *pg_thread(void *arg)
{
	PGconn *c = PQconnectdb(arg);
	char q[64];
	int i, ok = PQstatus(c) == CONNECTION_OK;

	for (i = 0; ok && i < 100; i++) {
		snprintf(q, sizeof(q), "SELECT %d AS n", i);
		ok &= check(PQexec(c, q), PGRES_TUPLES_OK);
	}
	PQfinish(c);
	return ok ? arg : NULL;
}

static int run_pg_async(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	pthread_t th[3];
	int i, ok = 1, rows = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "db-client: %s", PQerrorMessage(c));
		return 1;
	}
	/* an asynchronous prepare (no statement of its own) and 4 executions */
	ok &= PQsendPrepare(c, "cat", "SELECT $1::text || 'x'", 1, NULL);
	ok &= drain(c, &rows) == 1;
	for (i = 0; i < 4; i++) {
		const char *v[1] = { "a" };

		ok &= PQsendQueryPrepared(c, "cat", 1, v, NULL, NULL, 0);
		ok &= drain(c, &rows) == 1;
	}
	/* two statements in one text: one execution, two results */
	ok &= PQsendQuery(c, "SELECT 1; SELECT 2, 3");
	ok &= drain(c, &rows) == 2;
	ok &= PQsendQuery(c, "SELECT * FROM no_such_table");
	ok &= drain(c, &rows) == 1;
	/* a pipeline whose second query fails: the third is aborted */
	ok &= PQenterPipelineMode(c);
	for (i = 0; i < 3; i++) {
		const char *v[1] = { i == 1 ? "0" : "1" };

		ok &= PQsendQueryParams(c, "SELECT 10 / $1::int", 1, NULL, v, NULL, NULL, 0);
	}
	ok &= PQpipelineSync(c);
	for (i = 0; i < 3; i++)
		ok &= drain(c, &rows) == 1;
	{
		PGresult *r = PQgetResult(c);

		ok &= r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
	}
	ok &= PQexitPipelineMode(c);
	PQfinish(c);
	/* 3 threads, a connection each, 100 statements each */
	for (i = 0; i < 3; i++)
		ok &= pthread_create(&th[i], NULL, pg_thread, (void *)conninfo) == 0;
	for (i = 0; i < 3; i++) {
		void *r;

		pthread_join(th[i], &r);
		ok &= r != NULL;
	}
	printf("pg-async ok %d rows %d\n", ok, rows);
	return ok ? 0 : 1;
}

static int bench_sqlite(long n)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0, c0;
	long i, sum = 0;

	sqlite3_open(":memory:", &db);
	sqlite3_prepare_v2(db, "SELECT ?+1", -1, &st, NULL);
	t0 = now();
	c0 = cpu();
	for (i = 0; i < n; i++) {
		sqlite3_bind_int(st, 1, (int)i);
		if (sqlite3_step(st) == SQLITE_ROW)
			sum += sqlite3_column_int(st, 0);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	printf("ns/statement %.1f cpu %.1f (sum %ld)\n", (now() - t0) * 1e9 / (double)n,
	       (cpu() - c0) * 1e9 / (double)n, sum);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

static int bench_pg(const char *conninfo, long n)
{
	PGconn *c = PQconnectdb(conninfo);
	double t0, c0;
	long i;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "db-client: %s", PQerrorMessage(c));
		return 1;
	}
	t0 = now();
	c0 = cpu();
	for (i = 0; i < n; i++)
		PQclear(PQexec(c, "SELECT 1"));
	printf("ns/statement %.1f cpu %.1f\n", (now() - t0) * 1e9 / (double)n,
	       (cpu() - c0) * 1e9 / (double)n);
	PQfinish(c);
	return 0;
}

/* What the agent adds around a libpq call, without the round trip and
 * its noise: PQexec on no connection returns NULL at once (traced, each
 * call is booked as a failed statement: normalized and interned, timed,
 * counted). */
static int bench_pg_null(long n)
{
	double t0, c0;
	long i, nulls = 0;

	t0 = now();
	c0 = cpu();
	for (i = 0; i < n; i++)
		nulls += PQexec(NULL, "SELECT 1") == NULL;
	printf("ns/statement %.1f cpu %.1f (%ld NULL results)\n", (now() - t0) * 1e9 / (double)n,
	       (cpu() - c0) * 1e9 / (double)n, nulls);
	return nulls == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "sqlite"))
		return run_sqlite();
	if (argc >= 2 && !strcmp(argv[1], "sqlite-threads"))
		return run_sqlite_threads();
	if (argc >= 3 && !strcmp(argv[1], "pg"))
		return run_pg(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "pg-async"))
		return run_pg_async(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "bench-sqlite"))
		return bench_sqlite(atol(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "bench-pg"))
		return bench_pg(argv[2], atol(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "bench-pg-null"))
		return bench_pg_null(atol(argv[2]));
	fprintf(stderr, "usage: db-client sqlite | sqlite-threads | pg CONNINFO | pg-async CONNINFO | bench-sqlite N | bench-pg CONNINFO N | bench-pg-null N\n");
	return 2;
}
