#!/bin/bash
# Leaks vs still reachable: at exit the agent classifies every block in use
# as memcheck does (definitely, indirectly, possibly lost, still reachable)
# by a conservative scan from the roots. Exact bytes and blocks of
# mem-classes.c, mem-leak.c and mem-threads.c (dead threads' cached stacks
# are no roots), checked against memcheck where valgrind is installed.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

classes() {	# classes FILE.json: "def defb ind indb pos posb reach reachb"
	jq -r '.leak_classes | "\(.definitely_lost.bytes) \(.definitely_lost.blocks) \(.indirectly_lost.bytes) \(.indirectly_lost.blocks) \(.possibly_lost.bytes) \(.possibly_lost.blocks) \(.still_reachable.bytes) \(.still_reachable.blocks)"' "$1"
}
memcheck_classes() {	# the same four pairs from memcheck's summary
	valgrind --leak-check=full --show-leak-kinds=all "$@" 2>&1 >/dev/null |
		awk '/definitely lost:|indirectly lost:|possibly lost:|still reachable:/ {
			gsub(",", ""); for (i = 1; i <= NF; i++) if ($i == "bytes") { printf "%s%s %s", sep, $(i-1), $(i+2); sep = " " } }
		     END { print "" }'
}

mem_json classes.json -- "$W/mem-classes"
is "$(jqv classes.json .leaks_classified)" true "the leaks are classified"
is "$(classes classes.json)" "3264 5 440 6 2000 1 4192 4" "exact classes of mem-classes.c"
is "$(jqv classes.json '"\(.leaked_bytes) \(.leaked_blocks) \(.in_use_at_exit_bytes) \(.in_use_at_exit_blocks)"')" \
	"3704 11 9896 16" "leaked = definitely + indirectly lost; in use at exit = all four"
is "$(jqv classes.json '[.leaks[] | select(.stack[0].function == "definite")][0] | "\(.bytes) \(.blocks)"')" \
	"3000 3" "the leaks list definite()'s blocks"
is "$(jqv classes.json '[.possibly_lost[] | .stack[0].function] | join(",")')" possible "possibly lost: possible()"
is "$(jqv classes.json '[.still_reachable[] | .stack[0].function] | unique | join(",")')" reachable \
	"still reachable: reachable()'s"
is "$(jqv classes.json '[.sites[] | select(.function == "reachable")] | map(.reachable_bytes) | add')" 4192 \
	"per site: reachable bytes"

"$PINCH" mem report classes.rec >classes.txt 2>&1
ok "the summary heads with what is lost" grep -q "leaked       3704 B (3.6 KiB) in 11 blocks: definitely lost 3264 B (5), indirectly 440 B (6)" classes.txt
ok "... possibly lost on its own line" grep -q "possibly     2000 B (2.0 KiB) in 1 block lost" classes.txt
ok "... still reachable apart, not as leaks" grep -q "reachable    4192 B (4.1 KiB) in 4 blocks still pointed to at exit (not leaks)" classes.txt
ok "a still-reachable table" grep -q "^Still reachable at exit (not leaks)" classes.txt

# Suppressions: the user's own known leaks left out, and counted.
printf '# known\nfun:definite\n\nobj:libnothing*.so\n' >supp.txt
"$PINCH" mem report --json --suppress supp.txt classes.rec >supp.json
is "$(jqv supp.json '"\(.leaked_bytes) \(.leaked_blocks) \(.suppressed.bytes) \(.suppressed.blocks)"')" "704 8 3000 3" \
	"--suppress fun:definite leaves 704 B in 8 blocks, 3000 B in 3 suppressed"
is "$(jqv supp.json '[.leaks[] | select(.stack[0].function == "definite")] | length')" 0 "... and definite() is not listed"
printf 'obj:mem-classes\n' >supp2.txt
is "$("$PINCH" mem report --json --suppress supp2.txt classes.rec | jq -r '"\(.leaked_bytes) \(.suppressed.bytes)"')" \
	"0 5704" "obj:MODULE suppresses every lost and possibly lost block of the program"
"$PINCH" mem report --suppress supp.txt classes.rec >supp.txt.out 2>&1
ok "the summary says what --suppress left out" grep -q "after --suppress left out 3000 B (2.9 KiB) in 3 blocks (supp.txt)" supp.txt.out
exit_status 2 "a missing suppressions file is a usage error" "$PINCH" mem report --suppress nope.txt classes.rec
printf '# nothing\n' >empty.txt
exit_status 2 "an empty one too" "$PINCH" mem report --suppress empty.txt classes.rec

mem_json leak.json -- "$W/mem-leak"
is "$(classes leak.json)" "1001200 1024 0 0 0 0 0 0" "mem-leak.c: every leaked block definitely lost"
mem_json threads.json -- "$W/mem-threads"
is "$(jqv threads.json '.leak_classes.definitely_lost | "\(.bytes) \(.blocks)"')" "3600 36" \
	"mem-threads.c: the workers' blocks are lost (their dead stacks are no roots)"
is "$(jqv threads.json '.leak_classes.possibly_lost.bytes')" 0 "... none possibly lost"

# Without exit() there is nothing to classify, and the report says so.
mem_json exit.json -- "$W/mem-exit"
is "$(jqv exit.json '"\(.leaks_classified) \(.leaked_bytes)"')" "false 1000000" "_exit: not classified, in use reported"
"$PINCH" mem report exit.rec >exit.txt 2>&1
ok "... and the summary says why" grep -q "not told apart from still reachable: the process did not end through exit()" exit.txt

"$PINCH" mem -q --no-leak-scan -o noscan.rec -- "$W/mem-classes" 2>/dev/null
"$PINCH" mem report noscan.rec >noscan.txt 2>&1
ok "--no-leak-scan: in use at exit, said to be unclassified" grep -q "9896 B (9.7 KiB) in 16 blocks (in use at exit; not told apart from still reachable: the leak scan was off)" noscan.txt

if command -v valgrind >/dev/null; then
	is "$(memcheck_classes "$W/mem-classes")" "3264 5 440 6 2000 1 4192 4" "memcheck agrees on mem-classes.c"
	is "$(memcheck_classes "$W/mem-threads" | cut -d' ' -f1-2)" "3600 36" "memcheck agrees on mem-threads.c"
else
	skip "memcheck classes" "valgrind not installed"
	skip "memcheck threads" "valgrind not installed"
fi
done_testing
