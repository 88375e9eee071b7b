#!/usr/bin/env bash
# t5015-python-subprocesses: the children of a Python process, on
# subprocs.py (three forked workers burning 3, 2 and 1 units of rounds in
# worker_a, worker_b and worker_c: 50 / 33.3 / 16.7 % of their CPU by
# construction; five more children that exit at once):
# - `record -- CMD` (perf follows the children): every worker's pid has
#   samples, its function has its share (+-5 points) of the CPU time the
#   workers' rounds took (each measures it: on a loaded machine the same
#   rounds take more or less CPU time: 53.1/30.9/16.0 % measured for
#   50/33.3/16.7), its threads are labelled "pid N: <command line>";
# - `record --pid PARENT --subprocesses`, attached when worker_a exists
#   and before worker_b and worker_c are forked: the same;
# - `top --pid PARENT --subprocesses --json`: the running workers' threads
#   with their command line, and their functions.
# The command line carries a tag unique to this run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

pids=()
trap 'for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
run=t5015-$$

# check TAG REC OUT: coverage, shares and labels of one recording whose
# workload printed "child NAME PID" lines into OUT.
check() {
	local tag=$1 rec=$2 out=$3 got
	"$PINCH" report --json --threads --limit 0 $rec >$rec.threads 2>/dev/null
	"$PINCH" report --json --limit 0 $rec >$rec.json 2>/dev/null
	got=$(python3 - $rec.threads $rec.json $out "$run" <<'PY'
import json, sys
th = json.load(open(sys.argv[1]))["report"]["threads"]
rows = json.load(open(sys.argv[2]))["report"]["rows"]
kids = {l.split()[1]: int(l.split()[2]) for l in open(sys.argv[3]) if l.startswith("child ")}
run = sys.argv[4]
print(sorted(kids), all(any(t["pid"] == p and t["total_count"] > 0 for t in th) for p in kids.values()))
print(all(run in t.get("command", "") for t in th if t["pid"] in kids.values()))
n = {r["function"]: r["total_count"] for r in rows if r["function"].startswith("worker_")}
tot = sum(n.values()) or 1
cpu = {l.split()[1]: float(l.split()[2]) for l in open(sys.argv[3]) if l.startswith("cpu ")}
ctot = sum(cpu.values()) or 1
for w in ("worker_a", "worker_b", "worker_c"):
    print("%.1f %.1f" % (100.0 * n.get(w, 0) / tot, 100.0 * cpu.get(w, 0) / ctot))
PY
)
	is "$(sed -n 1p <<<"$got")" "['worker_a', 'worker_b', 'worker_c'] True" "$tag: every worker's pid has samples"
	is "$(sed -n 2p <<<"$got")" "True" "$tag: the workers' threads carry their command line"
	set -- $(sed -n 3p <<<"$got") $(sed -n 4p <<<"$got") $(sed -n 5p <<<"$got")
	within "$1" "$2" 5 "$tag: worker_a's share (its rounds: 50 %; their CPU time: $2 %)"
	within "$3" "$4" 5 "$tag: worker_b's share (33.3 %; CPU time $4 %)"
	within "$5" "$6" 5 "$tag: worker_c's share (16.7 %; CPU time $6 %)"
}

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	units=40
	[ $tag = debian ] && units=60

	# launched: perf inherits, the children's Python stacks are read too
	"$PINCH" record -q -o $tag-l.rec -- "$py" "$PYW/subprocs.py" $run-l $units >$tag-l.out 2>$tag-l.err
	rc=$?
	is "$rc" 0 "$tag: record -- CMD with children exits 0"
	[ $rc = 0 ] || sed 's/^/# /' $tag-l.err
	check "$tag launched" $tag-l.rec $tag-l.out
	ok "$tag launched: labelled in the text view" grep -q "^thread MainThread (pid [0-9]*: .*subprocs.py $run-l $units, tid [0-9]*): " \
		<("$PINCH" report --threads --limit 1 $tag-l.rec)

	# attached with one child, two more forked while recording
	"$py" "$PYW/subprocs.py" $run-a $units $tag.go >$tag-a.out 2>&1 &
	pid=$!
	pids+=($pid)
	for _ in $(seq 600); do grep -q ready $tag-a.out && break; sleep 0.05; done
	"$PINCH" record -o $tag-a.rec --pid $pid --subprocesses >$tag-a.log 2>&1 &
	rpid=$!
	for _ in $(seq 600); do grep -q attached $tag-a.log && break; sleep 0.05; done
	touch $tag.go
	wait $rpid
	rc=$?
	is "$rc" 0 "$tag: record --pid --subprocesses exits 0 (5 children exited at once)"
	[ $rc = 0 ] || sed 's/^/# /' $tag-a.log $tag-a.out
	wait $pid
	check "$tag attached" $tag-a.rec $tag-a.out

	# top: the running workers, labelled
	"$py" "$PYW/subprocs.py" $run-t $((units * 20)) >$tag-t.out 2>&1 &
	pid=$!
	pids+=($pid)
	for _ in $(seq 600); do [ "$(grep -c ^child $tag-t.out)" = 3 ] && break; sleep 0.05; done
	"$PINCH" top --pid $pid --subprocesses --duration 1500ms --json >$tag.top 2>/dev/null
	got=$(python3 - $tag.top $tag-t.out "$run-t" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
kids = {l.split()[1]: int(l.split()[2]) for l in open(sys.argv[2]) if l.startswith("child ")}
th = {t["pid"]: t for t in d["threads"]}
print(all(p in th and sys.argv[3] in th[p].get("command", "") for p in (kids["worker_a"], kids["worker_b"])))
print(sorted(r["function"] for r in d["rows"] if r["function"] in ("worker_a", "worker_b")))
PY
)
	is "$got" "True
['worker_a', 'worker_b']" "$tag: top --subprocesses shows worker_a and worker_b, labelled with pid and command line"
	pkill -P $pid; kill $pid; wait $pid 2>/dev/null
done
done_testing
