"""pinch.asgi: ASGI middleware for FastAPI / Starlette (or any ASGI app).

    app = FastAPI()
    app.add_middleware(pinch.asgi.Middleware)   # or app = Middleware(app)

Every HTTP request is counted in http_requests_total{method,route,status}
and timed in http_request_duration_seconds{method,route,status} (a
histogram: /metrics has its buckets, metrics.summary() its percentiles),
from the call of the app to its last body part (recorded before that part
is sent, so a client that got its response finds it counted; a request
that ends without a complete response counts with status 500).
route is the matched route's template ("/items/{item_id}") when the app
has a Starlette router, "<unmatched>" for requests no route matched, and
the raw path for other ASGI apps. GET /health, /metrics and /metrics.json
are answered by the middleware itself, from libpinch (the same pages as
pinch.serve()), and are not counted.
"""
import re

from . import _pinch

__all__ = ["Middleware"]

UNMATCHED = "<unmatched>"
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _route_of(scope, app):
    routes = getattr(app, "routes", None)
    if routes is None:
        router = getattr(app, "router", None)
        routes = getattr(router, "routes", None)
    if routes is None:
        return scope.get("path", "")
    try:
        from starlette.routing import Match
    except ImportError:  # an app with .routes that is not Starlette's
        return scope.get("path", "")
    partial = None
    for r in routes:
        try:
            m, _ = r.matches(scope)
        except Exception:
            continue
        if m == Match.FULL:
            return getattr(r, "path", scope.get("path", ""))
        if m == Match.PARTIAL and partial is None:
            partial = getattr(r, "path", None)
    return partial or UNMATCHED


class Middleware:
    """ASGI middleware: times requests by route and status and serves the
    endpoint paths. Arguments: paths (a dict path -> page, default
    {"/health": "/health", "/metrics": "/metrics", "/metrics.json":
    "/metrics.json"}; None or {} mounts nothing), counter and histogram
    (the metric names)."""

    def __init__(self, app, paths=None, counter="http_requests_total",
                 histogram="http_request_duration_seconds"):
        self.app = app
        if paths is None:
            paths = {"/health": "/health", "/metrics": "/metrics",
                     "/metrics.json": "/metrics.json"}
        self.paths = dict(paths)
        self.counter = counter
        self.histogram = histogram
        for n in (counter, histogram):    # a bad name fails at start-up
            if not isinstance(n, str) or not _NAME.fullmatch(n):
                raise ValueError(f"invalid metric name {n!r}: must match "
                                 "[a-zA-Z_:][a-zA-Z0-9_:]*")

    async def _page(self, scope, send, page):
        accept = None
        for k, v in scope.get("headers", ()):
            if k == b"accept":
                accept = v.decode("latin-1")
        status, ctype, body = _pinch.page(page, accept)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body",
                    "body": body if scope.get("method") != "HEAD" else b""})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        page = self.paths.get(scope.get("path"))
        if page is not None and scope.get("method") in ("GET", "HEAD"):
            return await self._page(scope, send, page)
        t0 = _pinch.now_ns()
        status = 500
        done = False

        def record():
            nonlocal done
            done = True
            app = scope.get("app", self.app)
            labels = {"method": scope.get("method", ""), "route": _route_of(scope, app),
                      "status": str(status)}
            _pinch.increment(self.counter, 1, labels)
            _pinch.record_timing(self.histogram, (_pinch.now_ns() - t0) / 1e9, labels)

        async def send_wrapper(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif (message["type"] == "http.response.body" and not done
                  and not message.get("more_body", False)):
                # counted before the last part leaves: a client that has
                # its response finds it in /metrics
                record()
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if not done:        # no complete response: an exception, a disconnect
                record()
