#!/usr/bin/env bash
# pinch load --hdr-log and pinch load merge: logs of runs made at the same
# time merge into exact combined counts and percentiles.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv

$PINCH load -n 3000 -c 4 --hdr-log "$TMP/a.hlog" --json "$FS_URL/ok" >"$TMP/a.json"
$PINCH load -n 20 -c 4 --hdr-log "$TMP/b.hlog" --json "$FS_URL/slow?ms=300" >"$TMP/b.json"
$PINCH load -n 10 -c 2 --hdr-log "$TMP/c.hlog" --json "$FS_URL/500" >"$TMP/c.json"
ok "log has HdrHistogram's header" grep -q '^#\[Histogram log format version 1.3\]$' "$TMP/a.hlog"
ok "log has interval lines" grep -Eq '^[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},HISTF' "$TMP/a.hlog"
ok "log has pinch's totals line" grep -q '^#\[pinch totals .*requests=3000' "$TMP/a.hlog"

# One log merged alone reproduces its run exactly.
$PINCH load merge --json "$TMP/a.hlog" >"$TMP/m1.json"
for k in requests successful failed bytes latency_ms.count latency_ms.p50 latency_ms.p99 latency_ms.max; do
	is "$(jqv "$TMP/m1.json" ".$k")" "$(jqv "$TMP/a.json" ".$k")" "merge of one log: $k as in the run"
done

$PINCH load merge --json "$TMP/a.hlog" "$TMP/b.hlog" "$TMP/c.hlog" >"$TMP/m.json"
is "$?" 0 "merge exits 0"
is "$(jqv "$TMP/m.json" .requests)" 3030 "merged requests add up"
is "$(jqv "$TMP/m.json" .failed)" 10 "merged failures add up"
is "$(jqv "$TMP/m.json" '.status["500"]')" 10 "merged status counts add up"
is "$(jqv "$TMP/m.json" .latency_ms.count)" 3030 "merged histogram holds every latency"
# 20 of 3030 answers took >= 300 ms: p99 (rank 3000) is still fast, p99.9 slow.
ok "merged p99 from the fast run" jq -e '.latency_ms.p99 < 300' "$TMP/m.json"
is "$(jqv "$TMP/m.json" .latency_ms.min)" "$(jq -s 'map(.latency_ms.min) | min' "$TMP/a.json" "$TMP/b.json" "$TMP/c.json")" \
	"merged min is the smallest of the runs' min"
ok "merged p99.9 from the slow run" jq -e '.latency_ms["p99.9"] >= 300' "$TMP/m.json"
is "$(jqv "$TMP/m.json" .latency_ms.max)" "$(jq -s 'map(.latency_ms.max) | max' "$TMP/a.json" "$TMP/b.json" "$TMP/c.json")" \
	"merged max is the largest of the runs' max"
exit_status 3 "merge applies thresholds" $PINCH load merge --threshold 'errors<0.1%' "$TMP/a.hlog" "$TMP/c.hlog"
exit_status 0 "merge prints the verdict" $PINCH load merge "$TMP/a.hlog" "$TMP/b.hlog"
out_has 'P99 latency' "merged verdict table"

# Broken logs are refused with the line at fault.
sed '6s/,HISTF\(....\)..../,HISTF\1AAAA/' "$TMP/a.hlog" >"$TMP/bad.hlog"
exit_status 2 "a damaged histogram" $PINCH load merge "$TMP/bad.hlog"
out_has 'bad.hlog:6: ' "names file and line"
grep -v '^#\[pinch totals' "$TMP/a.hlog" >"$TMP/cut.hlog"
$PINCH load merge --json "$TMP/cut.hlog" >"$TMP/cut.json"
is "$(jqv "$TMP/cut.json" .latency_ms.count)" 3000 "a log cut before its totals still merges"
done_testing
