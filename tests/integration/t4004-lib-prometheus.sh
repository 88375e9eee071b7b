#!/usr/bin/env bash
# t4004-lib-prometheus: Debian's Prometheus server, started here on
# loopback, scrapes the quickstart program (shared libpinch) — asking for
# OpenMetrics, as Prometheus does — and answers PromQL queries over its
# metrics through its HTTP API; curl's plain scrape gets the 0.0.4 text.
. "$(dirname "$0")/lib.sh"

B=$PINCH_BUILDDIR
QS=$B/examples/quickstart/quickstart
command -v prometheus >/dev/null || skip_all "prometheus missing (Debian package prometheus)"
command -v curl >/dev/null || skip_all "curl missing"
[ -x "$QS" ] || skip_all "quickstart not built"
export LD_LIBRARY_PATH=$B/src/lib

"$QS" 127.0.0.1:0 120 >qs.txt 2>&1 &
qs=$!
prom=
cleanup_procs() {
	kill "$qs" ${prom:+"$prom"} 2>/dev/null
	wait "$qs" ${prom:+"$prom"} 2>/dev/null
}
trap 'cleanup_procs; rm -rf "$TMP"' EXIT
port=
for _ in $(seq 200); do
	port=$(sed -n 's/.* on port \([0-9]*\)$/\1/p' qs.txt)
	[ -n "$port" ] && break
	sleep 0.1
done
ok "quickstart announced its port" test -n "$port"

ctype=$(curl -s -o om.txt -w '%{content_type}' -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5' \
	"http://127.0.0.1:$port/metrics")
is "$ctype" "application/openmetrics-text; version=1.0.0; charset=utf-8" "Accept: openmetrics gets OpenMetrics"
ok "OpenMetrics: counter family without _total, sample with it" \
	sh -c 'grep -qx "# TYPE jobs_done counter" om.txt && grep -q "^jobs_done_total " om.txt'
is "$(tail -n 1 om.txt)" "# EOF" "OpenMetrics ends with # EOF"
ctype=$(curl -s -o text.txt -w '%{content_type}' "http://127.0.0.1:$port/metrics")
is "$ctype" "text/plain; version=0.0.4; charset=utf-8" "no Accept: the 0.0.4 text format"

pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >prometheus.yml <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: pinch
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb \
	--web.listen-address="127.0.0.1:$pport" >prom.log 2>&1 &
prom=$!

query() {	# query PROMQL: the first result's value, or nothing
	curl -s --get --data-urlencode "query=$1" "http://127.0.0.1:$pport/api/v1/query" |
		python3 -c 'import json,sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}
jobs=
# the 100 jobs take ~0.1 s; Prometheus starts and scrapes every second
for _ in $(seq 600); do
	jobs=$(query 'jobs_done_total{job="pinch"}')
	[ "$jobs" = 100 ] && break
	sleep 0.1
done
is "$jobs" "100" "PromQL jobs_done_total over the scraped service"
is "$(query 'sum(pinch_span_duration_seconds_count{span="do_job"})')" "100" "PromQL over the span histogram"
is "$(query 'up{job="pinch"}')" "1" "the target is up"
ok "histogram_quantile over the span buckets is a number of seconds" python3 - \
	"$(query 'histogram_quantile(0.5, sum by (le) (pinch_span_duration_seconds_bucket{span="do_job"}))')" <<'PY'
import sys
v = float(sys.argv[1]); assert 0 < v < 10, v
PY
done_testing
