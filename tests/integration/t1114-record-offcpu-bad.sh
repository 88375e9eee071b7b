#!/usr/bin/env bash
# t1114-record-offcpu-bad.sh - pinch record --off-cpu on bad input and in
# the corners: a recording without blocked time given to --off-cpu/--wall
# views, --off-cpu with the agent, a process that exits while attached
# (--pid), a command that forks and execs the workload, and unprivileged
# (as nobody, where root can switch to it): exact per-thread blocked time
# without stacks, and the header and JSON say so.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
. "$here/offcpu-lib.sh"

record_perf old.rec -- "$W/offcpu-phases" 0.05 t1114-old
exit_status 2 "report --off-cpu on a recording without blocked time: usage error" \
	"$PINCH" report --off-cpu old.rec
cp "$TMP/.out" old.txt
ok "... which says it was recorded without --off-cpu" grep -q 'no blocked (off-CPU) time: it was recorded without --off-cpu or --wall' old.txt
ok "... and how to record it" grep -q "hint: record again with 'pinch record --off-cpu" old.txt
exit_status 2 "report --wall on it: the same" "$PINCH" report --wall --json old.rec
ok "report --on-cpu on it works" "$PINCH" report --on-cpu old.rec
is "$(jget old.rec '"offcpu" in d["recording"]')" False "json: no offcpu object without blocked time"
exit_status 2 "record --off-cpu --wall: usage error" "$PINCH" record --off-cpu --wall -o x.rec -- true
exit_status 2 "record --off-cpu --mode agent: usage error" "$PINCH" record --off-cpu --mode agent -o x.rec -- true
cp "$TMP/.out" agent.txt
ok "... naming why" grep -q 'needs perf_event: the agent cannot see context switches' agent.txt

record_perf ph.rec --off-cpu -- "$W/offcpu-phases" 0.05 t1114-probe
offcpu_perf ph.rec

# A process that exits while attached: the recording ends whole.
"$W/offcpu-phases" 0.2 t1114-attach 2>at.txt &
wpid=$!
sleep 0.1
ok "--pid of a process that exits mid-run: recorded" "$PINCH" record -q --off-cpu --pid "$wpid" --duration 20s -o at.rec
wait "$wpid"
is "$(jget at.rec 'd["recording"]["truncated"]')" False "... the recording is whole"
want=$(truth at.txt sleep)
got=$(offtime at.rec sleep_phase "[off: sleep]")
within "$(pct "$got" "$want")" 100 2 "... and its sleep phase is there ($got of $want ns)"

# A command that forks and execs the workload.
"$PINCH" record -q --off-cpu -o fe.rec -- sh -c "\"$W/offcpu-phases\" 0.1 t1114-fork; true" 2>fe.txt
want=$(truth fe.txt pipe)
got=$(offtime fe.rec pipe_phase "[off: read]")
within "$(pct "$got" "$want")" 100 2 "fork and exec: the exec'd program's pipe phase ($got of $want ns)"
got=$(offtime fe.rec '[off: other]' '[off: other]' --comm sh)
ok "... and the shell's own wait for it is there too ($got ns)" test "${got:-0}" -gt 0

# Unprivileged: switch records without stacks, exact blocked time per thread.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && \
	[ "$(cat /proc/sys/kernel/perf_event_paranoid)" -ge 2 ]; then
	chmod 755 "$TMP"
	mkdir -m 777 "$TMP/u"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PINCH" record --off-cpu -o "$TMP/u/u.rec" -- "$W/offcpu-phases" 0.2 t1114-nobody \
		>"$TMP/u/out.txt" 2>&1
	ok "unprivileged: the mode line says there are no stacks" grep -q 'blocked time: perf context-switch records, NO stacks' "$TMP/u/out.txt"
	is "$(jget u/u.rec 'd["recording"]["offcpu"]["mechanism"]')" perf-switch "unprivileged: json mechanism"
	ok "unprivileged: json stacks says none and why" sh -c "\"\$PINCH\" report --json u/u.rec | grep -q '\"stacks\": \"none: stacks at a context switch need root'"
	"$PINCH" report u/u.rec >u.txt 2>&1
	ok "unprivileged: the header says NO stacks" grep -q '^off-cpu:   perf-switch, NO stacks' u.txt
	# The main thread's blocked time is the three blocked phases (the
	# helper threads' are theirs); sleeps, pipe and mutex each ~0.2 s.
	want=$(( $(truth u/out.txt sleep) + $(truth u/out.txt pipe) + $(truth u/out.txt mutex) ))
	pid=$(sed -n 's/^pinch record: wrote .*//; s/^phase .*//' "$TMP/u/out.txt"; \
		"$PINCH" report --threads u/u.rec 2>/dev/null | sed -n 's/^thread offcpu-phases (pid \([0-9]*\), tid \1).*/\1/p' | head -1)
	got=$(offtime u/u.rec '[off: other]' '[off: other]' --tid "$pid")
	within "$(pct "$got" "$want")" 100 2 "unprivileged: the main thread's blocked time without stacks ($got ns) is its three blocked phases ($want ns)"
else
	skip "unprivileged tier" "needs root (to switch to nobody), setpriv and perf_event_paranoid >= 2"
fi
done_testing
