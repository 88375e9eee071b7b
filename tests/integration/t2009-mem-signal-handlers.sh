#!/bin/bash
# Allocations in signal handlers are recorded, every one: a 1 ms SIGALRM
# handler allocates while main is (nearly always) inside the agent; the
# program counts its handler runs, and each handler site must have exactly
# that many calls. Nothing is dropped, and the report says so (JSON 0).
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

for run in 1 2 3; do
	timeout 300 "$PINCH" mem -o sig$run.rec --json -n 0 -- "$W/mem-signal" 300 >sig$run.json 2>sig$run.err
	R=$(sed -n 's/^runs=\([0-9]*\) loops=.*/\1/p' sig$run.err)
	L=$(sed -n 's/^runs=[0-9]* loops=\([0-9]*\)$/\1/p' sig$run.err)
	# one more alarm may land between the loop's end and the timer's stop:
	# the program's own count (R) is the truth the sites must match
	ok "run $run: the program counted its handler runs ($R, >= 300)" test "${R:-0}" -ge 300 -a "${R:-0}" -le 302
	is "$(jqv sig$run.json '[.sites[] | select(.function == "on_alarm")] | sort_by(.line) | map("\(.alloc_calls)/\(.alloc_bytes)") | join(" ")')" \
		"$R/$((333 * R)) $R/$((555 * R)) $R/$((77 * R))" \
		"run $run: each handler site has one call per handler run (malloc 333, realloc 555, calloc 77 B)"
	is "$(jqv sig$run.json '[.sites[] | select(.function == "main") | .alloc_calls] | max')" "$L" \
		"run $run: main's loop site has one call per loop"
	is "$(jqv sig$run.json '"\(.in_use_at_exit_bytes) \(.in_use_at_exit_blocks) \(.unknown_frees) \(.dropped_events)"')" "77 1 0 0" \
		"run $run: in use at exit 77 B in 1 block, no unknown frees, nothing dropped"
	is "$(jqv sig$run.json '.alloc_calls - .free_calls')" 1 "run $run: every block but one freed"
done
done_testing
