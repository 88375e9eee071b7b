#!/bin/bash
# kill -9 of pinch mem mid-run: the recording on disk is unfinished, the
# target dies with pinch (PR_SET_PDEATHSIG) and the agent's files stay in
# .pinch-mem.XXXXXX; 'pinch mem report' rewrites the recording from them,
# says it was salvaged, and the figures are exactly what the program had
# done (mem-kill wait: 500 x 100 B and 1 MiB held, a 4 KiB block freed).
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

"$PINCH" mem -o k.rec -- "$W/mem-kill" wait ready 2>pinch.err &
pp=$!
for _ in $(seq 600); do [ -e ready ] && break; sleep 0.05; done
ok "the program got to its wait" test -e ready
kill -9 $pp
wait $pp 2>/dev/null
ok "the agent's files were left behind" compgen -G ".pinch-mem.*/*.stream"
"$PINCH" mem report k.rec >k.txt 2>k.err
ok "the report says it salvaged the recording" grep -q "was left unfinished (pinch was killed while the program ran); rewrote it" k.err
ok "and that it is cut short" grep -q "is cut short: salvaged after pinch was killed" k.err
ok "the header says so" grep -q "^Memory of mem-kill (pid [0-9]*), [0-9.]* s, cut short: pinch was killed (salvaged; exit unknown)$" k.txt
ok "the agent's directory is gone" bash -c '! compgen -G ".pinch-mem.*"'
"$PINCH" mem report --json k.rec >k.json 2>k2.err
is "$(jqv k.json '"\(.salvaged) \(.truncated) \(.exit_status) \(.alloc_calls) \(.alloc_bytes)"')" "true true -1 502 1102672" \
	"salvaged: the calls and bytes the program made"
is "$(jqv k.json '"\(.peak_bytes) \(.peak_blocks) \(.leaked_bytes) \(.leaked_blocks)"')" "1102672 502 1098576 501" \
	"salvaged: the peak and what was in use at the end, exact"
is "$(jqv k.json '.leaks[0] | "\(.bytes) \(.stack[0].function)"')" "1048576 hold_big" "salvaged: the stacks are there"
ok "a second report does not salvage again" bash -c '! grep -q "rewrote" k2.err'
done_testing
