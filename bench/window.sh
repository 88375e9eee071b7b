#!/usr/bin/env bash
# bench/window.sh - what pinch bench and hyperfine each time, seen from the
# kernel: both run the same short command (default `true`) ROUNDS times
# interleaved (pinch, hyperfine, ...), RUNS runs each, under a system-wide
# `perf record` of the process tracepoints (clone3 entry, fork, exec, exit,
# wait4's return). For every run it splits the kernel's view into
#   spawn   the tool's clone3 -> the command's exec (the child's set-up)
#   run     exec -> exit (the command itself)
#   reap    exit -> the tool's wait4 returning
# and pairs it, in order, with the time the tool reported for that run:
# "own" = reported - (clone3 .. wait4), the tool's own work inside its
# clock reads. Medians over all runs of each tool.
# Usage: bench/window.sh [BUILDDIR] [RUNS] [ROUNDS] [COMMAND]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${2:-200}
ROUNDS=${3:-3}
CMD=${4:-true}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
PINCH=$PWD/$B/pinch
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
exe=$(type -P "${CMD%% *}")

echo "# $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $(hyperfine --version); '$CMD': $RUNS runs x $ROUNDS rounds each"
cat >"$out/both.sh" <<EOF
for r in \$(seq $ROUNDS); do
	"$PINCH" bench --no-progress -w 0 -r $RUNS --json -- $CMD >"$out/p\$r.json" 2>/dev/null
	hyperfine -N -w 0 --style none --runs $RUNS --export-json "$out/h\$r.json" "$CMD" >/dev/null 2>&1
done
EOF
perf record -q -o "$out/trace.data" -a \
	-e syscalls:sys_enter_clone3,sched:sched_process_fork,sched:sched_process_exec \
	-e sched:sched_process_exit,syscalls:sys_exit_wait4 -- bash "$out/both.sh" 2>/dev/null
perf script -i "$out/trace.data" -F comm,pid,tid,time,event,trace 2>/dev/null >"$out/trace.txt"
python3 - "$out" "$ROUNDS" "$exe" <<'PY'
import json, re, statistics as st, sys
out, rounds, exe = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs, clone, order = {}, {}, {"pinch": [], "hyperfine": []}
for line in open(f"{out}/trace.txt"):
    m = re.match(r"\s*(\S+)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)", line)
    if not m:
        continue
    comm, pid, tid, t, ev, tr = m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4)), m.group(5), m.group(6)
    if ev == "syscalls:sys_enter_clone3":
        clone[tid] = t
    elif ev == "sched:sched_process_fork" and comm in order:
        child = int(re.search(r"child_pid=(\d+)", tr).group(1))
        runs[child] = {"tool": comm, "clone": clone.get(tid, t)}
    elif ev == "sched:sched_process_exec" and pid in runs and f"filename={exe}" in tr:
        runs[pid]["exec"] = t
        order[runs[pid]["tool"]].append(pid)
    elif ev == "sched:sched_process_exit" and pid in runs:
        runs[pid]["exit"] = t
    elif ev == "syscalls:sys_exit_wait4" and tr.startswith("0x"):
        child = int(tr, 16)
        if child in runs:
            runs[child]["wait"] = t
reported = {"pinch": [], "hyperfine": []}
for r in range(1, rounds + 1):
    reported["pinch"] += json.load(open(f"{out}/p{r}.json"))["benchmarks"][0]["data"]
    reported["hyperfine"] += json.load(open(f"{out}/h{r}.json"))["results"][0]["times"]
med = lambda v: 1e6 * st.median(v) if v else float("nan")
mean = lambda v: 1e6 * st.mean(v) if v else float("nan")
print("| tool | runs | spawn µs | run µs | reap µs | clone3..wait4 µs | reported µs (median) | reported µs (mean) | own µs (median) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for tool in ("pinch", "hyperfine"):
    rs = [runs[p] for p in order[tool] if all(k in runs[p] for k in ("exec", "exit", "wait"))]
    rep = reported[tool]
    own = [rep[i] - (r["wait"] - r["clone"]) for i, r in enumerate(rs) if i < len(rep)] if len(rs) == len(rep) else []
    print(f"| {tool} | {len(rs)} | {med([r['exec'] - r['clone'] for r in rs]):.1f} | {med([r['exit'] - r['exec'] for r in rs]):.1f}"
          f" | {med([r['wait'] - r['exit'] for r in rs]):.1f} | {med([r['wait'] - r['clone'] for r in rs]):.1f}"
          f" | {med(rep):.1f} | {mean(rep):.1f} | {med(own):.1f} |")
    if len(rs) != len(rep):
        print(f"#   {tool}: {len(rs)} traced runs for {len(rep)} reported (a lost event): no pairing")
PY
