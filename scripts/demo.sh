#!/usr/bin/env bash
# demo.sh - `make demo`: profiles the bundled demo program
# (examples/demo/wordfreq.c) with pinch record, prints the top table and
# the hottest function's lines, writes the flame graph flame.svg and the
# HTML report (report.html), and ends with the report's path.
set -euo pipefail
BUILD=${1:-build}
PINCH="$BUILD/pinch"
DEMO="$BUILD/examples/demo/wordfreq"
OUT=${PINCH_DEMO_OUT:-demo.rec}
SVG=${PINCH_DEMO_SVG:-flame.svg}
HTML=${PINCH_DEMO_HTML:-report.html}

echo "== pinch record -o $OUT -- $DEMO 40"
"$PINCH" record -o "$OUT" -- "$DEMO" 40 >/dev/null
echo
echo "== pinch report $OUT --limit 12"
"$PINCH" report "$OUT" --limit 12
echo
echo "== pinch report $OUT --lines hash_word"
"$PINCH" report "$OUT" --lines hash_word
echo
echo "== pinch report $OUT --svg $SVG"
"$PINCH" report "$OUT" --svg "$SVG"
echo "open $SVG in a browser: click a frame to zoom, type in the search box to highlight"
echo
echo "== pinch report $OUT --html $HTML"
"$PINCH" report "$OUT" --html "$HTML"
echo
echo "HTML report: $(realpath "$HTML")"
