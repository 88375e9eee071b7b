# pinch.log_performance: one JSON line per call through libpinch's
# performance log, sync and async, completed and failed.
import asyncio
import errno
import json

import pytest

import pinch


def lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_log_performance(tmp_path):
    log = tmp_path / "perf.log"
    pinch.configure_performance_log(str(log))

    @pinch.log_performance
    def ok(x):
        return x + 1

    @pinch.log_performance(name="loader", fields={"user_id": 42, "tier": "gold", "ratio": 0.5, "vip": True})
    def bad():
        raise RuntimeError('no "db"\nconnection')

    @pinch.log_performance
    async def aok():
        await asyncio.sleep(0.02)
        return "a"

    @pinch.log_performance
    async def abad():
        await asyncio.sleep(0)
        raise KeyError("k")

    assert ok(1) == 2
    with pytest.raises(RuntimeError):
        bad()
    assert asyncio.run(aok()) == "a"
    with pytest.raises(KeyError):
        asyncio.run(abad())
    pinch.configure_performance_log(2)      # back to stderr, closes the file
    got = lines(log)
    assert [g["event"] for g in got] == ["function_completed", "function_failed",
                                         "function_completed", "function_failed"]
    assert [g["function"] for g in got] == [
        "test_log_performance.<locals>.ok", "loader",
        "test_log_performance.<locals>.aok", "test_log_performance.<locals>.abad"]
    assert [g["status"] for g in got] == ["ok", "error", "ok", "error"]
    assert got[0]["error"] is None
    assert got[1]["error"] == 'RuntimeError: no "db"\nconnection'
    assert got[3]["error"] == "KeyError: 'k'"
    assert (got[1]["user_id"], got[1]["tier"], got[1]["ratio"], got[1]["vip"]) == (42, "gold", 0.5, True)
    assert got[2]["duration_ms"] >= 20 - 0.01
    assert set(got[0]) >= {"timestamp", "event", "function", "duration_ms", "status", "error"}
    assert log.stat().st_mode & 0o777 in (0o644, 0o600)


def test_slow_threshold(tmp_path):
    log = tmp_path / "slow.log"
    pinch.configure_performance_log(str(log), slow_ms=1000)

    @pinch.log_performance
    def fast():
        return 1

    @pinch.log_performance
    def fails():
        raise ValueError

    fast()
    with pytest.raises(ValueError):
        fails()
    pinch.configure_performance_log(2)
    got = lines(log)
    assert [g["event"] for g in got] == ["function_failed"]   # failures always


def test_bad_input(tmp_path):
    with pytest.raises(TypeError, match="file descriptor"):
        pinch.configure_performance_log(3.5)
    with pytest.raises(ValueError, match="slow_ms must be >= 0"):
        pinch.configure_performance_log(2, slow_ms=-1)
    with pytest.raises(FileNotFoundError, match="cannot open .*dir.log"):
        pinch.configure_performance_log(str(tmp_path / "no" / "such" / "dir.log"))
    with pytest.raises(OSError) as e:
        pinch.configure_performance_log(-1)
    assert e.value.errno == errno.EBADF
    with pytest.raises(TypeError, match="decorates a callable"):
        pinch.log_performance(5)
    # fields are checked when decorating, before any call runs
    with pytest.raises(TypeError, match="field values must be str, int, float or bool, not list"):
        pinch.log_performance(fields={"a": [1]})(print)
    with pytest.raises(TypeError, match="field name must be str, not int"):
        pinch.log_performance(fields={1: "a"})(print)
    with pytest.raises(TypeError, match="fields must be a dict, not list"):
        pinch.log_performance(fields=["a"])(print)
