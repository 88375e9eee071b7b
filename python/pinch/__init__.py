"""pinch: libpinch for Python.

    from pinch import metrics
    metrics.increment("jobs_total")
    with metrics.timer("job_seconds"):
        ...
    async with pinch.measure("fetch"):
        await ...
    pinch.serve(port=9464)        # /health, /metrics, /metrics.json

Everything is kept by libpinch's C core (constant memory per series,
lock-free updates, HDR percentiles); see docs/python-lib.md.
"""
import contextvars
import functools
import inspect
import json
import os
import shutil
import subprocess
import tempfile

from . import _pinch
from ._pinch import Server, spans_report, set_series_limit

__all__ = ["metrics", "measure", "spans_report", "log_performance",
           "configure_performance_log", "serve", "bench", "save_benchmarks",
           "save_baseline", "compare_baseline", "set_series_limit", "Server"]

__version__ = _pinch.version()


def _timer_decorate(name, labels, func):
    """@metrics.timer(name): times every call of func (sync or async)."""
    timer = _pinch.timer
    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def awrapper(*args, **kwargs):
            with timer(name, labels):
                return await func(*args, **kwargs)
        return awrapper

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with timer(name, labels):
            return func(*args, **kwargs)
    return wrapper


_pinch._set_decorate_hook(_timer_decorate)

from . import metrics  # noqa: E402  (needs the hook above)

# ---- spans ----

_current_span = contextvars.ContextVar("pinch_span", default=0)


class measure:
    """measure(name): a span from enter to exit, with or without awaits.

    Usable as ``with measure("x"):`` and ``async with measure("x"):``.
    Its parent is the span open in the same thread or asyncio task (a
    contextvar, so concurrent tasks do not see each other's spans). The
    duration goes to pinch_span_duration_seconds{span=name} (in
    metrics.summary() and /metrics) and to spans_report()."""

    __slots__ = ("name", "id", "parent", "_token")

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"span name must be str, not {type(name).__name__}")
        if not name or len(name.encode()) > 200:
            raise ValueError("span name must be 1 to 200 bytes of UTF-8")
        self.name = name
        self.id = 0        # the span's id while open (and after)
        self.parent = 0    # the id of the span it nests in, 0 for a root
        self._token = None

    def __enter__(self):
        self.parent = _current_span.get()
        self.id = _pinch.span_begin(self.name, self.parent)
        self._token = _current_span.set(self.id)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            _pinch.span_status(self.id, True, f"{exc_type.__name__}: {exc}")
        _pinch.span_end(self.id)
        try:
            _current_span.reset(self._token)
        except ValueError:
            # exited in another context than entered (a generator moved
            # between tasks): the parent chain of that context stays
            _current_span.set(0)
        return False

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, tb):
        return self.__exit__(exc_type, exc, tb)

    def __call__(self, func):
        name = self.name
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def awrapper(*args, **kwargs):
                async with measure(name):
                    return await func(*args, **kwargs)
            return awrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with measure(name):
                return func(*args, **kwargs)
        return wrapper


# ---- performance log ----

def configure_performance_log(target=2, slow_ms=0.0):
    """Where log_performance writes: a file descriptor (default 2, stderr),
    a path (appended to) or a file object with fileno(); slow_ms logs only
    successful calls at least that slow (failures are always logged)."""
    if hasattr(target, "fileno") and not isinstance(target, (int, str)):
        target.flush()
        target = target.fileno()
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(slow_ms, bool) or not isinstance(slow_ms, (int, float)):
        raise TypeError(f"slow_ms must be a number, not {type(slow_ms).__name__}")
    if slow_ms < 0:
        raise ValueError("slow_ms must be >= 0")
    _pinch.log_open(target, float(slow_ms))


def log_performance(func=None, *, name=None, fields=None):
    """Decorator: one JSON line per call through libpinch's performance log,
    {"event": "function_completed" | "function_failed", "function",
    "duration_ms", "status", "error", ...fields}. Works on sync and async
    functions; @log_performance or @log_performance(name=..., fields={...})."""
    if func is None:
        return functools.partial(log_performance, name=name, fields=fields)
    if not callable(func):
        raise TypeError(f"log_performance decorates a callable, not {type(func).__name__}")
    if fields is not None and not isinstance(fields, dict):
        raise TypeError(f"fields must be a dict, not {type(fields).__name__}")
    for k, v in (fields or {}).items():     # checked here, not after a call
        if not isinstance(k, str):
            raise TypeError(f"field name must be str, not {type(k).__name__}")
        if not isinstance(v, (str, int, float, bool)):
            raise TypeError(f"field values must be str, int, float or bool, not {type(v).__name__}")
    fname = name or getattr(func, "__qualname__", None) or repr(func)
    now, log = _pinch.now_ns, _pinch.log_call

    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def awrapper(*args, **kwargs):
            t0 = now()
            try:
                r = await func(*args, **kwargs)
            except BaseException as e:
                log(fname, now() - t0, f"{type(e).__name__}: {e}", fields)
                raise
            log(fname, now() - t0, None, fields)
            return r
        return awrapper

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        t0 = now()
        try:
            r = func(*args, **kwargs)
        except BaseException as e:
            log(fname, now() - t0, f"{type(e).__name__}: {e}", fields)
            raise
        log(fname, now() - t0, None, fields)
        return r
    return wrapper


# ---- endpoint ----

def serve(host="127.0.0.1", port=9464, *, allow_remote=False):
    """Starts /health, /metrics and /metrics.json on host:port in
    libpinch's own HTTP thread (no GIL needed to answer). Returns a Server
    (.port, .stop(), a context manager); dropping it keeps serving.
    OSError (errno EADDRINUSE) when the port is taken; PermissionError for
    a non-loopback host without allow_remote=True."""
    return _pinch.serve(host, port, allow_remote)


