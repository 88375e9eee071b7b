#!/usr/bin/env bash
# t5003-python-lines: `pinch report --lines` on a Python function whose
# time is on one known line (hotline.py, the line marked HOT), for both
# pythons, and the cross-check with line_profiler (kernprof -l -v, Debian's
# python3-line-profiler): the hot line pinch names is the one it names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

hot=$(grep -n '# HOT' "$PYW/hotline.py" | cut -d: -f1)
for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	record $tag.rec -- "$py" "$PYW/hotline.py" 150
	is "$(jget $tag.rec 'd["report"]["hottest_line"]' --lines work)" "$hot" "$tag: hottest line of work()"
	ok "$tag: hot line over 80 %" test "$(jget $tag.rec '[l for l in d["report"]["lines"] if l["line"] == '"$hot"'][0]["pct"] > 80' --lines work)" = True
	"$PINCH" report $tag.rec --lines work >lines.txt 2>&1
	ok "$tag: listing shows the source text" grep -q '^>.*(i + 12345) \*\* 300' lines.txt
	# pinch top names a function by the same line (one attribution rule).
	if "$PINCH" top --once --json -n 0 -i 2s -- "$py" "$PYW/hotline.py" 100 >top.json 2>top.err; then
		tl=$(python3 -c "import json; print([r['line'] for r in json.load(open('top.json'))['rows'] if r['function'] == 'work'][0])" 2>/dev/null)
		is "$tl" "$hot" "$tag: pinch top names work() by its hot line too"
	else
		skip "$tag: pinch top's line" "pinch top cannot attach here: $(head -1 top.err)"
	fi
done

if command -v kernprof >/dev/null; then
	/usr/bin/python3.11 "$(command -v kernprof)" -l -v -o hot.lprof "$PYW/hotline.py" 30 >kp.txt 2>&1
	kp=$(awk '$1 ~ /^[0-9]+$/ && NF >= 6 && $5 ~ /^[0-9.]+$/ { if ($5 + 0 > best) { best = $5 + 0; line = $1 } } END { print line }' kp.txt)
	is "$kp" "$hot" "line_profiler names line $hot too"
	is "$(jget debian.rec 'd["report"]["hottest_line"]' --lines work)" "$kp" "pinch and line_profiler agree"
else
	skip "line_profiler cross-check" "kernprof not installed (scripts/deps.sh)"
fi
done_testing
