#!/bin/bash
# A recording cut short never reports unknown figures as zero: cut at
# every 97th byte, each report says the figures are exact (the process's
# final figures survived: the truth), a lower bound (sums over the sites
# that survived, never above the truth) or unknown (null in JSON,
# "unknown" in the text); a cut before any process is a clear error.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

"$PINCH" mem -q -o whole.rec -- "$W/mem-leak" 2>/dev/null
size=$(stat -c %s whole.rec)
"$PINCH" mem report --json whole.rec >whole.json
is "$(jqv whole.json .figures)" exact "the whole recording's figures are exact"
true_alloc=$(jqv whole.json .alloc_bytes)
bad=0 unknown=0 lower=0 zero_text=0
for ((cut = 64; cut < size; cut += 97)); do
	head -c $cut whole.rec >cut.rec
	"$PINCH" mem report --json cut.rec >cut.json 2>/dev/null || continue
	read -r fig alloc <<<"$(jq -r '"\(.figures | gsub(" "; "_")) \(.alloc_bytes)"' cut.json)"
	[ "$fig" = unknown ] && [ ! -s unknown.rec ] && cp cut.rec unknown.rec
	case "$fig" in
	unknown) [ "$alloc" = null ] || bad=$((bad + 1)); unknown=$((unknown + 1)) ;;
	lower_bound) [ "$alloc" != null ] && [ "$alloc" -le "$true_alloc" ] || bad=$((bad + 1)); lower=$((lower + 1)) ;;
	exact) [ "$alloc" = "$true_alloc" ] || bad=$((bad + 1)) ;;
	*) bad=$((bad + 1)) ;;
	esac
	"$PINCH" mem report cut.rec 2>/dev/null | grep -q "allocated    0 B" && zero_text=$((zero_text + 1))
done
is "$bad" 0 "every cut recording says unknown (null), gives a lower bound, or is exact only when true"
ok "some cuts leave nothing to sum ($unknown unknown)" test "$unknown" -gt 0
ok "some give lower bounds ($lower)" test "$lower" -gt 0
is "$zero_text" 0 "no cut report prints 'allocated 0 B'"
"$PINCH" mem report unknown.rec >unknown.txt 2>&1
ok "the text says unknown, not 0" grep -q "allocated    unknown" unknown.txt
head -c 100 whole.rec >early.rec
exit_status 1 "a cut before any process is an error" "$PINCH" mem report early.rec
done_testing
