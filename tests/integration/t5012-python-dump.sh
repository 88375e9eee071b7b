#!/usr/bin/env bash
# t5012-python-dump: `pinch dump --pid` on locals.py (a thread "handler-1"
# waiting in handle() with known arguments and locals, the main thread
# spinning with the GIL: an interpreter that never waits): every value's
# repr, the thread names, who holds the GIL, running vs idle, --native;
# a non-Python process dumps native stacks and says so; bad input.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# start_ready PY OUT: runs locals.py in the background until it printed "ready".
start_ready() {
	"$1" "$PYW/locals.py" 60 >"$2" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do grep -q ready "$2" && return 0; sleep 0.1; done
	return 1
}

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	start_ready "$py" $tag.out || { ok "$tag: locals.py started" false; continue; }
	pid=${pids[-1]}
	"$PINCH" dump --pid "$pid" --locals --json >$tag.json 2>$tag.err
	is "$?" 0 "$tag: dump --locals --json exits 0"
	is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["kind"], d["schema"], d["python"][:4])' $tag.json)" "dump 1 3.11" "$tag: kind, schema, version"
	got=$(python3 - $tag.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
th = {t["name"]: t for t in d["threads"]}
h = th["handler-1"]
f = [f for f in h["frames"] if f["function"] == "handle"][0]
for l in f["locals"]:
    print("%s%s=%s" % ("*" if l["arg"] else "", l["name"], l["repr"].split(" at 0x")[0]))
m = th["MainThread"]
print("main:", m["gil"], m["state"], m["frames"][0]["function"], m["frames"][0]["line"])
print("handler:", h["gil"], h["state"], h["frames"][0]["function"], f["line"])
PY
)
	want="*request_id=17
*payload='payload-text'
*retries=5
*rest=('extra',)
*options={'mode': 'fast'}
name='ingest'
count=-42
big_int=1099511627776
ratio=0.25
flag=True
nothing=None
blob=b'\x00ab\'c'
items=[1, 2, 3, 4, ...] (len 6)
pair=(7, 'x')
table={'a': 1, 'b': <list of 2>}
long_text='yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'... (len 10000)
huge=[0, 1, 2, 3, ...] (len 100000)
obj=<Custom
accent='héllo wörld'
main: True running spin 39
handler: False idle Condition.wait 33"
	is "$got" "$want" "$tag: names, GIL, state and every local of handle()"
	"$PINCH" dump --pid "$pid" >$tag.txt 2>&1
	ok "$tag: text dump names the thread and the GIL" grep -q '^Thread [0-9]* "MainThread" (running, holds the GIL)$' $tag.txt
	ok "$tag: ... and the waiting thread" grep -q '^Thread [0-9]* "handler-1" (idle)$' $tag.txt
	ok "$tag: ... with file:line" grep -q "^    handle ($PYW/locals.py:33)$" $tag.txt
	"$PINCH" dump --pid "$pid" --native >$tag.nat 2>&1
	ok "$tag: --native shows handler-1 in the lock wait" grep -q 'PyThread_acquire_lock_timed' $tag.nat
	kill "$pid"
done

sleep 60 &
pids+=($!)
# wait for the exec, then for the sleep itself (state S)
for _ in $(seq 100); do
	[ "$(cat /proc/$!/comm 2>/dev/null)" = sleep ] && [ "$(awk '{print $3}' /proc/$!/stat)" = S ] && break
	sleep 0.05
done
"$PINCH" dump --pid $! >sleep.txt 2>sleep.err
is "$?" 0 "non-Python: dump exits 0"
ok "non-Python: says so" grep -q "runs no python" sleep.err
ok "non-Python: native stack of sleep" grep -q 'nanosleep' sleep.txt
exit_status 1 "no such process: exit 1" "$PINCH" dump --pid 999999999
exit_status 2 "no --pid: usage" "$PINCH" dump
done_testing
