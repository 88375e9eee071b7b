#!/usr/bin/env bash
# pinch load -R: the open model holds its rate, times requests from their
# intended send time (a stalled server shows in the tail) and warns when
# the asked rate cannot be met.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv

$PINCH load -R 1000 -d 2s -c 10 --json "$FS_URL/ok" >"$TMP/r.json" 2>"$TMP/r.err"
within "$(jqv "$TMP/r.json" .requests)" 2000 40 "-R 1000 for 2 s: 2000 requests within 2 %"
# The sender keeps the schedule, or, starved of CPU on a loaded machine,
# says that it fell short: never a silent shortfall, never above the rate.
ach=$(jqv "$TMP/r.json" '.achieved_rate | floor')
ok "achieved rate ($ach) is not above 1000 + 2 %" test "$ach" -le 1020
if [ "$ach" -ge 980 ]; then
	ok "achieved rate within 2 % ($ach)" true
else
	ok "achieved rate $ach is short of 1000 and pinch says so" grep -q "short of the 1000 req/s" "$TMP/r.err"
fi
is "$(jqv "$TMP/r.json" .model)" open "reported as the open model"

$PINCH load -R 2000 -n 1500 -c 8 -t 2 --json "$FS_URL/ok" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .requests)" 1500 "-R with -n: exact count"
ok "-R 2000 -n 1500 keeps the schedule: >= 0.75 s" jq -e '.duration_s >= 0.74' "$TMP/r.json"

# The server stalls for 1 s in the middle of a 3 s run at 400 req/s: about
# a third of the requests were due during the stall, so the corrected p99
# is near the stall, while the uncorrected one stays small.
( sleep 1; a=$(date +%s%N); kill -STOP "$FS_PID"; sleep 1; kill -CONT "$FS_PID"; b=$(date +%s%N)
  echo $(( (b - a) / 1000000 )) >"$TMP/stall_ms" ) &
stall=$!
$PINCH load -R 400 -d 3s -c 10 --json "$FS_URL/ok" >"$TMP/s.json"
wait "$stall"
# The stall lasts as long as the machine lets sleep(1) last: measure it.
st=$(cat "$TMP/stall_ms")
p99=$(jqv "$TMP/s.json" '.latency_ms.p99 | floor')
ok "stall shows in the corrected p99 ($p99 ms for a $st ms stall)" \
	test "$p99" -ge $(( st * 6 / 10 )) -a "$p99" -le $(( st + 300 ))
ok "corrected p90 lies in the stalled third" jq -e '.latency_ms.p90 > 300' "$TMP/s.json"
ok "uncorrected p50 stays small" jq -e '.uncorrected_latency_ms.p50 < 50' "$TMP/s.json"
is "$(jqv "$TMP/s.json" .failed)" 0 "no failures: the stall was only slow"

# One connection answering in 50 ms cannot carry 100 req/s: a warning.
$PINCH load -R 100 -d 1s -c 1 "$FS_URL/slow?ms=50" >"$TMP/w.txt" 2>"$TMP/w.err"
ok "short rate warns" grep -q "short of the 100 req/s" "$TMP/w.err"
ok "warning has a hint" grep -q "^hint: " "$TMP/w.err"
# The closed model hides the same stall (connections wait instead of
# sending): the measured p99 stays small, and pinch shows wrk's corrected
# estimate beside it, with a note on which to trust.
( sleep 1; a=$(date +%s%N); kill -STOP "$FS_PID"; sleep 1; kill -CONT "$FS_PID"; b=$(date +%s%N)
  echo $(( (b - a) / 1000000 )) >"$TMP/stall2_ms" ) &
stall=$!
$PINCH load -d 3s -c 10 --json "$FS_URL/ok" >"$TMP/c.json"
wait "$stall"
st=$(cat "$TMP/stall2_ms")
c99=$(jqv "$TMP/c.json" '.corrected_latency_ms.p99 | floor')
m99=$(jqv "$TMP/c.json" '.latency_ms.p99 | floor')
ok "closed model: the measured p99 ($m99 ms) hides the $st ms stall" test "$m99" -lt $(( st / 2 ))
ok "closed model: the corrected p99 ($c99 ms) shows it" \
	test "$c99" -ge $(( st * 5 / 10 )) -a "$c99" -le $(( st + 300 ))
( sleep 1; kill -STOP "$FS_PID"; sleep 1; kill -CONT "$FS_PID" ) &
stall=$!
$PINCH load -d 3s -c 10 "$FS_URL/ok" >"$TMP/c.txt" 2>&1
wait "$stall"
ok "closed model text: a corrected* row" grep -q '^  corrected\*' "$TMP/c.txt"
ok "... and the note that points to -R" grep -q 'use the open model: -R RATE' "$TMP/c.txt"
done_testing
