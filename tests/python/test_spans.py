# pinch.measure across awaits: overlapping asyncio tasks each get their
# own span (parented to the task's enclosing span, not to each other),
# with the duration of its own sleep, not the sum of the overlapping ones.
import asyncio
import time

import pytest

import pinch
from pinch import metrics

SLEEP = 0.2     # each task's sleep, seconds


def span(name):
    return metrics.summary()["timings"][f'pinch_span_duration_seconds{{span="{name}"}}']


def test_overlapping_awaits():
    """Three tasks sleep at once inside their spans. Each span's duration
    must lie between the test's own CLOCK_MONOTONIC readings just inside
    and just outside it (time.monotonic_ns is the clock libpinch uses), so
    the check holds on any machine load: spans that mixed up their starts
    between tasks, or summed the overlapping waits, fall outside."""
    clock = time.monotonic_ns
    seen, brackets = {}, {}

    async def task(i):
        before = clock()
        async with pinch.measure(f"ov_task{i}") as m:
            inside = clock()
            seen[i] = (m.id, m.parent)
            await asyncio.sleep(SLEEP)
            with pinch.measure("ov_inner") as inner:     # sync form inside a task
                seen[f"inner{i}"] = (inner.id, inner.parent)
            last = clock()
        brackets[i] = (last - inside, clock() - before)

    async def main():
        async with pinch.measure("ov_batch") as batch:
            await asyncio.gather(*(task(i) for i in range(3)))
        return batch.id

    batch_id = asyncio.run(main())
    # each task's span nests in the batch, not in another task's span
    assert [seen[i][1] for i in range(3)] == [batch_id] * 3
    assert len({seen[i][0] for i in range(3)}) == 3
    for i in range(3):
        assert seen[f"inner{i}"][1] == seen[i][0]
    for i in range(3):
        t = span(f"ov_task{i}")
        assert t["count"] == 1
        lo, hi = brackets[i]
        # min_ms is the exact duration (count 1), rounded to 1 ns
        assert lo / 1e6 - 1e-6 <= t["min_ms"] <= hi / 1e6 + 1e-6
        # asyncio.sleep does not wake before its deadline (up to one
        # clock tick, 1 ns; 0.1 ms of slack)
        assert t["min_ms"] >= SLEEP * 1e3 - 0.1
    assert span("ov_inner")["count"] == 3
    b = span("ov_batch")
    assert b["count"] == 1
    assert b["min_ms"] >= max(span(f"ov_task{i}")["min_ms"] for i in range(3))


def test_sequential_awaits_add_up():
    async def main():
        async with pinch.measure("as_seq"):
            for _ in range(3):
                await asyncio.sleep(0.05)
    asyncio.run(main())
    assert span("as_seq")["min_ms"] >= 150 - 0.1


def test_measure_decorator_and_error_status():
    @pinch.measure("as_deco")
    def f():
        raise ValueError("bad")

    @pinch.measure("as_adeco")
    async def g():
        return 5

    with pytest.raises(ValueError):
        f()
    assert asyncio.run(g()) == 5
    assert span("as_deco")["count"] == 1
    assert span("as_adeco")["count"] == 1


def test_spans_report():
    with pinch.measure("as_report"):
        pass
    r = pinch.spans_report()
    lines = r.splitlines()
    assert lines[0].split() == ["SPAN", "COUNT", "AVG", "P95", "MAX", "TOTAL"]
    row = [line.split() for line in lines if line.split()[:1] == ["as_report"]]
    assert len(row) == 1 and row[0][1] == "1"


def test_measure_bad_input():
    with pytest.raises(TypeError, match="span name must be str, not int"):
        pinch.measure(3)
    with pytest.raises(ValueError, match="1 to 200 bytes"):
        pinch.measure("x" * 201)
