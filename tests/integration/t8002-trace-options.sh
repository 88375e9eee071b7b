#!/bin/bash
# pinch trace: --filter/--exclude/--depth/--min-time, the views (table
# sorts, callers/callees, collapsed, svg, Chrome trace), and bad input:
# an uninstrumented binary, usage errors, cut-short and foreign files.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/trace-lib.sh"

names() {	# the traced functions of FILE.json, sorted
	jq -r '[.functions[].function] | sort | join(",")' "$1"
}

trace_json filt.json --filter mid -- "$TC" fanout
is "$(names filt.json)" "leaf,mid" "--filter mid: mid and what it calls"
is "$(calls filt.json mid) $(calls filt.json leaf)" "3/3 12/12" "--filter keeps exact counts"
trace_json glob.json --filter 'is_*' -- "$TC" mutual
is "$(names glob.json)" "is_even,is_odd" "--filter with a glob"
trace_json excl.json --exclude mid -- "$TC" fanout
is "$(names excl.json)" "main,root" "--exclude mid: mid and its callees left out"
trace_json both.json --filter 'spin*' --exclude spin -- "$TC" busy
is "$(names both.json)" "spin_a,spin_b" "--filter 'spin*' --exclude spin: the exclusion wins for spin"
is "$(jq -r '.kept' both.json)" "--filter spin* --exclude spin" "the report says what was kept"
"$PINCH" trace -o none.rec --min-time 10s -- "$TC" fanout >none.txt 2>&1
ok "--min-time longer than every call: the report says no call was recorded" grep -q '^notes: *no call was recorded' none.txt
ok "and shows what was kept" grep -q '^kept: *--min-time 10' none.txt
trace_json depth.json --depth 2 -- "$TC" fanout
is "$(names depth.json)" "main,root" "--depth 2: two levels"
is "$(jq -r '.threads[0].dropped' depth.json)" "15" "--depth 2: 15 calls not recorded"
trace_json depthc.json --depth 2 --counts-only -- "$TC" fanout
is "$(names depthc.json)" "main,root" "--depth 2 --counts-only"
trace_json min.json --min-time 20us -- "$TC" busy
is "$(names min.json)" "main,spin,spin_a,spin_b" "--min-time 20us drops the fan-out tree's tiny calls"
is "$(calls min.json spin_b)" "200/200" "--min-time keeps the long calls, all of them"

# the table
"$PINCH" trace -o fan.rec -- "$TC" fanout >fan.txt 2>fan.err
(umask 000; "$PINCH" trace -q -o um.rec -- "$TC" fanout 2>/dev/null; "$PINCH" trace -q --counts-only -o umc.rec -- "$TC" fanout 2>/dev/null)
is "$(stat -c %a um.rec) $(stat -c %a umc.rec)" "600 600" "recordings are mode 0600 whatever the umask"
ok "table has the pstats header" grep -q 'ncalls    tottime    percall    cumtime    percall filename:lineno(function)' fan.txt
ok "leaf row: 12 calls, file:line(function)" grep -Eq '^ +12 .* trace-calls\.c:[0-9]+\(leaf\)$' fan.txt
"$PINCH" trace report fan.rec --sort ncalls >s.txt
is "$(grep -E '^ +[0-9]' s.txt | grep -m1 -o '([a-z_]*)$')" "(leaf)" "--sort ncalls: leaf first"
"$PINCH" trace report fan.rec --sort name >s.txt
is "$(grep -E '^ +[0-9]' s.txt | grep -o '([a-z_]*)$' | tr -d '()\n')" "leafmainmidroot" "--sort name"
"$PINCH" trace report fan.rec --callers leaf >c.txt
ok "--callers leaf: 12 from mid" grep -Eq '^ +12 .*<- trace-calls\.c:[0-9]+\(mid\)$' c.txt
"$PINCH" trace report fan.rec --callees root >c.txt
ok "--callees root: 3 to mid" grep -Eq '^ +3 .*-> trace-calls\.c:[0-9]+\(mid\)$' c.txt
exit_status 1 "--callers of an unknown function" "$PINCH" trace report fan.rec --callers nosuch
# the common views
"$PINCH" trace report fan.rec --collapsed >fan.folded
ok "--collapsed: main;root;mid;leaf" grep -Eq '^main;root;mid;leaf [0-9]+$' fan.folded
is "$(wc -l <fan.folded | tr -d ' ')" "4" "--collapsed: four paths"
exit_status 0 "--svg" "$PINCH" trace report fan.rec --svg fan.svg
ok "the flame graph names leaf" grep -q 'leaf' fan.svg
exit_status 0 "--chrome" "$PINCH" trace report fan.rec --chrome fan.json
is "$(stat -c %a fan.json)" 600 "--chrome: the file is mode 0600"
is "$(jq '[.traceEvents[] | select(.ph == "X")] | length' fan.json)" "17" "Chrome trace: one complete event per call"
is "$(jq '[.traceEvents[] | select(.ph == "X" and .name == "leaf" and .dur >= 0)] | length' fan.json)" "12" "Chrome trace: 12 leaf events"
"$PINCH" trace -q -o thr.rec -- "$TC" threads 2>/dev/null
"$PINCH" trace report thr.rec --threads >t.txt
is "$(grep -c '^thread ' t.txt)" "3" "--threads: one table per thread"

