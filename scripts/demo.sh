#!/usr/bin/env bash
# demo.sh - `make demo`: profiles the bundled demo program
# (examples/demo/wordfreq.c) with pinch record, then shows the report.
set -euo pipefail
BUILD=${1:-build}
PINCH="$BUILD/pinch"
DEMO="$BUILD/examples/demo/wordfreq"
OUT=${PINCH_DEMO_OUT:-demo.rec}

echo "== pinch record -o $OUT -- $DEMO 40"
"$PINCH" record -o "$OUT" -- "$DEMO" 40
if "$PINCH" help report >/dev/null 2>&1; then
	echo
	echo "== pinch report $OUT --limit 10"
	"$PINCH" report "$OUT" --limit 10
else
	echo "(pinch report is not built yet: the recording is in $OUT)"
fi
