#!/usr/bin/env bash
# t5010-python-exec-attach.sh - attaching to a process that execs: a bash
# that execs python (as pyenv's shim does) attached within 50 ms of its
# start, by pinch top, pinch record --pid and (launched) pinch mem. pinch
# top once crashed here (use-after-free in livetop as new functions came);
# under the sanitizer build this runs with AddressSanitizer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/python-lib.sh"

"$PINCH" record -o probe.rec -- true >probe.txt 2>&1
grep -q 'mode perf' probe.txt || skip_all "perf_event is not available here"
py=${PYTHONS[0]}
for i in 1 2 3; do
	bash -c "sleep 0.02; exec $py $PYW/shares.py 60" >/dev/null &
	pid=$!
	sleep 0.05
	"$PINCH" top --pid $pid --duration 2 -n 5 >top$i.txt 2>&1
	rc=$?
	ok "run $i: top survives the exec (exit $rc)" test "$rc" = 0 -o "$rc" = 1
	ok "run $i: ... and shows Python functions" grep -qE 'spin|func_sixty|<module>' top$i.txt
	wait $pid 2>/dev/null
	bash -c "sleep 0.02; exec $py $PYW/shares.py 60" >/dev/null &
	pid=$!
	sleep 0.05
	"$PINCH" record -q -p $pid -d 2 -o rec$i.rec >rec$i.txt 2>&1
	is "$?" 0 "run $i: record --pid across the exec exits 0"
	ok "run $i: ... and the recording names Python functions" sh -c "\"\$PINCH\" report rec$i.rec | grep -qE 'spin|func_sixty'"
	wait $pid 2>/dev/null
done
if [ "$PINCH_SANITIZED" = 0 ]; then
	"$PINCH" mem -q -o mem.rec -- bash -c "exec $py $PYW/shares.py 5" >/dev/null 2>mem.err
	is "$?" 0 "pinch mem through a bash that execs python exits 0"
	ok "... and its report reads" "$PINCH" mem report mem.rec
else
	skip "pinch mem through exec" "the memory agent does not run under the sanitizer build"
fi
done_testing
