#!/usr/bin/env bash
# bench/python.sh - what profiling a Python program costs it: the slowdown
# of a call-heavy workload (tests/workloads/python/calls.py, 3 calls per iteration)
# under pinch record (999 Hz, reading Python stacks from outside),
# python -m cProfile, kernprof -l (line_profiler, every function of the
# workload decorated) and austin (Debian's package), against the plain run.
# Runs are interleaved (plain, pinch, cProfile, kernprof, austin, plain...);
# each run reports its own wall and CPU time for the workload's loop, so
# tool start-up and report writing are not counted. Medians of RUNS.
# Also checks that pinch's top three functions (self time) are cProfile's
# top three (tottime).
# Usage: bench/python.sh [BUILDDIR] [RUNS] [CALLS] [PYTHON]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-5}
CALLS=${3:-100000}
PY=${4:-/usr/bin/python3.11}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
PINCH=$PWD/$B/pinch
W=$PWD/tests/workloads/python/calls.py
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
KP=$(command -v kernprof || true)
AUSTIN=$(command -v austin || true)

# run KIND: one run; appends "wall cpu" (seconds) to $out/KIND, or "fail".
run() {
	local kind=$1 rc=0
	case $kind in
	plain) "$PY" "$W" "$CALLS" >/dev/null 2>"$out/err" || rc=$? ;;
	pinch) "$PINCH" record -q -F 999 -o "$out/p.rec" -- "$PY" "$W" "$CALLS" >/dev/null 2>"$out/err" || rc=$? ;;
	cprofile) "$PY" -m cProfile -o "$out/c.prof" "$W" "$CALLS" >/dev/null 2>"$out/err" || rc=$? ;;
	kernprof) "$PY" "$KP" -l -o "$out/k.lprof" "$W" "$CALLS" >/dev/null 2>"$out/err" || rc=$? ;;
	austin) timeout 120 "$AUSTIN" -i 1000 -o "$out/a.out" "$PY" "$W" "$CALLS" >/dev/null 2>"$out/err" || rc=$? ;;
	esac
	if [ $rc -ne 0 ] || ! grep -q '^elapsed=' "$out/err"; then
		echo fail >>"$out/$kind"
		cp "$out/err" "$out/$kind.err"
		return
	fi
	sed -n 's/^elapsed=\([0-9.]*\) cpu=\([0-9.]*\).*/\1 \2/p' "$out/err" >>"$out/$kind"
}

kinds=(plain pinch cprofile)
[ -n "$KP" ] && kinds+=(kernprof)
[ -n "$AUSTIN" ] && kinds+=(austin)
for ((i = 0; i < N; i++)); do
	for k in "${kinds[@]}"; do run "$k"; done
done

# median FILE COLUMN
median() { grep -v fail "$1" | awk -v c="$2" '{ print $c }' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

pw=$(median "$out/plain" 1)
pc=$(median "$out/plain" 2)
echo "python: $("$PY" -c 'import sys; print(sys.version.split()[0])') ($PY), $CALLS iterations (~$((CALLS * 3)) calls), median of $N interleaved runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %10s %10s %12s %12s\n' tool wall_s cpu_s slowdown_wall slowdown_cpu
for k in "${kinds[@]}"; do
	if ! grep -qv fail "$out/$k"; then
		printf '%-10s %10s %10s %12s %12s   (%s)\n' "$k" - - - - "failed: $(head -c 120 "$out/$k.err" | tr '\n' ' ')"
		continue
	fi
	w=$(median "$out/$k" 1)
	c=$(median "$out/$k" 2)
	printf '%-10s %10.3f %10.3f %11.1f%% %11.1f%%\n' "$k" "$w" "$c" \
		"$(echo "($w / $pw - 1) * 100" | bc -l)" "$(echo "($c / $pc - 1) * 100" | bc -l)"
done
ps=$(echo "$(median "$out/pinch" 1) / $pw - 1" | bc -l)
cs=$(echo "$(median "$out/cprofile" 1) / $pw - 1" | bc -l)
echo "pinch slowdown $(printf %.1f "$(echo "$ps * 100" | bc -l)") %, cProfile $(printf %.1f "$(echo "$cs * 100" | bc -l)") %: cProfile/pinch = $(printf %.1f "$(echo "$cs / ($ps + 0.0001)" | bc -l)")x (wall)"

# Top three by self time: pinch report vs cProfile's tottime.
if [ -f "$out/p.rec" ] && [ -f "$out/c.prof" ]; then
	"$PINCH" report --json --limit 3 "$out/p.rec" 2>/dev/null |
		"$PY" -c 'import json,sys; print("pinch top 3 (self):    " + ", ".join(r["function"] for r in json.load(sys.stdin)["report"]["rows"]))'
	"$PY" -c 'import pstats,sys
s = pstats.Stats(sys.argv[1]).stats
rows = sorted(s.items(), key=lambda kv: -kv[1][2])[:3]
print("cProfile top 3 (tottime): " + ", ".join(k[2] for k, v in rows))' "$out/c.prof"
fi
