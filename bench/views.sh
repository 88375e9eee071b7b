#!/usr/bin/env bash
# bench/views.sh - how long each view takes on a big profile (1 M samples,
# ~50,000 distinct stacks, 631k call-tree nodes; tests/unit/view-dump -p big)
# and how big its output is; next to `go tool pprof -top` on the same
# profile exported as pprof (the anchor for the top table; flamegraph.pl,
# the anchor for the flame graph, is not packaged in Debian 12).
# Usage: bench/views.sh [BUILDDIR] [RUNS]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
B=${1:-build}
RUNS=${2:-5}
DUMP=$B/tests/unit/view-dump
[ -x "$DUMP" ] || { echo "bench/views.sh: $DUMP missing: build first" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '%-12s %10s %10s %12s\n' view 'wall s' 'cpu s' 'bytes'
for v in top collapsed flamegraph pprof speedscope; do
	: > "$TMP/w"; : > "$TMP/c"
	for _ in $(seq "$RUNS"); do
		"$DUMP" -p big -m "$v" 2>"$TMP/err" >"$TMP/out.$v"
		sed -n 's/.* took \([0-9.]*\) s (cpu \([0-9.]*\) s), \([0-9]*\) bytes/\1 \2 \3/p' "$TMP/err" > "$TMP/t"
		read -r w c n < "$TMP/t"
		echo "$w" >> "$TMP/w"; echo "$c" >> "$TMP/c"
	done
	printf '%-12s %10s %10s %12s\n' "$v" "$(median < "$TMP/w")" "$(median < "$TMP/c")" "$n"
done
if command -v go >/dev/null; then
	: > "$TMP/g"
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f '%e %U %S' -o "$TMP/gt" go tool pprof -top "$TMP/out.pprof" > /dev/null 2>&1
		awk '{ print $1, $2 + $3 }' "$TMP/gt" >> "$TMP/g"
	done
	printf '%-12s %10s %10s   (go tool pprof -top on the pprof export)\n' pprof-top \
		"$(cut -d' ' -f1 "$TMP/g" | median)" "$(cut -d' ' -f2 "$TMP/g" | median)"
fi
