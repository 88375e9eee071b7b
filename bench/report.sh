#!/usr/bin/env bash
# bench/report.sh - pinch report vs perf report on recordings of the same
# workload, length and frequency (fp and dwarf call graphs), side by side
# in one run: median of N runs of each, and the ratio pinch/perf.
#
# usage: bench/report.sh [BUILD_DIR] [SECONDS] [RUNS]   (default build 60 3)
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
build=${1:-build}
secs=${2:-60}
runs=${3:-3}
pinch=$(realpath "$build/pinch")
w=$(realpath "$build/tests/workloads")
command -v perf >/dev/null && [ -x /usr/bin/time ] || { echo "bench/report.sh: needs perf and /usr/bin/time" >&2; exit 1; }
tmp=$(mktemp -d /tmp/pinch-bench-report.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
rounds=$((secs * 35))	# cpu-603010: 35 rounds are about 1 s of CPU

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
timeit() {	# timeit CMD...: "wall cpu" seconds (cpu = user + sys), output discarded
	/usr/bin/time -f '%e %U %S' -o "$tmp/.t" "$@" >/dev/null 2>&1
	awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$tmp/.t"
}

row() {	# row LABEL PINCH_REC PERF_DATA: medians of wall and CPU seconds
	local p q
	p=$(for i in $(seq "$runs"); do timeit "$pinch" report --limit 20 "$2"; done)
	q=$(for i in $(seq "$runs"); do timeit perf report --stdio --no-children -i "$3"; done)
	local pw pc qw qc
	pw=$(echo "$p" | cut -d' ' -f1 | median); pc=$(echo "$p" | cut -d' ' -f2 | median)
	qw=$(echo "$q" | cut -d' ' -f1 | median); qc=$(echo "$q" | cut -d' ' -f2 | median)
	printf '%-34s %7.2f / %-7.2f %7.2f / %-7.2f %6.3f\n' "$1" "$pw" "$pc" "$qw" "$qc" \
		"$(echo "$pc / $qc" | bc -l)"
}

"$pinch" record -q -o fp.rec -- "$w/cpu-603010-fp" deep "$rounds" >/dev/null
perf record -q -F 999 -g -o fp.data -- "$w/cpu-603010-fp" deep "$rounds" >/dev/null 2>&1
dsecs=$((secs / 3)); drounds=$((dsecs * 35))
"$pinch" record -q --call-graph dwarf -o dwarf.rec -- "$w/cpu-603010-nofp" deep "$drounds" >/dev/null
perf record -q -F 999 --call-graph dwarf -o dwarf.data -- "$w/cpu-603010-nofp" deep "$drounds" >/dev/null 2>&1

echo "pinch report vs perf report (median of $runs; cpu-603010 deep, 999 Hz)"
printf '%-34s %17s %17s %6s\n' "recording (pinch / perf size)" "pinch wall / cpu" "perf wall / cpu" "cpu ratio"
row "fp, ${secs} s ($(stat -c %s fp.rec | numfmt --to=iec) / $(stat -c %s fp.data | numfmt --to=iec))" fp.rec fp.data
row "dwarf, ${dsecs} s ($(stat -c %s dwarf.rec | numfmt --to=iec) / $(stat -c %s dwarf.data | numfmt --to=iec))" dwarf.rec dwarf.data
