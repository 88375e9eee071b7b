#!/usr/bin/env bash
# pinch load --profile-pid / --profile-cmd: the server's CPU is recorded by
# 'pinch record' for exactly the load window, beside the results.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv

exit_status 2 "--profile-pid of no process" $PINCH load -n 10 --profile-pid 999999999 "$FS_URL/ok"
exit_status 2 "--profile-pid with --profile-cmd" $PINCH load -n 10 --profile-pid "$FS_PID" --profile-cmd true "$FS_URL/ok"

if $PINCH record -h 2>&1 | grep -q "not a pinch command"; then
	exit_status 2 "without 'pinch record': clear error before traffic" \
		$PINCH load -n 10 --profile-pid "$FS_PID" "$FS_URL/ok"
	out_has "'pinch record' is not available" "message says record is missing"
	stop_faultsrv
	is "$(fs_stat total)" 0 "no traffic was sent"
	skip "profile under load" "pinch record is not in this build"
	done_testing
	exit
fi
[ "${PINCH_SANITIZED:-0}" = 1 ] && { skip "profile under load" "pinch record under ASan"; done_testing; exit; }

$PINCH load -d 1s -c 4 --profile-pid "$FS_PID" -o "$TMP/res.json" "$FS_URL/ok" >"$TMP/out.txt" 2>"$TMP/err.txt"
rc=$?
if [ $rc -ne 0 ] && grep -q "pinch record" "$TMP/err.txt"; then
	skip "profile under load" "pinch record refused here: $(head -1 "$TMP/err.txt")"
else
	is "$rc" 0 "--profile-pid run exits 0"
	ok "results written" jq -e .requests "$TMP/res.json"
	ok "recording written beside the results" test -s "$TMP/res.rec"
fi

port=$(free_port)
$PINCH load -n 200 -c 2 --profile-cmd "exec $PINCH_LOAD_FAULTSRV --port $port" \
	--profile-out "$TMP/cmd.rec" --json "http://127.0.0.1:$port/ok" >"$TMP/c.json" 2>"$TMP/c.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "pinch record" "$TMP/c.err"; then
	skip "--profile-cmd" "pinch record refused here"
else
	is "$rc" 0 "--profile-cmd run exits 0"
	is "$(jqv "$TMP/c.json" .successful)" 200 "--profile-cmd: the started server answered"
	ok "--profile-cmd: recording written" test -s "$TMP/cmd.rec"
fi
ok "--profile-cmd: server stopped afterwards" sh -c "! curl -s http://127.0.0.1:$port/ok"
done_testing
