#!/usr/bin/env bash
# t5013-python-dump-subprocesses: `pinch dump --pid PARENT --subprocesses`
# on pool.py (a multiprocessing Manager and a pool of 3 forked workers,
# each waiting in work_item): the parent and its 4 children are dumped,
# each labelled with its pid and command line, and exactly the 3 workers
# are in work_item (pool.py:14).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

pids=()
trap 'for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	"$py" "$PYW/pool.py" 60 >$tag.out 2>&1 &
	pid=$!
	pids+=($pid)
	for _ in $(seq 200); do grep -q ready $tag.out && break; sleep 0.1; done
	"$PINCH" dump --pid $pid --subprocesses --json >$tag.json 2>$tag.err
	is "$?" 0 "$tag: dump --subprocesses exits 0"
	got=$(python3 - $tag.json $pid <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
procs = [d] + d["subprocesses"]
print(len(procs), d["pid"] == int(sys.argv[2]), all("pool.py 60" in p["command"] for p in procs))
print(sum(1 for p in procs if any(f["function"] == "work_item" and f["line"] == 14
                                    for t in p["threads"] for f in t["frames"])))
PY
)
	is "$got" "5 True True
3" "$tag: parent + manager + 3 workers, the workers in work_item:14"
	"$PINCH" dump --pid $pid --subprocesses >$tag.txt 2>&1
	is "$(grep -c '^Process [0-9]*: .*pool.py 60$' $tag.txt)" 5 "$tag: each process labelled with pid and command line"
	pkill -P $pid; kill $pid
done
done_testing
