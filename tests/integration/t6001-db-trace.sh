#!/bin/bash
# pinch db trace on a C client (libpq and libsqlite3) and a Python one
# (psycopg2 and the sqlite3 module) with exactly known statement counts,
# against a PostgreSQL 15 started here; the planted pg_sleep is in the
# slow log with the stack that issued it.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/db-lib.sh"
db_need jq /usr/bin/python3.11
db_start

st() {	# st FILE 'STATEMENT' FIELD: a statement's figure from the JSON report
	jq -r --arg s "$2" --arg a "${4:-}" \
		".statements[] | select(.statement == \$s and (\$a == \"\" or .api == \$a)) | .$3" "$1"
}

# C, SQLite in memory
ok "sqlite: trace runs" sh -c '"$PINCH" db trace --json -o sq.json -- "$W/db-client" sqlite >sq.out 2>sq.err'
is "$(jq -r .kind sq.json)/$(jq -r .schema sq.json)" "db/1" "kind db, schema 1"
is "$(stat -c %a sq.json)" 600 "-o: the statements file is mode 0600"
is "$(st sq.json 'INSERT INTO t (v) VALUES (?)' calls)" 100 "sqlite: 100 INSERTs"
is "$(st sq.json 'INSERT INTO t (v) VALUES (?)' rows)" 100 "sqlite: 100 rows changed"
is "$(st sq.json 'SELECT id FROM t WHERE v < ?' calls)" 3 "sqlite: 3 SELECTs (one ended by finalize)"
is "$(st sq.json 'SELECT id FROM t WHERE v < ?' rows)" 25 "sqlite: 10 + 10 + 5 rows"
is "$(st sq.json 'CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)' calls)" 1 "sqlite: exec counted once (not its inner prepare/step)"
is "$(st sq.json 'SELECT nosuchcolumn FROM t' errors)" 1 "sqlite: the failing exec is an error"
is "$(jq '.statements | length' sq.json)" 4 "sqlite: 4 distinct statements, nothing else"
ok "sqlite: the program's output unchanged (rows 25)" grep -qx "sqlite rows 25" sq.out
is "$(jq -r .exit_status sq.json)" 0 "sqlite: the program's exit status unchanged"

# C, SQLite from 4 threads at once
ok "sqlite threads: trace runs" sh -c '"$PINCH" db trace --json -o th.json -- "$W/db-client" sqlite-threads >th.out 2>th.err'
is "$(st th.json 'INSERT INTO t (v) VALUES (?)' calls)/$(st th.json 'INSERT INTO t (v) VALUES (?)' rows)" "4000/4000" "sqlite threads: 4 x 1000 INSERTs, none lost"
is "$(st th.json 'CREATE TABLE t (v INTEGER)' calls)" 4 "sqlite threads: 4 CREATEs"

# C, libpq over the socket
ok "pg: trace runs" sh -c '"$PINCH" db trace --json -o pg.json --slow 200ms -- "$W/db-client" pg "$DSN" >pg.out 2>pg.err'
is "$(jq -r .exit_status pg.json)" 0 "pg: the program saw every result it expected (exit 0)"
is "$(st pg.json 'SELECT ?' calls)/$(st pg.json 'SELECT ?' rows)" "50/50" "pg: 50 PQexec literals folded into one statement"
is "$(st pg.json 'SELECT ?::int + ?' calls)" 20 "pg: 20 PQexecParams"
is "$(st pg.json 'SELECT ?::bigint * ?' calls)" 30 "pg: 30 PQexecPrepared named by their PQprepare text"
is "$(st pg.json 'SELECT generate_series(?, ?)' calls)/$(st pg.json 'SELECT generate_series(?, ?)' rows)" "10/30" "pg: 10 PQsendQuery+PQgetResult, 3 rows each"
is "$(st pg.json 'SELECT * FROM no_such_table' errors)" 1 "pg: the failing statement is an error"
is "$(st pg.json 'SELECT pg_sleep(?)' calls)" 1 "pg: pg_sleep once"
is "$(st pg.json 'SELECT ?::int * ?' calls)/$(st pg.json 'SELECT ?::int * ?' rows)" "5/5" "pg: 5 pipelined queries, each ended by its NULL result"
is "$(st pg.json 'SELECT length(?)' calls)" 1 "pg: a 2 MiB statement, normalized"
is "$(st pg.json 'SELECT ? + ?' calls)/$(st pg.json 'SELECT ? + ?' errors)" "1/0" "pg: a binary parameter"
is "$(jq '.statements | length' pg.json)" 9 "pg: 9 distinct statements, nothing else"
# (only the planted statement is certain to be slow: on a loaded machine
# others may pass 200 ms too)
SL='.slow | map(select(.statement == "SELECT pg_sleep(?)"))'
is "$(jq "$SL | length" pg.json)" 1 "pg: the planted pg_sleep is in the slow log once"
is "$(jq -r "$SL | .[0].text" pg.json)" "SELECT pg_sleep(0.3)" "pg: the slow log has the statement as sent"
ok "pg: the slow statement took >= 300ms" test "$(jq -r "$SL | .[0].ns" pg.json)" -ge 300000000
is "$(jq -r "$SL"' | [.[0].stack[].function] | .[0:3] | join(" ")' pg.json)" "slow_query run_pg main" "pg: its stack: slow_query <- run_pg <- main"
is "$(jq -r "$SL | .[0].stack[0].line" pg.json)" "$(grep -n 'PQexec(c, "SELECT pg_sleep(0.3)")' "$PINCH_SRCDIR/tests/workloads/db-client.c" | cut -d: -f1)" "pg: at the line that issued it"

