#!/bin/bash
# pinch db explain and pinch db top against a PostgreSQL 15 of the test's
# own: the planted missing index is found (with its CREATE INDEX) and no
# false one on the indexed table; a LIMIT is no misestimate; an unindexed
# foreign key's trigger time is reported; writes are rolled back unless
# --commit; saved plans (--plan); SQLite query plans; top lists the
# planted hot statement first and says how to enable pg_stat_statements.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/db-lib.sh"
db_need jq sqlite3
db_start "shared_preload_libraries = 'pg_stat_statements'" "pg_stat_statements.track = top"
$PSQL <<'SQL' >/dev/null
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 1050) g;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id), amount int);
INSERT INTO orders SELECT g, 1 + g % 1000, g % 97 FROM generate_series(1, 20000) g;
CREATE TABLE items (id int PRIMARY KEY, item_id int, qty int);
INSERT INTO items SELECT g, g, g % 7 FROM generate_series(1, 20000) g;
CREATE INDEX ON items (item_id);
CREATE TABLE pairs (a int, b int);
INSERT INTO pairs SELECT g % 100, g % 100 FROM generate_series(1, 20000) g;
ANALYZE;
CREATE EXTENSION pg_stat_statements;
CREATE DATABASE nostat;
SQL

x() { "$PINCH" db explain --json "$DSN" "$1"; }
x "SELECT * FROM orders WHERE customer_id = 42" >miss.json
is "$(jq -r '.findings[0].kind' miss.json)" seq_scan_filter "missing index: a seq scan filtering most rows"
is "$(jq -r '.findings[0].sql' miss.json)" "CREATE INDEX ON orders (customer_id);" "missing index: the CREATE INDEX that serves the filter"
is "$(jq -r '.nodes[0].rows' miss.json)/$(jq -r '.nodes[0].removed' miss.json)" "20/19980" "missing index: 20 rows kept, 19980 removed"
is "$(jq '.findings | length' miss.json)" 1 "missing index: nothing else"
x "SELECT * FROM items WHERE item_id = 42" >idx.json
is "$(jq '.findings | length' idx.json)" 0 "indexed table: no finding"
is "$(jq -r '.nodes[0].index' idx.json)" items_item_id_idx "indexed table: its index is used"
# a and b are equal in every row; the planner multiplies their
# selectivities: 20000 x 1/100 x 1/100 = 2 rows expected, 200 found
x "SELECT * FROM pairs WHERE a = 1 AND b = 1" >pairs.json
is "$(jq -r '.nodes[0].plan_rows' pairs.json)/$(jq -r '.nodes[0].rows' pairs.json)" "2/200" "correlated columns: 2 rows planned, 200 found"
is "$(jq -r '[.findings[].kind] | join(" ")' pairs.json)" "seq_scan_filter misestimate" "correlated columns: the misestimate (100x), after the scan that filtered"
# work_mem at its 64 kB minimum: sorting or hashing 20000 rows spills
"$PINCH" db explain --json "$DSN options='-c work_mem=64kB'" "SELECT * FROM orders ORDER BY amount, id" >sort.json
is "$(jq -r '[.findings[] | select(.kind == "spill")] | length' sort.json)" 1 "work_mem 64kB: the sort spilled to disk"
ok "... said with its method" jq -e '.findings[] | select(.kind == "spill") | .text | test("Sort spilled to disk \\(external")' sort.json
"$PINCH" db explain --json "$DSN options='-c work_mem=64kB -c enable_mergejoin=off -c enable_nestloop=off'" \
	"SELECT o.id, i.qty FROM orders o JOIN items i ON i.id = o.id" >hash.json
