#!/bin/bash
# Programs that end through _exit or a SIGKILL leave an exact recording.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

mem_json exit.json -- "$W/mem-exit"
is "$(jqv exit.json '"\(.peak_bytes) \(.peak_blocks)"')" "68108864 1001" "_exit: peak"
is "$(jqv exit.json '"\(.leaked_bytes) \(.leaked_blocks)"')" "1000000 1000" "_exit: leak"
is "$(jqv exit.json '"\(.alloc_bytes) \(.alloc_calls)"')" "68108864 1001" "_exit: allocated"

mem_json kill.json -- "$W/mem-kill"
is "$(jqv kill.json .term_signal)" 9 "SIGKILL seen"
is "$(jqv kill.json '"\(.peak_bytes) \(.peak_blocks)"')" "1102672 502" "SIGKILL: peak"
is "$(jqv kill.json '"\(.leaked_bytes) \(.leaked_blocks)"')" "1098576 501" "SIGKILL: in use at death"
is "$(jqv kill.json '.leaks[0] | "\(.bytes) \(.stack[0].function)"')" "1048576 hold_big" "SIGKILL: biggest holder"
ok "SIGKILL is reported" grep -q "killed by signal 9" kill.err
# like time(1) and pinch record: the command's status, 128 + its signal
exit_status 137 "SIGKILL: pinch mem exits 128 + 9" "$PINCH" mem -q -o kill2.rec -- "$W/mem-kill"
exit_status 0 "_exit(0): pinch mem exits 0" "$PINCH" mem -q -o exit2.rec -- "$W/mem-exit"
exit_status 3 "exit 3: pinch mem exits 3" "$PINCH" mem -q -o three.rec -- /bin/sh -c 'exit 3'

if command -v valgrind >/dev/null; then
	is "$(massif_peak "$W/mem-exit")" 68108864 "massif agrees on the _exit peak"
	memcheck_agrees "$W/mem-exit" 1000000 1000 1000 "the _exit leak"
else
	skip "massif" "valgrind not installed"
	skip "memcheck in use" "valgrind not installed"
	skip "memcheck definitely lost" "valgrind not installed"
fi
# kill -9 of pinch mem: the target is killed too (PR_SET_PDEATHSIG), not
# left running as an orphan (a zombie until init reaps it is gone enough).
"$PINCH" mem -q -o orphan.rec -- sleep 30 &
pp=$!
for _ in $(seq 50); do sp=$(pgrep -P $pp); [ -n "$sp" ] && break; sleep 0.05; done
kill -9 $pp
wait $pp 2>/dev/null
alive=1
for _ in $(seq 40); do
	st=$(ps -o stat= -p "$sp" 2>/dev/null | cut -c1)
	if [ -z "$st" ] || [ "$st" = Z ]; then alive=0; break; fi
	sleep 0.05
done
is "$alive" 0 "kill -9 of pinch mem also ends the target"
[ "$alive" = 1 ] && kill "$sp" 2>/dev/null
done_testing
