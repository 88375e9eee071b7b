#!/usr/bin/env bash
# t5007-python-top: `pinch top` in its non-interactive forms (--once,
# --duration, --json) on a Python process (launched and attached) and on
# a native one: the hottest function first, Python names and files,
# %Total ordering 60/30/10; bad pids and usage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/python-lib.sh"
W=${PINCH_BUILDDIR:-.}/tests/workloads

# tj FILE PYEXPR: evaluates PYEXPR on the JSON table in FILE (d).
tj() { python3 -c "import json,sys
d=json.load(open(sys.argv[1]))
rows={r['function']: r for r in d['rows']}
try:
    v=$2
except (KeyError, IndexError):
    v=''
print(round(v, 1) if isinstance(v, float) else v)" "$1"; }

"$PINCH" record -o probe.rec -- true >probe.txt 2>&1
grep -q 'mode perf' probe.txt || skip_all "perf_event is not available here (pinch top attaches with perf_event)"

# A round count of this run's own (pgrep below must not see another
# suite's run of the same script).
rounds=$((100000 + $$ % 9973))
"$PINCH" top --once --json -n 0 -i 3s -- /usr/bin/python3.11 "$PYW/shares.py" "$rounds" >launch.json 2>top.err
is "$?" 0 "top --once -- python3.11 shares.py"
is "$(tj launch.json 'd["rows"][0]["function"]')" spin "the hottest function comes first"
is "$(tj launch.json 'rows["spin"]["kind"]')" python "... a Python frame"
is "$(tj launch.json 'rows["spin"]["file"]')" "$PYW/shares.py" "... with its file"
ok "%Total: func_sixty > func_thirty > func_ten" test "$(tj launch.json 'rows["func_sixty"]["total_ns"] > rows["func_thirty"]["total_ns"] > rows["func_ten"]["total_ns"]')" = True
ok "the launched command was stopped" test -z "$(pgrep -f "shares.py $rounds\$")"

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	"$py" "$PYW/shares.py" 100000 &
	pid=$!
	sleep 1
	"$PINCH" top --pid $pid --duration 2 -n 5 >att.txt 2>&1
	is "$?" 0 "$tag: top --pid --duration"
	ok "$tag: py-spy-like header" grep -q '%Own  %Total    OwnTime  TotalTime  Function (filename:line)' att.txt
	ok "$tag: spin first, with file:line" grep -q "^ *[0-9.]*% *[0-9.]*% .* spin ($PYW/shares.py:1[01])" <(sed -n 2p att.txt)
	kill $pid
	wait $pid 2>/dev/null
done

"$PINCH" top --once --json -i 2s -- "$W/cpu-603010-fp" 200 >native.json 2>&1
is "$(tj native.json 'd["rows"][0]["function"]')" sixty "native process: sixty() on top"
is "$(tj native.json 'rows["sixty"]["kind"]')" native "... a native frame"

exit_status 1 "a pid that does not exist" "$PINCH" top --pid 999999 --once
# without --pid or a command: the whole machine (issue 14; t7301)
exit_status 0 "no target: the machine's processes" "$PINCH" top --once -n 3 -i 200ms
exit_status 2 "a command that does not exist" "$PINCH" top --once -- /nonexistent/prog
done_testing
