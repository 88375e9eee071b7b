#!/usr/bin/env bash
# t1106-report-every-run.sh - the same program recorded 20 times is
# symbolized 20 times. At 50 kHz, samples land in the dynamic loader before
# libc is mapped; the symbolizer once lost the main executable whenever
# exactly one lookup came before that late mapping (about half the runs).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

named=0
late=0
for i in $(seq 20); do
	record "r$i.rec" -F 50000 -- "$PINCH_BUILDDIR/examples/demo/wordfreq" 3
	pct=$(self_pct "r$i.rec" hash_word --user-only)
	if [ -n "$pct" ] && python3 -c "import sys; sys.exit(0 if $pct >= 10 else 1)"; then
		named=$((named + 1))
	else
		echo "# run $i: hash_word has '$pct' % self"
	fi
done
is "$named" 20 "20 recordings of wordfreq: hash_word named with >= 10 % self in all"
# Offset-only frames of the main executable: at most the PLT stubs (which
# have no symbol), never a function's body: under 2 % of the total.
worst=0
for i in $(seq 20); do
	pct=$(jget "r$i.rec" 'sum(r["total_pct"] for r in d["report"]["rows"] if r["function"].startswith("wordfreq+0x"))' --limit 0)
	worst=$(python3 -c "print(max($worst, ${pct:-0}))")
done
ok "no recording books more than 2 % to wordfreq+0x... frames (worst $worst %)" \
	python3 -c "import sys; sys.exit(0 if $worst < 2 else 1)"
done_testing
