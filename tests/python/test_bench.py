# pinch.bench: libpinch's harness calling a Python function: the exact
# number of calls, the statistics' keys, setup per round, errors.
import json

import pytest

import pinch

STATS = {"min", "max", "mean", "stddev", "rounds", "median", "iqr", "q1", "q3",
         "iqr_outliers", "stddev_outliers", "outliers", "ld15iqr", "hd15iqr",
         "ops", "total", "iterations", "data"}


def test_fixed_rounds_and_iterations():
    calls = []

    def f(a, b):
        calls.append(a + b)

    r = pinch.bench(f, 1, 2, rounds=20, iterations=10, warmup_rounds=3)
    assert set(r) == STATS
    assert r["rounds"] == 20 and r["iterations"] == 10
    assert len(calls) == (20 + 3) * 10 and set(calls) == {3}
    assert len(r["data"]) == 20
    assert r["min"] <= r["median"] <= r["max"]
    assert r["ops"] == pytest.approx(1 / r["mean"])
    assert r["outliers"] == f'{r["stddev_outliers"]};{r["iqr_outliers"]}'
    assert r.name == "test_fixed_rounds_and_iterations.<locals>.f"


def test_setup_runs_before_every_round():
    log = []
    r = pinch.bench(lambda: log.append("f"), rounds=7, setup=lambda: log.append("s"))
    assert r["iterations"] == 1 and r["rounds"] == 7
    assert log == ["s", "f"] * 7


def test_calibrated():
    r = pinch.bench(sum, range(10), max_time=0.05, name="sum10")
    assert r["rounds"] >= 5 and r["iterations"] >= 1
    assert r.name == "sum10"


def test_exception_propagates():
    n = [0]

    def boom():
        n[0] += 1
        raise ZeroDivisionError("x")

    with pytest.raises(ZeroDivisionError):
        pinch.bench(boom, rounds=5, iterations=3)
    assert n[0] == 1                 # stops at the first failure
    with pytest.raises(TypeError, match="func must be callable"):
        pinch.bench(5)
    with pytest.raises(TypeError, match="rounds must be an int"):
        pinch.bench(print, rounds=1.5)
    with pytest.raises(ValueError, match="iterations must be >= 0"):
        pinch.bench(print, iterations=-1)


def test_save_benchmarks(tmp_path):
    a = pinch.bench(lambda: None, rounds=5, iterations=2, name="noop")
    b = pinch.bench(lambda: sum(range(100)), rounds=5, iterations=2, name="sum100")
    p = tmp_path / "b.json"
    pinch.save_benchmarks(str(p), a, b)
    d = json.loads(p.read_text())
    assert d["pinch_bench"] == 1 and d["kind"] == "bench" and d["schema"] == 1
    assert [x["name"] for x in d["benchmarks"]] == ["noop", "sum100"]
    assert d["benchmarks"][0]["stats"]["rounds"] == 5
    assert d["benchmarks"][0]["stats"]["median"] == pytest.approx(a["median"], rel=1e-8)
