#!/usr/bin/env bash
# t3014-load-sessions.sh - scenario sessions and data against a scripted
# server that logs what it saw: CSV data feeders (a row per user or per
# request, fields in path, headers and body), cookies kept per user,
# redirects followed (counted once, relative and same-host absolute,
# another host not followed), per-task think time and thresholds.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_scriptsrv
printf 'id,name\n1,alice\n2,"bob, jr"\n3,carol\n' >users.csv
printf 'name\nalice\nbob\n' >logins.csv

# A row per user, cookies per user: each user logs in as its row, and
# from its second request on sends back the cookies it was given.
cat >login.yaml <<YAML
url: $SS_URL
cookies: true
data: logins.csv
tasks:
  - path: /login?user={name}
YAML
"$PINCH" load -s login.yaml -n 6 -c 2 -t 1 --json >l.json
is "$(jq -r '[.requests, .failed] | @csv' l.json)" "6,0" "6 logins, none failed"
na=$(grep -c '^login alice ' "$SS_LOG") nb=$(grep -c '^login bob ' "$SS_LOG")
is "$((na + nb))" 6 "users log in as their rows: alice (user 0) and bob (user 1)"
is "$(grep -c '^login [a-z]* -$' "$SS_LOG")" 2 "each user's first request carries no cookie"
is "$(grep -Ec '^login alice (sid=alice-[0-9]+; theme=dark|theme=dark; sid=alice-[0-9]+)$' "$SS_LOG")" \
	"$((na - 1))" "alice sends back her own cookies ever after"
is "$(grep -Ec '^login bob (sid=bob-[0-9]+; theme=dark|theme=dark; sid=bob-[0-9]+)$' "$SS_LOG")" \
	"$((nb - 1))" "bob sends back his own cookies ever after"
# The sid is the one of the user's previous answer.
awk '$1 == "login" && $2 == "alice"' "$SS_LOG" >alice.log
ok "alice's sid is replaced by each new Set-Cookie" awk '
	NR > 1 { match($0, /sid=alice-[0-9]+/); n = substr($0, RSTART + 10, RLENGTH - 10) + 0
		 if (n < last) exit 1; last = n }' alice.log

# Without cookies: none sent back.
: >"$SS_LOG"
sed '/^cookies:/d' login.yaml >nocookie.yaml
"$PINCH" load -s nocookie.yaml -n 4 -c 1 --json >/dev/null
is "$(grep -c '^login alice -$' "$SS_LOG")" 4 "without cookies: true nothing is sent back"

# A cookie deleted by Max-Age=0 is no longer sent.
: >"$SS_LOG"
cat >logout.yaml <<YAML
url: $SS_URL
cookies: true
users: 1
tasks:
  - {name: login, path: /login?user=x, weight: 1}
  - {name: logout, path: /logout, weight: 1}
  - {name: me, path: /me, weight: 2}
YAML
"$PINCH" load -s logout.yaml -n 200 --seed 5 --json >lo.json
ok "/me never sees a sid after a logout and before the next login" awk '
	$1 == "req" && $3 ~ /^\/login/ { in_ = 1 } $1 == "req" && $3 == "/logout" { in_ = 0 }
	$1 == "me" && !in_ && $0 ~ /sid=/ { exit 1 }
	$1 == "me" && in_ && $0 !~ /sid=x-/ { exit 1 }
	$1 == "req" && $3 ~ /^\/login/ { seen = 1 }' "$SS_LOG"
ok "after the first login every /me carries theme=dark (never deleted)" awk '
	$1 == "req" && $3 ~ /^\/login/ { seen = 1 } $1 == "me" && seen && $0 !~ /theme=dark/ { exit 1 }' "$SS_LOG"
ok "the run logged in, out and asked /me" test "$(grep -c '^me ' "$SS_LOG")" -gt 10 -a \
	"$(grep -c '^req GET /logout' "$SS_LOG")" -gt 10

# A row per request, in turn: fields in the path, a header and a JSON
# body; "X-None: ~" sends no header, "n: ~" is JSON null.
: >"$SS_LOG"
cat >feed.yaml <<YAML
url: $SS_URL
data: {file: users.csv, per: request}
tasks:
  - path: /feed/{id}
    method: PUT
    headers: {X-User: "{name}", X-None: ~}
    json: {user: "{name}", n: ~}
