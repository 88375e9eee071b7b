# smoke.py - the pinch module under an interpreter without pytest (pyenv's
# 3.11.7): the same build imports and works. Exact counts, spans across
# awaits, the endpoint, a benchmark. Exits non-zero on the first mismatch.
import asyncio
import sys
import threading
import urllib.request

import pinch
from pinch import metrics


def check(what, got, want):
    if got != want:
        print(f"FAIL {what}: got {got!r}, want {want!r}")
        sys.exit(1)
    print(f"ok {what}")


print("python", sys.executable, sys.version.split()[0], "pinch", pinch.__version__)


def work():
    for _ in range(20000):
        metrics.increment("smoke_total")
        metrics.increment("smoke_lab_total", labels={"k": "v"})


ts = [threading.Thread(target=work) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
s = metrics.summary()
check("4 threads x 20000 increments", s["counters"]["smoke_total"], 80000)
check("labelled", s["counters"]['smoke_lab_total{k="v"}'], 80000)
with metrics.timer("smoke_seconds"):
    pass
metrics.record_timing("smoke_seconds", 0.5)
check("timings", metrics.summary()["timings"]["smoke_seconds"]["count"], 2)


async def main():
    async def one():
        async with pinch.measure("smoke_task"):
            await asyncio.sleep(0.05)
    await asyncio.gather(one(), one())

asyncio.run(main())
t = metrics.summary()["timings"]['pinch_span_duration_seconds{span="smoke_task"}']
check("spans", t["count"], 2)
check("span >= its sleep", t["min_ms"] >= 49.9, True)
with pinch.serve(port=0) as srv:
    body = urllib.request.urlopen(f"http://127.0.0.1:{srv.port}/metrics", timeout=10).read().decode()
check("/metrics", "smoke_total 80000" in body.splitlines(), True)
r = pinch.bench(sum, range(10), rounds=5, iterations=3)
check("bench rounds", (r["rounds"], r["iterations"]), (5, 3))
try:
    metrics.increment("bad name")
except ValueError as e:
    check("ValueError", "invalid metric name" in str(e), True)
print("smoke: all ok")
