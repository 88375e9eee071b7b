#!/bin/bash
# pinch trace on optimised code: -O2 inlines (trace-inline.c; skip() and
# bump() always), and an inlined copy calls the hooks from its host's
# frame. Exact counts, total/primitive, edges and longjmp in a parser;
# mutual recursion with uneven primitive counts (Hofstadter's F and M);
# qsort's callbacks from uninstrumented libc; threads whose worker has an
# inlined callee. Each mode prints its own counters, the truth.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/trace-lib.sh"
TI="$W/trace-inline"

rec_json() {	# rec_json OUT.json [record options] -- CMD...: the program's own counters in OUT.counts
	local out=$1; shift
	"$PINCH" trace -q -o "${out%.json}.rec" "$@" >/dev/null 2>"${out%.json}.err"
	grep '^counts ' "${out%.json}.err" >"${out%.json}.counts"
	"$PINCH" trace report "${out%.json}.rec" --json --threads >"$out"
}

own() {	# own FILE.json NAME: the program's own count of NAME
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" "${1%.json}.counts"
}

is "$(objdump -d "$TI" | grep -c 'call.*<skip>$')" "0" "skip() is inlined everywhere (no call to it)"

for mode in events counts; do
	opt=; [ $mode = counts ] && opt=--counts-only
	rec_json parse-$mode.json $opt -- "$TI" parse 1
	is "$(calls parse-$mode.json expr) $(calls parse-$mode.json term) $(calls parse-$mode.json factor)" \
		"18/6 28/10 36/15" "$mode: parser: expr 18/6, term 28/10, factor 36/15"
	is "$(calls parse-$mode.json skip) $(calls parse-$mode.json number) $(calls parse-$mode.json fail) $(calls parse-$mode.json parse_line)" \
		"72/72 23/23 2/2 6/6" "$mode: skip (inlined) 72, number 23, fail 2, parse_line 6"
	is "$(calls parse-$mode.json skip | cut -d/ -f1) $(calls parse-$mode.json factor | cut -d/ -f1)" \
		"$(own parse-$mode.json skip) $(own parse-$mode.json factor)" "$mode: as the program counted"
	is "$(edge parse-$mode.json factor skip) $(edge parse-$mode.json factor expr) $(edge parse-$mode.json factor factor) $(edge parse-$mode.json parse_line expr)" \
		"72/72 12/0 1/0 6/6" "$mode: edges factor->skip 72, factor->expr 12, factor->factor 1, parse_line->expr 6"
	is "$(jq -r '.threads[0].unwound' parse-$mode.json)" "25" "$mode: 25 calls left by the 2 longjmps (8 and 17 deep)"
	is "$(jq -r '[.functions[] | .cumtime_ns >= .tottime_ns] | all' parse-$mode.json)" "true" "$mode: cumtime >= tottime everywhere"
	fcum=$(jq -r '[.functions[] | select(.function == "factor")][0].cumtime_ns' parse-$mode.json)
	ncum=$(jq -r '[.functions[] | select(.function == "number")][0].cumtime_ns' parse-$mode.json)
	ok "$mode: factor's time holds number's ($fcum >= $ncum ns)" test "$fcum" -ge "$ncum"

	rec_json hof-$mode.json $opt -- "$TI" hof
	is "$(calls hof-$mode.json F) $(calls hof-$mode.json M)" "1941/120 1941/120" \
		"$mode: Hofstadter F and M 1941/120 each"
	is "$(edge hof-$mode.json main F) $(edge hof-$mode.json main M)" "15/15 15/15" "$mode: 15 outermost calls of each from main"
	n=$(own hof-$mode.json cmp_int)
	is "$(calls hof-$mode.json cmp_int)" "$n/$n" "$mode: qsort's callback cmp_int $n times, as counted"
	is "$(edge hof-$mode.json sort_some cmp_int)" "$n/$n" "$mode: cmp_int's caller is sort_some (qsort is not traced)"
	is "$(jq -r '.threads[0].unwound' hof-$mode.json)" "0" "$mode: no call taken as unwound"

	rec_json thr-$mode.json $opt -- "$TI" threads
	is "$(jq -r '[.threads[] | [.functions[]? | select(.function == "burn")][0].ncalls // 0] | sort | join(" ")' thr-$mode.json)" \
		"0 50 100" "$mode: burn 50 and 100 per thread"
	is "$(calls thr-$mode.json worker) $(calls thr-$mode.json cmp_int | cut -d/ -f1)" "2/2 $(own thr-$mode.json cmp_int)" \
		"$mode: worker twice, cmp_int as counted"
	is "$(jq -r '[.threads[].unwound] | add' thr-$mode.json)" "0" "$mode: no call taken as unwound"
	is "$(jq -r '[.threads[] | select(.functions[]?.function == "worker") |
		([.functions[] | select(.function == "worker")][0].cumtime_ns >=
		 [.functions[] | select(.function == "burn")][0].cumtime_ns)] | all' thr-$mode.json)" \
		"true" "$mode: each worker's time holds its burn calls"
