#!/usr/bin/env bash
# pinch record in perf mode: sample rate, threads, forked children,
# thread names, dwarf stack copies, time order, nothing lost.
. "$(dirname "$0")/lib.sh"
export W=$PINCH_WORKLOADS
rd() { "$RECDUMP" "$1" | jq -r "$2"; }

"$PINCH" record -q --mode perf -o probe.rec -- true 2>probe.err ||
	skip_all "perf_event_open is refused here: $(head -1 probe.err)"

# Sample count ~ the program's CPU time x frequency (999 Hz, +-15 %). The
# CPU time is the program's own (bash's `times` for its children), not
# pinch's, which a sanitizer build inflates.
"$PINCH" record -q -F 999 -o rate.rec -- bash -c '"$W/cpu-603010-fp" >/dev/null; times' >times.txt
cpu=$(awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' times.txt)
want=$(awk -v c="$cpu" 'BEGIN { printf "%d", c * 999 }')
tol=$(awk -v w="$want" 'BEGIN { printf "%d", w * 0.15 }')
within "$(rd rate.rec .samples)" "$want" "$tol" "samples = CPU seconds x 999"
is "$(rd rate.rec .lost)" 0 "no sample lost at 999 Hz"
is "$(rd rate.rec .finish)" true "a clean end writes REC_FINISH"
is "$(rd rate.rec .exit_status)" 0 "the exit status is recorded"
is "$(rd rate.rec .time_ordered)" true "records are in time order"
is "$(rd rate.rec .meta.mode)" perf "mode is perf"
is "$(rd rate.rec .meta.call_graph)" cfi "the default call graph is cfi"
is "$(rd rate.rec .meta.frequency)" 999 "frequency is recorded"
# cfi: samples are unwound while recording and stored as addresses only.
is "$(rd rate.rec '.samples_unwound * 100 >= (.samples - .kernel_only_samples) * 99')" true \
	"cfi: >= 99 % of samples with user frames were unwound while recording"
is "$(rd rate.rec '.samples_with_stack')" 0 "cfi: no stack copy reaches the file"
ok "cfi: under 1 KiB per sample on disk" test "$(stat -c %s rate.rec)" -lt "$(( $(rd rate.rec .samples) * 1024 ))"

"$PINCH" record -q --call-graph fp -o fp.rec -- "$W/cpu-603010-fp" >/dev/null
is "$(rd fp.rec .meta.call_graph)" fp "--call-graph fp is recorded as fp"
# A sample with kernel frames only (a task with no user context left, e.g.
# exiting) may have no user registers; a stack copy can fault (exec).
is "$(rd fp.rec '.samples_with_regs >= .samples - .kernel_only_samples')" true \
	"fp samples with user frames carry registers"
is "$(rd fp.rec '.samples_with_stack * 100 >= .samples * 99 and .kernel_only_samples * 100 < .samples')" true \
	"... and a stack slice (>= 99 %)"
ok "executable maps have build-ids" test "$(rd rate.rec .mmaps_with_build_id)" -ge 3
ok "the program's name is recorded (after exec)" sh -c "'$RECDUMP' rate.rec | jq -e '.threads | to_entries | map(.value) | index(\"cpu-603010-fp\")'"

# Threads: every worker has samples, in proportion 1:2:3 (+-5 points).
"$PINCH" record -q -o thr.rec -- "$W/threads-fp" >/dev/null
is "$(rd thr.rec '. as $d | [.threads | to_entries[] | select(.value | startswith("worker-")) | .key | select($d.tids[.] > 0)] | unique | length')" 3 "the three workers have samples"
is "$(rd thr.rec '[.threads[]] | map(select(startswith("worker-"))) | unique | length')" 3 "worker names are recorded"
tot=$(rd thr.rec .samples)
for k in 1 2 3; do
	tid=$(rd thr.rec ".threads | to_entries | map(select(.value == \"worker-$k\")) | .[0].key")
	n=$(rd thr.rec ".tids[\"$tid\"] // 0")
	within "$(awk -v n="$n" -v t="$tot" 'BEGIN { printf "%.1f", 100 * n / t }')" \
		"$(awk -v k=$k 'BEGIN { printf "%.1f", 100 * k / 6 }')" 5 "worker-$k share"
done
is "$(rd thr.rec '. as $d | [.threads | to_entries[] | select(.value | startswith("worker-")) | .key | select($d.tids_with_callers[.] > 0)] | unique | length')" 3 "each worker's samples have call chains"

# Fork: parent and child both sampled, child one third.
"$PINCH" record -q -o fork.rec -- "$W/fork-fp" >/dev/null
is "$(rd fork.rec '.pids | length')" 2 "parent and child have samples"
ok "the child's name is recorded" sh -c "'$RECDUMP' fork.rec | jq -e '[.threads[]] | index(\"fork-child\")'"
tot=$(rd fork.rec .samples)
cpid=$(rd fork.rec '.threads | to_entries | map(select(.value == "fork-child")) | .[0].key')
within "$(awk -v n="$(rd fork.rec ".pids[\"$cpid\"]")" -v t="$tot" 'BEGIN { printf "%.1f", 100 * n / t }')" 33.3 5 "the child's share"

# DWARF mode: all registers and an 8 KiB stack copy (trimmed to the used part).
"$PINCH" record -q --call-graph dwarf -o dw.rec -- "$W/cpu-603010-nofp" 5 >/dev/null
is "$(rd dw.rec .meta.call_graph)" dwarf "call graph is dwarf"
is "$(rd dw.rec .meta.stack_size)" 8192 "default dwarf stack size"
is "$(rd dw.rec '.samples == .samples_with_stack')" true "every dwarf sample has a stack copy"
is "$(rd dw.rec .lost)" 0 "no dwarf sample lost"
# Both CPUs busy with 8 KiB stack copies (~17 MB/s): still nothing lost.
"$PINCH" record -q --call-graph dwarf -o dwthr.rec -- "$W/threads-fp" 2 >/dev/null
is "$(rd dwthr.rec .lost)" 0 "no dwarf sample lost with two threads busy"
is "$(rd dwthr.rec '.samples == .samples_with_stack')" true "... and every one has its stack"
"$PINCH" record -q --call-graph dwarf --stack-size 1k -o dw1.rec -- "$W/cpu-603010-nofp" 2 >/dev/null
is "$(rd dw1.rec .meta.stack_size)" 1024 "--stack-size is honoured"
done_testing
