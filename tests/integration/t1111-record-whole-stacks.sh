#!/usr/bin/env bash
# Whole stacks by default (--call-graph cfi): hot code reached only through
# glibc and libstdc++, which Debian builds without frame pointers (qsort and
# bsearch comparators, snprintf, pthread_once, std::sort, std::function,
# std::call_once, ostringstream), and a program built without frame
# pointers at all. In 21 runs in a row, every run has >= 99 % of its
# samples reaching main (start-up in the dynamic linker aside), and each
# hot function has its phase function (the caller above the library
# frames) on >= 99 % of its stacks.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

# The share of samples whose stack has frame F, of those that have frame
# G (all samples without G) in collapsed stacks. Names are compared
# without arguments and GCC's clone suffixes (".constprop.0", "[clone]").
# Samples of the dynamic linker's start-up (before main exists: also a
# lone _start, the first instruction, as when a page fault on it is
# sampled) and of exit handlers (after main returned: whole stacks without main) are not
# counted.
share_with() {	# file.folded F [G]
	awk -v f="$2" -v g="${3:-}" '
	function bare(s) { sub(/\(.*/, "", s); sub(/ \[clone.*/, "", s); sub(/\..*/, "", s); return s }
	{
		n = $NF; $NF = ""; sub(/ $/, "")
		k = split($0, fr, ";")
		if (fr[1] == "_dl_start_user" || fr[2] == "_dl_start" || (k == 1 && fr[1] == "_start")) next
		if (fr[1] == "_start" && fr[3] == "__libc_start_call_main" && fr[4] == "exit") next
		hasf = hasg = 0
		for (i = 1; i <= k; i++) {
			b = bare(fr[i])
			if (b == f) hasf = 1
			if (b == g) hasg = 1
		}
		if (g != "" && !hasg) next
		tot += n; hit += hasf ? n : 0
	} END { if (tot) printf "%.2f", 100 * hit / tot; else print "none" }' "$1"
}

runs=0
check_runs() {	# exe rounds count leaf:phase...
	local exe=$1 rounds=$2 count=$3 i
	shift 3
	: >"$exe.all.folded"
	for i in $(seq 1 "$count"); do
		"$PINCH" record -q -o "$exe.$i.rec" -- "$W/$exe" "$rounds" >/dev/null
		"$PINCH" report --collapsed --user-only "$exe.$i.rec" >"$exe.$i.folded"
		cat "$exe.$i.folded" >>"$exe.all.folded"
		at_least "$(share_with "$exe.$i.folded" main)" 99 "$exe run $i: >= 99 % of samples reach main" ||
			misses "$exe.$i.folded"
		runs=$((runs + 1))
	done
	for pair in "$@"; do
		at_least "$(share_with "$exe.all.folded" "${pair#*:}" "${pair%%:*}")" 99 \
			"$exe: ${pair#*:} is above the library in >= 99 % of the stacks with ${pair%%:*}"
	done
}

at_least() {	# value min name
	ok "$3 (got $1)" awk -v v="$1" -v m="$2" 'BEGIN { exit !(v != "none" && v + 0 >= m) }'
}

misses() {	# file.folded [pattern]: the stacks without main (nor pattern), for the log
	grep -v -e '^main;' -e ';main;' -e ';main [0-9]*$' -e "${2:-^$}" "$1" | sed 's/^/# without main: /' | head -20
}

C_PAIRS="cmp_sort:phase_sort cmp_search:phase_search once_init:phase_once __printf_fp_l:phase_format"
# shellcheck disable=SC2086
check_runs lib-paths-fp 2 7 $C_PAIRS
# shellcheck disable=SC2086
check_runs lib-paths-nofp 2 7 $C_PAIRS
if [ -x "$W/cxx-paths" ]; then
	check_runs cxx-paths 2 7 less_slow:phase_sort once_body:phase_once \
		__printf_fp_l:phase_stream
else
	skip "cxx-paths is not built (no C++ compiler)"
fi
ok "at least 20 runs in a row ($runs)" test "$runs" -ge 20

# A stack deeper than the 8 KiB copy (60 frames of 512 bytes): with frame
# pointers the kernel's chain continues the walk above the copy; without,
# the stacks are marked partial rather than shown as whole.
"$PINCH" record -q -o deep-fp.rec -- "$W/deep-stack-fp" 2 >/dev/null
"$PINCH" report --collapsed --user-only deep-fp.rec >deep-fp.folded
at_least "$(share_with deep-fp.folded main)" 99 "deep stack, fp build: >= 99 % reach main" || misses deep-fp.folded
ok "... continued by frame pointers above the copy" sh -c \
	"'$PINCH' report deep-fp.rec | grep -Eq 'unwound while recording, [0-9]+ continued by frame pointers'"
"$PINCH" record -q -o deep-nofp.rec -- "$W/deep-stack-nofp" 2 >/dev/null
"$PINCH" report --collapsed --user-only deep-nofp.rec >deep-nofp.folded
at_least "$(share_with deep-nofp.folded '[partial stack]')" 95 "deep stack, no-fp build: >= 95 % marked [partial stack]"
# (a sample taken while the recursion is still shallow fits the copy and
# reaches main: every stack is one or the other, none is cut silently)
at_least "$(awk -v a="$(share_with deep-nofp.folded main)" -v b="$(share_with deep-nofp.folded '[partial stack]')" 'BEGIN { printf "%.2f", a + b }')" 99.99 \
	"... every stack reaches main or is marked partial" || misses deep-nofp.folded '\[partial stack\]'
is "$("$PINCH" report --json deep-nofp.rec | python3 -c 'import json,sys; d=json.load(sys.stdin)["recording"]; print(d["partial_stacks"] * 100 >= d["samples"] * 95)')" True \
	"... counted in --json (partial_stacks)"

# make demo's program: main under every frame of the program (samples in
# exit handlers, after main returned, aside).
demo="$PINCH_BUILDDIR/examples/demo/wordfreq"
"$PINCH" record -q -o demo.rec -- "$demo" 10 >/dev/null
"$PINCH" report --collapsed --user-only demo.rec >demo.folded
at_least "$(share_with demo.folded main)" 99 "the demo: main under >= 99 % of its samples" || misses demo.folded
at_least "$(share_with demo.folded main count_words)" 100 "the demo: every stack with count_words has main"

# What the default spares users: frame-pointer chains lose main in a
# program built without frame pointers, and the header says which ran.
"$PINCH" record -q --call-graph fp -o fp.rec -- "$W/lib-paths-nofp" 2 >/dev/null
"$PINCH" report --collapsed --user-only fp.rec >fp.folded
ok "--call-graph fp loses main without frame pointers ($(share_with fp.folded main) %)" \
	awk -v v="$(share_with fp.folded main)" 'BEGIN { exit !(v < 50) }'
ok "the report header names the mode and what was unwound" sh -c \
	"'$PINCH' report lib-paths-nofp.1.rec | grep -Eq 'cfi call graph \\([0-9]+ of [0-9]+ stacks unwound while recording'"
done_testing
