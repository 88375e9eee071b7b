#!/usr/bin/env bash
# t5018-python-offcpu.sh - pinch record --off-cpu on a Python program: the
# main thread sleeps in nap_phase (time.sleep) and blocks in recv_phase on
# a socket (offcpu.py, which prints each phase's own duration). The blocked
# time carries the Python frames where the thread blocked, classified from
# the native stack under them: [off: sleep] under nap_phase and [off: read]
# under recv_phase, each within 2 % of the phase's own time.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
. "$here/python-lib.sh"
. "$here/offcpu-lib.sh"

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	record_perf "$tag.rec" --off-cpu -- "$py" "$PYW/offcpu.py" 0.3 "t5015-$tag" 2>/dev/null
	offcpu_perf "$tag.rec"
	"$PINCH" record -q --off-cpu -o "$tag.rec" -- "$py" "$PYW/offcpu.py" 0.3 "t5015-$tag" 2>"$tag.txt"
	sed "s/^/# $tag truth: /" "$tag.txt"
	want=$(truth "$tag.txt" sleep)
	got=$(offtime "$tag.rec" nap_phase "[off: sleep]")
	within "$(pct "$got" "$want")" 100 2 "$tag: [off: sleep] under the Python function nap_phase ($got of $want ns)"
	want=$(truth "$tag.txt" recv)
	got=$(offtime "$tag.rec" recv_phase "[off: read]")
	within "$(pct "$got" "$want")" 100 2 "$tag: [off: read] under the Python function recv_phase ($got of $want ns)"
	ok "$tag: the sender thread's sleep is under sender" \
		sh -c "\"\$PINCH\" report --collapsed $tag.rec | grep -q ';sender;\\[off: sleep\\] '"
	ok "$tag: --native keeps the libc and kernel frames under recv_phase" \
		sh -c "\"\$PINCH\" report --collapsed --native $tag.rec | grep -q 'recv_phase;.*;\\[k\\] .*;\\[off: read\\] '"
done
done_testing
