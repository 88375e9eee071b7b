#!/bin/bash
# pinch doctor's slow-SQL class: pinch db trace's agent rides along in the
# launched run, and samples inside libpq/libsqlite3 count as the
# statements' time.
# - sql-slow (C, SQLite in memory): 60 unindexed lookups from
#   lookup_orders() take most of its time (it prints the share by its own
#   clock); 100,063 statements in all (100,000 INSERTs, 60 lookups,
#   CREATE, BEGIN, COMMIT);
# - db-client pg (C, libpq): the planted pg_sleep(0.3) from slow_query();
# - a Python psycopg2 script whose report() runs pg_sleep(0.4);
# - a program without SQL gets no SQL evidence and no SQL finding.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/db-lib.sh"
db_need jq
db_start

j() { jq -r "$1" "$2"; }

# SQLite, C
"$PINCH" doctor --json -o sq.json -- "$W/sql-slow" >sq.out 2>sq.err
truth=$(awk '/sql_share/ { print $6 }' sq.err)
[ -n "$truth" ] || truth=$("$W/sql-slow" | awk '{ print $6 }')
is "$(j '.findings[0].class' sq.json)" slow-sql "sqlite: the bottleneck is SQL"
is "$(j '.findings[0].site.function' sq.json)" lookup_orders "sqlite: issued from lookup_orders"
is "$(j '.sql.top[0].statement' sq.json)" "SELECT count(*), sum(total) FROM orders WHERE customer = ?" \
	"sqlite: the slowest statement in total, normalized"
is "$(j '.sql.top[0].calls' sq.json)" 60 "sqlite: its 60 calls"
is "$(j '.sql.statements' sq.json)/$(j '.sql.distinct' sq.json)" "100063/5" "sqlite: 100,063 statements, 5 distinct"
is "$(j '.sql.library' sq.json)" libsqlite3 "sqlite: samples inside libsqlite3"
ok "sqlite: the next command is db trace" grep -q '"next": "pinch db trace --slow [0-9]*ms -- ' sq.json
ok "sqlite: mechanism names the agent" grep -q "SQL statements (pinch db trace's agent)" sq.json
# the program's own clock starts in main, doctor's at the exec (start-up,
# the libraries' loading): 12 points
share=$(j '.findings[0].share' sq.json)
ok "sqlite: share $share within 12 points of the program's own $truth" \
	awk -v a="$share" -v b="$truth" 'BEGIN { d = a - b; exit !(b > 0.3 && d < 0.12 && d > -0.12) }'
ok "sqlite: the CPU finding leaves the statements' time out" \
	awk -v a="$(jq -r '[.findings[] | select(.class == "cpu") | .share] | .[0] // 0' sq.json)" -v b="$share" \
	'BEGIN { exit !(a < b) }'

# PostgreSQL, C: the planted pg_sleep(0.3) and 150 quick statements
"$PINCH" doctor --json -o pg.json -- "$W/db-client" pg "$DSN" >pg.out 2>pg.err
is "$(j '.findings[0].class' pg.json)" slow-sql "pg: the bottleneck is SQL"
is "$(j '.sql.top[0].statement' pg.json)" "SELECT pg_sleep(?)" "pg: pg_sleep is the slowest in total"
is "$(j '.sql.top[0].calls' pg.json)" 1 "pg: called once"
is "$(j '.findings[0].site.function' pg.json)" slow_query "pg: issued from slow_query (the slow log's stack)"
is "$(j '.sql.library' pg.json)" libpq "pg: samples inside libpq"
is "$(j '.exit_status' pg.json)" 0 "pg: the program's results unchanged (exit 0)"

# PostgreSQL, Python (psycopg2): the site is the Python function
if /usr/bin/python3.11 -c 'import psycopg2' 2>/dev/null; then
	cat >report.py <<'PY'
import os, psycopg2
conn = psycopg2.connect(os.environ["DSN"])
cur = conn.cursor()

def totals():
    for i in range(20):
        cur.execute("SELECT %s::int + 1", (i,))
        cur.fetchone()

def report():
    cur.execute("SELECT pg_sleep(0.4)")
    cur.fetchall()

totals()
report()
PY
	"$PINCH" doctor --json -o py.json -- /usr/bin/python3.11 report.py >py.out 2>py.err
	is "$(j '.findings[0].class' py.json)" slow-sql "python: the bottleneck is SQL"
	is "$(j '.sql.top[0].statement' py.json)" "SELECT pg_sleep(?)" "python: pg_sleep is the slowest in total"
	is "$(j '.findings[0].site.function' py.json)" report "python: issued from report()"
	is "$(j '.findings[0].site.line' py.json)" 11 "python: at report.py:11"
	is "$(j '.sql.statements' py.json)" 22 "python: 22 statements (20 + pg_sleep + the BEGIN psycopg2 sends)"
else
	skip "python psycopg2" "psycopg2 is not installed for /usr/bin/python3.11"
fi

# no SQL: no evidence, no finding
"$PINCH" doctor --json -o none.json -- "$W/mem-heavy" 200000 >/dev/null 2>&1
is "$(j '.sql' none.json)" null "no SQL: no SQL evidence"
is "$(j '[.findings[] | select(.class == "slow-sql")] | length' none.json)" 0 "no SQL: no SQL finding"
done_testing
