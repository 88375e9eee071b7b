#!/bin/bash
# The views over a memory profile: flame graphs of allocated, peak and
# leaked bytes, folded stacks, the SVG timeline, --lines, --stacks.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"

"$PINCH" mem -q -o leak.rec -- "$W/mem-leak" 2>/dev/null
ok "recorded" test -s leak.rec
"$PINCH" mem report --collapsed --what leaked leak.rec >leaked.folded 2>/dev/null
ok "folded leaked stacks" grep -q "main;leak_big 1000000$" leaked.folded
is "$(awk '{s += $NF} END {print s}' leaked.folded)" 1001200 "folded leaked bytes add up"
"$PINCH" mem report --collapsed --what peak leak.rec >peak.folded 2>/dev/null
is "$(awk '{s += $NF} END {print s}' peak.folded)" 68110064 "folded peak bytes add up"
"$PINCH" mem report --collapsed leak.rec >alloc.folded 2>/dev/null
is "$(awk '{s += $NF} END {print s}' alloc.folded)" 69114160 "folded allocated bytes add up"
if "$PINCH" mem report --svg flame.svg --what leaked leak.rec 2>&1 | grep -q "not implemented yet"; then
	skip "flame graph" "the flame graph view is not on this branch yet"
	skip "flame graph is SVG" "the flame graph view is not on this branch yet"
else
	run_status 0 "flame graph" "$PINCH" mem report --svg flame.svg --what leaked leak.rec
	ok "flame graph is SVG" grep -q "<svg" flame.svg
fi
run_status 0 "timeline SVG" "$PINCH" mem report --svg-timeline time.svg leak.rec
ok "timeline is SVG" grep -q "<svg" time.svg
ok "timeline has the heap path" grep -q "heap in use" time.svg
"$PINCH" mem report --lines leak_big leak.rec >lines.txt 2>&1
ok "line listing" grep -Eq "^ +38 +1000000 +1000 +1000000 .*malloc\(1000\)" lines.txt
run_status 2 "--lines of an unknown function" "$PINCH" mem report --lines no_such_fn leak.rec
"$PINCH" mem report --stacks leak.rec >stacks.txt 2>&1
ok "stack granularity shows callers" grep -q "<- main  mem-leak.c" stacks.txt
done_testing
