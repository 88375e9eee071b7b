#!/usr/bin/env bash
# t1109-report-cxx.sh - a g++ -O2 -g program whose hot code is library
# templates inlined into main (std::sort): the whole inline chain is in
# the stacks (main -> std::sort -> std::__sort -> __introsort_loop, as
# addr2line -i and perf report --inline show it), and C++ names are
# shortened by template arguments, never cut through the function's name.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

[ -x "$W/cxx-sort" ] || skip_all "no C++ compiler: cxx-sort was not built"
record_perf cxx.rec --call-graph dwarf -- "$W/cxx-sort" 300
"$PINCH" report --collapsed cxx.rec >folded.txt
ok "the inline chain main;std::sort;std::__sort is expanded" \
	grep -q ';main;void std::sort<[^;]*;void std::__sort<[^;]*;void std::__introsort_loop<' folded.txt
n=$(awk '{ s += $NF } / std::sort</ { k += $NF } END { printf "%d", 100 * k / s }' folded.txt)
ok "most samples are under std::sort ($n %)" test "$n" -ge 50
"$PINCH" report --limit 10 cxx.rec >top.txt
ok "names keep the function: std::__unguarded_partition<…>" grep -q 'std::__unguarded_partition<…>' top.txt
is "$(grep -c '…  ' top.txt)" 0 "no name is cut at the column's end"
"$PINCH" report --limit 10 --wide cxx.rec >wide.txt
ok "--wide: whole names" grep -q 'std::__unguarded_partition<__gnu_cxx::__normal_iterator<double\*, std::vector<double, std::allocator<double> > >, __gnu_cxx::__ops::_Iter_less_iter>' wide.txt
# The hottest line is named by its function, not by a template argument.
h=$(jget cxx.rec 'd["report"]["hottest"]["function"]')
ok "the hottest function is a sort helper ($h)" sh -c "echo '$h' | grep -qE '__unguarded_partition|__introsort_loop|_Iter_less_iter|__insertion_sort|__unguarded_linear_insert'"
done_testing
