# trace-lib.sh - shared by the t6xxx pinch trace tests: the instrumented
# workload, recording with --json, and reading figures out of the JSON.
W="$PINCH_BUILDDIR/tests/workloads"
TC="$W/trace-calls"
command -v jq >/dev/null || {
	[ "${CI:-}" = true ] && { echo "Bail out! jq is missing (scripts/deps.sh test group)"; exit 1; }
	skip_all "jq is not installed"
}

trace_json() {	# trace_json OUT.json [pinch trace options] -- CMD...: records OUT.rec too
	local out=$1; shift
	"$PINCH" trace -o "${out%.json}.rec" --json "$@" >"$out" 2>"${out%.json}.err"
}

calls() {	# calls FILE.json FUNC: "ncalls/primitive" of FUNC, merged
	jq -r --arg f "$2" '[.functions[] | select(.function == $f)][0] | "\(.ncalls)/\(.primitive)"' "$1"
}

edge() {	# edge FILE.json CALLER CALLEE: "ncalls/primitive" of the edge
	jq -r --arg a "$2" --arg b "$3" '[.edges[] | select(.caller == $a and .callee == $b)][0] | "\(.ncalls)/\(.primitive)"' "$1"
}

share() {	# share FILE.json FUNC: FUNC's cumtime in % of the traced total, 1 decimal
	jq -r --arg f "$2" '([.functions[] | select(.function == $f)][0].cumtime_ns) * 1000 / .total_ns | floor / 10' "$1"
}
