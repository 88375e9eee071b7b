#!/usr/bin/env bash
# t4002-lib-service: the instrumented example service under a known set of
# requests: exact request counters in /metrics (promtool-valid), one JSON
# performance log line per store call, a Chrome trace whose spans nest,
# and the spans report at exit.
. "$(dirname "$0")/lib.sh"

SVC=$PINCH_BUILDDIR/examples/service/pinch-example-service
[ -x "$SVC" ] || skip_all "example service not built"
command -v curl >/dev/null || skip_all "curl missing"
export LD_LIBRARY_PATH=$PINCH_BUILDDIR/src/lib

"$SVC" --port 0 --metrics 127.0.0.1:0 --log perf.log --trace trace.json --threads 2 >out.txt 2>err.txt &
pid=$!
for _ in $(seq 200); do
	grep -q metrics: out.txt && break
	sleep 0.1
done
P=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/items.*|\1|p' out.txt)
M=$(sed -n 's|.*metrics: http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' out.txt)
ok "service announced its ports ($P, $M)" test -n "$P" -a -n "$M"

for i in $(seq 20); do curl -sf "http://127.0.0.1:$P/items" >/dev/null; done
for i in $(seq 10); do curl -sf "http://127.0.0.1:$P/items/$i" >/dev/null; done
for i in $(seq 5); do curl -sf -XPOST -d "{\"name\":\"n$i\",\"price\":$i}" "http://127.0.0.1:$P/items" >/dev/null; done
for i in $(seq 3); do curl -s -XPOST -d '{"name":' "http://127.0.0.1:$P/items" >/dev/null; done
for i in $(seq 2); do curl -s "http://127.0.0.1:$P/items/999" >/dev/null; done
is "$(curl -s "http://127.0.0.1:$P/items/13")" '{"id":13,"name":"n3","price":3.0}' "POST stored the item"
curl -sf "http://127.0.0.1:$M/metrics" >metrics.txt
ok "GET /items counted 20" grep -qx 'http_requests_total{method="GET",route="/items",code="200"} 20' metrics.txt
ok "GET /items/{id} counted 11 (10 + the check)" grep -qx 'http_requests_total{method="GET",route="/items/{id}",code="200"} 11' metrics.txt
ok "POST 201 counted 5" grep -qx 'http_requests_total{method="POST",route="/items",code="201"} 5' metrics.txt
ok "POST 400 counted 3" grep -qx 'http_requests_total{method="POST",route="/items",code="400"} 3' metrics.txt
ok "404 counted 2" grep -qx 'http_requests_total{method="GET",route="/items/{id}",code="404"} 2' metrics.txt
ok "items_stored gauge is 15" grep -qx 'items_stored 15' metrics.txt
ok "latency histogram count for GET /items is 20" \
	grep -qx 'http_request_duration_seconds_count{route="/items",method="GET"} 20' metrics.txt
if command -v promtool >/dev/null; then
	ok "promtool check metrics" sh -c 'promtool check metrics < metrics.txt'
else
	skip "promtool check metrics" "promtool missing"
fi
ok "/metrics.json has the process fields" python3 -c '
import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/metrics.json" % sys.argv[1]))
assert set(d) >= {"uptime_seconds", "cpu_percent", "memory_mb", "threads", "open_files", "connections"}, d
assert d["threads"] >= 3 and d["open_files"] >= 1, d' "$M"

kill -TERM "$pid"
wait "$pid"
is "$?" "0" "service exits 0 on SIGTERM"

ok "every log line is JSON with the documented keys; counts exact" python3 - perf.log <<'PY'
import json, sys, collections
n = collections.Counter()
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert set(d) >= {"timestamp", "event", "function", "duration_ms", "status", "error"}, d
    assert d["event"] in ("function_completed", "function_failed")
    assert (d["status"] == "ok") == (d["event"] == "function_completed") == (d["error"] is None), d
    assert d["duration_ms"] >= 0
    n[(d["function"], d["event"])] += 1
want = {("store_list", "function_completed"): 20, ("store_get", "function_completed"): 11,
        ("store_get", "function_failed"): 2, ("store_insert", "function_completed"): 5}
assert n == want, n
PY

ok "trace: valid JSON, 41 requests, children inside parents, parents first" python3 - trace.json <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
by_id, pos = {}, {}
for i, e in enumerate(ev):
    assert e["ph"] in ("X", "b", "e"), e
    assert all(ord(c) >= 32 for c in e["name"]), e
    if e["ph"] != "e":
        by_id[e["args"]["id"]] = e
        pos[e["args"]["id"]] = i
ends = {int(e["id"], 16): e["ts"] for e in ev if e["ph"] == "e"}
reqs = [e for e in ev if e["ph"] == "b" and e["name"] == "request"]
assert len(reqs) == 41, len(reqs)
assert set(ends) == {e["args"]["id"] for e in ev if e["ph"] == "b"}
nested = 0
for e in ev:
    if e["ph"] != "X" or not e["args"]["parent"]:
        continue
    p = by_id[e["args"]["parent"]]
    start = p["ts"]
    stop = p["ts"] + p["dur"] if p["ph"] == "X" else ends[p["args"]["id"]]
    assert start <= e["ts"] and e["ts"] + e["dur"] <= stop + 0.001, (e, p)
    assert pos[p["args"]["id"]] < pos[e["args"]["id"]], (e, p)
    nested += 1
assert nested >= 38, nested   # every store call ran inside its request
PY
ok "spans report lists 41 requests" grep -Eq '^request +41 ' err.txt
done_testing
