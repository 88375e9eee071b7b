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

# nginx's worker under load: the profile includes kernel time where
# permitted (its CPU is mostly system time: sendfile, epoll, writev), and
# the load report says what share of the worker's CPU the samples cover.
start_nginx
worker=$(pgrep -P "$NGX_PID" | head -1)
$PINCH load -d 2s -c 20 --profile-pid "$worker" -o "$TMP/ngx.json" "$NGX_URL" >"$TMP/ngx.txt" 2>"$TMP/ngx.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "pinch record" "$TMP/ngx.err"; then
	skip "nginx profile" "pinch record refused here: $(head -1 "$TMP/ngx.err")"
else
	is "$rc" 0 "nginx --profile-pid: exit 0"
	kernel=$(jqv "$TMP/ngx.json" .profile.kernel)
	ok "JSON: samples, sampled and server CPU" jq -e '.profile.samples > 100 and .profile.sampled_ms > 0 and .profile.server_cpu_ms > 0' "$TMP/ngx.json"
	# The server's CPU comes from /proc in clock ticks: the share is near 1.
	ok "the samples cover the worker's CPU ($(jqv "$TMP/ngx.json" .profile.coverage))" \
		jq -e '.profile.coverage > 0.8 and .profile.coverage < 1.25' "$TMP/ngx.json"
	ok "the table says the share" grep -Eq "^  profile     $TMP/ngx.rec: .* sampled of the server's .* CPU \([0-9]+ %; system .*\)" "$TMP/ngx.txt"
	if [ "$kernel" = sampled ]; then
		ok "... and that kernel stacks are included" grep -q "kernel stacks included$" "$TMP/ngx.txt"
		ok "kernel frames hold time in the profile" sh -c "$PINCH report '$TMP/ngx.rec' | grep -q '\[k\] '"
		ok "the worker's system time is counted" jq -e '.profile.server_system_ms > 0' "$TMP/ngx.json"
	else
		ok "kernel not sampled here ($kernel): the table says user space only" grep -q "user space only" "$TMP/ngx.txt"
	fi
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
