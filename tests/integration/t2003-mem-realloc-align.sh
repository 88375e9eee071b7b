#!/bin/bash
# realloc chains and every aligned allocator, counted exactly.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

mem_json realloc.json -- "$W/mem-realloc"
is "$(jqv realloc.json '"\(.alloc_bytes) \(.alloc_calls)"')" "549010 111" "realloc: allocated"
is "$(jqv realloc.json '"\(.peak_bytes) \(.peak_blocks)"')" "18000 2" "realloc: peak"
is "$(jqv realloc.json '"\(.leaked_bytes) \(.leaked_blocks)"')" "10000 1" "realloc: leak"
is "$(jqv realloc.json '.leaks[0].stack[0].function')" grow "realloc: the leak is grow()'s"
is "$(jqv realloc.json '[.sites[] | select(.function=="grow")][0] | "\(.alloc_calls) \(.alloc_bytes)"')" \
	"100 505000" "realloc: grow() site"

mem_json align.json -- "$W/mem-align"
is "$(jqv align.json '"\(.alloc_bytes) \(.alloc_calls)"')" "1011792 5" "aligned: allocated"
is "$(jqv align.json '"\(.peak_bytes) \(.peak_blocks)"')" "1011792 5" "aligned: peak"
is "$(jqv align.json '"\(.in_use_at_exit_bytes) \(.in_use_at_exit_blocks)"')" "1000000 1" "aligned: memalign's block is in use at exit"

if command -v valgrind >/dev/null; then
	is "$(massif_peak "$W/mem-realloc")" 18000 "massif agrees on the realloc peak"
	memcheck_agrees "$W/mem-realloc" 10000 1 10000 "the realloc leak"
else
	skip "massif" "valgrind not installed"
	skip "memcheck in use" "valgrind not installed"
	skip "memcheck definitely lost" "valgrind not installed"
fi
done_testing
