#!/usr/bin/env bash
# bench/report.sh - pinch report vs perf report on recordings of the same
# workload, length and frequency (fp and dwarf call graphs), side by side
# in one run: median of N runs of each, and the ratio pinch/perf.
#
# usage: bench/report.sh [BUILD_DIR] [SECONDS] [RUNS]   (default build 60 3)
#        bench/report.sh [BUILD_DIR] html [RUNS]          (only the HTML report part)
#
# The HTML report part: `pinch report --html`'s renderer on the big
# synthetic profile (1 M samples, ~50,000 distinct stacks; view-dump -p big):
# CPU seconds and peak RSS; then the page in headless Chromium, timed by
# the page's own #selftest hook: ready (parse + first draw + table) and
# one search (exact % over all nodes + redraw). Medians of RUNS.
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
build=${1:-build}
secs=${2:-60}
runs=${3:-3}

html_bench() {
	local dump=$build/tests/unit/view-dump t
	t=$(mktemp -d /tmp/pinch-bench-html.XXXXXX)
	[ -x "$dump" ] || { echo "bench/report.sh: $dump missing: build first" >&2; exit 1; }
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%U %S %M' -o "$t/time" "$dump" -p big html > "$t/big.html"
		awk '{ printf "%.3f %d\n", $1 + $2, $3 / 1024 }' "$t/time" >> "$t/render"
	done
	echo "HTML report of 1 M samples / 50,000 stacks ($(stat -c %s "$t/big.html" | numfmt --to=iec) page), median of $runs"
	echo "render (view-dump -p big html, includes building the profile): CPU $(cut -d' ' -f1 "$t/render" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') s, peak RSS $(cut -d' ' -f2 "$t/render" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') MiB"
	for _ in $(seq "$runs"); do
		mkdir -p "$t/prof"
		timeout 300 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$t/prof" --dump-dom "file://$t/big.html#selftest=hot_fn_1" 2>/dev/null |
			sed -n 's/.*<pre id="selftest-result">\(.*\)<\/pre>.*/\1/p' |
			python3 -c 'import json, sys; d = json.load(sys.stdin); s = d["sections"][0]["search"]
print("%.1f %.1f %.1f %.1f %d" % (d["ready_ms"], s["ms"], s["compute_ms"], s["draw_ms"], len(d["errors"])))' >> "$t/browser"
		rm -rf "$t/prof"
	done
	med() { cut -d' ' -f"$1" "$t/browser" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	echo "chromium: ready $(med 1) ms, search $(med 2) ms (exact % $(med 3) ms + redraw $(med 4) ms), script errors $(med 5)"
	# the browser's own clocks over DevTools: DOMContentLoaded, first paint,
	# the first frame after the page script (interactive), a typed search
	if node --experimental-websocket -e 'if (typeof WebSocket !== "function") process.exit(1)' 2>/dev/null; then
		node --experimental-websocket "$(dirname "$0")/html-page.mjs" "$t/big.html" hot_fn_1 "$runs" | tail -1 | sed 's/^/chromium (DevTools), /'
	fi
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	rm -rf "$t"
}
if [ "$secs" = html ]; then
	runs=${3:-5}
	html_bench
	exit 0
fi
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
echo
html_bench