# C, libpq's asynchronous paths and 3 threads
ok "pg-async: trace runs" sh -c '"$PINCH" db trace --json -o pa.json -- "$W/db-client" pg-async "$DSN" >pa.out 2>pa.err'
ok "pg-async: the program's results unchanged" grep -qx "pg-async ok 1 rows 7" pa.out
is "$(st pa.json 'SELECT ?::text || ?' calls)/$(st pa.json 'SELECT ?::text || ?' rows)" "4/4" "PQsendQueryPrepared: 4, named by their PQsendPrepare text (the prepare itself no statement)"
is "$(st pa.json 'SELECT ?; SELECT ?, ?' calls)/$(st pa.json 'SELECT ?; SELECT ?, ?' rows)" "1/2" "two statements in one PQsendQuery: one execution, both results' rows"
is "$(st pa.json 'SELECT * FROM no_such_table' errors)" 1 "a failing PQsendQuery: an error"
is "$(st pa.json 'SELECT ? / ?::int' calls)/$(st pa.json 'SELECT ? / ?::int' rows)/$(st pa.json 'SELECT ? / ?::int' errors)" "3/1/2" "pipeline: 3 queries, 1 row, the failed one and the aborted one errors"
is "$(st pa.json 'SELECT ? AS n' calls)/$(st pa.json 'SELECT ? AS n' rows)" "300/300" "3 threads x 100 PQexec, none lost"
is "$(jq '.statements | length' pa.json)" 5 "pg-async: 5 distinct statements, nothing else"

# Python: psycopg2 (dlopen'ed libpq) and sqlite3 (dlopen'ed libsqlite3)
if /usr/bin/python3.11 -c 'import psycopg2' 2>/dev/null; then
	cat >client.py <<PY
import psycopg2, sqlite3
c = psycopg2.connect("$DSN")
cur = c.cursor()
for i in range(7):
    cur.execute("SELECT %s + 1", (i,))
    assert cur.fetchone()[0] == i + 1

def report_query():
    cur.execute("SELECT pg_sleep(0.25)")

report_query()
c.commit()
s = sqlite3.connect(":memory:")
s.execute("CREATE TABLE t (a)")
for i in range(9):
    s.execute("INSERT INTO t VALUES (?)", (i,))
print("count", s.execute("SELECT count(*) FROM t").fetchone()[0])
try:
    s.execute("SELECT nosuch FROM t WHERE a = 3")
except sqlite3.OperationalError as e:
    print("error", e)
PY
	ok "python: trace runs" sh -c '"$PINCH" db trace --json -o py.json --slow 200ms -- /usr/bin/python3.11 client.py >py.out 2>py.err'
	is "$(st py.json 'SELECT ? + ?' calls)" 7 "psycopg2: 7 executes (client-side parameters folded)"
	is "$(st py.json 'BEGIN' calls postgres)/$(st py.json 'COMMIT' calls postgres)" "1/1" "psycopg2: its BEGIN and COMMIT"
	is "$(st py.json 'INSERT INTO t VALUES (?)' calls)" 9 "sqlite3 module: 9 INSERTs through its statement cache"
	is "$(st py.json 'SELECT count(*) FROM t' rows)" 1 "sqlite3 module: 1 row"
	ok "python: its output unchanged" grep -qx "count 9" py.out
	ok "python: its error unchanged" grep -qx "error no such column: nosuch" py.out
	is "$(st py.json 'SELECT nosuch FROM t WHERE a = ?' errors)" 1 "sqlite3 module: the failed prepare is an error of its statement"
	is "$(jq "$SL | length" py.json)" 1 "python: the planted pg_sleep is in the slow log"
	is "$(jq -r "$SL"' | [.[0].stack[] | select(.python) | "\(.function):\(.line)"] | join(" ")' py.json)" \
		"report_query:9 <module>:11" "python: the slow statement's Python frames and lines"
	# psycopg2's other paths: executemany, a server-side cursor, a
	# transaction that fails and is rolled back, a bytea parameter
	cat >tx.py <<PY
