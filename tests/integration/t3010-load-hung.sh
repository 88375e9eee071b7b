#!/usr/bin/env bash
# t3010-load-hung.sh - no false verdict against a server that accepts and
# never answers: the requests in flight when -d ends count (unfinished,
# at the age they reached), timeouts appear in the latency figures, a
# threshold over no data fails, and the verdict table agrees (exit 3).
# Before: 0 requests, every percentile 0.00 ms, thresholds passed, exit 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib-load.sh"

start_faultsrv
hung="$FS_URL/slow?ms=100000"
"$PINCH" load -d 2s -c 4 --threshold 'p99<100ms' --threshold 'errors<1%' --json "$hung" >h.json 2>h.err
is "$?" 3 "hung server: thresholds fail, exit 3"
is "$(jq .requests h.json)" 4 "the 4 requests in flight are counted"
is "$(jq .errors.unfinished h.json)" 4 "... as unfinished"
within "$(jq '.latency_ms.p50' h.json)" 3000 600 "... at their age (-d 2 s + 1 s of grace), not 0 ms"
is "$(jq -r '[.thresholds[].pass] | all | not' h.json)" true "both thresholds fail"
is "$(jq -r '[.verdict[].rating] | unique | join(",")' h.json)" Poor "the verdict rates all three Poor"

"$PINCH" load -d 2s -c 2 --timeout 300ms --json "$hung" >t.json 2>/dev/null
ok "timeouts are counted" test "$(jq .errors.timeout t.json)" -ge 4
within "$(jq '.latency_ms.p50' t.json)" 300 100 "timed-out requests are in the latency figures (p50 ~ the timeout)"

# A threshold over no data (nothing ever answered: every connection is
# reset) fails, and says so, as the verdict rates it Poor.
"$PINCH" load -n 3 -c 1 --threshold 'p50<1s' --json "$FS_URL/reset" >n.json 2>/dev/null
is "$?" 3 "a latency threshold with no answer at all fails"
is "$(jq -r '.thresholds[0].actual' n.json)" null "... its value is null (no data)"
is "$(jq -r '.verdict[0].rating' n.json)" Poor "... and the verdict's P50 is Poor (one rule)"

# A healthy server: nothing is unfinished at the end of -d.
"$PINCH" load -d 1s -c 8 --json "$FS_URL/ok" >ok.json 2>/dev/null
is "$(jq .failed ok.json)" 0 "healthy server: no failure at the end of the run"
is "$(jq .errors.unfinished ok.json)" 0 "... nothing unfinished"
# An unwritable -o is found before the run, not after it.
t0=$(date +%s%N)
"$PINCH" load -d 3s -o /nonexistent-dir/r.json "$FS_URL/ok" >/dev/null 2>o.err
is "$?" 2 "-o in a missing directory: exit 2"
ok "... found before the 3 s run" test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1500
ok "... and named" grep -q "cannot write '/nonexistent-dir/r.json'" o.err
# Ctrl-C: the partial result is printed and the exit status is 130.
"$PINCH" load -d 20s -c 2 "$FS_URL/ok" >int.txt 2>/dev/null &
lp=$!
sleep 1
kill -INT $lp
wait $lp
is "$?" 130 "Ctrl-C exits 130"
ok "... after printing the partial result" grep -q '^  requests' int.txt
stop_faultsrv
done_testing
