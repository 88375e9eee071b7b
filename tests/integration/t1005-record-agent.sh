#!/usr/bin/env bash
# The LD_PRELOAD fallback agent (--mode agent): all threads, forked
# children and crashes are recorded at >= 200 Hz per CPU-second.
. "$(dirname "$0")/lib.sh"
export W=$PINCH_WORKLOADS
rd() { "$RECDUMP" "$1" | jq -r "$2"; }

[ "${PINCH_SANITIZED:-0}" = 1 ] && skip_all "the preloaded agent does not run under the sanitizer build"

TIMEFORMAT='%U %S'
{ time "$PINCH" record --mode agent -o thr.rec -- "$W/threads-fp" >/dev/null 2>err.txt; } 2>time.txt
ok "the mode line says agent" grep -q "^pinch record: mode agent" err.txt
is "$(rd thr.rec .meta.mode)" agent "mode is agent"
is "$(rd thr.rec '. as $d | [.threads | to_entries[] | select(.value | startswith("worker-")) | .key | select($d.tids[.] > 0)] | unique | length')" 3 "all three workers have samples"
is "$(rd thr.rec '[.threads[]] | map(select(startswith("worker-"))) | unique | length')" 3 "worker names are recorded"
is "$(rd thr.rec '.samples == .agent_samples')" true "samples are flagged as the agent's"
is "$(rd thr.rec '.samples == .samples_with_regs')" true "samples carry registers"
cpu=$(awk '{ print $1 + $2 }' time.txt)
ok "at least 200 samples per CPU-second" awk -v n="$(rd thr.rec .samples)" -v c="$cpu" 'BEGIN { exit !(n >= 200 * c * 0.9) }'
is "$(rd thr.rec .finish)" true "REC_FINISH is written"
# The agent's recording ends like perf's: what it covers of the command's CPU.
is "$(rd thr.rec .meta.kernel)" agent "the recording says the agent saw no kernel stacks"
ok "the command's own CPU time is recorded" test "$(rd thr.rec .meta.target_user_ns)" -gt 0
"$PINCH" report thr.rec >rep.txt 2>&1
ok "the report's coverage line names the agent" grep -q "^coverage: .*%; user .*the agent samples inside the program" rep.txt
is "$(rd thr.rec .time_ordered)" true "the agent's records are merged in time order"
ok "the agent's maps get build-ids" test "$(rd thr.rec .mmaps_with_build_id)" -ge 3
tot=$(rd thr.rec .samples)
tid=$(rd thr.rec '.threads | to_entries | map(select(.value == "worker-3")) | .[0].key')
within "$(awk -v n="$(rd thr.rec ".tids[\"$tid\"]")" -v t="$tot" 'BEGIN { printf "%.1f", 100 * n / t }')" 50 5 "worker-3 does half the work"

# The POSIX CPU-time timer fallback (tick-bound: 250 Hz).
# Tick-bound: it fires only on ticks where the thread runs, so a loaded
# machine gets fewer samples (their weights, the CPU time between them,
# stay right); ask for 150 per CPU-second.
{ time PINCH_CPUAGENT_TIMER=posix "$PINCH" record -q --mode agent -o posix.rec -- "$W/cpu-603010-fp" 30 >/dev/null; } 2>ptime.txt
cpu=$(awk '{ print $1 + $2 }' ptime.txt)
ok "the POSIX timer gives samples too (>= 150 per CPU-second)" awk -v n="$(rd posix.rec .samples)" -v c="$cpu" 'BEGIN { exit !(n >= 150 * c) }'

"$PINCH" record -q --mode agent -o fork.rec -- "$W/fork-fp" >/dev/null
is "$(rd fork.rec '.pids | length')" 2 "parent and forked child have samples"
is "$(rd fork.rec .records.fork)" 1 "the fork is recorded"

exit_status 139 "a crash under the agent passes its status on" "$PINCH" record -q --mode agent -o crash.rec -- "$W/crash-fp"
is "$(rd crash.rec .term_signal)" 11 "the crash is recorded"
ok "samples before the crash are flushed" test "$(rd crash.rec .samples)" -gt 50

"$PINCH" record -q --mode agent --call-graph dwarf -o dw.rec -- "$W/cpu-603010-nofp" 5 >/dev/null
is "$(rd dw.rec '.samples == .samples_with_stack')" true "dwarf agent samples carry stack copies"

"$PINCH" record -q --mode agent -o sh.rec -- sh -c "'$W/cpu-603010-fp' 5 >/dev/null; '$W/hotline-fp' 10000000 >/dev/null"
is "$(rd sh.rec '.pids | length')" 2 "programs a shell runs are followed"
exit_status 2 "--pid with --mode agent is refused" "$PINCH" record --mode agent -p $$ -d 1
done_testing
