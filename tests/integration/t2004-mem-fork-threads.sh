#!/bin/bash
# A forked child is followed into its own recording; an 8-thread storm
# is counted exactly per site.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

mem_json fork.json -- "$W/mem-fork"
ok "two processes recorded" grep -q "recorded 2 processes" fork.err
is "$(jqv fork.json '"\(.in_use_at_exit_bytes) \(.in_use_at_exit_blocks) \(.forked)"')" "314 5 false" "parent: leak"
"$PINCH" mem report fork.rec >fork.txt 2>&1
cpid=$(sed -n 's/^  pid \([0-9]*\) .*fork child.*/\1/p' fork.txt)
ok "the child is listed" test -n "$cpid"
"$PINCH" mem report --json --pid "$cpid" fork.rec >child.json 2>/dev/null
is "$(jqv child.json '"\(.in_use_at_exit_bytes) \(.in_use_at_exit_blocks) \(.forked)"')" "1300 8 true" "child: in use at exit (inherited + own)"
is "$(jqv child.json '"\(.alloc_bytes) \(.alloc_calls)"')" "1000 5" "child: its own allocations"
is "$(jqv child.json '[.leaks[] | select(.stack[0].function=="in_child")][0] | "\(.bytes) \(.blocks)"')" \
	"1000 5" "child: in_child's blocks"

mem_json threads.json -- "$W/mem-threads"
is "$(jqv threads.json '[.sites[] | select(.function=="storm")] | "\(map(.alloc_calls) | add) \(map(.alloc_bytes) | add)"')" \
	"160000 10800000" "storm: calls and bytes over 8 threads"
is "$(jqv threads.json '[.leaks[] | select(.stack[0].function=="leak_some")] | "\(map(.bytes) | add) \(map(.blocks) | add)"')" \
	"3600 36" "threads: the workers' leak"
is "$(jqv threads.json '[.sites[] | select(.function=="storm")] | map(.in_use_at_exit_bytes) | add')" 0 "storm: nothing left"
done_testing
