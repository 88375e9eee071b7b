#!/usr/bin/env bash
# pinch load: bad input is a clear message and exit 2, before any traffic.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv
U="$FS_URL/ok"

exit_status 0 "-h prints the options" $PINCH load -h
grep -q -- '--rate' "$TMP/.out"; is $? 0 "-h lists --rate"
exit_status 2 "no URL" $PINCH load
exit_status 2 "malformed URL" $PINCH load 'ftp://example/'
grep -q "bad URL" "$TMP/.out"; is $? 0 "malformed URL message"
exit_status 2 "bad port" $PINCH load 'http://127.0.0.1:99999/'
exit_status 2 "unresolvable host" $PINCH load 'http://no-such-host.invalid/'
grep -q "cannot resolve 'no-such-host.invalid'" "$TMP/.out"; is $? 0 "resolver message names the host"
closed=$(free_port)
exit_status 2 "refused connection" $PINCH load -d 1s "http://127.0.0.1:$closed/"
grep -q "Connection refused" "$TMP/.out"; is $? 0 "refused message"
exit_status 2 "zero connections" $PINCH load -c 0 "$U"
exit_status 2 "negative connections" $PINCH load -c -3 "$U"
exit_status 2 "zero threads" $PINCH load -t 0 "$U"
exit_status 2 "zero rate" $PINCH load -R 0 "$U"
exit_status 2 "negative rate" $PINCH load -R -10 "$U"
exit_status 2 "zero duration" $PINCH load -d 0 "$U"
exit_status 2 "negative duration" $PINCH load -d -1s "$U"
exit_status 2 "zero requests" $PINCH load -n 0 "$U"
exit_status 2 "bad pipeline" $PINCH load --pipeline 0 "$U"
exit_status 2 "bad header" $PINCH load -H 'NoColon' "$U"
exit_status 2 "bad threshold" $PINCH load --threshold 'p99<fast' "$U"
exit_status 2 "unknown threshold metric" $PINCH load --threshold 'speed>1' "$U"
exit_status 2 "two bodies" $PINCH load --body a --json-body '{}' "$U"
exit_status 2 "missing scenario" $PINCH load -s "$TMP/none.yaml" "$U"

printf 'users: 5\ntasks:\n  - path: /a\n    weight: -1\n' >"$TMP/w.yaml"
exit_status 2 "scenario: negative weight" $PINCH load -s "$TMP/w.yaml" "$U"
grep -q "w.yaml:4:13: 'weight'" "$TMP/.out"; is $? 0 "scenario error has file:line:column"
printf 'tasks:\n  - path: /a\n   - x: [\n' >"$TMP/y.yaml"
exit_status 2 "scenario: bad YAML" $PINCH load -s "$TMP/y.yaml" "$U"
grep -q "y.yaml:3:4:" "$TMP/.out"; is $? 0 "YAML error has file:line:column"
printf 'tasks:\n  - path: /a\nspeed: 3\n' >"$TMP/k.yaml"
exit_status 2 "scenario: unknown key" $PINCH load -s "$TMP/k.yaml" "$U"
grep -q "k.yaml:3:1: unknown key 'speed'" "$TMP/.out"; is $? 0 "unknown key located"
printf 'tasks:\n  - path: items\n' >"$TMP/p.yaml"
exit_status 2 "scenario: path without /" $PINCH load -s "$TMP/p.yaml" "$U"
grep -q "p.yaml:2:11:" "$TMP/.out"; is $? 0 "bad path located"
printf 'tasks:\n  - path: /i/{rand:9..1}\n' >"$TMP/r.yaml"
exit_status 2 "scenario: bad {rand}" $PINCH load -s "$TMP/r.yaml" "$U"
printf 'wait: 5s..1s\ntasks:\n  - path: /a\n' >"$TMP/wt.yaml"
exit_status 2 "scenario: bad wait range" $PINCH load -s "$TMP/wt.yaml" "$U"
printf 'thresholds: ["p99<soon"]\ntasks:\n  - path: /a\n' >"$TMP/t.yaml"
exit_status 2 "scenario: bad threshold" $PINCH load -s "$TMP/t.yaml" "$U"
printf 'tasks: []\n' >"$TMP/e.yaml"
exit_status 2 "scenario: no tasks" $PINCH load -s "$TMP/e.yaml" "$U"
exit_status 2 "merge: no files" $PINCH load merge
echo garbage >"$TMP/g.hlog"
exit_status 2 "merge: not a log" $PINCH load merge "$TMP/g.hlog"

stop_faultsrv
is "$(fs_stat total)" 0 "no request reached the server"
# Numbers: decimal only; negative or out-of-range values are refused with
# the valid range (-1 once ran the default 10 s with exit 0).
for a in "-n -1" "-c -1" "-t -1" "--requests=-1" "-c 0" "-t 2000" "-R 1e12" "-R -5" "--pipeline 0"; do
	# shellcheck disable=SC2086
	"$PINCH" load $a http://127.0.0.1:9/ >/dev/null 2>err.txt
	is "$?" 2 "load $a: exit 2"
	ok "load $a: the message gives the valid range" grep -q 'must be between' err.txt
done
"$PINCH" load -n 0x10 http://127.0.0.1:9/ >/dev/null 2>err.txt
is "$?" 2 "load -n 0x10: exit 2 (decimal only)"
ok "load -n 0x10: says it expects an integer" grep -q "expects an integer, not '0x10'" err.txt
done_testing
