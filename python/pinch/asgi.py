"""pinch.asgi: ASGI middleware for FastAPI / Starlette (or any ASGI app).

    app = FastAPI()
    app.add_middleware(pinch.asgi.Middleware)   # or app = Middleware(app)

Every HTTP request is counted in http_requests_total{method,route,status}
and timed in http_request_duration_seconds{method,route,status} (a
histogram: /metrics has its buckets, metrics.summary() its percentiles).
route is the matched route's template ("/items/{item_id}") when the app
has a Starlette router, "<unmatched>" for requests no route matched, and
the raw path for other ASGI apps. GET /health, /metrics and /metrics.json
are answered by the middleware itself, from libpinch (the same pages as
pinch.serve()), and are not counted.
"""
from . import _pinch

__all__ = ["Middleware"]

UNMATCHED = "<unmatched>"


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
        # registers both names now: a bad name fails at start-up
        _pinch.increment(counter, 0)
        _pinch.record_timing  # noqa: B018
        self._routes = {}

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
        started = False

        async def send_wrapper(message):
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            dt = _pinch.now_ns() - t0
            app = scope.get("app", self.app)
            route = _route_of(scope, app)
            labels = {"method": scope.get("method", ""), "route": route,
                      "status": str(status if started else 500)}
            _pinch.increment(self.counter, 1, labels)
            _pinch.record_timing(self.histogram, dt / 1e9, labels)
