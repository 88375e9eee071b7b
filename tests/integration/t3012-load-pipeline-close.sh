#!/usr/bin/env bash
# t3012-load-pipeline-close.sh - pipelining against a server that closes
# after every answer (python3 -m http.server, HTTP/1.0): the requests it
# left unanswered are sent again on a new connection and count once, the
# connection stops pipelining after Connection: close, and the report says
# so. It was 75 % read errors on a healthy server.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_httpserver

"$PINCH" load -n 200 -c 4 -t 1 --pipeline 4 --json "$HS_URL" >p.json
is "$?" 0 "exit 0"
is "$(jq -r .requests p.json)" 200 "exactly 200 requests"
is "$(jq -r .successful p.json)" 200 "all 200 answered"
is "$(jq -r .failed p.json)" 0 "0 errors (75 % read errors before)"
is "$(jq -r '.status["200"]' p.json)" 200 "200 x 200 OK"
is "$(jq -r .pipelining_stopped p.json)" 4 "pipelining stopped on each of the 4 connections"
ok "unanswered requests were sent again ($(jq -r .resent p.json))" jq -e '.resent >= 1' p.json
for _ in $(seq 50); do [ "$(grep -c '"GET / HTTP/1.1" 200' "$HS_LOG")" -ge 200 ] && break; sleep 0.05; done
is "$(grep -c '"GET / HTTP/1.1" 200' "$HS_LOG")" 200 "the server answered exactly 200"

: >"$HS_LOG"
"$PINCH" load -n 100 -c 2 --pipeline 8 --no-verdict "$HS_URL" >p.txt
is "$?" 0 "the table form: exit 0"
ok "resent line" grep -Eq '^  resent +[0-9,]+ sent again on a new connection \(unanswered when the server closed; counted once\)$' p.txt
ok "pipelining line" grep -Eq '^  pipelining  stopped on 2 connections: the server said Connection: close \(asked: 8 deep\)$' p.txt
ok "no failures" grep -Eq '^  failed +0 ' p.txt

# Without pipelining nothing is resent and nothing said.
"$PINCH" load -n 50 -c 2 --json "$HS_URL" >n.json
is "$(jq -r '[.requests, .failed, .resent, .pipelining_stopped] | @csv' n.json)" "50,0,0,0" "--pipeline 1: 50 requests, nothing resent"
done_testing
