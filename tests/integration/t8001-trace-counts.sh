#!/bin/bash
# pinch trace ground truth: exact call counts, total/primitive counts for
# recursion, call edges, threads, longjmp and exit mid-call, in events and
# counts-only mode; time shares of busy loops of known length (+-5 points).
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/trace-lib.sh"

for mode in events counts; do
	opt=; [ $mode = counts ] && opt=--counts-only
	trace_json fib-$mode.json $opt -- "$TC" fib 25
	is "$(calls fib-$mode.json fib)" "242785/1" "$mode: fib(25) is 242785 calls of fib, 1 primitive"
	is "$(calls fib-$mode.json main)" "1/1" "$mode: main once"
	is "$(jq -r '.kind, .schema' fib-$mode.json | tr '\n' ' ')" "trace 1 " "$mode: kind trace, schema 1"

	trace_json fan-$mode.json $opt -- "$TC" fanout
	is "$(calls fan-$mode.json root) $(calls fan-$mode.json mid) $(calls fan-$mode.json leaf)" \
		"1/1 3/3 12/12" "$mode: fan-out tree 1, 3, 12"
	is "$(edge fan-$mode.json root mid) $(edge fan-$mode.json mid leaf)" "3/3 12/12" "$mode: edges root->mid 3, mid->leaf 12"
	is "$(jq -r '.calls' fan-$mode.json)" "17" "$mode: 17 calls in all"

	trace_json mut-$mode.json $opt -- "$TC" mutual
	is "$(calls mut-$mode.json is_even) $(calls mut-$mode.json is_odd)" "12/2 10/2" \
		"$mode: mutual recursion is_even 12/2, is_odd 10/2"
	is "$(edge mut-$mode.json is_even is_odd) $(edge mut-$mode.json is_odd is_even) $(edge mut-$mode.json main is_even)" \
		"10/2 10/0 2/2" "$mode: mutual recursion edges"

	trace_json thr-$mode.json $opt --threads -- "$TC" threads
	is "$(jq '.threads | length' thr-$mode.json)" "3" "$mode: three threads"
	is "$(jq -r '[.threads[] | [.functions[]? | select(.function == "tick")][0].ncalls // 0] | sort | join(" ")' thr-$mode.json)" \
		"0 1000 2000" "$mode: tick per thread 1000 and 2000 (none in main)"
	is "$(calls thr-$mode.json tick)" "3000/3000" "$mode: merged 3000"

	trace_json jmp-$mode.json $opt -- "$TC" longjmp
	is "$(calls jmp-$mode.json deep1) $(calls jmp-$mode.json deep2) $(calls jmp-$mode.json deep3) $(calls jmp-$mode.json after)" \
		"5/5 5/5 5/5 5/5" "$mode: longjmp: deep1..3 and after 5 each"
	is "$(jq -r '[.edges[] | select(.callee == "after")] | map(.caller) | join(",")' jmp-$mode.json)" "jumper" \
		"$mode: after() is called by jumper, not by a frame longjmp left"
	is "$(jq -r '.threads[0].unwound' jmp-$mode.json)" "15" "$mode: 15 calls unwound by longjmp"
	is "$(jq -r '[.functions[] | .cumtime_ns >= 0] | all' jmp-$mode.json)" "true" "$mode: no negative time"

	trace_json exit-$mode.json $opt -- "$TC" exit
	is "$(jq -r '[.functions[] | select(.open == 1) | .function] | sort | join(",")' exit-$mode.json)" \
		"f_inner,f_outer,main" "$mode: exit() mid-call: main, f_outer, f_inner marked open"

	trace_json texit-$mode.json $opt --threads -- "$TC" thread-exit
	is "$(jq -r '[.functions[] | select(.open == 1) | .function] | sort | join(",")' texit-$mode.json)" \
		"exit_inner,worker_exit" "$mode: pthread_exit mid-call: worker_exit and exit_inner open"
	is "$(calls texit-$mode.json tick) $(calls texit-$mode.json main)" "1/1 1/1" "$mode: and the rest whole"

	trace_json run-$mode.json $opt -- "$TC" running
	is "$(jq -r '[.functions[] | select(.open == 1) | .function] | sort | join(",")' run-$mode.json)" \
		"loop_forever,worker_forever" "$mode: a thread still running at exit: its calls marked open"
	is "$(calls run-$mode.json main)" "1/1" "$mode: main returned"

	trace_json fork-$mode.json $opt --threads -- "$TC" fork
	is "$(jq '[.threads[].pid] | unique | length' fork-$mode.json)" "2" "$mode: fork: two processes"
	is "$(calls fork-$mode.json leaf) $(calls fork-$mode.json in_child) $(calls fork-$mode.json forker)" \
		"3/3 1/1 1/1" "$mode: fork: the child's calls its own, none counted twice"
done

# time shares: 200 interleaved rounds of 1 and 3 units of work, timed
# with the threads' CPU clock so a busy machine does not move them
trace_json busy.json --clock cpu -- "$TC" busy
within "$(share busy.json spin_a)" 25 5 "spin_a 25 % of the time"
within "$(share busy.json spin_b)" 75 5 "spin_b 75 % of the time"
is "$(calls busy.json spin)" "400/400" "spin 400 calls"

# unbounded recursion: bounded memory, no crash, nothing counted twice
trace_json deep.json -- "$TC" deep 100000
ok "100000 deep recursion recorded" test -s deep.json
rec=$(jq -r "$(printf '[.functions[] | select(.function == "deep")][0].ncalls')" deep.json)
dropped=$(jq -r '.threads[0].dropped' deep.json)
is "$((rec + dropped))" "100001" "deep: recorded + dropped calls = 100001"
is "$(jq -r '[.functions[] | .cumtime_ns >= .tottime_ns] | all' deep.json)" "true" \
	"deep: cumtime >= tottime (65536 nested calls' own times do not add up to more than the outermost)"
done_testing
