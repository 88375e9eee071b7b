#!/usr/bin/env bash
# bench/db.sh - what pinch db trace adds per statement: a loop of trivial
# statements run plain and under `pinch db trace`, side by side,
# interleaved, median of RUNS each.
#   SQLite in memory: N x "SELECT ?+1" on one prepared statement
#                     (bind, step ROW, step DONE, reset): one execution each
#   PostgreSQL:       N x PQexec("SELECT 1") over a Unix socket to a
#                     cluster this script starts (client and server pinned
#                     to the same CPU: see shared/reference/db-facts.md)
#   libpq, no server: N_PG x 50 x PQexec(NULL, "SELECT 1") (NULL at once):
#                     what the agent adds around a libpq call (normalize
#                     or find in its cache, time, count) without the
#                     round trip, whose run-to-run noise on a shared
#                     machine is larger than that
# The per-statement figures are measured inside the program (tests/
# workloads/db-client.c bench-*), so start-up and the report are not in
# them: wall time, and the client's CPU time (what the agent adds is
# spent there, and CPU time is not inflated by waiting for a CPU when the
# machine is busy).
# Usage: bench/db.sh [BUILDDIR] [RUNS] [N_SQLITE] [N_PG]
bash "$(dirname "$0")/../scripts/deps.sh" test
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${2:-7}
NS=${3:-2000000}
NP=${4:-20000}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
PINCH=$PWD/$B/pinch
C=$PWD/$B/tests/workloads/db-client
PGBIN=/usr/lib/postgresql/15/bin
out=$(mktemp -d)
AS=
if [ "$(id -u)" = 0 ]; then chmod 755 "$out"; AS="runuser -u postgres --"; fi
stop() { [ -f "$out/pg/data/postmaster.pid" ] && $AS "$PGBIN/pg_ctl" -D "$out/pg/data" -m immediate -w stop >/dev/null 2>&1; rm -rf "$out"; }
trap stop EXIT
mkdir -p "$out/pg/data" "$out/pg/sock"
[ -n "$AS" ] && chown -R postgres "$out/pg"
$AS "$PGBIN/initdb" -D "$out/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
echo "fsync = off" >>"$out/pg/data/postgresql.conf"
taskset -c 1 $AS "$PGBIN/pg_ctl" -D "$out/pg/data" -l "$out/pg/log" \
	-o "-k $out/pg/sock -p 55433 -c listen_addresses=''" -w start >/dev/null
DSN="host=$out/pg/sock port=55433 user=postgres dbname=postgres"

med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
one() {	# one plain|traced ARGS...: "wall cpu" ns per statement
	local mode=$1; shift
	if [ "$mode" = plain ]; then
		taskset -c 1 "$C" "$@" | awk '/ns\/statement/ { print $2, $4 }'
	else
		taskset -c 1 "$PINCH" db trace -o /dev/null -- "$C" "$@" | awk '/ns\/statement/ { print $2, $4 }'
	fi
}
for kind in sqlite pg pgnull; do
	: >"$out/$kind.plain"; : >"$out/$kind.traced"
	for i in $(seq "$RUNS"); do
		for mode in plain traced; do
			case $kind in
			sqlite) one $mode bench-sqlite "$NS" ;;
			pg) one $mode bench-pg "$DSN" "$NP" ;;
			pgnull) one $mode bench-pg-null $((NP * 50)) ;;
			esac >>"$out/$kind.$mode"
		done
	done
done
col() { awk -v c="$1" '{ print $c }'; }
# the runs are paired (plain, then traced, back to back): the median of
# the pairs' CPU differences, with its quartiles, is less sensitive to a
# machine whose load changes during the benchmark than the difference of
# the medians
paired() {	# paired KIND: "median (q1..q3)" of traced - plain CPU ns per pair
	paste -d' ' <(col 2 <"$out/$1.plain") <(col 2 <"$out/$1.traced") |
		awk '{ printf "%.1f\n", $2 - $1 }' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%s (%s..%s)", v[int((NR + 1) / 2)], v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)] }'
}
printf '| loop | statements per run | plain wall ns/stmt | traced wall ns/stmt | plain CPU ns/stmt | traced CPU ns/stmt | added CPU ns/stmt | added CPU, paired: median (q1..q3) | runs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for kind in sqlite pg pgnull; do
	pw=$(col 1 <"$out/$kind.plain" | med); tw=$(col 1 <"$out/$kind.traced" | med)
	pc=$(col 2 <"$out/$kind.plain" | med); tc=$(col 2 <"$out/$kind.traced" | med)
	n=$NS; name="SQLite in memory, SELECT ?+1 (prepared)"
	[ $kind = pg ] && { n=$NP; name="PostgreSQL socket, PQexec SELECT 1"; }
	[ $kind = pgnull ] && { n=$((NP * 50)); name="libpq without a server, PQexec(NULL, SELECT 1)"; }
	printf '| %s | %s | %s | %s | %s | %s | %.1f | %s | %s |\n' "$name" "$n" "$pw" "$tw" "$pc" "$tc" "$(echo "$tc - $pc" | bc -l)" "$(paired $kind)" "$RUNS"
	echo "  $kind plain (wall cpu): $(tr '\n' ' ' <"$out/$kind.plain")" >&2
	echo "  $kind traced (wall cpu): $(tr '\n' ' ' <"$out/$kind.traced")" >&2
done
