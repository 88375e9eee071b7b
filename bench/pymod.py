# bench/pymod.py - ns per metrics call: pinch (the C module) vs a pure-Python
# Metrics dataclass (counters dict, timing lists) vs Debian's
# python3-prometheus-client, side by side; then memory after N timings.
# Run by bench/pymod.sh (PYTHONPATH = the build tree).
import gc
from importlib import metadata
import subprocess
import sys
import time
import timeit
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

N = 200_000
ROUNDS = 7


@dataclass
class Metrics:
    """The hand-written collector services keep (no lock, to its favour)."""
    counters: dict = field(default_factory=lambda: defaultdict(int))
    gauges: dict = field(default_factory=dict)
    timings: dict = field(default_factory=lambda: defaultdict(list))

    def increment(self, name, value=1, labels=None):
        if labels:
            name = name + str(sorted(labels.items()))
        self.counters[name] += value

    def record_timing(self, name, seconds):
        self.timings[name].append(seconds)

    @contextmanager
    def timer(self, name):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name].append(time.perf_counter() - t0)


def ns_per_op(stmt, setup_globals):
    # CPU time of the process: on a shared machine, time spent preempted
    # is not the call's
    t = timeit.Timer(stmt, timer=time.process_time, globals=setup_globals)
    runs = [t.timeit(N) / N * 1e9 for _ in range(ROUNDS)]
    return min(runs)


def main():
    from pinch import metrics as pm
    import prometheus_client as pc

    dc = Metrics()
    reg = pc.CollectorRegistry()
    p_c = pc.Counter("b_total", "b", registry=reg)
    p_h = pc.Histogram("b_seconds", "b", registry=reg)
    p_l = pc.Counter("bl_total", "b", ["route", "status"], registry=reg)
    g = {"pm": pm, "dc": dc, "p_c": p_c, "p_h": p_h, "p_l": p_l, "L": {"route": "/a", "status": "200"}}
    rows = [
        ("increment", 'pm.increment("b_total")', 'dc.increment("b_total")', "p_c.inc()"),
        ("with timer", 'with pm.timer("b_seconds"): pass', 'with dc.timer("b_seconds"): pass',
         "with p_h.time(): pass"),
        ("record_timing", 'pm.record_timing("b_seconds", 0.0042)', 'dc.record_timing("b_seconds", 0.0042)',
         "p_h.observe(0.0042)"),
        ("labelled increment", 'pm.increment("bl_total", labels=L)', 'dc.increment("bl_total", labels=L)',
         'p_l.labels(route="/a", status="200").inc()'),
    ]
    print(f"# {sys.executable} {sys.version.split()[0]}, prometheus_client {metadata.version('prometheus_client')}; "
          f"{N} calls per round, best of {ROUNDS} rounds, CPU ns per call (loop overhead included: "
          f"{ns_per_op('pass', g):.1f} ns)")
    print(f"{'call':<20}{'pinch':>10}{'dataclass':>12}{'prom-client':>13}{'vs prom':>10}{'vs dataclass':>14}")
    for name, a, b, c in rows:
        gc.collect()
        x, y, z = ns_per_op(a, g), ns_per_op(b, g), ns_per_op(c, g)
        print(f"{name:<20}{x:>10.1f}{y:>12.1f}{z:>13.1f}{z / x:>9.1f}x{y / x:>13.1f}x")


MEM = r'''
import sys
impl, n = sys.argv[1], int(sys.argv[2])
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
if impl == "pinch":
    from pinch import metrics
    rec = metrics.record_timing
elif impl == "dataclass":
    sys.path.insert(0, sys.argv[3])
    from pymod import Metrics
    m = Metrics(); rec = m.record_timing
else:
    import prometheus_client as pc
    h = pc.Histogram("m_seconds", "m"); rec = lambda name, v: h.observe(v)
rec("m_seconds", 0.001)
base = rss()
out = []
step = n // 4
for i in range(4):
    for j in range(step):
        rec("m_seconds", j * 1e-7)
    out.append(rss() - base)
print(" ".join(str(x) for x in out))
'''


def memory(n):
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    print()
    print("# memory: RSS growth (MiB) after n record_timing calls on one timing, fresh process each")
    print(f"{'impl':<14}" + "".join(f"{f'{n * k // 4:,}':>12}" for k in range(1, 5)))
    for impl in ("pinch", "dataclass", "prom-client"):
        r = subprocess.run([sys.executable, "-c", MEM, impl, str(n), here],
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"memory run of {impl} failed: {r.stderr}")
        vals = [int(x) / 1048576 for x in r.stdout.split()]
        print(f"{impl:<14}" + "".join(f"{v:>12.1f}" for v in vals))


if __name__ == "__main__":
    N = int(sys.argv[1]) if len(sys.argv) > 1 else N
    main()
    memory(int(sys.argv[2]) if len(sys.argv) > 2 else 4_000_000)
