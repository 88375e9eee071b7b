#!/usr/bin/env bash
# pinch record: option checking and bad input (exit 2 before anything
# starts, one clear line), the mode line, the summary and exit statuses.
. "$(dirname "$0")/lib.sh"
export W=$PINCH_WORKLOADS

exit_status 2 "nothing to record is a usage error" "$PINCH" record
exit_status 2 "a missing command exits 2" "$PINCH" record -- nosuch-command-xyz
ok "a missing command is named" sh -c '"$PINCH" record -- nosuch 2>&1 | grep -qx "pinch record: cannot run .nosuch.: No such file or directory"'
printf '#!/bin/sh\n' >noexec.sh
exit_status 2 "a file that is not executable exits 2" "$PINCH" record -- ./noexec.sh
ok "... and says why" sh -c '"$PINCH" record -- ./noexec.sh 2>&1 | grep -q "cannot run .\./noexec.sh.: Permission denied"'
exit_status 2 "a directory is not a command" "$PINCH" record -- /tmp
for f in 0 -5 100001 abc; do
	exit_status 2 "-F $f exits 2" "$PINCH" record -F "$f" -- true
done
ok "a bad frequency is explained" sh -c '"$PINCH" record -F 0 -- true 2>&1 | grep -q "bad frequency .0.: expected 1 to 100000"'
exit_status 2 "a bad call graph exits 2" "$PINCH" record --call-graph lbr -- true
exit_status 2 "a bad mode exits 2" "$PINCH" record --mode bpf -- true
exit_status 2 "a bad stack size exits 2" "$PINCH" record --stack-size 1M -- true
exit_status 2 "--pid and a command together exit 2" "$PINCH" record -p 1 -- true
exit_status 2 "a PID that does not exist exits 2" "$PINCH" record -p 4194303 -d 1
ok "... and is named" sh -c '"$PINCH" record -p 4194303 2>&1 | grep -q "pinch record: no process with pid 4194303"'
exit_status 2 "an unwritable output exits 2" "$PINCH" record -o /nonexistent-dir/x.rec -- true
ok "... and names the file" sh -c '"$PINCH" record -o /nonexistent-dir/x.rec -- true 2>&1 | grep -q "cannot write ./nonexistent-dir/x.rec.: No such file or directory"'
ok "no file is left behind by a usage error" sh -c '! ls *.rec 2>/dev/null | grep -q .'
ok "-h prints the options" sh -c '"$PINCH" record -h | grep -q -- "--call-graph cfi|fp|dwarf"'

# A run that works (whichever mode the machine allows).
"$PINCH" record -o ok.rec -- "$W/cpu-603010-fp" 5 >out.txt 2>err.txt
is "$?" 0 "a successful command exits 0"
ok "the mode used is printed" grep -Eq "^pinch record: mode (perf|agent) " err.txt
ok "a summary is printed" grep -Eq "^pinch record: wrote 'ok.rec' \([0-9]+ samples, 0 lost, [0-9.]+ [KM]?i?B\)" err.txt
ok "the program's own output is untouched" grep -qx "[0-9]*" out.txt
exit_status 3 "pinch exits with the command's status" "$PINCH" record -q -o s.rec -- sh -c 'exit 3'
ok "-q prints nothing" sh -c '"$PINCH" record -q -o q.rec -- true 2>&1 | wc -c | grep -qx 0'
ok "the default name is pinch-YYYYMMDD-HHMMSS.rec" sh -c '"$PINCH" record -q -- true && ls | grep -Eq "^pinch-[0-9]{8}-[0-9]{6}\.rec$"'
exit_status 0 "--duration stops a launched command and exits 0" "$PINCH" record -q -d 300ms -o d.rec -- "$W/spin-forever-fp"
is "$("$RECDUMP" d.rec | jq -r .term_signal)" 15 "... recording that it sent SIGTERM"
is "$(bash -c 'ulimit -Sn 200 && "$PINCH" record -q -o fd.rec -- sh -c "ulimit -n"')" 200 \
	"the command keeps its open-file limit (pinch raises only its own)"
# A set-user-ID program run by someone else: the kernel stops sampling it
# at exec; pinch says why and exits 1 instead of a silent empty recording.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 711 . && mkdir -p su nb && chmod 755 su && chmod 777 nb
	cp "$PINCH_WORKLOADS/cpu-603010-fp" su/suid && chown daemon su/suid && chmod 4755 su/suid
	if setpriv --reuid=nobody --regid=nogroup --clear-groups test -x su/suid; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$PINCH" record -q -o nb/su.rec -- ./su/suid deep >/dev/null 2>su.err
		is "$?" 1 "setuid target: exit 1"
		ok "setuid target: says why there are no samples" grep -q "set-user-ID or set-group-ID, and the kernel stops sampling" su.err
	else
		skip "setuid target" "nobody cannot run the build's files"
	fi
else
	skip "setuid target" "needs root (to make a setuid file and switch to nobody)"
fi
# Recordings hold stack bytes and memory contents: mode 0600, also over an
# older file that was readable by others.
"$PINCH" record -q -o perm.rec -- true >/dev/null 2>&1
is "$(stat -c %a perm.rec)" 600 "a CPU recording is created mode 0600"
touch old.rec && chmod 644 old.rec
"$PINCH" record -q -o old.rec -- true >/dev/null 2>&1
is "$(stat -c %a old.rec)" 600 "... and an existing 0644 file it replaces becomes 0600"
if "$PINCH" mem -q -o mperm.rec -- true >/dev/null 2>&1; then
	is "$(stat -c %a mperm.rec)" 600 "a memory recording is created mode 0600"
else
	skip "memory recording mode" "pinch mem cannot run here"
fi
done_testing
