"""pinch.metrics: counters, gauges and timings in libpinch's registry.

    increment(name, value=1, labels=None)
    set_gauge(name, value, labels=None)
    record_timing(name, seconds, labels=None)
    timer(name, labels=None)      # with ...: / @decorator
    summary()                     # {"counters", "gauges", "timings"}

Names match [a-zA-Z_:][a-zA-Z0-9_:]* (ValueError otherwise); labels are a
dict of str to str; a name holds at most set_series_limit(n) label sets
(default 10000; past it the updates go to the name's overflow series, every
label "_overflow_", counted in pinch_series_dropped_total).
"""
import json

from ._pinch import increment, set_gauge, record_timing, timer, set_series_limit  # noqa: F401

__all__ = ["increment", "set_gauge", "record_timing", "timer", "summary",
           "set_series_limit"]


def _key(m):
    labels = m.get("labels") or {}
    if not labels:
        return m["name"]
    inner = ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"')
                                         .replace("\n", "\\n"))
                     for k, v in labels.items())
    return "%s{%s}" % (m["name"], inner)


def _ms(seconds):
    return round(float(seconds) * 1e3, 6)


def summary():
    """Every series of the registry: {"counters": {key: int}, "gauges":
    {key: float}, "timings": {key: {"count", "avg_ms", "min_ms", "max_ms",
    "p50_ms", "p95_ms", "p99_ms"}}}; key is the name, or name{k="v",...}
    for labelled series. Timings include measure() spans
    (pinch_span_duration_seconds{span="..."}). Percentiles are within
    0.5 %; count, avg, min and max are exact."""
    out = {"counters": {}, "gauges": {}, "timings": {}}
    for m in json.loads(_pinch_registry_json())["metrics"]:
        t = m["type"]
        if t == "counter":
            out["counters"][_key(m)] = m["value"]
        elif t == "gauge":
            v = m["value"]      # JSON writes 3.0 as 3 and NaN/inf as null
            out["gauges"][_key(m)] = None if v is None else float(v)
        elif t in ("histogram", "summary"):
            out["timings"][_key(m)] = {
                "count": m["count"],
                "avg_ms": _ms(m["avg"]),
                "min_ms": _ms(m["min"]),
                "max_ms": _ms(m["max"]),
                "p50_ms": _ms(m["p50"]),
                "p95_ms": _ms(m["p95"]),
                "p99_ms": _ms(m["p99"]),
            }
    return out


from ._pinch import registry_json as _pinch_registry_json  # noqa: E402
