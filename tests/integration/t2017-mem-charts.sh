#!/bin/bash
# The memory-over-time chart draws the buckets as they are: every column
# of the SVG's heap path is the maximum of a bucket in the JSON timeline
# (or 0 before the first), every bucket shows, and no column falls to a
# level no bucket had (mem-steps.c: 4, 12, 2 MiB held 30 ms each).
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

"$PINCH" mem -q -o steps.rec --interval 5ms -- "$W/mem-steps" 2>/dev/null
"$PINCH" mem report --json steps.rec >steps.json
"$PINCH" mem report --svg-timeline steps.svg steps.rec >/dev/null 2>&1
ok "the SVG was written" test -s steps.svg
ok "the timeline has buckets" test "$(jqv steps.json '.timeline | length')" -ge 3
read -r bad missing cols <<<"$(python3 - steps.svg steps.json <<'PY'
import json, re, sys
svg = open(sys.argv[1]).read()
d = json.load(open(sys.argv[2]))
scale = float(re.search(r'data-scale-bytes="([0-9.]+)"', svg).group(1))
L, T, pw, ph = map(float, re.search(r'data-plot="([^"]+)"', svg).group(1).split())
path = re.search(r'<path id="heap"[^>]* d="([^"]+)"', svg).group(1)
ys = [float(y) for x, y in re.findall(r'L([0-9.]+) ([0-9.]+)', path)][0:-1]
vals = [(T + ph - y) / ph * scale for y in ys]
buckets = [p["heap_max"] for p in d["timeline"]] + [0]
tol = scale / ph  # one pixel (the path is written to 0.1 px)
bad = sum(1 for v in vals if min(abs(v - b) for b in buckets) > tol)
missing = sum(1 for b in buckets[:-1] if min(abs(v - b) for v in vals) > tol)
print(bad, missing, len(vals))
PY
)"
is "$bad" 0 "every column of the heap path is a bucket's maximum ($cols points)"
is "$missing" 0 "every bucket shows in the chart"
# the text chart (scaled to the higher of heap and RSS, ~14 MiB here):
# the 12 MiB bucket reaches its upper half
"$PINCH" mem report steps.rec >steps.txt 2>&1
upper=$(sed -n '/^Memory over time/,/^ *+--/p' steps.txt | sed -n '2,5p')
ok "the text chart's upper half holds the 12 MiB bucket" sh -c "printf '%s' \"$upper\" | grep -q '[#O]'"
done_testing