is "$(jq -r '[.findings[] | select(.kind == "spill") | .text | test("Hash used [0-9]+ batches")] | length' hash.json)" 1 "work_mem 64kB: the hash used several batches"
"$PINCH" db explain --json "$DSN" "SELECT * FROM orders ORDER BY amount, id" >sortmem.json
is "$(jq -r '[.findings[] | select(.kind == "spill")] | length' sortmem.json)" 0 "default work_mem: the same sort in memory, no finding"
x "SELECT * FROM orders LIMIT 10" >limit.json
is "$(jq '.findings | length' limit.json)" 0 "LIMIT stopping a scan early is not a misestimate"
is "$(jq -r '.nodes[1].plan_rows' limit.json)/$(jq -r '.nodes[1].rows' limit.json)" "20000/10" "... though 20000 were planned and 10 read"
# a nested loop over a Memoize runs its inner index scan once per distinct
# key (500), not per outer row (10000)
"$PINCH" db explain --json "$DSN options='-c enable_hashjoin=off -c enable_mergejoin=off'" \
	"SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.customer_id <= 500" >memo.json
is "$(jq -c '[.nodes[] | select(.depth >= 2) | .loops]' memo.json)" "[1,10000,500]" "memoize: 10000 outer rows, 500 index scans"
is "$(jq -r '[.findings[] | select(.kind == "nested_loops")] | length' memo.json)" 0 "memoize: 500 misses of 10000 loops is no nested-loop finding"
"$PINCH" db explain --json "$DSN options='-c enable_hashjoin=off -c enable_mergejoin=off -c enable_memoize=off'" \
	"SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.customer_id <= 500" >nl.json
is "$(jq -r '.findings[] | select(.kind == "nested_loops") | .text | capture("ran its inner side \\((?<n>[^)]*)\\) (?<k>[0-9]+) times") | "\(.n) \(.k)"' nl.json)" \
	"Index Only Scan on customers 10000" "without Memoize: the inner index scan ran once per outer row, 10000 times"
x "DELETE FROM customers WHERE id > 1000" >fk.json
is "$(jq -r '[.findings[] | select(.kind == "trigger")] | length' fk.json)" 1 "unindexed foreign key: the trigger time is reported"
is "$(jq -r '.findings[] | select(.kind == "trigger") | .sql' fk.json)" "CREATE INDEX ON orders (customer_id);" "... with the index the checks need"
is "$($PSQL -At -c 'SELECT count(*) FROM customers')" 1050 "the DELETE was rolled back"
ok "--commit keeps a write" "$PINCH" db explain --commit "$DSN" "DELETE FROM items WHERE id = 1"
is "$($PSQL -At -c 'SELECT count(*) FROM items')" 19999 "--commit: the row is gone"
ok "text report" sh -c '"$PINCH" db explain "$DSN" "SELECT * FROM orders WHERE customer_id = 42" >miss.txt'
ok "text: the CREATE INDEX line" grep -q "^     CREATE INDEX ON orders (customer_id);" miss.txt
exit_status 1 "two statements: exit 1" "$PINCH" db explain "$DSN" "SELECT 1; COMMIT; DELETE FROM customers WHERE id = 1"
cp "$TMP/.out" multi.err
ok "two statements: says one is taken" grep -q "takes one SQL statement" multi.err
is "$($PSQL -At -c 'SELECT count(*) FROM customers WHERE id = 1')" 1 "two statements: the DELETE after a COMMIT did not run"
# a statement too long for the command line (1.3 MB), from stdin
{ printf 'SELECT count(*) FROM orders WHERE amount IN (0'; seq -s, 1 200000 | sed 's/^/,/'; printf ')'; } >big.sql
ok "stdin: a 1.3 MB statement" sh -c '"$PINCH" db explain "$DSN" - <big.sql >big.txt'
ok "stdin: the long filter cut in the tree" test "$(wc -L <big.txt)" -lt 1000
ok "stdin: its size in the first line" grep -q "^pinch db explain: SELECT count(\*) FROM orders WHERE amount IN (0,1,2.*\.\.\. ($(wc -c <big.sql) bytes)$" big.txt
exit_status 1 "syntax error: exit 1" "$PINCH" db explain "$DSN" "SELEC 1"
cp "$TMP/.out" syntax.err
ok "syntax error: the server's message" grep -q 'syntax error at or near "SELEC"' syntax.err
exit_status 1 "wrong credentials: exit 1" "$PINCH" db explain "host=$PGD/sock port=55432 user=nobody dbname=postgres" "SELECT 1"
cp "$TMP/.out" role.err
ok "wrong credentials: the server's message" grep -q 'role "nobody" does not exist' role.err
exit_status 1 "unreachable server: exit 1" "$PINCH" db explain "host=$TMP/nowhere port=1" "SELECT 1"
cp "$TMP/.out" conn.err
ok "unreachable server: says so" grep -q "cannot connect" conn.err
exit_status 2 "no SQL: usage" "$PINCH" db explain "$DSN"

