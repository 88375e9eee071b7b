/*
 * sql-slow.c - a program whose time goes to one SQL statement, for pinch
 * doctor: an in-memory SQLite table of 100,000 orders without an index on
 * customer, then lookup_orders() runs "SELECT count(*), sum(total) FROM
 * orders WHERE customer = ?" LOOKUPS times (default 60), each a full
 * scan, and format_report() spends about a tenth of that on the CPU
 * outside SQLite. It prints the share of its wall time spent inside
 * sqlite3_step of the lookups, and in all its SQL (the table's fill
 * too), by its own clock: the truths doctor's figures are checked against.
 *
 * usage: sql-slow [LOOKUPS]
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "work.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, sqlite3 *db, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "sql-slow: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

static void fill(sqlite3 *db)
{
	sqlite3_stmt *ins;

	check(sqlite3_exec(db, "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, total REAL)",
			   NULL, NULL, NULL), db, "create");
	check(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db, "begin");
	check(sqlite3_prepare_v2(db, "INSERT INTO orders(customer, total) VALUES (?, ?)", -1, &ins, NULL), db,
	      "prepare insert");
	for (int i = 0; i < 100000; i++) {
		sqlite3_bind_int(ins, 1, (i * 7919) % 5000);
		sqlite3_bind_double(ins, 2, (double)(i % 997) / 10);
		check(sqlite3_step(ins), db, "insert");
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
}

static double in_sql;

__attribute__((noinline)) static double lookup_orders(sqlite3 *db, sqlite3_stmt *q, int customer)
{
	double sum = 0, t0;
	int rc;

	sqlite3_bind_int(q, 1, customer);
	t0 = now();
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		sum += sqlite3_column_double(q, 1);
	in_sql += now() - t0;
	check(rc, db, "lookup");
	sqlite3_reset(q);
	return sum;
}

__attribute__((noinline)) static uint64_t format_report(double sum, double budget)
{
	uint64_t v = (uint64_t)sum;
	double t0 = now();

	while (now() - t0 < budget)
		SPIN(v, 20000);
	return v;
}

int main(int argc, char **argv)
{
	int lookups = argc > 1 ? atoi(argv[1]) : 60;
	sqlite3 *db;
	sqlite3_stmt *q;
	double t0 = now(), sum = 0, before, in_fill;
	uint64_t sink = 0;

	check(sqlite3_open(":memory:", &db), db, "open");
	before = now();
	fill(db);
	in_fill = now() - before;
	check(sqlite3_prepare_v2(db, "SELECT count(*), sum(total) FROM orders WHERE customer = ?", -1, &q, NULL),
	      db, "prepare lookup");
	for (int i = 0; i < lookups; i++) {
		before = in_sql;
		sum += lookup_orders(db, q, i * 37 % 5000);
		sink += format_report(sum, (in_sql - before) / 10);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	before = now() - t0;
	printf("lookups %d lookup_share %.4f sql_share %.4f (%llu)\n", lookups, in_sql / before,
	       (in_sql + in_fill) / before, (unsigned long long)(sink & 1));
	return 0;
}