# ---- benchmarks ----

class BenchResult(dict):
    """The statistics of one pinch.bench() run (seconds per call): min,
    max, mean, stddev, median, q1, q3, iqr, ld15iqr, hd15iqr, outliers,
    ops, rounds, iterations, total, data. .json is the benchmark JSON
    document (docs/lib.md) of this run."""
    name = ""
    json = ""


def bench(func, *args, rounds=0, iterations=0, setup=None, warmup_rounds=0,
          min_rounds=5, min_time=5e-6, max_time=1.0, name=None):
    """Runs func(*args) under libpinch's benchmark harness (calibration,
    rounds, pytest-benchmark statistics); setup() runs before every round,
    outside the timing (and implies 1 iteration per round)."""
    if not callable(func):
        raise TypeError(f"func must be callable, not {type(func).__name__}")
    for k, v in (("rounds", rounds), ("iterations", iterations),
                 ("warmup_rounds", warmup_rounds), ("min_rounds", min_rounds)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{k} must be an int, not {type(v).__name__}")
        if v < 0:
            raise ValueError(f"{k} must be >= 0")
    for k, v in (("min_time", min_time), ("max_time", max_time)):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{k} must be a number of seconds, not {type(v).__name__}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be str, not {type(name).__name__}")
    stats, doc = _pinch.bench(name or getattr(func, "__qualname__", "bench"), func,
                              args, rounds, iterations, warmup_rounds, min_rounds,
                              float(min_time), float(max_time), setup)
    r = BenchResult(stats)
    r.name = name or getattr(func, "__qualname__", "bench")
    r.json = doc
    return r


def save_benchmarks(path, *results):
    """Writes results of pinch.bench() as one benchmark JSON document (the
    format of `pinch bench` and pinch_bench_json, docs/lib.md)."""
    if not results:
        raise ValueError("save_benchmarks needs at least one result")
    for r in results:
        if not isinstance(r, BenchResult):
            raise TypeError(f"results must come from pinch.bench(), not {type(r).__name__}")
    doc = json.loads(results[0].json)
    doc["kind"] = "bench"
    doc["schema"] = 1
    doc["benchmarks"] = [b for r in results for b in json.loads(r.json)["benchmarks"]]
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


# ---- baselines: `pinch baseline save/compare` (docs/bench.md) ----

class BaselineComparison:
    """What compare_baseline() found: .text (the table `pinch baseline
    compare` prints), .returncode (0, or 3 when fail_if_slower's bound was
    crossed significantly), .regressed (returncode == 3). str() is the
    text."""
    __slots__ = ("text", "returncode")

    def __init__(self, text, returncode):
        self.text = text
        self.returncode = returncode

    @property
    def regressed(self):
        return self.returncode == 3

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"<BaselineComparison regressed={self.regressed}>"


def _pinch_cli(cli):
    path = cli or os.environ.get("PINCH") or shutil.which("pinch")
    if not path or not os.access(path, os.X_OK):
        raise FileNotFoundError("the pinch command was not found: put it on PATH, "
                                "set PINCH or pass pinch=PATH")
    return path


def _baseline_run(cli, sub, name, results, extra=()):
    if not isinstance(name, str):
        raise TypeError(f"baseline name must be str, not {type(name).__name__}")
    for r in results:
        if not isinstance(r, BenchResult):
            raise TypeError(f"results must come from pinch.bench(), not {type(r).__name__}")
    cli = _pinch_cli(cli)
    with tempfile.TemporaryDirectory(prefix="pinch-baseline-") as d:
        path = os.path.join(d, "result.json")
        save_benchmarks(path, *results)
        p = subprocess.run([cli, "baseline", sub, name, path, *extra],
                           capture_output=True, text=True)
    if p.returncode not in (0, 3):
        # exit 2: bad input (no such baseline, a bad name, another kind)
        raise ValueError(p.stderr.strip() or f"pinch baseline {sub} exited {p.returncode}")
    return p


def save_baseline(name, *results, pinch=None):
    """Saves results of pinch.bench() as baseline NAME, in the
    .pinch/baselines/ of the current directory, through `pinch baseline
    save` (the baselines of `pinch bench --save`). Returns the file's
    path. ValueError for a bad name; FileNotFoundError without the pinch
    command (found as pinch=, $PINCH or on PATH)."""
    if not results:
        raise ValueError("save_baseline needs at least one result")
    _baseline_run(pinch, "save", name, results)
    return os.path.join(".pinch", "baselines", name + ".json")


def compare_baseline(name, *results, fail_if_slower=None, alpha=0.01, pinch=None):
    """Compares results of pinch.bench() with baseline NAME through `pinch
    baseline compare` (the comparison of `pinch bench --compare`: medians
    and Mann-Whitney U over the rounds, per benchmark name). With
    fail_if_slower=PCT, .regressed is True when a benchmark is
    significantly (p < alpha) slower by more than PCT %. ValueError when
    the baseline does not exist or holds another kind of result."""
    if not results:
        raise ValueError("compare_baseline needs at least one result")
    extra = []
    if fail_if_slower is not None:
        if isinstance(fail_if_slower, bool) or not isinstance(fail_if_slower, (int, float)):
            raise TypeError(f"fail_if_slower must be a number (percent), not {type(fail_if_slower).__name__}")
        if not fail_if_slower >= 0:
            raise ValueError("fail_if_slower must be >= 0 (percent)")
        extra += ["--fail-if-slower", repr(float(fail_if_slower))]
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"alpha must be a number, not {type(alpha).__name__}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    extra += ["--alpha", repr(float(alpha))]
    p = _baseline_run(pinch, "compare", name, results, extra)
    return BaselineComparison(p.stdout, p.returncode)
