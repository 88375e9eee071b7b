#!/usr/bin/env bash
# t1112-record-offcpu.sh - pinch record --off-cpu against ground truth: one
# thread computes, sleeps (nanosleep), blocks reading a pipe and waits on a
# mutex, 0.3 s each in its own function (offcpu-phases.c), and prints each
# phase's own CLOCK_MONOTONIC duration. Each blocked phase's [off: REASON]
# time under its function, and the compute phase's wall time (--wall view:
# on-CPU samples plus run-queue waits), are within 2 % of those durations.
# Every view works on the [off: ...] leaves; the header and JSON say which
# mechanism ran and split the time per reason.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
. "$here/offcpu-lib.sh"

record_perf ph.rec --off-cpu -- "$W/offcpu-phases" 0.3 t1112-phases
offcpu_perf ph.rec
"$PINCH" record -q --off-cpu -o ph.rec -- "$W/offcpu-phases" 0.3 t1112-phases 2>truth.txt
sed 's/^/# truth: /' truth.txt

for spec in "sleep sleep_phase sleep" "pipe pipe_phase read" "mutex mutex_phase futex"; do
	set -- $spec
	want=$(truth truth.txt "$1")
	got=$(offtime ph.rec "$2" "[off: $3]")
	within "$(pct "$got" "$want")" 100 2 "$1: [off: $3] under $2 ($got ns) is the phase's own time ($want ns)"
done
want=$(truth truth.txt compute)
got=$(offtime ph.rec compute_phase '*' --wall)
within "$(pct "$got" "$want")" 100 2 "compute: --wall time under compute_phase ($got ns) is the phase's own time ($want ns)"
got=$(offtime ph.rec compute_phase '*' --on-cpu)
ok "--on-cpu: compute_phase has on-CPU samples ($got ns)" test "${got:-0}" -gt 0
got=$(offtime ph.rec sleep_phase '*' --on-cpu)
within "${got:-x}" 0 5000000 "--on-cpu: sleep_phase has no on-CPU time to speak of"

# The header and JSON: mechanism, on-CPU against blocked, per reason.
"$PINCH" report ph.rec >head.txt 2>&1
ok "header: off-cpu line names the mechanism" grep -q '^off-cpu:   perf-switch; on CPU .* blocked ' head.txt
ok "header: blocked time per reason" grep -Eq '^blocked:   .*sleep .*read .*futex|^blocked:   .*futex' head.txt
is "$(jget ph.rec 'd["recording"]["offcpu"]["mechanism"]')" perf-switch "json: offcpu.mechanism"
for r in sleep read futex preempted; do
	want=$(offtime ph.rec "[off: $r]" "[off: $r]")
	got=$(jget ph.rec "d[\"recording\"][\"offcpu\"][\"reasons\"][\"$r\"]")
	is "$got" "$want" "json: offcpu.reasons.$r is the profile's [off: $r] time"
done
ok "json: on_cpu_ns and off_cpu_ns add up to the reasons" \
	python3 -c "
import json, subprocess, sys
d = json.loads(subprocess.check_output([sys.argv[1], 'report', '--json', 'ph.rec']))['recording']['offcpu']
assert d['off_cpu_ns'] == sum(d['reasons'].values()), d
assert d['on_cpu_ns'] > 0, d" "$PINCH"

# Every view works with the [off: ...] leaves.
ok "--collapsed: sleep_phase;nap;...;[off: sleep]" sh -c "\"\$PINCH\" report --collapsed ph.rec | grep -q 'sleep_phase;nap;.*\\[off: sleep\\] '"
ok "--callers '[off: read]' names pipe_phase's chain" sh -c "\"\$PINCH\" report --callers '[off: read]' ph.rec --user-only | grep -q read"
ok "--lines sleep_phase" sh -c "\"\$PINCH\" report --lines sleep_phase ph.rec | grep -q 'nap(phase_ns)'"
ok "--svg" "$PINCH" report --svg ph.svg ph.rec
ok "... the flame graph holds the [off: futex] leaf" grep -q '\[off: futex\]' ph.svg
ok "--html" "$PINCH" report --html ph.html ph.rec
ok "... with the off-cpu header line" grep -q 'perf-switch' ph.html
ok "--threads" sh -c "\"\$PINCH\" report --threads ph.rec | grep -q 'off: sleep'"

# --user-only recording: no kernel frames, reasons from the libc leaf.
"$PINCH" record -q --off-cpu --user-only -o uo.rec -- "$W/offcpu-phases" 0.3 t1112-uo 2>truth2.txt
n=$(jget uo.rec 'len([r for r in d["report"]["rows"] if r["function"].startswith("[k] ")])' --limit 0)
is "$n" 0 "record --user-only: no [k] rows"
for spec in "sleep sleep_phase sleep" "pipe pipe_phase read" "mutex mutex_phase futex"; do
	set -- $spec
	want=$(truth truth2.txt "$1")
	got=$(offtime uo.rec "$2" "[off: $3]")
	within "$(pct "$got" "$want")" 100 2 "--user-only $1: [off: $3] under $2 from the user leaf"
done

# --wall recording: the view shows both by default.
"$PINCH" record -q --wall -o wall.rec -- "$W/offcpu-phases" 0.3 t1112-wall 2>truth3.txt
want=$(truth truth3.txt compute)
got=$(offtime wall.rec compute_phase '*')
within "$(pct "$got" "$want")" 100 2 "--wall recording: compute_phase by default"
ok "--wall header says wall" grep -q 'wall)' <("$PINCH" report wall.rec 2>&1)
done_testing
