#!/usr/bin/env bash
# t1403-check.sh - pinch check's verdicts at the bounds of the built-in
# table on crafted results (a value at a "<" bound is not below it; a
# value at the poor bound is degraded, above it poor), per endpoint, with
# --require, with a YAML targets file (override, add, per endpoint, a
# JSON path, higher-is-better), and bad targets files (file:line:column)
# and bad results.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

load() {	# load P50_MS P99_MS ERROR_RATE: a load result
	printf '{"kind": "load", "schema": 1, "requests": 1000, "rps": 500, "error_rate": %s, "latency_ms": {"p50": %s, "p99": %s}}\n' "$3" "$1" "$2"
}
stat() {	# stat CPU_PCT MEMORY_PCT: a stat result
	printf '{"kind": "stat", "schema": 1, "cpu_pct": %s, "memory_pct": %s, "max_rss_bytes": 1048576, "wall_s": 1, "user_s": 0.5, "sys_s": 0.1}\n' "$1" "$2"
}
# verdict FILE METRIC: the verdict column of METRIC's row
verdict() {
	"$PINCH" check "$1" 2>/dev/null | awk -v m="$2" 'index($0, m) { print $NF; exit }'
}

# P50: < 50 ms good, < 200 ms acceptable, > 500 ms poor.
for v in 49.999:good 50:acceptable 199.9:acceptable 200:degraded 500:degraded 500.1:poor; do
	load "${v%%:*}" 1 0 >r.json
	is "$(verdict r.json 'P50 latency')" "${v##*:}" "P50 ${v%%:*} ms is ${v##*:}"
done
# P99: < 200 ms, < 1 s, > 2 s.
for v in 199:good 200:acceptable 999:acceptable 1000:degraded 2000:degraded 2001:poor; do
	load 1 "${v%%:*}" 0 >r.json
	is "$(verdict r.json 'P99 latency')" "${v##*:}" "P99 ${v%%:*} ms is ${v##*:}"
done
# Error rate (a fraction in the result): < 0.1 %, < 1 %, > 5 %.
for v in 0.0009:good 0.001:acceptable 0.01:degraded 0.05:degraded 0.0501:poor; do
	load 1 1 "${v%%:*}" >r.json
	is "$(verdict r.json 'error rate')" "${v##*:}" "error rate ${v%%:*} is ${v##*:}"
done
# CPU usage < 50 %, < 80 %, > 90 %; memory < 70 %, < 85 %, > 95 %.
for v in 49:good 50:acceptable 80:degraded 90:degraded 90.5:poor; do
	stat "${v%%:*}" 1 >r.json
	is "$(verdict r.json 'CPU usage')" "${v##*:}" "CPU ${v%%:*} % is ${v##*:}"
done
for v in 69.9:good 84.9:acceptable 95:degraded 95.1:poor; do
	stat 1 "${v%%:*}" >r.json
	is "$(verdict r.json 'memory')" "${v##*:}" "memory ${v%%:*} % is ${v##*:}"
done

# Exit status: 3 on poor only, unless --require.
load 10 100 0 >good.json
load 100 100 0 >acc.json
load 300 100 0 >deg.json
load 600 100 0 >poor.json
exit_status 0 "all good: exit 0" "$PINCH" check good.json
exit_status 0 "degraded is not a failure by default" "$PINCH" check deg.json
exit_status 3 "poor: exit 3" "$PINCH" check poor.json
exit_status 3 "--require good fails on acceptable" "$PINCH" check --require good acc.json
exit_status 0 "--require acceptable passes acceptable" "$PINCH" check --require acceptable acc.json
exit_status 3 "--require acceptable fails on degraded" "$PINCH" check --require acceptable deg.json
exit_status 3 "several results: the worst decides" "$PINCH" check good.json poor.json
"$PINCH" check good.json >t.out
is "$(tail -1 t.out)" "verdict: all good" "the last line sums up"
is "$(head -1 t.out | tr -s ' ')" "RESULT METRIC VALUE GOOD ACCEPTABLE POOR VERDICT" "the table's header"
is "$(grep 'P50' t.out | tr -s ' ')" "good.json P50 latency 10 ms < 50 ms < 200 ms > 500 ms good" "a row: value, bounds, verdict"

# Per endpoint: load tasks.
cat >ep.json <<'JSON'
{"kind": "load", "schema": 1, "error_rate": 0.02, "latency_ms": {"p50": 40, "p99": 900},
 "tasks": [{"name": "home", "requests": 600, "failed": 0, "latency_ms": {"p50": 10, "p99": 150}},
           {"name": "search", "requests": 400, "failed": 20, "latency_ms": {"p50": 120, "p99": 2500}}]}
JSON
"$PINCH" check ep.json >ep.out
is "$(awk '/\[search\]/ && /P99/ { print $NF }' ep.out)" poor "endpoint search: P99 2.5 s poor"
ok "endpoint search: 20 of 400 failed = 5 %, degraded" grep -Eq '^ep.json +error rate \[search\] +5 % +< 0.1 % +< 1 % +> 5 % +degraded$' ep.out
is "$(awk '/\[home\]/ && /P99/ { print $NF }' ep.out)" good "endpoint home: P99 150 ms good"

