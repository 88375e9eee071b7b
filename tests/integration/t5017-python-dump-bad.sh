#!/usr/bin/env bash
# t5017-python-dump-bad: `pinch dump` on processes that go away or cannot
# be read; never a crash, always a clear message:
# - a zombie (exited, not reaped): says it has exited, exit 1;
# - short-lived Python processes dumped as they start and end: exit 0
#   with a dump, or exit 1 saying the process exited or does not exist;
# - --subprocesses on forkchurn.py (children that exit at once): exit 0,
#   the parent dumped, every child entry a whole one (none empty);
# - another user's process (pinch as nobody, the target root's): says
#   permission denied, exit 1 (with --native and --json too);
# - a non-Python process in JSON: "python": null and the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
run=t5017-$$
py=${PYTHONS[0]}

# a zombie: the child exits, its parent (exec'd into sleep) never reaps it
sh -c "\"$py\" -c pass $run-z & exec sleep 20" &
pids+=($!)
z=
for _ in $(seq 200); do
	z=$(pgrep -P $! 2>/dev/null)
	[ -n "$z" ] && [ "$(awk '{print $3}' /proc/$z/stat 2>/dev/null)" = Z ] && break
	sleep 0.05
done
"$PINCH" dump --pid $z >z.out 2>z.err
is "$?" 1 "zombie: exit 1"
ok "zombie: says it has exited" grep -q "process $z has exited (a zombie" z.err

# processes that end while (or before) they are dumped
bad=0
for i in $(seq 12); do
	"$py" -c "import time; time.sleep(0.01 * ($i % 4))" $run-s &
	p=$!
	"$PINCH" dump --pid $p >s.out 2>s.err
	rc=$?
	wait $p
	case $rc in
	0) grep -q "^Process $p: " s.out || { bad=$((bad + 1)); sed 's/^/# /' s.err; } ;;
	1) grep -Eq "exited|no process with pid $p|has exited" s.err || { bad=$((bad + 1)); sed 's/^/# /' s.err; } ;;
	*) bad=$((bad + 1)); echo "# exit $rc"; sed 's/^/# /' s.err ;;
	esac
done
is "$bad" 0 "short-lived processes: a dump, or exit 1 saying it exited (12 runs)"

# --subprocesses with children that exit at once
"$py" "$PYW/forkchurn.py" $run-c >c.out 2>&1 &
cpid=$!
pids+=($cpid)
for _ in $(seq 200); do grep -q ready c.out && break; sleep 0.05; done
bad=0
for i in $(seq 8); do
	"$PINCH" dump --pid $cpid --subprocesses --json >c.json 2>c.err
	rc=$?
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["pid"] == int(sys.argv[2]), all("pid" in s and "threads" in s for s in d["subprocesses"]))' c.json $cpid 2>&1)
	[ $rc = 0 ] && [ "$got" = "True True" ] || { bad=$((bad + 1)); echo "# exit $rc: $got"; sed 's/^/# /' c.err; }
	"$PINCH" dump --pid $cpid --subprocesses >c.txt 2>c.err
	rc=$?
	[ $rc = 0 ] && grep -q "^Process $cpid: .*forkchurn.py $run-c" c.txt || { bad=$((bad + 1)); echo "# text exit $rc"; sed 's/^/# /' c.err; }
done
is "$bad" 0 "--subprocesses, children exiting at once: exit 0, the parent dumped, no empty child (8 runs, text and JSON)"
kill $cpid

# another user's process
"$py" -c "import time; time.sleep(30)" $run-p &
ppid=$!
pids+=($ppid)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	for how in "" --native --json; do
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$PINCH" dump --pid $ppid $how >p.out 2>p.err
		is "$?" 1 "as nobody${how:+ $how}: exit 1"
		ok "as nobody${how:+ $how}: says permission denied" grep -q "permission denied reading process $ppid" p.err
	done
else
	skip "permission denied" "needs root and setpriv to run pinch as another user"
fi
kill $ppid

# a non-Python process, in JSON
sleep 20 &
spid=$!
pids+=($spid)
for _ in $(seq 100); do
	[ "$(cat /proc/$spid/comm 2>/dev/null)" = sleep ] && [ "$(awk '{print $3}' /proc/$spid/stat)" = S ] && break
	sleep 0.05
done
"$PINCH" dump --pid $spid --json >n.json 2>n.err
is "$?" 0 "non-Python --json: exit 0"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["python"], "runs no python" in d["note"], len(d["threads"]))' n.json 2>&1)" \
	"None True 1" "non-Python --json: python null, the reason, its thread with native frames"
done_testing
