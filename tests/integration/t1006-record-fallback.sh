#!/usr/bin/env bash
# When the kernel refuses perf_event_open (here: a seccomp filter, as in a
# locked-down container), pinch record falls back to the agent and says
# so; --mode perf fails with a hint; attaching without permission exits 2
# with a ptrace/paranoid hint.
. "$(dirname "$0")/lib.sh"
export W=$PINCH_WORKLOADS
rd() { "$RECDUMP" "$1" | jq -r "$2"; }

[ "${PINCH_SANITIZED:-0}" = 1 ] && skip_all "the preloaded agent does not run under the sanitizer build"

exit_status 1 "--mode perf fails when perf_event_open is refused" "$NOPERF" "$PINCH" record --mode perf -o p.rec -- true
ok "... with the reason" sh -c '"$NOPERF" "$PINCH" record --mode perf -o p.rec -- true 2>&1 | grep -q "cannot open the cpu-clock event: Permission denied"'
ok "... and a hint" sh -c '"$NOPERF" "$PINCH" record --mode perf -o p.rec -- true 2>&1 | grep -q "^hint: perf_event_paranoid is"'
ok "... and leaves no file" test ! -e p.rec

TIMEFORMAT='%U %S'
{ time "$NOPERF" "$PINCH" record -o auto.rec -- "$W/threads-fp" >/dev/null 2>err.txt; } 2>time.txt
is "$?" 0 "auto mode falls back and succeeds"
ok "the fallback is announced with its reason" grep -q "^pinch record: mode agent .*perf_event_open refused: Permission denied" err.txt
is "$(rd auto.rec .meta.mode)" agent "the recording says mode agent"
is "$(rd auto.rec '. as $d | [.threads | to_entries[] | select(.value | startswith("worker-")) | .key | select($d.tids[.] > 0)] | unique | length')" 3 "all workers have samples"
# In-process perf is refused too, so the agent uses POSIX CPU-time timers
# (250 Hz, tick-bound: fewer on a loaded machine).
cpu=$(awk '{ print $1 + $2 }' time.txt)
ok "at least 150 samples per CPU-second" awk -v n="$(rd auto.rec .samples)" -v c="$cpu" 'BEGIN { exit !(n >= 150 * c) }'

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v su >/dev/null; then
	su nobody -s /bin/sh -c "cd /tmp && '$PINCH' record -p 1 -o /tmp/pinch-t1006-\$\$.rec" >su.txt 2>&1
	is "$?" 2 "attaching to a process we may not trace exits 2"
	ok "... saying why" grep -q "cannot profile pid 1: Permission denied" su.txt
	ok "... with a ptrace/paranoid hint" grep -q "^hint: perf_event_paranoid is .* ptrace" su.txt
else
	skip "attaching without permission" "needs root to switch to nobody"
fi
done_testing