# a saved plan, and a hand-made one with the other findings
$PSQL -At -c "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM orders WHERE customer_id = 7" >saved.json
"$PINCH" db explain --json --plan saved.json >saved.out
is "$(jq -r '.findings[0].sql' saved.out)" "CREATE INDEX ON orders (customer_id);" "--plan: a saved plan gives the same finding"
cat >made.json <<'JSON'
[{"Plan": {"Node Type": "Nested Loop", "Plan Rows": 10, "Actual Rows": 5000, "Actual Loops": 1,
  "Actual Total Time": 90.0, "Plans": [
   {"Node Type": "Sort", "Plan Rows": 5000, "Actual Rows": 5000, "Actual Loops": 1,
    "Actual Total Time": 40.0, "Sort Method": "external merge", "Sort Space Type": "Disk"},
   {"Node Type": "Index Scan", "Relation Name": "b", "Index Name": "b_pkey", "Plan Rows": 1,
    "Actual Rows": 1, "Actual Loops": 5000, "Actual Total Time": 0.008}]},
  "Planning Time": 0.1, "Execution Time": 91.0}]
JSON
"$PINCH" db explain --json --plan made.json >made.out
is "$(jq -r '[.findings[].kind] | join(" ")' made.out)" "misestimate nested_loops spill" "hand-made plan: misestimate and nested loop (90 ms node), then the disk sort (40 ms)"
is "$(jq -r '.nodes[2].time_ms' made.out)" 40 "per-loop time times loops"
printf 'not a plan' >bad.json
exit_status 1 "--plan: not JSON: exit 1" "$PINCH" db explain --plan bad.json
exit_status 1 "--plan: missing file: exit 1" "$PINCH" db explain --plan no-such.json

# SQLite
sqlite3 lite.db "CREATE TABLE t (a INTEGER, b TEXT); CREATE TABLE u (a INTEGER, b TEXT); CREATE INDEX u_a ON u (a);"
"$PINCH" db explain --json sqlite:lite.db "SELECT * FROM t WHERE a = 1" >lt.json
is "$(jq -r .full_scans lt.json)" 1 "sqlite: the unindexed table is a full scan"
"$PINCH" db explain --json sqlite:lite.db "SELECT * FROM u WHERE a = 1" >lu.json
is "$(jq -r .full_scans lu.json)" 0 "sqlite: the indexed one is not"
exit_status 1 "sqlite: bad SQL: exit 1" "$PINCH" db explain sqlite:lite.db "SELEC 1"

# top: the planted hot statement first
$PSQL -c "SELECT pg_stat_statements_reset()" >/dev/null
for i in $(seq 25); do echo "SELECT count(*) FROM orders WHERE amount = $i;"; done | $PSQL >/dev/null
for i in $(seq 40); do echo "SELECT $i;"; done | $PSQL >/dev/null
"$PINCH" db top --json "$DSN" >top.json
is "$(jq -r '.statements[0].statement' top.json)" 'SELECT count(*) FROM orders WHERE amount = $1' "top: the hot statement first"
is "$(jq -r '.statements[0].calls' top.json)" 25 "top: its 25 calls"
is "$(jq -r '.tables[0].table' top.json)" public.orders "top: orders is the most sequentially read table"
exit_status 1 "top without pg_stat_statements: exit 1" "$PINCH" db top "host=$PGD/sock port=55432 user=postgres dbname=nostat"
cp "$TMP/.out" nostat.err
ok "top without pg_stat_statements: how to enable it" grep -q "CREATE EXTENSION pg_stat_statements" nostat.err
done_testing
