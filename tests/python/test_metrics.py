# pinch.metrics: the summary dict's shape, exact values, labels, the
# cardinality limit, exact counts from 4 threads, bad input.
import threading

import pytest

import pinch
from pinch import metrics

TIMING_KEYS = {"count", "avg_ms", "min_ms", "max_ms", "p50_ms", "p95_ms", "p99_ms"}


def test_summary_shape_and_values():
    metrics.increment("shape_jobs_total")
    metrics.increment("shape_jobs_total", 4)
    metrics.increment("shape_jobs_total", value=5)
    metrics.set_gauge("shape_queue_depth", 7.5)
    metrics.set_gauge("shape_workers", 3)
    for ms in range(1, 101):                     # 1..100 ms
        metrics.record_timing("shape_rpc_seconds", ms / 1000)
    s = metrics.summary()
    assert set(s) == {"counters", "gauges", "timings"}
    assert s["counters"]["shape_jobs_total"] == 10
    assert isinstance(s["counters"]["shape_jobs_total"], int)
    assert s["gauges"]["shape_queue_depth"] == 7.5
    assert s["gauges"]["shape_workers"] == 3.0
    t = s["timings"]["shape_rpc_seconds"]
    assert set(t) == TIMING_KEYS
    assert type(t["count"]) is int
    assert all(type(t[k]) is float for k in TIMING_KEYS - {"count"})
    assert all(type(v) is int for v in s["counters"].values())
    assert all(type(v) is float for v in s["gauges"].values() if v is not None)
    assert t["count"] == 100
    # count, avg, min and max are exact; percentiles within 0.5 %
    assert t["avg_ms"] == pytest.approx(50.5, rel=1e-9)
    assert t["min_ms"] == pytest.approx(1.0, rel=1e-9)
    assert t["max_ms"] == pytest.approx(100.0, rel=1e-9)
    assert t["p50_ms"] == pytest.approx(50, rel=0.02)
    assert t["p95_ms"] == pytest.approx(95, rel=0.01)
    assert t["p99_ms"] == pytest.approx(99, rel=0.01)


def test_summary_types_of_whole_values():
    """A gauge set to an int and a timing of exactly 0 s are floats in the
    summary (libpinch keeps doubles; its JSON writes 3.0 as 3)."""
    metrics.set_gauge("ty_workers", 3)
    metrics.record_timing("ty_zero_seconds", 0)
    s = metrics.summary()
    assert type(s["gauges"]["ty_workers"]) is float and s["gauges"]["ty_workers"] == 3.0
    t = s["timings"]["ty_zero_seconds"]
    assert t["count"] == 1 and all(type(t[k]) is float and t[k] == 0.0
                                   for k in TIMING_KEYS - {"count"})


def test_gauge_set_overwrites():
    metrics.set_gauge("ow_level", 1)
    metrics.set_gauge("ow_level", -2.25)
    assert metrics.summary()["gauges"]["ow_level"] == -2.25


def test_timer_context_manager_and_decorator():
    with metrics.timer("tm_block_seconds"):
        pass
    with metrics.timer("tm_block_seconds") as t:
        assert t is not None

    @metrics.timer("tm_func_seconds")
    def f(x):
        return x * 2

    assert f.__name__ == "f"
    assert [f(i) for i in range(5)] == [0, 2, 4, 6, 8]
    s = metrics.summary()["timings"]
    assert s["tm_block_seconds"]["count"] == 2
    assert s["tm_func_seconds"]["count"] == 5


def test_timer_decorator_counts_failures_too():
    @metrics.timer("tm_fail_seconds")
    def boom():
        raise KeyError("x")

    for _ in range(3):
        with pytest.raises(KeyError):
            boom()
    assert metrics.summary()["timings"]["tm_fail_seconds"]["count"] == 3


def test_async_timer_decorator():
    import asyncio

    @metrics.timer("tm_async_seconds")
    async def f():
        await asyncio.sleep(0.01)
        return 1

    assert asyncio.run(f()) == 1
    t = metrics.summary()["timings"]["tm_async_seconds"]
    assert t["count"] == 1
    assert t["min_ms"] >= 9.9      # the sleep (asyncio may wake 1 clock tick early)


def test_labels():
    for i in range(3):
        metrics.increment("lb_requests_total", labels={"route": "/a", "status": "200"})
    # label order does not matter: the same series
    metrics.increment("lb_requests_total", 2, labels={"status": "200", "route": "/a"})
    metrics.increment("lb_requests_total", labels={"route": "/b", "status": "500"})
    metrics.set_gauge("lb_temp", 21.5, labels={"room": "a"})
    metrics.record_timing("lb_seconds", 0.002, labels={"op": "read"})
    with metrics.timer("lb_seconds", labels={"op": "read"}):
        pass
    metrics.increment("lb_empty_total", labels={})   # {} is no labels
    s = metrics.summary()
    assert s["counters"]['lb_requests_total{route="/a",status="200"}'] == 5
    assert s["counters"]['lb_requests_total{route="/b",status="500"}'] == 1
    assert s["gauges"]['lb_temp{room="a"}'] == 21.5
    assert s["timings"]['lb_seconds{op="read"}']["count"] == 2
    assert s["counters"]["lb_empty_total"] == 1