YAML
"$PINCH" load -s feed.yaml -n 9 -c 3 --json >f.json
is "$(jq -r '[.requests, .failed] | @csv' f.json)" "9,0" "9 requests, none failed"
is "$(grep -c '^feed /feed/1 alice {"user":"alice","n":null}$' "$SS_LOG")" 3 "row 1 three times: path, header, body"
is "$(grep -c '^feed /feed/2 bob, jr {"user":"bob, jr","n":null}$' "$SS_LOG")" 3 "row 2 (a quoted field with a comma) three times"
is "$(grep -c '^feed /feed/3 carol {"user":"carol","n":null}$' "$SS_LOG")" 3 "row 3 three times"

# Redirects: followed up to the limit, counted once, timed to the end.
: >"$SS_LOG"
cat >redir.yaml <<YAML
url: $SS_URL
follow_redirects: 5
tasks:
  - {name: chain, path: "/redirect?to=3"}
  - {name: short, path: "/redirect?to=3", follow_redirects: 2}
  - {name: abs, path: /abs}
  - {name: off, path: /offsite}
YAML
"$PINCH" load -s redir.yaml -n 40 -c 2 --seed 3 --json >r.json
t() { jq -r --arg n "$1" '.tasks[] | select(.name == $n) | .requests' r.json; }
chain=$(t chain) short=$(t short) abs=$(t abs) off=$(t off)
is "$((chain + short + abs + off))" 40 "40 requests, each counted once"
is "$(jqv r.json .failed)" 0 "none failed"
is "$(jqv r.json .redirects_followed)" "$((3 * chain + 2 * short + abs))" "redirects followed: 3 per chain, 2 per short, 1 per abs"
is "$(jqv r.json '.status["200"]')" "$((chain + abs))" "chain and abs end in 200"
is "$(jqv r.json '.status["302"]')" "$((short + off))" "short stops at its limit (302), offsite is not followed"
is "$(grep -c '^req GET /redirect?to=0$' "$SS_LOG")" "$((chain + abs))" "the server saw the chain's ends"
is "$(grep -c '^req GET /redirect?to=1$' "$SS_LOG")" "$((chain + short))" "... and the short ones stopped at to=1"
is "$(grep -c '^req GET /redirect?to=3$' "$SS_LOG")" "$((chain + short))" "... every start once"
is "$(grep -c offsite.invalid "$SS_LOG")" 0 "another host is never asked"
"$PINCH" load -n 5 -c 1 --follow-redirects 1 --json "$SS_URL/redirect?to=2" >c.json
is "$(jq -r '[.requests, .redirects_followed, .status["302"]] | @csv' c.json)" "5,5,5" "--follow-redirects 1 on the command line"

# Per-task think time overrides the scenario's: 30 s between requests
# would let each user send one request in the 20 s bound; 0 s lets all go.
cat >wait.yaml <<YAML
url: $SS_URL
users: 1
wait: 30s
tasks:
  - {path: /ok, wait: 0s}
YAML
"$PINCH" load -s wait.yaml -n 4 -d 20s --json >w.json
is "$(jqv w.json .requests)" 4 "task wait 0s overrides the scenario's 30s"
cat >wait2.yaml <<YAML
url: $SS_URL
users: 1
tasks:
  - {path: /ok, wait: 200ms}
YAML
"$PINCH" load -s wait2.yaml -n 3 --json >w2.json
ok "task wait 200ms: 3 requests take >= 400 ms" jq -e '.requests == 3 and .duration_s >= 0.4' w2.json

# Per-task thresholds judge their task only, and name it.
cat >thr.yaml <<YAML
url: $SS_URL
tasks:
  - {name: flaky, path: /check, thresholds: ["errors<5%"]}
  - {name: fine, path: /ok, thresholds: ["errors<1%", "p99<10s"]}
thresholds: ["errors<50%"]
YAML
"$PINCH" load -s thr.yaml -n 100 -c 2 --seed 1 --json >th.json
is "$?" 3 "a task's failed threshold fails the run (exit 3)"
is "$(jq -c '[.thresholds[] | [.threshold, .pass]]' th.json)" \
	'[["errors<50%",true],["flaky: errors<5%",false],["fine: errors<1%",true],["fine: p99<10s",true]]' \
	"thresholds per task, each judged on its task"
done_testing
