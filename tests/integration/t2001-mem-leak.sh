#!/bin/bash
# pinch mem on the leaky program: exact summary, leaks (leaking line
# first), per-site calls, and the same peak/leak as massif and memcheck.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

mem_json leak.json -- "$W/mem-leak"
is "$(jqv leak.json .alloc_bytes)" 69114160 "allocated bytes"
is "$(jqv leak.json .alloc_calls)" 11026 "allocation calls"
is "$(jqv leak.json .peak_bytes)" 68110064 "peak bytes"
is "$(jqv leak.json .peak_blocks)" 1025 "peak blocks"
is "$(jqv leak.json .leaked_bytes)" 1001200 "leaked bytes"
is "$(jqv leak.json .leaked_blocks)" 1024 "leaked blocks"
is "$(jqv leak.json .temporary_calls)" 10002 "temporary allocations"
is "$(jqv leak.json .exit_status)" 0 "exit status"
is "$(jqv leak.json '.leaks[0] | "\(.bytes) \(.blocks) \(.stack[0].function):\(.stack[0].line)"')" \
	"1000000 1000 leak_big:38" "biggest leak is the leaking line"
is "$(jqv leak.json '.leaks[1] | "\(.bytes) \(.blocks) \(.stack[0].function):\(.stack[0].line)"')" \
	"1200 24 leak_small:19" "second leak"
is "$(jqv leak.json '.leaks[0].stack[1].function')" main "leak stack has its caller"
is "$(jqv leak.json '[.sites[] | select(.function=="churn")][0] | "\(.alloc_calls) \(.alloc_bytes) \(.temporary_calls)"')" \
	"10000 1000000 10000" "churn: calls, bytes, temporary"
is "$(jqv leak.json '[.sites[] | select(.function=="table")][0] | "\(.alloc_calls) \(.alloc_bytes)"')" \
	"1 4096" "calloc site"
is "$(jqv leak.json '.sites[0].function')" spike "top site by bytes"
is "$(jqv leak.json '[.peak[] | .bytes] | add')" 68110064 "peak state sums to the peak"
is "$(jqv leak.json '.peak[0] | "\(.bytes) \(.stack[0].function)"')" "67108864 spike" "biggest at the peak"
is "$(jqv leak.json '[.timeline[] | .heap_max] | max')" 68110064 "the timeline keeps the peak"

# the human report: exact bytes beside units, the leaking line first
"$PINCH" mem report leak.rec >report.txt 2>report.err
ok "report exits 0" test -s report.txt
ok "peak printed exactly" grep -q "peak heap    68110064 B (65.0 MiB) in 1025 blocks" report.txt
ok "leak printed exactly" grep -q "leaked       1001200 B (978 KiB) in 1024 blocks" report.txt
is "$(grep -A2 '^Leaks' report.txt | tail -1 | awk '{print $1, $2, $3, $4}')" \
	"1000000 1000 leak_big mem-leak.c:38" "first leak row is the leaking line"
ok "peak tree" grep -q -- "->98.53% (67108864 B) spike  mem-leak.c:46" report.txt
ok "timeline chart" grep -q "Memory over time" report.txt

# the anchors agree
if command -v valgrind >/dev/null; then
	is "$(massif_peak "$W/mem-leak")" 68110064 "massif's exact peak agrees"
	# memcheck's scan is conservative: a stale copy of a leaked pointer on
	# its stack can demote one 1000-byte block to "possibly lost".
	read -r mb mn <<<"$(memcheck_lost "$W/mem-leak")"
	ok "memcheck's definitely lost agrees ($mb B in $mn blocks; truth 1001200 in 1024)" \
		test "${mb:-0}" -le 1001200 -a "${mb:-0}" -ge 1000200 -a "${mn:-0}" -ge 1023 -a "${mn:-0}" -le 1024
else
	skip "massif peak" "valgrind not installed"
	skip "memcheck leak" "valgrind not installed"
fi
done_testing
