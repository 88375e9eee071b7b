#!/usr/bin/env bash
# Recordings survive the command crashing, the command being SIGKILLed,
# Ctrl-C, and pinch itself being SIGKILLed (readable up to its last record).
. "$(dirname "$0")/lib.sh"
export W=$PINCH_WORKLOADS
rd() { "$RECDUMP" "$1" | jq -r "$2"; }

exit_status 139 "a crashing command's status is passed on (128+11)" \
	"$PINCH" record -q -o crash.rec -- "$W/crash-fp"
is "$(rd crash.rec .finish)" true "the crash leaves REC_FINISH"
is "$(rd crash.rec .term_signal)" 11 "... with term_signal 11"
ok "... and the samples before it" test "$(rd crash.rec .samples)" -gt 50
ok "the crash is reported" sh -c '"$PINCH" record -o c2.rec -- "$W/crash-fp" 2>&1 | grep -q "killed by signal 11"'

# SIGKILL of the command.
"$PINCH" record -q -o tk.rec -- "$W/spin-forever-fp" >/dev/null &
pp=$!
sleep 0.5
child=$(pgrep -P $pp)
kill -KILL "$child"
wait $pp
is "$?" 137 "pinch exits 137 when the command is SIGKILLed"
is "$(rd tk.rec .finish)" true "SIGKILL of the command leaves REC_FINISH"
is "$(rd tk.rec .term_signal)" 9 "... with term_signal 9"
is "$(rd tk.rec .truncated)" false "... and a whole file"

# SIGINT to pinch alone is ignored while the command runs; SIGTERM is forwarded.
"$PINCH" record -q -o int.rec -- "$W/spin-forever-fp" >/dev/null &
pp=$!
sleep 0.3
kill -INT $pp
sleep 0.2
ok "pinch ignores SIGINT while the command runs" kill -0 $pp
kill -TERM $pp
wait $pp
is "$?" 143 "SIGTERM is forwarded to the command"
is "$(rd int.rec .finish)" true "... and the recording ends cleanly"

# SIGKILL of pinch itself: readable up to its last whole record.
"$PINCH" record -q -o pk.rec -- "$W/spin-forever-fp" 2 >/dev/null &
pp=$!
# Wait until some samples reached the file, then kill pinch.
seen=0
for _ in $(seq 50); do
	sleep 0.1
	seen=$("$RECDUMP" pk.rec 2>/dev/null | jq -r .samples 2>/dev/null || echo 0)
	[ "${seen:-0}" -gt 100 ] && break
done
child=$(pgrep -P $pp)
kill -KILL $pp
wait $pp 2>/dev/null
kill -KILL "$child"
ok "a SIGKILLed pinch leaves a readable file" "$RECDUMP" pk.rec
is "$(rd pk.rec .finish)" false "... without REC_FINISH"
ok "... with at least the $seen samples flushed before" test "$(rd pk.rec .samples)" -ge "$seen"
# Cut the file in the middle of a record: the reader stops cleanly.
size=$(stat -c %s pk.rec)
head -c $((size - 13)) pk.rec >cut.rec
is "$(rd cut.rec .truncated)" true "a file cut mid-record is reported truncated"
ok "... and still read up to its last whole record" test "$(rd cut.rec .samples)" -ge "$(( $(rd pk.rec .samples) - 1 ))"
done_testing
