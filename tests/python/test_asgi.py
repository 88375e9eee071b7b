# pinch.asgi.Middleware on a FastAPI app (Debian's python3-fastapi) served
# by uvicorn (python3-uvicorn) in a thread of this process, load-tested
# with `pinch load`: the request counts in its /metrics are exact.
import json
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import get, need_module, need_prog, sample


@pytest.fixture(scope="module")
def app_port():
    fastapi = need_module("fastapi")
    uvicorn = need_module("uvicorn")
    from pinch import metrics
    from pinch.asgi import Middleware

    app = fastapi.FastAPI()
    app.add_middleware(Middleware)           # the two lines: this and the import

    @app.get("/items/{item_id}")
    async def item(item_id: int):
        metrics.increment("items_read_total")    # pinch.metrics inside a handler
        if item_id >= 100:
            raise fastapi.HTTPException(status_code=404, detail="no such item")
        return {"id": item_id}

    @app.post("/items")
    def create(body: dict):
        with metrics.timer("items_create_seconds"):
            return {"ok": True}

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    cfg = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(cfg)
    server.install_signal_handlers = lambda: None
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    deadline = time.monotonic() + 60          # generous: a loaded machine
    while not server.started and t.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield port
    server.should_exit = True
    t.join(10)
    sock.close()


def test_endpoints_mounted(app_port):
    st, ct, body = get(app_port, "/health")
    assert st == 200 and json.loads(body)["status"] == "healthy"
    st, ct, body = get(app_port, "/metrics.json")
    assert st == 200 and "memory_mb" in json.loads(body)
    st, ct, body = get(app_port, "/metrics")
    assert st == 200 and ct.startswith("text/plain; version=0.0.4")
    assert "process_resident_memory_bytes" in body


def test_load_counts_exact(app_port, pinch_cli):
    r = subprocess.run([pinch_cli, "load", "-n", "300", "-c", "4", "--json",
                        f"http://127.0.0.1:{app_port}/items/3"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([pinch_cli, "load", "-n", "20", "-c", "2", "--json",
                        f"http://127.0.0.1:{app_port}/items/123"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode in (0, 1), r.stderr       # 404s may fail the verdict
    for i in range(5):
        get(app_port, "/nowhere")
    st, _, text = get(app_port, "/metrics")
    assert st == 200
    base = 'http_requests_total{method="GET",route="/items/{item_id}",status='
    assert sample(text, base + '"200"}') == 300
    assert sample(text, base + '"404"}') == 20
    assert sample(text, 'http_requests_total{method="GET",route="<unmatched>",status="404"}') == 5
    assert sample(text, 'http_request_duration_seconds_count{method="GET",route="/items/{item_id}",status="200"}') == 300
    assert sample(text, "items_read_total") == 320
    # the scrapes themselves are not counted
    assert "/metrics" not in "".join(line for line in text.splitlines()
                                     if line.startswith("http_requests_total"))
    promtool = need_prog("promtool")
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_post_and_summary(app_port):
    req = urllib.request.Request(f"http://127.0.0.1:{app_port}/items", data=b'{"a": 1}',
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        # the whole response: urlopen returns at the headers, and the
        # middleware counts a request before its last body part
        assert (r.status, r.read()) == (200, b'{"ok":true}')
    from pinch import metrics
    s = metrics.summary()
    assert s["counters"]['http_requests_total{method="POST",route="/items",status="200"}'] == 1
    t = s["timings"]['http_request_duration_seconds{method="POST",route="/items",status="200"}']
    assert t["count"] == 1
    assert s["timings"]["items_create_seconds"]["count"] == 1


def test_plain_asgi_app():
    """Without a router the route label is the raw path."""
    import asyncio
    from pinch import metrics
    from pinch.asgi import Middleware

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})

    sent = []

    async def send(m):
        sent.append(m)

    async def receive():
        return {"type": "http.request"}

    mw = Middleware(app, counter="plain_requests_total", histogram="plain_seconds")
    asyncio.run(mw({"type": "http", "method": "GET", "path": "/raw/1", "headers": []}, receive, send))
    asyncio.run(mw({"type": "http", "method": "GET", "path": "/metrics", "headers": []}, receive, send))
    assert sent[0]["status"] == 201 and sent[2]["status"] == 200
    assert b"plain_requests_total" in sent[3]["body"]
    c = metrics.summary()["counters"]
    assert c['plain_requests_total{method="GET",route="/raw/1",status="201"}'] == 1
