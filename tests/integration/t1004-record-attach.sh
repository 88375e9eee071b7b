#!/usr/bin/env bash
# pinch record --pid: attach to a running process for --duration, or until
# SIGINT, or until it exits; all its threads are sampled.
. "$(dirname "$0")/lib.sh"
export W=$PINCH_WORKLOADS
rd() { "$RECDUMP" "$1" | jq -r "$2"; }

"$PINCH" record -q --mode perf -o probe.rec -- true 2>probe.err ||
	skip_all "perf_event_open is refused here: $(head -1 probe.err)"

"$W/spin-forever-fp" 2 >ready.txt &
sp=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -q ready ready.txt && break; sleep 0.1; done
cputicks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
t0=$(cputicks $sp)
"$PINCH" record -p $sp -d 1 -o at.rec 2>err.txt
is "$?" 0 "attaching for a duration exits 0"
t1=$(cputicks $sp)
ok "the mode line says attached" grep -q "^pinch record: attached to pid $sp (2 threads), mode perf" err.txt
is "$(rd at.rec '.tids | length')" 2 "both threads have samples"
is "$(rd at.rec .meta.pid)" "$sp" "the pid is in the meta data"
is "$(rd at.rec .finish)" true "the duration end writes REC_FINISH"
is "$(rd at.rec .exit_status)" -1 "no exit status when attached"
ok "the thread names come from /proc" sh -c "'$RECDUMP' at.rec | jq -e '[.threads[]] | index(\"spinner-2\")'"
ok "the maps come from /proc" test "$(rd at.rec .records.mmap)" -ge 3
# The target's CPU time while attached (read from /proc/PID/stat when the
# recording started and ended, kept in the recording) x 999 Hz, +-15 %.
want=$(rd at.rec '((.meta.target_user_ns // "0" | tonumber) + (.meta.target_sys_ns // "0" | tonumber)) / 1e9 * 999 | floor')
if [ "$(nproc)" -ge 2 ] && [ "$want" -gt 300 ]; then
	within "$(rd at.rec .samples)" "$want" "$(awk -v w=$want 'BEGIN { printf "%d", w * 0.15 + 8 }')" \
		"samples = the target's CPU seconds x 999"
else
	skip "samples = the target's CPU seconds x 999" "fewer than 2 CPUs or a busy machine ($want)"
fi
# And the CPU it used around the whole pinch run (clock ticks) is no less.
ok "the attached window is within the whole run's CPU" test "$want" -le "$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", d / hz * 999 + 8 }')"

# SIGINT ends an attached recording cleanly.
"$PINCH" record -q -p $sp -o int.rec &
pp=$!
sleep 0.5
kill -INT $pp
wait $pp
is "$?" 0 "SIGINT ends an attached recording with status 0"
is "$(rd int.rec .finish)" true "... and REC_FINISH"
ok "the target survives" kill -0 $sp

# The target exiting ends the recording.
"$PINCH" record -q -p $sp -o gone.rec &
pp=$!
sleep 0.4
kill -KILL $sp
wait $sp 2>/dev/null
wait $pp
is "$?" 0 "the target's exit ends the recording"
is "$(rd gone.rec .finish)" true "... with REC_FINISH"
# A process whose maps cannot be read: that failure named, nothing left.
if [ "$PINCH_SANITIZED" = 0 ] && [ -n "${DENYMAPS:-}" ]; then
	"$W/spin-forever-fp" >/dev/null &
	sp2=$!
	sleep 0.2
	LD_PRELOAD=$DENYMAPS "$PINCH" record -p $sp2 -o nomaps.rec -d 1s >/dev/null 2>err.txt
	rc=$?
	kill $sp2; wait $sp2 2>/dev/null
	is "$rc" 1 "unreadable maps: exit 1"
	ok "unreadable maps: named as such" grep -q "cannot read /proc/$sp2/maps: Permission denied" err.txt
	ok "unreadable maps: not blamed on the output file" sh -c '! grep -q "cannot write" err.txt'
	ok "unreadable maps: no recording left behind" test ! -e nomaps.rec
else
	skip "unreadable maps" "the LD_PRELOAD shim does not mix with the sanitizer runtime"
fi
# An output that cannot be created: that named, with no ptrace hint.
"$PINCH" record -p $$ -o /nonexistent-dir/x.rec -d 1s >/dev/null 2>err.txt
is "$?" 2 "unwritable output: exit 2"
ok "unwritable output: named" grep -q "cannot write '/nonexistent-dir/x.rec'" err.txt
ok "unwritable output: no perf_event hint" sh -c '! grep -q "perf_event_paranoid" err.txt'
done_testing
