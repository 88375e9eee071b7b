#!/usr/bin/env bash
# t1108-record-kernel.sh - kernel time is visible: where permitted, kernel
# stacks are sampled ([k] frames under their user caller) and the header
# says what share of the target's own CPU time the samples cover; with
# --user-only (record or report) no [k] frame appears; unprivileged, the
# header says system time was not sampled. The workload spends equal CPU
# in read(2) of /dev/zero and in a user loop, and prints its own
# user/system split (getrusage), which is the truth compared against.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

record_perf ks.rec -- "$W/kernel-split-fp" 400
[ "$(jget ks.rec 'd["recording"]["meta"].get("kernel","")')" = sampled ] ||
	skip_all "kernel stacks are not permitted here (perf_event_paranoid)"
"$PINCH" record -q -o ks.rec -- "$W/kernel-split-fp" 400 >truth.txt
read -r _ user _ sys <truth.txt
want=$(python3 -c "print(round(100 * $sys / ($user + $sys), 1))")
kpct=$(jget ks.rec 'sum(r["self_pct"] for r in d["report"]["rows"] if r["function"].startswith("[k] "))' --limit 0)
within "$kpct" "$want" 8 "kernel frames' self share ($kpct %) matches the system time share ($want %)"
rp=$(total_pct ks.rec read_phase)
within "${rp:-0}" "$want" 8 "read_phase's total ($rp %) includes its kernel time"
ok "[k] frames sit under their user caller (read_phase;...;read;...;[k] read_zero)" sh -c "\"\$PINCH\" report --collapsed ks.rec | grep -q 'read_phase;.*read;.*\\[k\\] read_zero'"
"$PINCH" report ks.rec >head.txt
ok "the header has a coverage line" grep -q '^coverage: .* sampled of the target.s .* CPU' head.txt
ok "... saying kernel stacks are included" grep -q 'kernel stacks included' head.txt
cov=$(sed -n 's/^coverage: .*CPU (\([0-9]*\) %.*/\1/p' head.txt)
within "${cov:-0}" 100 15 "the samples cover the target's CPU ($cov %)"

# report --user-only: kernel time goes to the user caller.
n=$(jget ks.rec 'len([r for r in d["report"]["rows"] if r["function"].startswith("[k] ")])' --limit 0 --user-only)
is "$n" 0 "report --user-only: no [k] rows"
rs=$(jget ks.rec "$(printf 'd["report"]["rows"][[r["function"] for r in d["report"]["rows"]].index("%s")]["self_pct"]' read)" --limit 0 --user-only)
within "${rs:-0}" "$want" 8 "report --user-only: the syscall wrapper 'read' holds the kernel share"

# record --user-only: only user time is sampled, and the header says so.
"$PINCH" record -q --user-only -o uo.rec -- "$W/kernel-split-fp" 400 >truth2.txt
read -r _ user2 _ sys2 <truth2.txt
n=$(jget uo.rec 'len([r for r in d["report"]["rows"] if r["function"].startswith("[k] ")])' --limit 0)
is "$n" 0 "record --user-only: no [k] rows"
cpu_ms=$(jget uo.rec 'd["recording"]["cpu_ns"] / 1e6')
within "$cpu_ms" "$user2" "$(python3 -c "print(0.2 * $user2 + 20)")" "record --user-only: samples cover the user time ($cpu_ms ms of $user2 ms)"
ok "record --user-only: the header says user space only" sh -c "\"\$PINCH\" report uo.rec | grep -q 'user space only (--user-only)'"

# Unprivileged (perf_event_paranoid 2): user space only, and said so.
if [ "$(id -u)" = 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -ge 2 ] &&
	command -v setpriv >/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$W/kernel-split-fp"; then
	chmod 711 . && mkdir -p nb && chmod 777 nb
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$PINCH" record -o nb/np.rec -- "$W/kernel-split-fp" 200 >/dev/null 2>np.err
	ok "unprivileged: the start line says kernel stacks need privileges" grep -q 'user space only: kernel stacks need' np.err
	ok "unprivileged: the header says system time is not sampled" sh -c "\"\$PINCH\" report nb/np.rec | grep -q 'system time is not sampled'"
else
	skip "unprivileged recording" "needs root to switch to nobody, paranoid >= 2 and a build nobody can run"
fi
done_testing
