# pinch.serve: /health, /metrics, /metrics.json from libpinch's own HTTP
# thread, scraped with urllib and checked by promtool; answered while the
# interpreter's only thread holds the GIL; port in use; fork.
import ctypes
import errno
import json
import os
import socket
import subprocess
import sys

import pytest

import pinch
from pinch import metrics
from conftest import get, need_prog, sample


def test_endpoint_pages_and_promtool():
    metrics.increment("sv_jobs_total", 100)
    metrics.increment("sv_requests_total", 3, labels={"route": "/a", "status": "200"})
    metrics.set_gauge("sv_queue", 4)
    metrics.record_timing("sv_seconds", 0.25)
    with pinch.serve(port=0) as srv:
        assert srv.port > 0 and srv.running
        st, ct, body = get(srv.port, "/health")
        assert st == 200 and ct == "application/json"
        h = json.loads(body)
        assert h["status"] == "healthy" and h["uptime_seconds"] >= 0
        st, ct, body = get(srv.port, "/metrics.json")
        j = json.loads(body)
        assert set(j) == {"uptime_seconds", "cpu_percent", "memory_mb", "threads",
                          "open_files", "connections"}
        assert j["threads"] >= 2            # the interpreter's + the HTTP thread
        st, ct, text = get(srv.port, "/metrics")
        assert ct.startswith("text/plain; version=0.0.4")
    assert not srv.running
    assert sample(text, "sv_jobs_total") == 100
    assert sample(text, 'sv_requests_total{route="/a",status="200"}') == 3
    assert sample(text, "sv_queue") == 4
    assert sample(text, "sv_seconds_count") == 1
    assert sample(text, "sv_seconds_sum") == 0.25
    assert sample(text, 'sv_seconds_bucket{le="0.25"}') == 1
    assert sample(text, 'sv_seconds_bucket{le="0.1"}') == 0
    assert sample(text, "process_threads") is not None
    promtool = need_prog("promtool")
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_scrape_while_the_gil_is_held():
    """The /metrics handler runs in libpinch's thread without the GIL: a
    child process scrapes while this (only) Python thread holds the GIL,
    blocked in waitpid() called through ctypes.PyDLL (which does not
    release it). Needing the GIL would deadlock until the child's 10 s
    timeout, and the child would exit 1."""
    metrics.increment("gil_probe_total", 7)
    srv = pinch.serve(port=0)
    try:
        code = ("import urllib.request, sys\n"
                f"b = urllib.request.urlopen('http://127.0.0.1:{srv.port}/metrics', timeout=10).read()\n"
                "sys.exit(0 if b'gil_probe_total 7' in b else 3)\n")
        child = subprocess.Popen([sys.executable, "-c", code])
        libc = ctypes.PyDLL(None)
        status = ctypes.c_int(0)
        pid = libc.waitpid(child.pid, ctypes.byref(status), 0)    # GIL held
        assert pid == child.pid
        child.returncode = os.waitstatus_to_exitcode(status.value)
        assert child.returncode == 0
    finally:
        srv.stop()


def test_port_in_use():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        with pytest.raises(OSError) as e:
            pinch.serve(port=s.getsockname()[1])
        assert e.value.errno == errno.EADDRINUSE
        assert "in use" in str(e.value) or "Address" in str(e.value)
    finally:
        s.close()


@pytest.mark.parametrize("kwargs, exc, text", [
    ({"host": "0.0.0.0", "port": 0}, PermissionError, "allow_remote=True"),
    ({"port": 70000}, ValueError, "port must be 0..65535"),
    ({"port": "80"}, TypeError, "port must be int, not str"),
    ({"host": 5}, TypeError, "host must be str, not int"),
    ({"host": "not an address", "port": 0}, ValueError, "serve"),
])
def test_serve_bad_input(kwargs, exc, text):
    with pytest.raises(exc) as e:
        pinch.serve(**kwargs)
    assert text in str(e.value)


def test_stop_twice_and_drop():
    srv = pinch.serve(port=0)
    port = srv.port
    srv.stop()
    srv.stop()                       # no-op
    with pytest.raises(OSError):
        get(port, "/health", timeout=2)
    # dropping the object keeps the server running (serve() is called for
    # its effect); it is stopped explicitly here
    srv2 = pinch.serve(port=0)
    port2 = srv2.port
    ref = srv2
    del srv2
    assert get(port2, "/health")[0] == 200
    ref.stop()


def test_fork(tmp_path):
    """After os.fork() the child has the parent's values (as at the fork),
    no server thread, and may stop its copy of the server (the parent's
    keeps serving) and serve on a port of its own; measure,
    log_performance and bench work in the child. A thread of the parent
    updating metrics across the fork does not deadlock the child
    (libpinch's atfork handlers)."""
    import threading

    metrics.increment("fk_total", 5)
    srv = pinch.serve(port=0)
    log = tmp_path / "perf.log"
    pinch.configure_performance_log(str(log))
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            metrics.increment("fk_busy_total", labels={"t": "1"})
            metrics.record_timing("fk_busy_seconds", 0.001)

    @pinch.log_performance
    def in_child():
        return 1

    t = threading.Thread(target=busy)
    t.start()
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:                              # the child
            rc = 1
            try:
                os.close(r)
                out = []
                metrics.increment("fk_total", 2)
                out.append(metrics.summary()["counters"]["fk_total"] == 7)
                srv.stop()                        # the child's copy only
                with pinch.serve(port=0) as own:
                    st, _, text = get(own.port, "/metrics")
                out.append(st == 200 and sample(text, "fk_total") == 7)
                with pinch.measure("fk_child_span"):
                    pass
                out.append(metrics.summary()["timings"]
                           ['pinch_span_duration_seconds{span="fk_child_span"}']["count"] == 1)
                out.append(in_child() == 1)
                b = pinch.bench(sum, [1, 2], rounds=3, iterations=2)
                out.append((b["rounds"], b["iterations"]) == (3, 2))
                os.write(w, "".join("1" if x else "0" for x in out).encode())
                rc = 0
            finally:
                os._exit(rc)
        os.close(w)
        _, status = os.waitpid(pid, 0)
        got = os.read(r, 10)
        os.close(r)
    finally:
        stop.set()
        t.join()
        pinch.configure_performance_log(2)
    assert os.waitstatus_to_exitcode(status) == 0
    assert got == b"11111"          # values, own server, span, log line, bench
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [(x["function"], x["event"]) for x in lines] == [("test_fork.<locals>.in_child",
                                                            "function_completed")]
    try:
        st, _, text = get(srv.port, "/metrics")   # the parent's server still answers
        assert st == 200 and sample(text, "fk_total") == 5
        assert pinch.metrics.summary()["timings"].get(
            'pinch_span_duration_seconds{span="fk_child_span"}') is None
    finally:
        srv.stop()
