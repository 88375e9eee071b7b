#!/usr/bin/env bash
# pinch load against a real nginx (Debian nginx-light, started here on a
# loopback port with its own prefix): exact counts against nginx's own
# access log, keep-alive, pipelining, methods, https with and without
# certificate checks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"
start_nginx tls
base=$(ngx_requests)

$PINCH load -n 1000 -c 10 -t 2 --json "$NGX_URL" >"$TMP/r.json"
is "$?" 0 "-n 1000 exits 0"
is "$(jqv "$TMP/r.json" .requests)" 1000 "pinch counts 1000 requests"
is "$(jqv "$TMP/r.json" '.status["200"]')" 1000 "all 200"
is "$(( $(ngx_requests) - base ))" 1000 "nginx logged exactly 1000 requests"
is "$(jqv "$TMP/r.json" .latency_ms.count)" 1000 "1000 latencies in the histogram"
ok "p50 <= p99 <= max" jq -e '.latency_ms | .p50 <= .p99 and .p99 <= .max' "$TMP/r.json"
# 127-byte body plus nginx's headers: the byte count is a whole multiple.
per=$(( $(jqv "$TMP/r.json" .bytes) / 1000 ))
is "$(( $(jqv "$TMP/r.json" .bytes) % 1000 ))" 0 "every response the same size"
ok "each response holds the 127-byte body" test "$per" -gt 127

base=$(ngx_requests)
$PINCH load -n 3000 -c 6 --pipeline 8 --json "$NGX_URL" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .successful)" 3000 "pipelined: 3000 answered"
is "$(( $(ngx_requests) - base ))" 3000 "pipelined: nginx logged 3000"

base=$(ngx_requests)
$PINCH load -n 50 -c 5 -X HEAD --json "$NGX_URL" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .successful)" 50 "HEAD: no body expected, 50 answered"
$PINCH load -n 40 -c 4 --body 'x=1' --json "$NGX_URL" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" '.status["405"]')" 40 "POST to a static file: 40 x 405"
is "$(jqv "$TMP/r.json" .errors.status)" 40 "405 counted as status errors"
$PINCH load -n 30 -c 3 --json "${NGX_URL}missing" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" '.status["404"]')" 30 "missing file: 30 x 404"
is "$(( $(ngx_requests) - base ))" 120 "nginx logged HEAD, POST and 404 runs"

$PINCH load -d 1s -c 20 -t 2 --json "$NGX_URL" >"$TMP/r.json"
is "$?" 0 "-d 1s exits 0"
within "$(jqv "$TMP/r.json" .duration_s)" 1 0.1 "-d 1s lasts a second"
is "$(jqv "$TMP/r.json" .failed)" 0 "no failures in a closed run"

# Human output: the verdict table follows the run.
$PINCH load -n 200 -c 4 "$NGX_URL" >"$TMP/h.txt"
ok "verdict table printed" grep -q 'P99 latency' "$TMP/h.txt"
ok "verdict rates P50" grep -Eq 'P50 latency .*(Good|Acceptable|Marginal|Poor)' "$TMP/h.txt"
$PINCH load -n 200 -c 4 --no-verdict "$NGX_URL" >"$TMP/h.txt"
ok "--no-verdict hides it" sh -c "! grep -q 'P99 latency' '$TMP/h.txt'"
# Not a TTY: no progress line.
ok "no progress line off a TTY" sh -c "! grep -q \$'\\r' '$TMP/h.txt'"

# https: the self-signed certificate fails the check, --insecure skips it.
exit_status 2 "https: untrusted certificate is refused before traffic" $PINCH load -n 10 "$NGX_TLS_URL"
grep -q "certificate" "$TMP/.out"; is $? 0 "https: the message names the certificate"
$PINCH load -n 300 -c 3 --cacert "$TMP/ngx/cert.pem" --json "$NGX_TLS_URL" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .successful)" 300 "https --cacert: verified against the test CA, 300 answered"
exit_status 2 "https --cacert: a name mismatch is refused" $PINCH load -n 10 --cacert "$TMP/ngx/cert.pem" \
	"${NGX_TLS_URL/127.0.0.1/localhost}"
out_has "^hint: the certificate \(trusted through --cacert\) does not name 'localhost': use a URL with a name or address its subjectAltName holds, or --insecure$" \
	"... the hint knows --cacert was given (it said: use --cacert)"
exit_status 2 "https --cacert: unreadable CA file" $PINCH load -n 10 --cacert "$TMP/none.pem" "$NGX_TLS_URL"
out_has "^pinch load: cannot read --cacert '$TMP/none.pem': No such file or directory$" "... says why (it said '(null)')"
ok "... and no (null)" sh -c "! grep -q '(null)' '$TMP/.out'"
echo "not a certificate" >"$TMP/junk.pem"
exit_status 2 "https --cacert: a file without certificates" $PINCH load -n 10 --cacert "$TMP/junk.pem" "$NGX_TLS_URL"
out_has "^pinch load: cannot load CA certificates from '$TMP/junk.pem': no certificate or crl found$" "... says why"
out_has "^hint: --cacert wants a file of PEM certificates" "... and what it wants"
$PINCH load -n 500 -c 5 --insecure --json "$NGX_TLS_URL" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .successful)" 500 "https --insecure: 500 answered"
$PINCH load -n 200 -c 2 --pipeline 4 --insecure --json "$NGX_TLS_URL" >"$TMP/r.json"
is "$(jqv "$TMP/r.json" .successful)" 200 "https pipelined: 200 answered"
done_testing
