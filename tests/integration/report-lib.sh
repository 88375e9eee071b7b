# report-lib.sh - helpers shared by the t11NN-report-* tests (source after
# lib.sh): recording a workload or skipping where the kernel refuses, and
# reading values out of `pinch report --json`.
W=${PINCH_WORKLOADS:-${PINCH_BUILDDIR:-.}/tests/workloads}

# record OUT ARGS...: pinch record -q -o OUT ARGS; skips the whole test
# when no recording can be made here (no perf_event and no agent).
record() {
	local out=$1; shift
	if ! "$PINCH" record -q -o "$out" "$@" >"$TMP/.rec.out" 2>&1; then
		sed 's/^/# /' "$TMP/.rec.out"
		skip_all "pinch record cannot record here"
	fi
}

# record_perf OUT ARGS...: like record, but skips unless perf_event was used
# (dwarf stacks and the leaf fix need the kernel's sampler).
record_perf() {
	record "$@"
	[ "$(jget "$1" 'd["recording"]["meta"].get("mode","")')" = perf ] ||
		skip_all "perf_event is not available here (agent mode)"
}

# jget FILE PYEXPR [REPORT-ARGS...]: evaluates PYEXPR, with d the parsed
# `pinch report --json` document.
jget() {
	local f=$1 expr=$2; shift 2
	"$PINCH" report --json "$@" "$f" 2>/dev/null |
		python3 -c "import json,sys
d=json.load(sys.stdin)
try:
    v=$expr
except (KeyError, IndexError, TypeError, ValueError):
    v=''
print(round(v, 2) if isinstance(v, float) else v)"
}

# self_pct FILE FUNC / total_pct FILE FUNC: a function's share of all samples
# in the top table ("" when it is absent).
# self_pct/total_pct FILE FUNC [REPORT-ARGS]: FUNC's share of the samples.
# A workload's known shares are of its own work: tests comparing with them
# pass --user-only (on a loaded machine interrupts and task switches land
# as a few % of [k] frames, which perf shows the same way).
self_pct() { local f=$1 fn=$2; shift 2; jget "$f" "$(printf 'd["report"]["rows"][[r["function"] for r in d["report"]["rows"]].index("%s")]["self_pct"]' "$fn")" --limit 0 "$@"; }
total_pct() { local f=$1 fn=$2; shift 2; jget "$f" "$(printf 'd["report"]["rows"][[r["function"] for r in d["report"]["rows"]].index("%s")]["total_pct"]' "$fn")" --limit 0 "$@"; }
