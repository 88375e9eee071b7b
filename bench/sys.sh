#!/usr/bin/env bash
# bench/sys.sh - what pinch syscalls and pinch stat add to a run, side by
# side in one run with the tools they replace:
#   (a) per-syscall cost: tests/workloads/sys-work calls N (N getppid +
#       N/100 open/close + 10 failed open) plain, under pinch syscalls -m
#       bpf, -m ptrace, strace -c -f and perf trace -s; the added wall time
#       divided by the number of syscalls the run makes;
#   (b) pinch stat (with and without its perf counters) and /usr/bin/time
#       -v against a plain run of a CPU-bound workload
#       (tests/workloads/cpu-603010-fp) and of sys-work fork.
# Wall-clock medians of RUNS runs. Needs root for BPF and perf trace.
# Usage: bench/sys.sh [BUILD_DIR] [RUNS] [N]   (default build, 5, 300000)
# PARTS="a b" (the default) picks the parts; TOOLS the tools of part (a)
# (default "plain pinch-bpf pinch-ptrace strace perf-trace").
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-5}
N=${3:-300000}
PINCH=$BUILD/pinch
WL=$BUILD/tests/workloads
TMP=$(mktemp -d /tmp/pinch-bench-sys.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

wall() {	# wall CMD...: seconds of wall time (output discarded)
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>"$TMP/err" || { echo "failed: $* ($(tail -1 "$TMP/err"))" >&2; }
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f\n", (b - a) / 1e9}'
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# a copy, so that a rebuild during the run does not disturb it
cp "$PINCH" "$TMP/pinch"
PINCH=$TMP/pinch

PARTS=${PARTS:-a b}
if [[ " $PARTS " == *" a "* ]]; then
# the number of syscalls a run makes (pinch's own count, bpf), at N and at 0
"$PINCH" syscalls --json -- "$WL/sys-work" calls "$N" "$TMP" >"$TMP/count.json"
"$PINCH" syscalls --json -- "$WL/sys-work" calls 0 "$TMP" >"$TMP/count0.json"
CALLS=$(jq '[.syscalls[].calls] | add' "$TMP/count.json")
CALLS0=$(jq '[.syscalls[].calls] | add' "$TMP/count0.json")
echo "sys-work calls $N: $CALLS syscalls per run, $CALLS0 at N=0 (counted by pinch, mechanism $(jq -r .mechanism "$TMP/count.json")); $RUNS runs, wall-clock medians"
echo "added us/call = ((tool at N - tool at 0) - (plain at N - plain at 0)) / ($CALLS - $CALLS0): the start-up cost cancels"

declare -A cmd=(
	[plain]=""
	[pinch-bpf]="$PINCH syscalls -m bpf --"
	[pinch-ptrace]="$PINCH syscalls -m ptrace --"
	[strace]="strace -c -f -o $TMP/strace.out"
	[perf-trace]="perf trace -s -o $TMP/perf.out --"
)
read -r -a order <<<"${TOOLS:-plain pinch-bpf pinch-ptrace strace perf-trace}"
for k in "${order[@]}"; do : >"$TMP/$k"; : >"$TMP/$k.0"; done
for i in $(seq "$RUNS"); do
	for k in "${order[@]}"; do
		# shellcheck disable=SC2086
		wall ${cmd[$k]} "$WL/sys-work" calls "$N" "$TMP" >>"$TMP/$k"
		# shellcheck disable=SC2086
		wall ${cmd[$k]} "$WL/sys-work" calls 0 "$TMP" >>"$TMP/$k.0"
	done
done
plain=$(median <"$TMP/plain")
plain0=$(median <"$TMP/plain.0")
added() {	# added TOOL: us per syscall
	awk -v a="$(median <"$TMP/$1")" -v a0="$(median <"$TMP/$1.0")" -v p="$plain" -v p0="$plain0" \
		-v c="$CALLS" -v c0="$CALLS0" 'BEGIN {printf "%.3f", ((a - a0) - (p - p0)) / (c - c0) * 1e6}'
}
printf '%-14s %9s %9s %11s %14s %12s\n' tool "wall s" "x plain" "start-up s" "added us/call" "x pinch-bpf"
bpf_added=$(added pinch-bpf)
for k in "${order[@]}"; do
	m=$(median <"$TMP/$k")
	a=$(added "$k")
	printf '%-14s %9.3f %9.2f %11.3f %14s %12s\n' "$k" "$m" "$(awk -v a="$m" -v p="$plain" 'BEGIN {print a / p}')" \
		"$(awk -v a="$(median <"$TMP/$k.0")" -v p="$plain0" 'BEGIN {print a - p}')" "$a" \
		"$(awk -v a="$a" -v b="$bpf_added" 'BEGIN {if (b > 0.0005) printf "%.0f", a / b; else print "-"}')"
done

fi

if [[ " $PARTS " == *" b "* ]]; then
echo
echo "pinch stat vs /usr/bin/time -v (wall-clock medians)"
for w in "cpu-603010-fp" "sys-work fork 4 100000 16"; do
	: >"$TMP/sp"; : >"$TMP/ss"; : >"$TMP/sn"; : >"$TMP/st"
	for i in $(seq "$RUNS"); do
		# shellcheck disable=SC2086
		wall "$WL"/$w >>"$TMP/sp"
		# shellcheck disable=SC2086
		wall "$PINCH" stat -- "$WL"/$w >>"$TMP/ss"
		# shellcheck disable=SC2086
		wall "$PINCH" stat --no-perf -- "$WL"/$w >>"$TMP/sn"
		# shellcheck disable=SC2086
		wall /usr/bin/time -v "$WL"/$w >>"$TMP/st"
	done
	p=$(median <"$TMP/sp"); s=$(median <"$TMP/ss"); t=$(median <"$TMP/st")
	# each tool's run against the plain run just before it: the median of
	# the paired ratios (steadier than a ratio of medians on a busy machine)
	ps=$(paste "$TMP/sp" "$TMP/ss" | awk '{print ($2 / $1 - 1) * 100}' | median)
	pt=$(paste "$TMP/sp" "$TMP/st" | awk '{print ($2 / $1 - 1) * 100}' | median)
	n=$(median <"$TMP/sn")
	pn=$(paste "$TMP/sp" "$TMP/sn" | awk '{print ($2 / $1 - 1) * 100}' | median)
	printf '%-28s plain %7.3f s | pinch stat %7.3f s %+6.2f %% (paired %+6.2f %%) | --no-perf %7.3f s %+6.2f %% (paired %+6.2f %%) | time -v %7.3f s %+6.2f %% (paired %+6.2f %%)\n' "$w" "$p" \
		"$s" "$(awk -v a="$s" -v b="$p" 'BEGIN {print (a / b - 1) * 100}')" "$ps" \
		"$n" "$(awk -v a="$n" -v b="$p" 'BEGIN {print (a / b - 1) * 100}')" "$pn" \
		"$t" "$(awk -v a="$t" -v b="$p" 'BEGIN {print (a / b - 1) * 100}')" "$pt"
done
fi
