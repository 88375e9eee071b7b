#!/usr/bin/env bash
# bench/offcpu.sh - the cost of recording blocked time: slowdown of a
# ping-pong pipe workload (tests/workloads/offcpu-pingpong: two threads
# pass a byte through two pipes, both pinned to one CPU, so every message
# is a context switch) at about 4k and 40k context switches per second,
# under pinch record --off-cpu (and --off-cpu --user-only), perf record -e
# sched:sched_switch -g and perf trace -s, side by side in one run.
# The slowdown is the workload's own wall time (it prints it) over the
# plain run's; runs are interleaved (plain, pinch, ..., plain, ...) and
# medians of N are shown. The workload is pinned to CPU $CPU (1), the
# recorder to CPU $RCPU (0). The spin per message is calibrated first so the
# plain run switches at the wanted rate.
# Usage: bench/offcpu.sh [BUILDDIR] [RUNS] [SECONDS]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-5}
SECS=${3:-1}
CPU=${CPU:-1}		# the workload's CPU
RCPU=${RCPU:-0}		# the recorders' CPU
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
PINCH=$PWD/$B/pinch
PP=$PWD/$B/tests/workloads/offcpu-pingpong
command -v perf >/dev/null || { echo "bench/offcpu.sh: perf is not installed (linux-perf)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# wall ROUNDS SPIN [RECORDER...]: the workload's own wall ns.
wall() {
	local r=$1 s=$2; shift 2
	"$@" taskset -c "$CPU" "$PP" "$r" "$s" 2>&1 >/dev/null | sed -n 's/^rounds [0-9]* wall_ns \([0-9]*\)$/\1/p' | tail -1
}

# calibrate RATE: the spin giving about RATE switches/s (2 per round):
# time per message is linear in the spin, measured at 0 and 20000.
calibrate() {
	local w0 w1
	w0=$(wall 20000 0)
	w1=$(wall 2000 20000)
	awk -v w0="$w0" -v w1="$w1" -v want="$1" 'BEGIN {
		a = w0 / 40000; b = (w1 / 4000 - a) / 20000; s = (1e9 / want - a) / b;
		printf "%d", s < 0 ? 0 : s }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Each recorder runs on CPU $RCPU, the workload (taskset inside) on $CPU.
pinch_off() { taskset -c "$RCPU" "$PINCH" record -q --off-cpu -o "$out/p.rec" -- "$@"; }
pinch_user() { taskset -c "$RCPU" "$PINCH" record -q --off-cpu --user-only -o "$out/p.rec" -- "$@"; }
perf_sched() { taskset -c "$RCPU" perf record -q -e sched:sched_switch -g -o "$out/perf.data" -- "$@"; }
perf_trace() { taskset -c "$RCPU" perf trace -s -o "$out/trace.txt" -- "$@"; }

echo "# $(nproc) CPUs, $(uname -r), $(perf --version), pinch $("$PINCH" --version | awk '{ print $3 }'), workload pinned to CPU $CPU, recorders to CPU $RCPU"
printf '%-8s %-34s %10s %9s %10s\n' rate recorder "wall" slowdown "switches/s"
for rate in 4000 40000; do
	spin=$(calibrate "$rate")
	rounds=$((rate * SECS / 2))
	: >"$out/plain"; : >"$out/pinch"; : >"$out/pinch-user"; : >"$out/sched"; : >"$out/trace"
	for _ in $(seq "$N"); do
		wall "$rounds" "$spin" >>"$out/plain"
		wall "$rounds" "$spin" pinch_off >>"$out/pinch"
		wall "$rounds" "$spin" pinch_user >>"$out/pinch-user"
		wall "$rounds" "$spin" perf_sched >>"$out/sched"
		wall "$rounds" "$spin" perf_trace >>"$out/trace"
	done
	base=$(median <"$out/plain")
	for k in plain:plain pinch:"pinch record --off-cpu" pinch-user:"pinch record --off-cpu --user-only" \
		sched:"perf record -e sched:sched_switch -g" trace:"perf trace -s"; do
		m=$(median <"$out/${k%%:*}")
		awk -v r="$rate" -v n="${k#*:}" -v m="$m" -v b="$base" -v rounds="$rounds" 'BEGIN {
			printf "%-8s %-34s %9.3fs %8.2fx %10.0f\n", r, n, m / 1e9, m / b, 2 * rounds / (m / 1e9) }'
	done
	echo "# spin $spin per message, $rounds rounds, $N interleaved runs, medians"
done
