# pinch.measure across awaits: overlapping asyncio tasks each get their
# own span (parented to the task's enclosing span, not to each other),
# with the duration of its own sleep, not the sum of the overlapping ones.
import asyncio

import pytest

import pinch
from pinch import metrics

SLEEP = 0.2     # each task's sleep, seconds


def span(name):
    return metrics.summary()["timings"][f'pinch_span_duration_seconds{{span="{name}"}}']


def test_overlapping_awaits():
    seen = {}

    async def task(i):
        async with pinch.measure("as_task") as m:
            seen[i] = (m.id, m.parent)
            await asyncio.sleep(SLEEP)
            with pinch.measure("as_inner") as inner:     # sync form inside a task
                seen[f"inner{i}"] = (inner.id, inner.parent)

    async def main():
        async with pinch.measure("as_batch") as batch:
            await asyncio.gather(*(task(i) for i in range(3)))
        return batch.id

    batch_id = asyncio.run(main())
    # each task's span nests in the batch, not in another task's span
    assert [seen[i][1] for i in range(3)] == [batch_id] * 3
    assert len({seen[i][0] for i in range(3)}) == 3
    for i in range(3):
        assert seen[f"inner{i}"][1] == seen[i][0]
    t, b = span("as_task"), span("as_batch")
    assert t["count"] == 3 and b["count"] == 1
    # Tolerances: asyncio.sleep never wakes before its deadline (up to one
    # clock tick, 1 ns here), so every span is >= 200 ms less 0.1 ms of
    # rounding. The three ran at once: had their spans summed the others'
    # waits each would be >= 400 ms and the batch >= 600 ms; 3x headroom
    # over the 200 ms stays below that even on a loaded machine.
    assert t["min_ms"] >= SLEEP * 1e3 - 0.1
    assert b["min_ms"] >= SLEEP * 1e3 - 0.1
    assert t["max_ms"] < 2 * SLEEP * 1e3
    assert b["max_ms"] < 3 * SLEEP * 1e3


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
