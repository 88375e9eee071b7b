#!/usr/bin/env bash
# bench/load.sh - pinch load against wrk (and ab, h2load when installed) on
# the same private nginx (1 worker, 127-byte static file, loopback), same
# threads and connections, interleaved runs, medians of N. Reports req/s and
# the generator's CPU seconds (user+sys, /usr/bin/time) per 100k requests,
# then the open model against a 1 s server stall (coordinated omission).
#
#   bench/load.sh [build-dir]      env: RUNS=3 DUR=5 CONNS=50 THREADS=2
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
BUILD=${1:-build}
PINCH=$(cd "$(dirname "$0")/.." && pwd)/$BUILD/pinch
RUNS=${RUNS:-3} DUR=${DUR:-5} CONNS=${CONNS:-50} THREADS=${THREADS:-2}
[ -x "$PINCH" ] || { echo "bench/load.sh: build pinch first ($PINCH)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/load.sh: wrk is not installed" >&2; exit 2; }
TMP=$(mktemp -d /tmp/pinch-bench-load.XXXXXX)
NGX_PID=
cleanup() { [ -n "$NGX_PID" ] && kill "$NGX_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP/html" "$TMP/tmp" "$TMP/logs"
printf '%0127d' 0 | tr 0 x >"$TMP/html/index.html"
user=; [ "$(id -u)" = 0 ] && user='user root;'
cat >"$TMP/nginx.conf" <<NGX
$user
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 100000000;
	client_body_temp_path $TMP/tmp; proxy_temp_path $TMP/tmp; fastcgi_temp_path $TMP/tmp;
	uwsgi_temp_path $TMP/tmp; scgi_temp_path $TMP/tmp;
	server { listen 127.0.0.1:$port; root $TMP/html; }
}
NGX
nginx -p "$TMP" -c "$TMP/nginx.conf" &
NGX_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
URL="http://127.0.0.1:$port/"

# run TOOL: prints "rps cpu_per_100k"
run() {
	local out="$TMP/out" t="$TMP/time" req secs
	case $1 in
	wrk)
		/usr/bin/time -f '%U %S' -o "$t" wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency "$URL" >"$out"
		req=$(awk '/requests in/ { print $1 }' "$out")
		secs=$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' "$out") ;;
	pinch)
		/usr/bin/time -f '%U %S' -o "$t" "$PINCH" load -t "$THREADS" -c "$CONNS" -d "${DUR}s" --json "$URL" >"$out"
		req=$(jq -r .requests "$out")
		secs=$(jq -r .duration_s "$out") ;;
	ab)
		/usr/bin/time -f '%U %S' -o "$t" ab -q -k -c "$CONNS" -t "$DUR" -n 100000000 "$URL" >"$out" 2>/dev/null
		req=$(awk '/^Complete requests/ { print $3 }' "$out")
		secs=$(awk '/^Time taken for tests/ { print $5 }' "$out") ;;
	h2load)
		/usr/bin/time -f '%U %S' -o "$t" h2load --h1 -t"$THREADS" -c"$CONNS" -D "$DUR" "$URL" >"$out"
		req=$(awk '/^requests:/ { print $8 }' "$out")
		secs=$(awk '/^finished in/ { sub(/s,$/, "", $3); print $3 }' "$out") ;;
	esac
	awk -v r="$req" -v s="$secs" '{ printf "%.0f %.3f\n", r / s, ($1 + $2) / r * 100000 }' "$t"
}

tools="wrk pinch"
command -v ab >/dev/null && tools="$tools ab"
command -v h2load >/dev/null && tools="$tools h2load"
for i in $(seq "$RUNS"); do
	for tool in $tools; do
		echo "$tool $(run "$tool")" >>"$TMP/results"
	done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "closed model: -t$THREADS -c$CONNS ${DUR}s, nginx 1 worker, medians of $RUNS interleaved runs"
printf '%-8s %12s %18s\n' tool 'req/s' 'CPU s per 100k'
for tool in $tools; do
	rps=$(awk -v t="$tool" '$1 == t { print $2 }' "$TMP/results" | median)
	cpu=$(awk -v t="$tool" '$1 == t { print $3 }' "$TMP/results" | median)
	printf '%-8s %12.0f %18.3f\n' "$tool" "$rps" "$cpu"
	echo "$tool $rps $cpu" >>"$TMP/medians"
done
awk '$1 == "wrk" { wr = $2; wc = $3 } $1 == "pinch" { pr = $2; pc = $3 }
	END { printf "pinch/wrk: req/s x%.2f, CPU per request x%.2f\n", pr / wr, pc / wc }' "$TMP/medians"

# Open model against a stalled server: nginx frozen for 1 s in a 4 s run
# at 2000 req/s. The true p99 is near the stall (load-facts: wrk2 905.7 ms).
echo
echo "open model: -R 2000 -c 50, 4 s, nginx stopped (SIGSTOP) from 1 s to 2 s"
worker=$(pgrep -P "$NGX_PID" | head -1)	# the one worker, by parent pid
( sleep 1; kill -STOP "$worker"; sleep 1; kill -CONT "$worker" ) &
"$PINCH" load -R 2000 -c 50 -t "$THREADS" -d 4s --json "$URL" >"$TMP/open.json"
wait $!
jq -r '"pinch corrected   p50 \(.latency_ms.p50) ms  p99 \(.latency_ms.p99) ms  p99.9 \(.latency_ms["p99.9"]) ms  sent \(.achieved_rate | floor)/s",
       "pinch uncorrected p50 \(.uncorrected_latency_ms.p50) ms  p99 \(.uncorrected_latency_ms.p99) ms"' "$TMP/open.json"

# Send-time precision: at 10k req/s the corrected p50 should stay near the
# service time (load-facts: wrk2's millisecond timer adds ~1 ms).
"$PINCH" load -R 10000 -c 50 -t "$THREADS" -d 3s --json "$URL" >"$TMP/open10k.json"
jq -r '"pinch -R 10000     p50 \(.latency_ms.p50) ms  p99 \(.latency_ms.p99) ms  uncorrected p50 \(.uncorrected_latency_ms.p50) ms  sent \(.achieved_rate | floor)/s"' "$TMP/open10k.json"
