#!/usr/bin/env bash
# bench/mem.sh - pinch mem against heaptrack and valgrind massif, side by
# side in one run: CPU-time (user+sys of the whole process tree) medians
# as ratios to the plain run, the recording size of each, and whether
# pinch's peak and leak match the workloads' ground truth.
#   (a) malloc-heavy: tests/workloads/mem-heavy, 10 M malloc/free pairs
#       over 5 call sites; peak 68,108,864 B, leak 1,000,000 B in 1000 blocks
#   (b) ordinary: tests/workloads/mem-ordinary, sort 4 M ints + 400 k-key hash
# Usage: bench/mem.sh [BUILD_DIR] [RUNS]   (default build, 5 runs)
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-5}
PINCH=$BUILD/pinch
WL=$BUILD/tests/workloads
TMP=$(mktemp -d /tmp/pinch-bench-mem.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

cpu() {	# cpu CMD...: prints user+sys seconds of the command and its children
	/usr/bin/time -f "%U %S" -o "$TMP/t" "$@" >/dev/null 2>"$TMP/err" || true
	awk '{printf "%.3f\n", $1 + $2}' "$TMP/t"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

have_ht=0; command -v heaptrack >/dev/null && have_ht=1
have_vg=0; command -v valgrind >/dev/null && have_vg=1

bench() {	# bench NAME PROG
	local name=$1 prog=$2 i plain pinch pfp ht ms
	: >"$TMP/plain"; : >"$TMP/pinch"; : >"$TMP/pfp"; : >"$TMP/ht"; : >"$TMP/ms"
	for i in $(seq "$RUNS"); do
		cpu "$prog" >>"$TMP/plain"
		cpu "$PINCH" mem -q --unwind fp -o "$TMP/p.rec" -- "$prog" >>"$TMP/pfp"
		cpu "$PINCH" mem -q -o "$TMP/p.rec" -- "$prog" >>"$TMP/pinch"
		if [ $have_ht = 1 ]; then
			rm -f "$TMP"/ht.*
			cpu heaptrack -o "$TMP/ht" "$prog" >>"$TMP/ht"
		fi
		if [ $have_vg = 1 ] && [ "$i" -le 3 ]; then
			cpu valgrind --tool=massif --massif-out-file="$TMP/ms.out" "$prog" >>"$TMP/ms"
		fi
	done
	plain=$(median <"$TMP/plain")
	pinch=$(median <"$TMP/pinch")
	pfp=$(median <"$TMP/pfp")
	printf '%-14s plain %7.3f s | pinch mem %7.3f s %6.2fx | --unwind fp %7.3f s %6.2fx' "$name" "$plain" \
		"$pinch" "$(awk -v a="$pinch" -v b="$plain" 'BEGIN {print a / b}')" \
		"$pfp" "$(awk -v a="$pfp" -v b="$plain" 'BEGIN {print a / b}')"
	if [ $have_ht = 1 ]; then
		ht=$(median <"$TMP/ht")
		printf ' | heaptrack %7.3f s %6.2fx' "$ht" "$(awk -v a="$ht" -v b="$plain" 'BEGIN {print a / b}')"
	fi
	if [ $have_vg = 1 ]; then
		ms=$(median <"$TMP/ms")
		printf ' | massif %7.3f s %6.2fx' "$ms" "$(awk -v a="$ms" -v b="$plain" 'BEGIN {print a / b}')"
	fi
	printf '\n%-14s recording: pinch %s B' "" "$(stat -c %s "$TMP/p.rec")"
	[ $have_ht = 1 ] && printf ', heaptrack %s B' "$(stat -c %s "$TMP"/ht.*)"
	[ $have_vg = 1 ] && printf ', massif %s B' "$(stat -c %s "$TMP/ms.out")"
	printf '\n'
	"$PINCH" mem report --json "$TMP/p.rec" 2>/dev/null >"$TMP/p.json"
	printf '%-14s pinch figures: peak %s B, leaked %s B in %s blocks, %s calls\n' "" \
		"$(jq -r .peak_bytes "$TMP/p.json")" "$(jq -r .leaked_bytes "$TMP/p.json")" \
		"$(jq -r .leaked_blocks "$TMP/p.json")" "$(jq -r .alloc_calls "$TMP/p.json")"
}

echo "pinch mem benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $RUNS runs (massif 3), CPU-time medians"
bench "(a) heavy" "$WL/mem-heavy"
[ "$(jq -r .peak_bytes "$TMP/p.json")" = 68108864 ] && [ "$(jq -r .leaked_bytes "$TMP/p.json")" = 1000000 ] &&
	[ "$(jq -r .leaked_blocks "$TMP/p.json")" = 1000 ] && echo "               (a) ground truth: peak and leak exact" ||
	echo "               (a) ground truth: MISMATCH"
bench "(b) ordinary" "$WL/mem-ordinary"
# the report step on (a), separately
"$PINCH" mem -q -o "$TMP/p.rec" -- "$WL/mem-heavy" 2>/dev/null
printf 'report time on (a): %s s CPU (pinch mem report)\n' "$(cpu "$PINCH" mem report "$TMP/p.rec")"
