# offcpu-lib.sh - helpers for the off-CPU tests (source after lib.sh and
# report-lib.sh): time per function and reason out of a recording.

# offtime FILE FUNC LEAF [REPORT-ARGS...]: nanoseconds of the samples whose
# stack holds FUNC and whose leaf is LEAF ("[off: sleep]", or "*" for any
# leaf), from the speedscope export (weights in nanoseconds).
offtime() {
	local f=$1 fn=$2 leaf=$3; shift 3
	"$PINCH" report "$@" --speedscope "$TMP/.ss.json" "$f" >/dev/null 2>&1 || { echo; return; }
	python3 - "$TMP/.ss.json" "$fn" "$leaf" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = [fr["name"] for fr in d["shared"]["frames"]]
fn, leaf = sys.argv[2], sys.argv[3]
tot = 0
for p in d["profiles"]:
    for s, w in zip(p["samples"], p["weights"]):
        fs = [names[i] for i in s]
        if fn in fs and (leaf == "*" or (fs and fs[-1] == leaf)):
            tot += w
print(tot)
PY
}

# truth FILE NAME: the workload's own figure "NAME NS" or "phase NAME NS".
truth() { sed -n "s/^\(phase \)\{0,1\}$2 \([0-9]*\)$/\2/p" "$1" | head -1; }

# pct GOT WANT: GOT as a percentage of WANT (one decimal).
pct() { python3 -c "print(round(100.0 * ${1:-0} / max(${2:-1}, 1), 1))"; }

# offcpu_perf FILE: skips the whole test unless FILE holds blocked time
# with stacks (perf_event and kernel-side switch samples permitted here).
offcpu_perf() {
	[ "$(jget "$1" 'd["recording"]["offcpu"]["stacks"]')" = sampled ] ||
		skip_all "stacks at context switches are not permitted here (perf_event_paranoid; run as root)"
}
