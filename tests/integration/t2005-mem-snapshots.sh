#!/bin/bash
# Snapshots from libpinch's pinch_mem_snapshot() and from a signal; the
# diff finds the growing cache first.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

mem_json cache.json -- "$W/mem-cache"
is "$(jqv cache.json '[.snapshots[].label] | join(",")')" "warm,grown" "two labelled snapshots"
"$PINCH" mem diff cache.rec --from warm --to grown --json >diff.json 2>diff.err
is "$(jqv diff.json '.sites[0] | "\(.function) \(.bytes_diff) \(.blocks_diff) \(.bytes) \(.blocks)"')" \
	"cache_put 100000 500 120000 600" "the growing cache comes first"
is "$(jqv diff.json '.sites[1] | "\(.function) \(.bytes_diff) \(.blocks_diff)"')" "log_line 640 10" "then the log"
is "$(jqv diff.json '[.sites[] | select(.function=="scratch")] | length')" 0 "scratch did not grow"
is "$(jqv diff.json '.bytes_diff')" 100640 "total growth"
"$PINCH" mem diff cache.rec --from warm --to grown >diff.txt 2>&1
ok "text diff" grep -q "+100000       +500         120000        600  cache_put  mem-cache.c" diff.txt

run_status 2 "unknown label: usage error" "$PINCH" mem diff cache.rec --from warm --to nope
ok "lists the labels" grep -q "no snapshot labelled 'nope'; the recording has 'warm', 'grown'" "$TMP/last.out"

mem_json sig.json --snapshot-signal USR2 -- "$W/mem-cache" signal
is "$(jqv sig.json '[.snapshots[].label] | join(",")')" "signal-1,signal-2" "signal snapshots"
"$PINCH" mem diff sig.rec --from signal-1 --to signal-2 --json >sdiff.json 2>/dev/null
is "$(jqv sdiff.json '.sites[0] | "\(.function) \(.bytes_diff) \(.blocks_diff)"')" "cache_put 100000 500" \
	"signal snapshots diff the same"
done_testing
