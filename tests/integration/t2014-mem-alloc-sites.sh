#!/bin/bash
# An allocation site is the first caller that is not an allocator: the C
# family, operator new and the C++ library's allocation code, known
# wrappers (xmalloc), and --alloc-fn patterns; --keep-alloc-fns shows the
# raw leaf. Exact bytes and calls (mem-wrap.c, mem-cxx.cpp).
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

site() {	# site FILE.json FUNCTION-PREFIX: "BYTES CALLS" of the first site whose function starts so
	jq -r --arg f "$2" '[.sites[] | select(.function | startswith($f))][0] | "\(.alloc_bytes) \(.alloc_calls)"' "$1"
}

mem_json wrap.json -- "$W/mem-wrap"
is "$(site wrap.json my_alloc)" "250000 1500" "an unknown wrapper is the site: my_alloc"
is "$(site wrap.json caller_c)" "10000 200" "xmalloc is known: caller_c is the site"
is "$(jq '[.sites[] | select(.function == "xmalloc" or .function == "malloc")] | length' wrap.json)" 0 \
	"no site is named malloc or xmalloc"

"$PINCH" mem report --json --alloc-fn my_alloc wrap.rec >wrap2.json
is "$(site wrap2.json caller_a)" "100000 1000" "--alloc-fn my_alloc: caller_a"
is "$(site wrap2.json caller_b)" "150000 500" "--alloc-fn my_alloc: caller_b"
is "$(jq '[.sites[] | select(.function == "my_alloc")] | length' wrap2.json)" 0 "... and my_alloc is gone"
"$PINCH" mem report --json --alloc-fn 'my_*' wrap.rec >wrap3.json
is "$(site wrap3.json caller_b)" "150000 500" "--alloc-fn takes a pattern"
"$PINCH" mem report --json --keep-alloc-fns wrap.rec >wrap4.json
is "$(site wrap4.json xmalloc)" "10000 200" "--keep-alloc-fns keeps xmalloc"
"$PINCH" mem report wrap.rec >wrap.txt
ok "the report says what a site is" grep -q "first caller of malloc, operator new" wrap.txt
exit_status 2 "--alloc-fn '' is refused" "$PINCH" mem report --alloc-fn '' wrap.rec

[ -x "$W/mem-cxx" ] || { skip "C++" "no C++ compiler"; done_testing; exit 0; }
mem_json cxx.json -- "$W/mem-cxx"
is "$(site cxx.json fill_vec)" "1231256 7014" "C++: vector growth and strings are fill_vec's"
is "$(site cxx.json fill_map)" "812000 14000" "C++: map nodes and strings are fill_map's"
is "$(jq '[.sites[] | select(.function | test("^operator new|^std::|_M_"))] | length' cxx.json)" 0 \
	"no site is operator new or the standard library"
"$PINCH" mem report --json --keep-alloc-fns cxx.rec >cxx2.json
is "$(jq '[.sites[] | select(.function | startswith("operator new"))] | map(.alloc_bytes) | add' cxx2.json)" \
	2043256 "--keep-alloc-fns: operator new holds all of it"

# The line listing adds up and books each line's bytes exactly.
"$PINCH" mem report --lines fill_map cxx.rec >lines.txt
ok "--lines fill_map: total 812000 B in 14000 calls" grep -q "total 812000 B in 14000 calls" lines.txt
is "$(awk '$1 ~ /^[0-9]+$/ && NF >= 4 && $2 ~ /^[0-9]+$/ { s += $2 } END { print s }' lines.txt)" 812000 \
	"... and its rows add up to the total"
# _start (crt1, no line table) has no line from the C++ file before it.
"$PINCH" mem report --stacks cxx.rec >stacks.txt
ok "_start is named by its module, not a stray line" grep -q "_start  (mem-cxx)" stacks.txt
ok "... never with a header's line" sh -c "! grep -q '_start  basic_string' stacks.txt"
# C++ names are shortened to fit, --wide prints them whole.
"$PINCH" mem report cxx.rec >cxx.txt
ok "C++ names are shortened in tables" grep -q "fill_map(std::map<…>&)" cxx.txt
"$PINCH" mem report --wide cxx.rec >cxxw.txt
ok "--wide prints them whole" grep -q "fill_map(std::map<long, std::__cxx11::basic_string" cxxw.txt
done_testing