def test_cardinality_limit():
    pinch.set_series_limit(3)
    try:
        for i in range(10):
            metrics.increment("card_logins_total", labels={"user": f"u{i}"})
        metrics.increment("card_logins_total", labels={"user": "u0"})
    finally:
        pinch.set_series_limit(10000)
    c = metrics.summary()["counters"]
    assert c['card_logins_total{user="u0"}'] == 2
    assert c['card_logins_total{user="u1"}'] == 1
    assert c['card_logins_total{user="u2"}'] == 1
    assert c['card_logins_total{user="_overflow_"}'] == 7
    assert 'card_logins_total{user="u3"}' not in c
    assert c['pinch_series_dropped_total{metric="card_logins_total"}'] == 7


def test_exact_counts_from_4_threads():
    n = 50_000

    def work():
        for _ in range(n):
            metrics.increment("th_ops_total")
            metrics.increment("th_lab_total", labels={"k": "v"})
        for _ in range(1000):
            with metrics.timer("th_seconds"):
                pass
            metrics.record_timing("th_rec_seconds", 0.001)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = metrics.summary()
    assert s["counters"]["th_ops_total"] == 4 * n
    assert s["counters"]['th_lab_total{k="v"}'] == 4 * n
    assert s["timings"]["th_seconds"]["count"] == 4000
    assert s["timings"]["th_rec_seconds"]["count"] == 4000
    assert s["timings"]["th_rec_seconds"]["avg_ms"] == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("call, exc, text", [
    (lambda: metrics.increment(42), TypeError, "metric name must be str, not int"),
    (lambda: metrics.increment("x_total", 1.5), TypeError, "counter increment must be an int >= 0, not float"),
    (lambda: metrics.increment("x_total", -1), ValueError, "counters only go up"),
    (lambda: metrics.increment("x_total", labels=["a"]), TypeError, "labels must be a dict of str to str, not list"),
    (lambda: metrics.increment("x_total", labels={"a": 1}), TypeError, "label values must be str, not int"),
    (lambda: metrics.increment("x_total", labels={1: "a"}), TypeError, "label names must be str, not int"),
    (lambda: metrics.increment("x_total", nope=1), TypeError, "unexpected keyword argument 'nope'"),
    (lambda: metrics.increment(), TypeError, "missing required argument 'name'"),
    (lambda: metrics.increment("http requests"), ValueError, "invalid metric name 'http requests'"),
    (lambda: metrics.increment("9lives"), ValueError, "invalid metric name '9lives'"),
    (lambda: metrics.increment("x_total", labels={"__a": "v"}), ValueError, "label name"),
    (lambda: metrics.increment("a\0b"), ValueError, "NUL"),
    (lambda: metrics.set_gauge("g_x", "1"), TypeError, "gauge value must be int or float, not str"),
    (lambda: metrics.set_gauge("g_x"), TypeError, "missing required argument 'value'"),
    (lambda: metrics.record_timing("t_x", -0.5), ValueError, "seconds must be >= 0"),
    (lambda: metrics.record_timing("t_x", float("nan")), ValueError, "seconds must be >= 0"),
    (lambda: metrics.record_timing("t_x", None), TypeError, "seconds must be int or float, not NoneType"),
    (lambda: metrics.timer(None), TypeError, "metric name must be str"),
    (lambda: metrics.timer("t_x")(42), TypeError, "decorates one callable"),
    (lambda: pinch.set_series_limit(0), ValueError, "series limit must be >= 1"),
    (lambda: pinch.set_series_limit("5"), TypeError, "series limit must be an int, not str"),
    (lambda: metrics.record_timing("t_x", float("inf")), ValueError, "finite"),
    (lambda: metrics.increment("x_total", labels={"a": "x\0y"}), ValueError, "NUL"),
    (lambda: metrics.summary(1), TypeError, "positional argument"),
])
def test_bad_input(call, exc, text):
    with pytest.raises(exc) as e:
        call()
    assert text in str(e.value)


def test_name_reused_with_another_type():
    metrics.increment("clash_total")
    with pytest.raises(ValueError) as e:
        metrics.set_gauge("clash_total", 1)
    assert "clash_total" in str(e.value)
    # the counter still works and nothing was half-registered
    metrics.increment("clash_total")
    assert metrics.summary()["counters"]["clash_total"] == 2


def test_summary_key_escapes_label_values():
    """A labelled series' key is written as in /metrics: backslash, double
    quote and newline escaped."""
    metrics.increment("esc_total", labels={"v": 'a"b\\c\nd'})
    assert metrics.summary()["counters"]['esc_total{v="a\\"b\\\\c\\nd"}'] == 1


def test_non_finite_gauge():
    """A gauge may be NaN or infinite (/metrics shows NaN, +Inf, -Inf);
    summary() has None for it (its JSON source has no NaN)."""
    metrics.set_gauge("nf_level", float("nan"))
    metrics.set_gauge("nf_level_inf", float("inf"))
    g = metrics.summary()["gauges"]
    assert g["nf_level"] is None and g["nf_level_inf"] is None
