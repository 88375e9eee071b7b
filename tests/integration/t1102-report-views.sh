#!/usr/bin/env bash
# t1102-report-views.sh - the views of pinch report on recordings whose
# answer is known: --lines names the line marked HOT LINE in hotline.c,
# --callers/--callees of middle() in cpu-603010, --collapsed sums to the
# sample count, --json parses and its totals agree, --sort, --limit,
# --svg, and the default FILE (the newest recording in the directory).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

record hot.rec -- "$W/hotline-nofp"
hot_line=$(grep -n 'HOT LINE \*/' "$PINCH_SRCDIR/tests/workloads/hotline.c" | head -1 | cut -d: -f1)
is "$(jget hot.rec 'd["report"]["hottest_line"]' --lines hot)" "$hot_line" "--lines: the hottest line is the HOT LINE ($hot_line)"
"$PINCH" report --lines hot hot.rec >lines.txt 2>&1
ok "--lines marks the hot line and shows its source" grep -qE "^> +$hot_line .*HOT LINE" lines.txt
hot_pct=$(jget hot.rec "d[\"report\"][\"lines\"][[l[\"line\"] for l in d[\"report\"][\"lines\"]].index($hot_line)][\"pct\"]" --lines hot)
ok "--lines: the HOT LINE has most of hot()'s time ($hot_pct %)" awk -v v="$hot_pct" 'BEGIN { exit !(v >= 75) }'
"$PINCH" report --lines hot --source-root /nonexistent hot.rec >lines2.txt 2>&1
ok "--lines still works when --source-root does not hold the file" grep -qE "^> +$hot_line " lines2.txt

record deep.rec -- "$W/cpu-603010-fp" deep
callers=$(jget deep.rec 'd["report"]["callers"][0]["function"]' --callers sixty)
is "$callers" middle "--callers sixty: middle"
within "$(jget deep.rec 'd["report"]["callers"][0]["pct"]' --callers sixty)" 100 0.01 "--callers sixty: middle is 100 %"
for f in sixty:60 thirty:30 ten:10; do
	name=${f%%:*} want=${f##*:}
	within "$(jget deep.rec "d[\"report\"][\"callees\"][[c[\"function\"] for c in d[\"report\"][\"callees\"]].index(\"$name\")][\"pct\"]" --callees middle)" \
		"$want" 5 "--callees middle: $name"
done
"$PINCH" report --callers sixty deep.rec >callers.txt 2>&1
ok "--callers human form names middle" grep -qE '100\.0 .* middle' callers.txt

samples=$(jget deep.rec 'd["recording"]["samples"]')
"$PINCH" report --collapsed deep.rec >folded.txt 2>err.txt
is "$(awk '{ s += $NF } END { print s }' folded.txt)" "$samples" "--collapsed sums to the sample count ($samples)"
ok "--collapsed: root first, leaf last" grep -qE '(^|;)main;middle;sixty [0-9]+$' folded.txt
is "$(cat err.txt)" "" "--collapsed: nothing on stderr"

"$PINCH" report --json deep.rec >report.json 2>/dev/null
ok "--json parses" python3 -m json.tool report.json
is "$(jget deep.rec 'd["report"]["total_count"]')" "$samples" "--json: report total = recorded samples"
is "$(jget deep.rec 'd["report"]["total"] == d["recording"]["cpu_ns"]')" True "--json: cpu time totals agree"
is "$(jget deep.rec 'sum(r["self_count"] for r in d["report"]["rows"]) == d["report"]["total_count"]' --limit 0)" True \
	"--json: self counts sum to the total"
is "$(jget deep.rec '[r["total"] for r in d["report"]["rows"]] == sorted((r["total"] for r in d["report"]["rows"]), reverse=True)' --sort total --limit 0)" True \
	"--sort total: rows in descending total"
within "$(jget deep.rec 'd["report"]["rows"][0]["total_pct"]' --sort total)" 100 2 "--sort total: first row is a caller of everything"
is "$(jget deep.rec 'len(d["report"]["rows"])' --limit 2)" 2 "--limit 2: two rows"

if "$PINCH" report --svg flame.svg deep.rec 2>&1 | grep -q 'not implemented'; then
	skip "--svg" "the flame graph view is not on this branch yet"
else
	ok "--svg writes a file" "$PINCH" report --svg flame.svg deep.rec
	ok "--svg: it is an SVG naming sixty" grep -q 'sixty' flame.svg
	ok "--svg: it starts like an SVG" grep -q '<svg' flame.svg
fi

# Default FILE: the newest CPU recording here, and pinch says which.
touch -d '2 minutes ago' hot.rec
touch deep.rec
"$PINCH" report >default.txt 2>default.err
ok "no FILE: reads the newest recording" grep -q '^recording: deep.rec' default.txt
ok "no FILE: says which file it read" grep -q 'reading deep.rec' default.err
done_testing
