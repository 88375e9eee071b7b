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


def _slower(r, factor, mean=1):
    """A copy of result r with every round `factor` times as long (a
    planted regression that does not depend on the machine's load); its
    "mean" also times `mean` (a wrong mean shows when it is used)."""
    doc = json.loads(r.json)
    st = doc["benchmarks"][0]["stats"]
    st["data"] = [x * factor for x in st["data"]]
    for k in ("min", "max", "mean", "median", "stddev"):
        st[k] *= factor
    st["mean"] *= mean
    s = pinch.BenchResult({**r, "data": st["data"]})
    s.name, s.json = r.name, json.dumps(doc)
    return s


def _row(text, name):
    return next(l.split() for l in text.splitlines() if l.split()[:1] == [name])


def test_baseline_save_and_compare(tmp_path, monkeypatch, pinch_cli):
    """save_baseline / compare_baseline: `pinch baseline save/compare`
    (the baselines of `pinch bench --save/--compare`) on pinch.bench()
    results: the medians of the rounds and Mann-Whitney U."""
    monkeypatch.chdir(tmp_path)
    a = pinch.bench(sum, range(200), rounds=20, iterations=5, name="sum200")
    path = pinch.save_baseline("py", _slower(a, 1, mean=10), pinch=pinch_cli)
    assert path == ".pinch/baselines/py.json"
    saved = json.loads((tmp_path / path).read_text())
    assert saved["baseline"]["name"] == "py"
    assert saved["benchmarks"][0]["stats"]["data"] == pytest.approx(a["data"], rel=1e-8)

    same = pinch.compare_baseline("py", a, fail_if_slower=5, pinch=pinch_cli)
    assert same.returncode == 0 and not same.regressed
    assert "Compared with baseline 'py'" in str(same)
    row = _row(same.text, "sum200")            # name, baseline, unit, now, unit, change, p, verdict
    assert row[5] == "+0.0%" and " ".join(row[7:]) == "no significant change"

    slow = pinch.compare_baseline("py", _slower(a, 3), fail_if_slower=5, pinch=pinch_cli)
    assert slow.returncode == 3 and slow.regressed
    row = _row(slow.text, "sum200")
    assert row[5] == "+200.0%" and row[7:9] == ["slower", "(over"]
    # the baseline column is the median of the rounds (not the mean)
    med = a["median"]
    shown = float(row[1]) * {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1}[row[2]]
    assert shown == pytest.approx(med, rel=0.06)       # shown with 2 or 3 digits (1.0 µs)

    # without fail_if_slower a slower result is reported, not failed
    assert pinch.compare_baseline("py", _slower(a, 3), pinch=pinch_cli).returncode == 0


def test_baseline_bad_input(tmp_path, monkeypatch, pinch_cli):
    monkeypatch.chdir(tmp_path)
    a = pinch.bench(sum, range(10), rounds=5, iterations=2, name="s")
    with pytest.raises(ValueError, match="no baseline 'nope'"):
        pinch.compare_baseline("nope", a, pinch=pinch_cli)
    with pytest.raises(ValueError, match="pinch baseline"):
        pinch.save_baseline("bad name!", a, pinch=pinch_cli)
    with pytest.raises(TypeError, match="fail_if_slower must be a number"):
        pinch.compare_baseline("x", a, fail_if_slower="5%", pinch=pinch_cli)
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        pinch.compare_baseline("x", a, alpha=2, pinch=pinch_cli)
    with pytest.raises(TypeError, match="results must come from pinch.bench"):
        pinch.save_baseline("x", {"median": 1}, pinch=pinch_cli)
    with pytest.raises(ValueError, match="at least one result"):
        pinch.save_baseline("x", pinch=pinch_cli)
    with pytest.raises(FileNotFoundError, match="pinch command was not found"):
        pinch.save_baseline("x", a, pinch=str(tmp_path / "no-such-pinch"))


def test_bench_bad_types():
    with pytest.raises(TypeError, match="max_time must be a number of seconds, not str"):
        pinch.bench(print, max_time="1")
    with pytest.raises(TypeError, match="name must be str, not int"):
        pinch.bench(print, rounds=1, name=5)
    with pytest.raises(TypeError, match="setup must be callable or None, not int"):
        pinch.bench(print, rounds=1, setup=5)
    with pytest.raises(TypeError, match="results must come from pinch.bench"):
        pinch.save_benchmarks("x.json", {"median": 1})
