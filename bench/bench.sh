#!/usr/bin/env bash
# bench/bench.sh - pinch bench next to hyperfine on the same commands, in
# one run, interleaved (pinch, hyperfine, pinch, ... ROUNDS times) so both
# see the same machine: the means they measure, and each tool's own CPU
# cost per run = (CPU of the tool and its children, from wait4 through
# bench/cputime) - (the children's CPU, from the tool's own JSON: per-run
# user + system for pinch, mean user + system x runs for hyperfine).
# Both run without a shell (hyperfine -N) and without warm-up.
# Usage: bench/bench.sh [BUILDDIR] [RUNS] [ROUNDS]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${2:-200}
ROUNDS=${3:-3}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
PINCH=$PWD/$B/pinch
W=$PWD/$B/tests/workloads/bench-work
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/cputime" bench/cputime.c

echo "# $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $(hyperfine --version); $RUNS runs per command, $ROUNDS rounds"
i=0
for cmd in true "sleep 0.01" "$W"; do
	i=$((i + 1))
	for r in $(seq "$ROUNDS"); do
		SPIN_MS=10 "$out/cputime" "$out/p$i.$r.cpu" "$PINCH" bench --no-progress -r "$RUNS" --json "$cmd" >"$out/p$i.$r.json"
		SPIN_MS=10 "$out/cputime" "$out/h$i.$r.cpu" hyperfine -N --style none --runs "$RUNS" \
			--export-json "$out/h$i.$r.json" "$cmd" >/dev/null
	done
done
python3 - "$out" "$RUNS" "$ROUNDS" "$W" <<'PY'
import json, statistics, sys
out, runs, rounds, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
names = ["true", "sleep 0.01", "bench-work (SPIN_MS=10: 10 ms of CPU)"]
print("| command | pinch mean | hyperfine mean | difference | paired difference | pinch cost/run | hyperfine cost/run |")
print("|---|---:|---:|---:|---:|---:|---:|")
for i, name in enumerate(names, 1):
    pm, hm, pc, hc = [], [], [], []
    for r in range(1, rounds + 1):
        p = json.load(open(f"{out}/p{i}.{r}.json"))["benchmarks"][0]
        h = json.load(open(f"{out}/h{i}.{r}.json"))["results"][0]
        pcpu = float(open(f"{out}/p{i}.{r}.cpu").read())
        hcpu = float(open(f"{out}/h{i}.{r}.cpu").read())
        pchild = sum(x["user_s"] + x["sys_s"] for x in p["runs"])
        hchild = (h["user"] + h["system"]) * len(h["times"])
        pm.append(p["stats"]["mean"]); hm.append(h["mean"])
        pc.append((pcpu - pchild) / len(p["runs"])); hc.append((hcpu - hchild) / len(h["times"]))
    a, b = statistics.median(pm), statistics.median(hm)
    # each pinch round against the hyperfine round run right after it
    paired = statistics.median(x / y - 1 for x, y in zip(pm, hm))
    print(f"| {name} | {a*1e3:.3f} ms | {b*1e3:.3f} ms | {(a-b)/b*100:+.1f} % | {paired*100:+.1f} % | "
          f"{statistics.median(pc)*1e6:.0f} µs | {statistics.median(hc)*1e6:.0f} µs |")
    print(f"|   (per round) | {' '.join(f'{x*1e3:.3f}' for x in pm)} | {' '.join(f'{x*1e3:.3f}' for x in hm)} | | | "
          f"{' '.join(f'{x*1e6:.0f}' for x in pc)} | {' '.join(f'{x*1e6:.0f}' for x in hc)} |")
PY