done

# clang: the same hooks (and the same inlining), and no .debug_aranges
# unless -gdwarf-aranges: file and line still come from the unit's ranges
if command -v clang >/dev/null && clang -O2 -g -finstrument-functions -o ti-clang \
	"$PINCH_SRCDIR/tests/workloads/trace-inline.c" -lpthread 2>clang.err; then
	ok "clang wrote no .debug_aranges (what the fallback is for)" sh -c "! readelf -S ti-clang | grep -q debug_aranges"
	rec_json clang.json -- ./ti-clang parse 1
	is "$(calls clang.json expr) $(calls clang.json term) $(calls clang.json factor) $(calls clang.json skip)" \
		"18/6 28/10 36/15 72/72" "clang -O2: expr 18/6, term 28/10, factor 36/15, skip 72"
	is "$(jq -r '.threads[0].unwound' clang.json)" "25" "clang -O2: 25 calls left by longjmp"
	where='[.functions[] | select(.function == "factor")][0] | "\(.file | sub(".*/"; "")):\(.line)"'
	is "$(jq -r "$where" clang.json)" "$(jq -r "$where" parse-events.json)" \
		"clang: factor's file and line, as with gcc"
	ok "and that is trace-inline.c:N" sh -c "jq -r '$where' clang.json | grep -Eq '^trace-inline\.c:[1-9][0-9]*$'"
else
	skip "clang build of trace-inline" "clang is not installed"
fi

# a long run: many buffers, the same answer per round
rec_json parse10k.json -- "$TI" parse 10000
is "$(calls parse10k.json factor) $(jq -r '.threads[0].unwound' parse10k.json)" "360000/150000 250000" \
	"10000 rounds: factor 360000/150000, 250000 unwound"
# and the table stays aligned when "total/primitive" is wider than 12
"$PINCH" trace report parse10k.rec -n 0 >p10k.txt
is "$(grep -E '^ +[0-9/]+ ' p10k.txt | grep -c '360000/150000 ')" "1" "the table shows factor 360000/150000"
is "$(grep -E '(ncalls|\(function\)$|^ +[0-9/]+ .*\([a-z_]+\))' p10k.txt | awk '{ print index($0, $NF) }' | sort -u | wc -l | tr -d ' ')" \
	"1" "the filename:lineno(function) column starts at one place in every row"
"$PINCH" trace report parse10k.rec --callers factor >p10kc.txt
is "$(grep -E '(ncalls|<-)' p10kc.txt | awk '{ print index($0, "tottime") ? index($0, "tottime") + 7 : index($0, $2) + length($2) }' | sort -u | wc -l | tr -d ' ')" \
	"1" "--callers: the tottime column ends at one place in every row"
done_testing