# A targets file: override P99 for search, add rps (higher is better),
# a bench mean, and a JSON path.
cat >t.yaml <<'YAML'
targets:
  - metric: p99
    endpoint: search
    good: "< 3s"
    poor: 10s
  - metric: rps
    good: 1000
    acceptable: 400
    poor: "< 100"
  - metric: latency_ms.p50
    kind: load
    good: 45
    poor: 100
YAML
"$PINCH" check --targets t.yaml ep.json >ty.out
is "$(awk '/\[search\]/ && /P99/ { print $NF }' ty.out | tr '\n' ' ')" "good " "the file's target replaces the built-in one for that endpoint"
is "$(awk '/requests\/s/ { print $NF }' ty.out)" "" "rps: not in this result, no row"
load 10 100 0 | sed 's/"rps": 500/"rps": 450/' >rps.json
is "$("$PINCH" check --targets t.yaml rps.json | grep 'requests/s' | tr -s ' ')" \
	"rps.json requests/s 450 > 1000 > 400 < 100 acceptable" "rps 450: higher is better, acceptable"
is "$("$PINCH" check --targets t.yaml ep.json | awk '$2 == "latency_ms.p50" { print $3, $NF }' | head -1)" "40 good" "a JSON path as metric"
exit_status 0 "--no-builtin with a file judges only the file's targets" "$PINCH" check --no-builtin --targets t.yaml good.json
echo '{"kind": "bench", "schema": 1, "benchmarks": [{"name": "a", "stats": {"mean": 0.03, "rounds": 3}}]}' >b.json
printf 'targets:\n  - metric: mean\n    good: 10ms\n    acceptable: 20ms\n    poor: 25ms\n' >bt.yaml
is "$("$PINCH" check --targets bt.yaml b.json | grep 'mean time' | tr -s ' ')" \
	"b.json mean time [a] 30 ms < 10 ms < 20 ms > 25 ms poor" "bench mean 30 ms over 25 ms: poor"

# Bad targets files: file:line:column.
bad() {	# bad NAME WANT-STDERR CONTENT
	printf '%b' "$3" >"$1.yaml"
	"$PINCH" check --targets "$1.yaml" good.json >/dev/null 2>"$1.err"
	is "$?:$(cat "$1.err")" "2:pinch check: $1.yaml:$2" "bad targets: $1"
}
bad syntax "3:13: did not find expected comment or line break while scanning a block scalar (quote a bound that starts with '>': \"> 1s\")" 'targets:\n  - metric: p99\n    good: > 1s\n'
bad key "3:5: unknown key 'gud' (metric, kind, endpoint, good, acceptable, poor)" 'targets:\n  - metric: p99\n    gud: 1s\n'
bad unit "3:11: '10%' has the wrong unit for this metric" 'targets:\n  - metric: p99\n    good: 10%\n'
bad number "3:11: bad bound 'fast': an optional < or >, a number, a unit (200ms, 1%, 64MiB)" 'targets:\n  - metric: p99\n    good: fast\n'
bad nometric "2:5: a target needs a metric: p50, p99, error_rate, cpu, memory, mean, ..." 'targets:\n  - good: 1s\n'
bad nolist "1:10: 'targets' must be a list of targets (- metric: ...)" 'targets: 3\n'
bad toplevel "1:1: unknown key 'target' (the file holds 'targets:')" 'target:\n  - metric: p99\n'
bad empty "1:1: empty targets file: write 'targets:' and a list" ''
bad direction "5:17: '> 2s' points the other way from the other bounds" 'targets:\n  - metric: p99\n    good: "< 1s"\n    poor: "> 2s"\n    acceptable: "> 2s"\n'
bad kind "3:11: kind 'trace' is not one of load, bench, mem, stat" 'targets:\n  - metric: p99\n    kind: trace\n'
bad nobound "2:5: target 'p99' has no bound: give good, acceptable or poor" 'targets:\n  - metric: p99\n'

# Bad results.
exit_status 2 "no result" "$PINCH" check
exit_status 2 "a missing file" "$PINCH" check nope.json
echo 'not json' >nj.json
exit_status 2 "not JSON" "$PINCH" check nj.json
cp .out e.out
ok "... says so" grep -q "^pinch check: 'nj.json' is not JSON: line 1: " e.out
echo '{"kind": "trace", "schema": 1}' >tr.json
exit_status 2 "a kind check cannot judge" "$PINCH" check tr.json
cp .out e.out
ok "... named" grep -q "^pinch check: 'tr.json' is a trace result; pinch check reads load, bench, mem and stat results$" e.out
echo '{"kind": "load", "schema": 2}' >s2.json
exit_status 2 "a newer schema" "$PINCH" check s2.json
echo '{"kind": "load", "schema": 1}' >empty.json
exit_status 2 "a result no target applies to" "$PINCH" check empty.json
exit_status 2 "bad --require" "$PINCH" check --require perfect good.json
load 10 100 0 | "$PINCH" check - >stdin.out
is "$(tail -1 stdin.out)" "verdict: all good" "'-' reads standard input"
done_testing
