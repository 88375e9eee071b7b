#!/bin/bash
# A program linked with jemalloc or tcmalloc keeps its allocator under
# pinch mem: the allocator's own statistics are the same as in a plain run
# (with as many environment variables: tcmalloc copies the environment),
# and pinch's figures are exact (tests/workloads/mem-allocator.c).
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
[ -x "$W/mem-jemalloc" ] || [ -x "$W/mem-tcmalloc" ] ||
	skip_all "neither libjemalloc-dev nor libgoogle-perftools-dev was installed at build time"

for a in jemalloc tcmalloc; do
	if [ ! -x "$W/mem-$a" ]; then
		skip "$a: the allocator's statistics are the same under pinch" "lib$a was not found at build time"
		continue
	fi
	# the variables pinch adds to the target's environment, as many here
	env LD_PRELOAD= PINCH_MEM_DIR=unused PINCH_MEM_OPTS=unused PYTHONMALLOC=malloc \
		"$W/mem-$a" >plain-$a.txt
	"$PINCH" mem -q -o $a.rec -- "$W/mem-$a" >pinch-$a.txt 2>$a.err
	ok "$a: the program ran on $a" grep -qx "allocator $a" plain-$a.txt
	ok "$a: its statistics are the same under pinch" diff plain-$a.txt pinch-$a.txt
	"$PINCH" mem report --json -n 0 $a.rec >$a.json
	is "$(jqv $a.json '[.sites[] | select(.function | test("^(keep_small|churn|grow|aligned)$"))]
		| group_by(.function) | map("\(.[0].function) \(map(.alloc_calls) | add) \(map(.alloc_bytes) | add) \(map(.in_use_at_exit_bytes) | add) \(map(.in_use_at_exit_blocks) | add)")
		| join(", ")')" \
		"aligned 4 13692 13692 4, churn 5 600 0 0, grow 2 5050 0 0, keep_small 10 1000 1000 10" \
		"$a: pinch's calls, bytes and leaks per function are exact"
	is "$(jqv $a.json '"\(.unknown_frees) \(.dropped_events)"')" "0 0" "$a: no unknown frees, nothing dropped"
done
done_testing
