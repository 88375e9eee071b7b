#!/usr/bin/env bash
# bench/cpu.sh - the cost of sampling: pinch record vs perf record on the
# same CPU-bound program (tests/workloads/cpu-603010, scaled to ~3 s) at
# 999 Hz, frame-pointer call chains (pinch fp vs perf -g) and DWARF stack
# copies (pinch --call-graph dwarf vs perf --call-graph dwarf).
# Each run measures the target's own CPU time (bench/cputime.c, wait4,
# inside the recorder), the recorder's CPU time (total minus the target's), the wall
# time of the whole recorder command, and the recording's bytes per second.
# Runs are interleaved (plain, pinch, perf, plain, ...); medians of N.
# Usage: bench/cpu.sh [BUILDDIR] [RUNS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-7}
ROUNDS=${3:-105}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
PINCH=$PWD/$B/pinch
W=$PWD/$B/tests/workloads
command -v perf >/dev/null || { echo "bench/cpu.sh: perf is not installed (linux-perf)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/cputime" bench/cputime.c
CT=$out/cputime

# run NAME KIND WORKLOAD: one measured run; appends "target_cpu recorder_cpu wall bytes".
run() {
	local name=$1 kind=$2 prog=$3 t0 t1
	local inner="$CT $out/inner $prog $ROUNDS"
	rm -f "$out/rec" "$out/perf.data"
	t0=$(date +%s%N)
	case $kind in
	plain) "$CT" "$out/outer" $inner >/dev/null ;;
	pinch-fp) "$CT" "$out/outer" "$PINCH" record -q -F 999 -o "$out/rec" -- $inner >/dev/null ;;
	pinch-dwarf) "$CT" "$out/outer" "$PINCH" record -q -F 999 --call-graph dwarf -o "$out/rec" -- $inner >/dev/null ;;
	perf-fp) "$CT" "$out/outer" perf record -q -e cpu-clock -F 999 -g -o "$out/perf.data" -- $inner >/dev/null 2>&1 ;;
	perf-dwarf) "$CT" "$out/outer" perf record -q -e cpu-clock -F 999 --call-graph dwarf -o "$out/perf.data" -- $inner >/dev/null 2>&1 ;;
	esac
	t1=$(date +%s%N)
	local target total bytes=0
	target=$(echo "$(cat "$out/inner")" | bc -l)
	total=$(echo "$(cat "$out/outer")" | bc -l)
	[ -f "$out/rec" ] && bytes=$(stat -c %s "$out/rec")
	[ -f "$out/perf.data" ] && bytes=$(stat -c %s "$out/perf.data")
	echo "$target $(echo "$total - $target" | bc -l) $(echo "($t1 - $t0) / 1000000000" | bc -l) $bytes" >>"$out/$name"
}

median() {	# median of column $2 of file $1
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "# $(nproc) CPUs, $(uname -r), $(perf --version), pinch $("$PINCH" --version | awk '{ print $3 }')"
echo "# workload: cpu-603010 $ROUNDS rounds; 999 Hz; $N interleaved runs each; medians"
for i in $(seq "$N"); do
	run plain-fp plain "$W/cpu-603010-fp"
	run pinch-fp pinch-fp "$W/cpu-603010-fp"
	run perf-fp perf-fp "$W/cpu-603010-fp"
	run plain-nofp plain "$W/cpu-603010-nofp"
	run pinch-dwarf pinch-dwarf "$W/cpu-603010-nofp"
	run perf-dwarf perf-dwarf "$W/cpu-603010-nofp"
done

printf '%-12s %10s %9s %12s %9s %9s %10s\n' tool "target-cpu" overhead "recorder-cpu" wall "wall+" "bytes/s"
report() {	# report NAME BASELINE
	local tc rc wall bytes btc bwall
	tc=$(median "$out/$1" 1); rc=$(median "$out/$1" 2); wall=$(median "$out/$1" 3); bytes=$(median "$out/$1" 4)
	btc=$(median "$out/$2" 1); bwall=$(median "$out/$2" 3)
	awk -v n="$1" -v tc="$tc" -v rc="$rc" -v w="$wall" -v b="$bytes" -v btc="$btc" -v bw="$bwall" 'BEGIN {
		printf "%-12s %9.3fs %8.2f%% %11.3fs %8.3fs %8.3fs %10s\n", n, tc, 100 * (tc / btc - 1), rc, w, w - bw,
			b ? sprintf("%.0fK", b / tc / 1024) : "-" }'
}
report plain-fp plain-fp
report pinch-fp plain-fp
report perf-fp plain-fp
report plain-nofp plain-nofp
report pinch-dwarf plain-nofp
report perf-dwarf plain-nofp
awk -v a="$(median "$out/pinch-fp" 1)" -v b="$(median "$out/perf-fp" 1)" -v p="$(median "$out/plain-fp" 1)" \
	-v c="$(median "$out/pinch-dwarf" 1)" -v d="$(median "$out/perf-dwarf" 1)" -v q="$(median "$out/plain-nofp" 1)" 'BEGIN {
	printf "ratio target-cpu overhead pinch/perf: fp %.2f (%.2f%% vs %.2f%%), dwarf %.2f (%.2f%% vs %.2f%%)\n",
		(a - p) / (b - p), 100 * (a / p - 1), 100 * (b / p - 1), (c - q) / (d - q), 100 * (c / q - 1), 100 * (d / q - 1) }'
awk -v a="$(median "$out/pinch-fp" 4)" -v b="$(median "$out/perf-fp" 4)" -v c="$(median "$out/pinch-dwarf" 4)" -v d="$(median "$out/perf-dwarf" 4)" 'BEGIN {
	printf "ratio recording size pinch/perf: fp %.2f, dwarf %.2f\n", a / b, c / d }'