# bad input
exit_status 2 "uninstrumented binary: exit 2" "$PINCH" trace -- "$W/trace-plain" fanout
cp "$TMP/.out" plain.out
ok "says how to rebuild" grep -q -- "-finstrument-functions" plain.out
ok "and nothing was written" test -z "$(ls pinch-trace-*.rec 2>/dev/null)"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$TC" >wrapper.sh
chmod +x wrapper.sh
exit_status 2 "a script: exit 2" "$PINCH" trace -- ./wrapper.sh fanout
cp "$TMP/.out" script.out
ok "says it is a script" grep -q "'./wrapper.sh': a script" script.out
ok "and to run the program itself" grep -q "hint: run the instrumented program itself" script.out
# like time(1) and pinch record: the command's status, 128 + its signal
exit_status 2 "the command's exit status (its usage error, 2)" "$PINCH" trace -q -o st.rec -- "$TC" bogus
exit_status 139 "a command killed by SIGSEGV (stack overflow): 128 + 11" "$PINCH" trace -q -o segv.rec -- "$TC" deep 1000000
exit_status 0 "... its recording reports" "$PINCH" trace report segv.rec
exit_status 2 "no command" "$PINCH" trace
exit_status 2 "missing program" "$PINCH" trace -- ./no-such-program
exit_status 2 "bad --sort" "$PINCH" trace --sort bogus -- "$TC" fanout
exit_status 2 "--min-time with --counts-only" "$PINCH" trace --counts-only --min-time 1ms -- "$TC" fanout
exit_status 2 "--filter matching nothing" "$PINCH" trace --filter no_such_fn -- "$TC" fanout
exit_status 2 "--depth 0 (not a depth; leave it out for no limit)" "$PINCH" trace --depth 0 -- "$TC" fanout
exit_status 2 "bad --clock" "$PINCH" trace --clock sundial -- "$TC" fanout
"$PINCH" trace -q --counts-only -o cnt.rec -- "$TC" fanout 2>/dev/null
exit_status 1 "--chrome of a counts-only recording" "$PINCH" trace report cnt.rec --chrome x.json
printf 'garbage' >junk.rec
exit_status 1 "not a recording" "$PINCH" trace report junk.rec
exit_status 2 "report without a recording here" sh -c "mkdir -p empty && cd empty && '$PINCH' trace report"
"$PINCH" trace -q -o big.rec -- "$TC" fib 25 >/dev/null 2>&1
size=$(stat -c %s big.rec)
head -c $((size / 2)) big.rec >cut.rec
exit_status 0 "a cut-short recording still reports" "$PINCH" trace report cut.rec --json
cp "$TMP/.out" cut.out
is "$(jq -r '.truncated' cut.out)" "true" "and says it is cut short"
n=$(jq -r '[.functions[] | select(.function == "fib")][0].ncalls' cut.out)
ok "with some but fewer fib calls than the whole run (0 < $n < 242785)" test "$n" -gt 0 -a "$n" -lt 242785
exit_status 0 "--chrome of the cut-short recording" "$PINCH" trace report cut.rec --chrome cut.json
is "$(jq '[.traceEvents[] | select(.args.open)] | length' cut.json)" "$(jq '[.functions[].open] | add' cut.out)" \
	"Chrome trace: the calls open at the cut are there, marked open, as many as in the table"
is "$(jq '[.traceEvents[] | select(.ph == "X")] | length' cut.json)" "$(jq '.calls' cut.out)" \
	"Chrome trace: one event per call of the cut-short recording"
is "$(jq '[.traceEvents[] | select(.ph == "X") | (.ts | type) == "number" and .ts >= 0 and .dur >= 0 and
	(.name | type) == "string" and (.pid | type) == "number" and (.tid | type) == "number"] | all' cut.json)" "true" \
	"Chrome trace: every event has a name, pid, tid and non-negative numeric ts and dur"
head -c 100 big.rec >cut2.rec
exit_status 0 "cut inside the first record" "$PINCH" trace report cut2.rec
done_testing
