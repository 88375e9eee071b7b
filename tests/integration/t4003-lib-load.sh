#!/usr/bin/env bash
# t4003-lib-load: `pinch load` drives the instrumented example service; the
# service's own /metrics and performance log must count exactly the
# requests the load generator sent (libpinch's counters under 2 load
# threads and 4 server threads lose nothing).
. "$(dirname "$0")/lib.sh"

SVC=$PINCH_BUILDDIR/examples/service/pinch-example-service
[ -x "$SVC" ] || skip_all "example service not built"
command -v curl >/dev/null || skip_all "curl missing"
$PINCH load -h >/dev/null 2>&1 || skip_all "pinch load not in this build"
export LD_LIBRARY_PATH=$PINCH_BUILDDIR/src/lib

"$SVC" --port 0 --metrics 127.0.0.1:0 --log perf.log --threads 4 >out.txt 2>err.txt &
pid=$!
for _ in $(seq 200); do
	grep -q metrics: out.txt && break
	sleep 0.1
done
P=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/items.*|\1|p' out.txt)
M=$(sed -n 's|.*metrics: http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' out.txt)
ok "service up ($P, $M)" test -n "$P" -a -n "$M"

ok "pinch load: 3000 GET /items/3" $PINCH load -n 3000 -c 4 -t 2 "http://127.0.0.1:$P/items/3"
ok "pinch load: 500 POST /items" $PINCH load -n 500 -c 2 -t 1 --json-body '{"name":"x","price":1}' "http://127.0.0.1:$P/items"
curl -sf "http://127.0.0.1:$M/metrics" >metrics.txt
ok "3000 GETs counted" grep -qx 'http_requests_total{method="GET",route="/items/{id}",code="200"} 3000' metrics.txt
ok "3000 in the latency histogram" grep -qx 'http_request_duration_seconds_count{route="/items/{id}",method="GET"} 3000' metrics.txt
ok "500 POSTs counted" grep -qx 'http_requests_total{method="POST",route="/items",code="201"} 500' metrics.txt
ok "items_stored 510" grep -qx 'items_stored 510' metrics.txt
ok "3500 request spans" grep -qx 'pinch_span_duration_seconds_count{span="request"} 3500' metrics.txt
kill -TERM "$pid"
wait "$pid"
is "$(grep -c '"function":"store_get"' perf.log)" "3000" "one log line per store_get"
is "$(grep -c '"function":"store_insert"' perf.log)" "500" "one per logged store_insert (the 10 seeded are not logged)"
done_testing
