#!/usr/bin/env bash
# fuzz.sh - a libFuzzer campaign over every tests/fuzz/fuzz-*.c (make fuzz).
# Configures a clang build with -Dfuzzing=true, runs each target for
# FUZZ_SECONDS, keeps the grown corpora outside the tree and prints one line
# per target: executions, exec/s, coverage, crashes, then how to reproduce
# each distinct crash. docs/fuzzing.md.
#
#   FUZZ_SECONDS  seconds per target (60)
#   FUZZ_TARGETS  space-separated subset, e.g. "recfile views" (all)
#   FUZZ_JOBS     targets fuzzed at the same time (1)
#   FUZZ_CORPUS   where corpora, crashes and logs live ($HOME/.cache/pinch-fuzz)
#   FUZZ_BUILD    the build directory (build-fuzz)
#   FUZZ_ARGS     extra libFuzzer flags for every target
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
store=${FUZZ_CORPUS:-${HOME:-/tmp}/.cache/pinch-fuzz}
build=${FUZZ_BUILD:-build-fuzz}
case "$secs$jobs" in *[!0-9]*) echo "fuzz: FUZZ_SECONDS and FUZZ_JOBS are whole numbers" >&2; exit 2 ;; esac

if [ -n "${FUZZ_TARGETS:-}" ]; then
	read -ra targets <<<"$FUZZ_TARGETS"
else
	targets=()
	for f in tests/fuzz/fuzz-*.c; do
		f=${f##*/fuzz-}
		targets+=("${f%.c}")
	done
fi
for t in "${targets[@]}"; do
	[ -f "tests/fuzz/fuzz-$t.c" ] || { echo "fuzz: no target tests/fuzz/fuzz-$t.c" >&2; exit 2; }
done

command -v clang >/dev/null || { echo "fuzz: clang is missing: bash scripts/deps.sh fuzz" >&2; exit 2; }
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" --wrap-mode=nodownload -Dfuzzing=true -Db_lundef=false >/dev/null
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz-}" >/dev/null

mkdir -p "$store/logs" "$store/crashes"
stamp=$store/logs/.start.$$
trap 'rm -f "$stamp"' EXIT
: >"$stamp"

# One target: seed its corpus from the tree, fuzz in fork mode so a crash
# is saved and the campaign goes on (-ignore_crashes), log to logs/T.log.
run_one() {
	local t=$1 corpus=$store/$1 art=$store/crashes/$1 dict=()
	mkdir -p "$corpus" "$art"
	cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
	[ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
	# shellcheck disable=SC2086
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$build/tests/fuzz/fuzz-$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" "${dict[@]}" ${FUZZ_ARGS:-} "$corpus" >"$store/logs/$t.log" 2>&1 ||
		echo "fuzz-$t exited $?" >>"$store/logs/$t.log"
}

echo "fuzz: ${#targets[@]} targets, ${secs}s each, $jobs at a time; corpora in $store" >&2
running=0
for t in "${targets[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	echo "fuzz: $t" >&2
	run_one "$t" &
	running=$((running + 1))
done
wait

# The table: the last fork-mode status line of each log is
#   #EXECS: cov: C ft: F corp: N exec/s E oom/timeout/crash: O/T/C time: Ss ...
printf '%-14s %12s %8s %6s %7s %7s %8s\n' target execs exec/s cov ft corpus crashes
repro=()
for t in "${targets[@]}"; do
	log=$store/logs/$t.log
	line=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -n 1 || true)
	if [ -z "$line" ]; then
		printf '%-14s %12s   (no status: see %s)\n' "$t" - "$log"
		continue
	fi
	read -r execs cov ft corp elapsed <<<"$(sed -E 's/^#([0-9]+): cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+) .* time: ([0-9]+)s.*/\1 \2 \3 \4 \5/' <<<"$line")"
	crashes=$(find "$store/crashes/$t" -type f -newer "$stamp" | wc -l)
	printf '%-14s %12d %8d %6d %7d %7d %8d\n' "$t" "$execs" $((execs / (elapsed > 0 ? elapsed : 1))) \
		"$cov" "$ft" "$corp" "$crashes"
	# Replay each new crash once; group them by the sanitizer's summary.
	declare -A seen=()
	while IFS= read -r c; do
		out=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"$build/tests/fuzz/fuzz-$t" -timeout=10 -rss_limit_mb=2048 "$c" 2>&1) || true
		sum=$(grep -m1 -E '^SUMMARY:|runtime error:|ERROR: libFuzzer' <<<"$out") || sum="no longer crashes"
		key=${sum#*: }
		[ -n "${seen[$key]:-}" ] && continue
		seen[$key]=1
		repro+=("$t: $sum" "    $build/tests/fuzz/fuzz-$t $c")
	done < <(find "$store/crashes/$t" -type f -newer "$stamp" | head -n 200)
	unset seen
done
if [ ${#repro[@]} -gt 0 ]; then
	echo
	echo "crashes (one input per distinct sanitizer summary; reproduce with the command below it):"
	printf '%s\n' "${repro[@]}"
	exit 1
fi
