#!/usr/bin/env bash
# pinch load against the fault-injecting server: every fault is counted
# under its kind, exact request counts with -n, nothing crashes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv

# path  ok  failed  kind  status-key
while read -r path okn failn kind; do
	$PINCH load -n 20 -c 2 -t 2 --timeout 1s --json "$FS_URL/$path" >"$TMP/r.json" 2>"$TMP/r.err"
	rc=$?
	is "$rc" 0 "$path: exit 0 (faults are results)"
	is "$(jqv "$TMP/r.json" .requests)" 20 "$path: exactly 20 requests"
	is "$(jqv "$TMP/r.json" .successful)" "$okn" "$path: successful"
	is "$(jqv "$TMP/r.json" .failed)" "$failn" "$path: failed"
	if [ "$kind" != - ]; then
		is "$(jqv "$TMP/r.json" ".errors.$kind")" "$failn" "$path: counted as $kind"
	fi
	is "$(jqv "$TMP/r.json" '[.errors[]] | add')" "$failn" "$path: no other error kind"
done <<'LIST'
ok 20 0 -
chunked 20 0 -
eof-body 20 0 -
keepalive-close 20 0 -
500 0 20 status
404 0 20 status
reset 0 20 reset
close 0 20 read
close-mid 0 20 read
bad-status 0 20 parse
bad-chunk 0 20 parse
slow?ms=3000 0 20 timeout
LIST

$PINCH load -n 20 -c 2 --json "$FS_URL/500" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" '.status["500"]')" 20 "500s are counted by status code"
$PINCH load -n 20 -c 2 --json "$FS_URL/chunked" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .bytes)" $((20 * 80)) "chunked: every byte read, none twice"

# Slow but within the timeout: answered, with the delay in the latency.
$PINCH load -n 10 -c 1 --json "$FS_URL/slow?ms=100" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .successful)" 10 "slow answers within the timeout succeed"
ok "slow: p50 holds the 100 ms delay" jq -e '.latency_ms.p50 >= 99 and .latency_ms.p50 < 1000' "$TMP/r.json"

# Pipelining: exact counts, each response matched to its request.
$PINCH load -n 1000 -c 4 --pipeline 8 --json "$FS_URL/ok" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .successful)" 1000 "pipelined: 1000 answered"
$PINCH load -n 200 -c 4 --pipeline 4 --json "$FS_URL/close" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .requests)" 200 "pipelined closes: every request accounted for"
is "$(jqv "$TMP/r.json" .errors.read)" 200 "pipelined closes: all read errors"

# A time-bounded run over every fault at once must end and not crash.
pids=
for p in ok chunked 500 reset close close-mid bad-status slow?ms=50; do
	$PINCH load -d 1s -c 4 -t 2 --timeout 200ms --json "$FS_URL/$p" >"$TMP/m-${p%%\?*}.json" 2>&1 &
	pids="$pids $!"
done
fails=0
for pid in $pids; do wait "$pid" || fails=$((fails + 1)); done
is "$fails" 0 "concurrent runs over every fault all exit 0"
for p in ok chunked 500 reset close close-mid bad-status slow; do
	ok "concurrent $p run wrote its JSON" jq -e .requests "$TMP/m-$p.json"
done

# On a terminal (script(1) provides one) a progress line shows each second.
if command -v script >/dev/null; then
	script -qec "$PINCH load -d 1500ms -c 2 --no-verdict $FS_URL/ok" /dev/null >"$TMP/tty.txt" 2>&1
	ok "progress line on a TTY" grep -q 'req/s  p99' "$TMP/tty.txt"
else
	skip "progress line on a TTY" "script(1) is not installed"
fi

stop_faultsrv
requests_seen=$(fs_stat total)
ok "server still answered after all faults" test "$requests_seen" -gt 0
done_testing
