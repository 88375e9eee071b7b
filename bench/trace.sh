#!/usr/bin/env bash
# bench/trace.sh - pinch trace against uftrace record on the same
# -finstrument-functions binary (tests/workloads/trace-calls fib 30,
# 2,692,538 calls with main), side by side in one run: CPU time
# (user+sys of the whole process tree, median of RUNS) of the plain build,
# the instrumented build without a tracer (glibc's no-op hooks), pinch
# trace (events and --counts-only) and uftrace record; the cost per call
# in ns over the uninstrumented run, and the recording's bytes per call.
# Usage: bench/trace.sh [BUILD_DIR] [RUNS] [N]   (default build, 5 runs, fib 30)
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-5}
N=${3:-30}
PINCH=$BUILD/pinch
WL=$BUILD/tests/workloads
TMP=$(mktemp -d /tmp/pinch-bench-trace.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# calls of fib(N) (2 fib(N+1) - 1) plus main
CALLS=$(awk -v n="$N" 'BEGIN { a = 0; b = 1; for (i = 0; i < n + 1; i++) { t = a + b; a = b; b = t } print 2 * a - 1 + 1 }')

# CPU time at microsecond precision (bench/cputime.c: wait4), not
# /usr/bin/time's 10 ms
cc -O2 -o "$TMP/cputime" "$(dirname "$0")/cputime.c"
cpu() {	# cpu CMD...: user+sys seconds of the command and its children
	"$TMP/cputime" "$TMP/t" "$@" >/dev/null 2>"$TMP/err" || true
	awk '{printf "%.6f\n", $1}' "$TMP/t"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

have_uf=0; command -v uftrace >/dev/null && have_uf=1
for k in plain noop pinch counts uftrace; do : >"$TMP/$k"; done
for i in $(seq "$RUNS"); do
	cpu "$WL/trace-plain" fib "$N" >>"$TMP/plain"
	cpu "$WL/trace-calls" fib "$N" >>"$TMP/noop"
	rm -f "$TMP/p.rec" "$TMP/c.rec"
	cpu "$PINCH" trace -q -o "$TMP/p.rec" -- "$WL/trace-calls" fib "$N" >>"$TMP/pinch"
	cpu "$PINCH" trace -q --counts-only -o "$TMP/c.rec" -- "$WL/trace-calls" fib "$N" >>"$TMP/counts"
	if [ $have_uf = 1 ]; then
		rm -rf "$TMP/uftrace.data"
		cpu uftrace record -d "$TMP/uftrace.data" "$WL/trace-calls" fib "$N" >>"$TMP/uftrace"
	fi
done

plain=$(median <"$TMP/plain")
row() {	# row NAME FILE BYTES
	local m per
	m=$(median <"$TMP/$2")
	per=$(awk -v m="$m" -v p="$plain" -v c="$CALLS" 'BEGIN { printf "%.1f", (m - p) * 1e9 / c }')
	if [ -n "$3" ]; then
		printf '| %s | %.4f s | %s ns | %s | %.2f |\n' "$1" "$m" "$per" "$3" "$(awk -v b="$3" -v c="$CALLS" 'BEGIN { print b / c }')"
	else
		printf '| %s | %.4f s | %s ns | - | - |\n' "$1" "$m" "$per"
	fi
	echo "$per" >"$TMP/$2.per"
}

echo "fib($N): $CALLS calls; CPU time (user+sys) median of $RUNS runs; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | CPU time | per call over plain | recording bytes | bytes per call |"
echo "|---|---:|---:|---:|---:|"
row "uninstrumented (-O2)" plain ""
row "instrumented, no tracer (glibc no-op hooks)" noop ""
row "**pinch trace** (events)" pinch "$(stat -c %s "$TMP/p.rec")"
row "**pinch trace --counts-only**" counts "$(stat -c %s "$TMP/c.rec")"
if [ $have_uf = 1 ]; then
	row "uftrace record $(uftrace --version | head -1 | awk '{print $2}')" uftrace "$(du -sb "$TMP/uftrace.data" | cut -f1)"
	echo
	awk -v p="$(cat "$TMP/pinch.per")" -v c="$(cat "$TMP/counts.per")" -v u="$(cat "$TMP/uftrace.per")" \
		-v pb="$(stat -c %s "$TMP/p.rec")" -v ub="$(du -sb "$TMP/uftrace.data" | cut -f1)" 'BEGIN {
		printf "pinch/uftrace cost per call: %.2fx (events), %.2fx (counts only); bytes per call: %.3fx\n", p / u, c / u, pb / ub }'
else
	echo "(uftrace is not installed: scripts/deps.sh bench)"
fi