import psycopg2
c = psycopg2.connect("$DSN")
cur = c.cursor()
cur.execute("CREATE TABLE tx (id int, v text)")
c.commit()
cur.executemany("INSERT INTO tx VALUES (%s, %s)", [(i, "v%d" % i) for i in range(25)])
c.commit()
nc = c.cursor(name="big")
nc.itersize = 10
nc.execute("SELECT id FROM tx ORDER BY id")
print("named cursor rows", sum(1 for _ in nc))
nc.close()
c.commit()
try:
    cur.execute("INSERT INTO tx VALUES (99, 'x')")
    cur.execute("SELECT 1/0")
except psycopg2.Error as e:
    print("error", e.pgcode)
    c.rollback()
cur.execute("SELECT length(%s)", (psycopg2.Binary(bytes(range(256)) * 4),))
print("bytea", cur.fetchone()[0])
c.rollback()
cur.execute("SELECT count(*) FROM tx")
print("kept", cur.fetchone()[0])
PY
	ok "psycopg2 transactions: trace runs" sh -c '"$PINCH" db trace --json -o tx.json -- /usr/bin/python3.11 tx.py >tx.out 2>tx.err'
	is "$(tr '\n' ' ' <tx.out)" "named cursor rows 25 error 22012 bytea 1024 kept 25 " "psycopg2 transactions: the program's results unchanged"
	is "$(st tx.json 'INSERT INTO tx VALUES (?, ?)' calls)/$(st tx.json 'INSERT INTO tx VALUES (?, ?)' rows)" "26/26" "executemany: 25 INSERTs, and the one rolled back"
	is "$(st tx.json 'FETCH FORWARD ? FROM "big"' calls)/$(st tx.json 'FETCH FORWARD ? FROM "big"' rows)" "4/25" "server-side cursor: 4 FETCHes of 10, 10, 5, 0 rows"
	is "$(st tx.json 'DECLARE "big" CURSOR WITHOUT HOLD FOR SELECT id FROM tx ORDER BY id' calls)/$(st tx.json 'CLOSE "big"' calls)" "1/1" "server-side cursor: DECLARE and CLOSE"
	is "$(st tx.json 'SELECT ?/?' calls)/$(st tx.json 'SELECT ?/?' errors)" "1/1" "the division by zero is an error of its statement"
	is "$(st tx.json 'BEGIN' calls)/$(st tx.json 'COMMIT' calls)/$(st tx.json 'ROLLBACK' calls)" "6/3/2" "6 transactions: 3 committed, 2 rolled back, 1 left open"
	is "$(st tx.json 'SELECT length(?::bytea)' calls)" 1 "a bytea parameter, normalized"
	is "$(jq '[.statements[].calls] | add' tx.json)/$(jq '.statements | length' tx.json)/$(jq '[.statements[].errors] | add' tx.json)" "47/11/1" "47 statements in all (11 distinct), 1 error"
	# three slow statements from one line: the text report prints the
	# stack once, and says how many --limit left out
	cat >same.py <<PY
import psycopg2
cur = psycopg2.connect("$DSN").cursor()
for i in range(3):
    cur.execute("SELECT pg_sleep(0.3)")
PY
	ok "same stack: trace runs" sh -c '"$PINCH" db trace --slow 250ms --limit 2 -- /usr/bin/python3.11 same.py >same.out 2>same.err'
	is "$(grep -c '^      (the same stack as above)$' same.out)" 1 "same stack: the second slow entry shown refers to the first"
	is "$(grep -c '^      at <module> (.*same.py:4)$' same.out)" 1 "same stack: the stack printed once"
	ok "same stack: the third is counted" grep -qx '... 1 more slow statements (--limit 0 shows all)' same.out
else
	for i in $(seq 23); do skip "python" "python3-psycopg2 is not installed"; done
fi

# no database calls at all; a command that does not exist
ok "no statements: runs" sh -c '"$PINCH" db trace -- /bin/true >none.out 2>none.err'
ok "no statements: says so" grep -q "no statements were seen" none.err
exit_status 3 "the command's exit status, like pinch record" "$PINCH" db trace -- /bin/sh -c 'exit 3'
exit_status 2 "missing command: usage error" "$PINCH" db trace -- ./no-such-program
exit_status 2 "no command" "$PINCH" db trace
exit_status 2 "unknown subcommand" "$PINCH" db frobnicate
done_testing
