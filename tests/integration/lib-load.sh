# lib-load.sh - servers for the pinch load tests (t3NNN-load-*): the
# fault-injecting test server and a private nginx, both on loopback, both
# stopped when the test exits. Source after lib.sh.
FS_PID= NGX_PID= SS_PID= HS_PID=

load_cleanup() {
	[ -n "$SS_PID" ] && kill "$SS_PID" 2>/dev/null && wait "$SS_PID" 2>/dev/null
	[ -n "$HS_PID" ] && kill "$HS_PID" 2>/dev/null && wait "$HS_PID" 2>/dev/null
	[ -n "$FS_PID" ] && kill -CONT "$FS_PID" 2>/dev/null
	[ -n "$FS_PID" ] && kill "$FS_PID" 2>/dev/null && wait "$FS_PID" 2>/dev/null
	[ -n "$NGX_PID" ] && kill "$NGX_PID" 2>/dev/null && wait "$NGX_PID" 2>/dev/null
	FS_PID= NGX_PID= SS_PID= HS_PID=
}
trap 'load_cleanup; rm -rf "$TMP"' EXIT

# start_faultsrv: sets FS_PORT, FS_PID, FS_URL; counts go to $TMP/fs.stats on stop.
start_faultsrv() {
	: "${PINCH_LOAD_FAULTSRV:?PINCH_LOAD_FAULTSRV must point at load-faultsrv}"
	rm -f "$TMP/fs.port" "$TMP/fs.stats"
	"$PINCH_LOAD_FAULTSRV" --stats "$TMP/fs.stats" >"$TMP/fs.port" &
	FS_PID=$!
	for _ in $(seq 100); do [ -s "$TMP/fs.port" ] && break; sleep 0.05; done
	FS_PORT=$(cat "$TMP/fs.port")
	FS_URL="http://127.0.0.1:$FS_PORT"
}

# stop_faultsrv: stops it and waits for its stats file.
stop_faultsrv() {
	kill "$FS_PID" 2>/dev/null && wait "$FS_PID" 2>/dev/null
	FS_PID=
}

fs_stat() {	# fs_stat KEY: a count from the stats file ("total", "POST", "path GET /items")
	awk -v k="$1" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' "$TMP/fs.stats"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx [tls]: a private nginx-light, one worker, on a free loopback
# port; sets NGX_URL (and NGX_TLS_URL with tls). Skips the test without nginx.
start_nginx() {
	local nginx port tport user=
	nginx=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$nginx" ] || skip_all "nginx is not installed (Debian nginx-light)"
	port=$(free_port)
	mkdir -p "$TMP/ngx/html" "$TMP/ngx/tmp" "$TMP/ngx/logs"
	printf '%0127d' 0 | tr 0 x >"$TMP/ngx/html/index.html"
	[ "$(id -u)" = 0 ] && user='user root;'
	local tls_server=
	if [ "${1:-}" = tls ]; then
		tport=$(free_port)
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=pinch-test \
			-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/ngx/key.pem" -out "$TMP/ngx/cert.pem" >/dev/null 2>&1 ||
			skip_all "openssl cannot make a test certificate"
		tls_server="server { listen 127.0.0.1:$tport ssl; ssl_certificate $TMP/ngx/cert.pem;
			ssl_certificate_key $TMP/ngx/key.pem; root $TMP/ngx/html; }"
		NGX_TLS_URL="https://127.0.0.1:$tport/"
	fi
	cat >"$TMP/ngx/nginx.conf" <<NGX
$user
worker_processes 1;
daemon off;
pid $TMP/ngx/nginx.pid;
error_log $TMP/ngx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log $TMP/ngx/logs/access.log;
	client_body_temp_path $TMP/ngx/tmp;
	proxy_temp_path $TMP/ngx/tmp;
	fastcgi_temp_path $TMP/ngx/tmp;
	uwsgi_temp_path $TMP/ngx/tmp;
	scgi_temp_path $TMP/ngx/tmp;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:$port; root $TMP/ngx/html; }
	$tls_server
}
NGX
	"$nginx" -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" 2>"$TMP/ngx/stderr" &
	NGX_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		kill -0 "$NGX_PID" 2>/dev/null || skip_all "nginx did not start: $(head -c 300 "$TMP/ngx/stderr")"
		sleep 0.05
	done
	# nginx logs a request after answering it: wait for the readiness
	# probe's line so that counts taken from here on are exact.
	for _ in $(seq 100); do
		[ -s "$TMP/ngx/logs/access.log" ] && break
		sleep 0.02
	done
	NGX_URL="http://127.0.0.1:$port/"
}

ngx_requests() {	# lines in the access log (nginx writes it at once without buffer=)
	wc -l <"$TMP/ngx/logs/access.log" | tr -d ' '
}

jqv() {	# jqv FILE FILTER
	jq -r "$2" "$1"
}

out_has() {	# out_has ERE "name": the last exit_status output matches ERE
	grep -Eq -- "$1" "$TMP/.out"
	is "$?" 0 "$2"
}

# start_scriptsrv: the scripted server (tests/load/scriptsrv.py); sets
# SS_URL, SS_PID and SS_LOG (one line per request it saw, flushed).
start_scriptsrv() {
	SS_LOG="$TMP/ss.log"
	rm -f "$TMP/ss.port" "$SS_LOG"
	python3 "$PINCH_SRCDIR/tests/load/scriptsrv.py" "$SS_LOG" >"$TMP/ss.port" &
	SS_PID=$!
	for _ in $(seq 200); do [ -s "$TMP/ss.port" ] && break; sleep 0.05; done
	SS_URL="http://127.0.0.1:$(cat "$TMP/ss.port")"
}

# start_httpserver: python3 -m http.server (HTTP/1.0: it closes after every
# answer) serving $TMP/hs; sets HS_URL, HS_PID and HS_LOG (its request log).
start_httpserver() {
	local port
	mkdir -p "$TMP/hs"
	echo hello >"$TMP/hs/index.html"
	HS_LOG="$TMP/hs.log"
	port=$(free_port)
	(cd "$TMP/hs" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>"$HS_LOG") &
	HS_PID=$!
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.05
	done
	HS_URL="http://127.0.0.1:$port/"
	for _ in $(seq 100); do grep -q '"GET / ' "$HS_LOG" && break; sleep 0.02; done
	: >"$HS_LOG"
}
