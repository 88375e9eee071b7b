#!/usr/bin/env bash
# t4001-lib-pkgconfig: a C program built the way users build it
# (pkg-config --cflags --libs pinch, here the uninstalled pinch.pc) serves
# /health and a /metrics page that curl fetches and promtool accepts; the
# shared library exports only pinch_* symbols; a program linked with it
# does not load libmicrohttpd (the HTTP module is loaded by pinch_serve)
# and pkg-config --cflags adds nothing but the headers' directory.
. "$(dirname "$0")/lib.sh"

B=$PINCH_BUILDDIR
command -v pkg-config >/dev/null || skip_all "pkg-config missing"
command -v curl >/dev/null || skip_all "curl missing"
export PKG_CONFIG_PATH=$B/meson-uninstalled
export LD_LIBRARY_PATH=$B/src/lib

ok "pkg-config knows pinch" pkg-config --exists pinch
SAN=
[ "${PINCH_SANITIZED:-0}" = 1 ] && SAN="-fsanitize=address,undefined"
ok "quickstart compiles against pkg-config --cflags --libs pinch" \
	cc $SAN -Wall -Wextra -Werror -o quickstart "$PINCH_SRCDIR/examples/quickstart/quickstart.c" \
	$(pkg-config --cflags --libs pinch)
if [ -z "$SAN" ]; then
	ok "and links with the static libpinch.a" \
		cc -o quickstart-static "$PINCH_SRCDIR/examples/quickstart/quickstart.c" \
		$(pkg-config --cflags pinch) "$B/src/lib/libpinch.a" -lmicrohttpd -pthread -lm
else
	skip "static link" "sanitized build"
fi
cflags=$(pkg-config --cflags pinch | tr ' ' '\n' | grep -v -e "^$" -e "/include$" -e "/src/lib$" -e "/src$" | tr '\n' ' ')
is "$cflags" "" "pkg-config --cflags pinch is only -I of the headers (no p11-kit)"
loaded=$(ldd ./quickstart | grep -c -e microhttpd -e gnutls || true)
is "$loaded" "0" "a program linked with libpinch does not load libmicrohttpd or gnutls"
ok "the HTTP module is built next to libpinch.so" test -f "$B/src/lib/libpinch-serve.so"
others=$(nm -D --defined-only "$B/src/lib/libpinch.so" | awk '{print $3}' | grep -v '^pinch_' | tr '\n' ' ')
is "$others" "" "libpinch.so exports nothing but pinch_*"

./quickstart 127.0.0.1:0 30 >out.txt 2>err.txt &
pid=$!
port=
for _ in $(seq 200); do
	port=$(sed -n 's/.* on port \([0-9]*\)$/\1/p' out.txt)
	[ -n "$port" ] && break
	sleep 0.1
done
ok "quickstart announced its port" test -n "$port"
# the 100 jobs take ~0.1 s; wait until they are all counted (the counter
# is bumped inside the timed scope, so the span's count lags it a moment)
for _ in $(seq 200); do
	curl -sf "http://127.0.0.1:$port/metrics" >metrics.txt && grep -q '^jobs_done_total 100$' metrics.txt &&
		grep -qx 'pinch_span_duration_seconds_count{span="do_job"} 100' metrics.txt && break
	sleep 0.1
done
health=$(curl -sf "http://127.0.0.1:$port/health")
ok "/health says healthy" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="healthy" and d["uptime_seconds"]>=0' "$health"
ok "/metrics counts 100 jobs" grep -qx 'jobs_done_total 100' metrics.txt
ok "/metrics has the do_job span histogram" grep -qx 'pinch_span_duration_seconds_count{span="do_job"} 100' metrics.txt
ok "/metrics has the process metrics" grep -q '^process_resident_memory_bytes [0-9]' metrics.txt
ok "/metrics buckets are cumulative, +Inf = _count" python3 - metrics.txt <<'PY'
import re, sys
last, inf, count = -1, None, None
for line in open(sys.argv[1]):
    m = re.match(r'pinch_span_duration_seconds_bucket\{span="do_job",le="([^"]+)"\} (\d+)', line)
    if m:
        v = int(m.group(2)); assert v >= last, line; last = v
        if m.group(1) == "+Inf": inf = v
    m = re.match(r'pinch_span_duration_seconds_count\{span="do_job"\} (\d+)', line)
    if m: count = int(m.group(1))
assert inf == count == 100, (inf, count)
PY
if command -v promtool >/dev/null; then
	ok "promtool check metrics accepts the exposition" sh -c 'promtool check metrics < metrics.txt'
else
	skip "promtool check metrics" "promtool missing (Debian package prometheus)"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")
is "$code" "404" "unknown path is 404"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

exit_status 1 "a non-loopback address is refused" ./quickstart 0.0.0.0:0 0
cp "$TMP/.out" refused.txt
ok "with a message naming allow_remote" grep -q allow_remote refused.txt
exit_status 1 "a malformed address is refused" ./quickstart 127.0.0.1:http 0
PINCH_SERVE_MODULE=/nonexistent/libpinch-serve.so exit_status 1 "no HTTP module: pinch_serve fails" \
	./quickstart 127.0.0.1:0 0
cp "$TMP/.out" nomodule.txt
ok "saying the module cannot be loaded" grep -q "cannot load the HTTP module" nomodule.txt
done_testing
