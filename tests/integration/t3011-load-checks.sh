#!/usr/bin/env bash
# t3011-load-checks.sh - k6-style response checks: --expect-status,
# --expect-body, --expect-header and scenario checks (run-wide and per
# task) are counted per check, with exact pass counts against a scripted
# server that answers a known share wrongly; checks>N% and checks{NAME}
# thresholds gate them; a check does not make a request failed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_scriptsrv

# /check: of 1000 requests, 100 get 503 (no X-Kind), 200 say "fine"
# instead of "ok items", 250 carry X-Kind: beta.
"$PINCH" load -n 1000 -c 4 --expect-status 200 --expect-body 'ok' --expect-header 'X-Kind: ^alpha$' \
	--threshold 'checks{status 200}>=90%' --json "$SS_URL/check" >c.json
is "$?" 0 "checks alone do not fail the run; checks{status 200}>=90% holds"
is "$(jq -r '.requests' c.json)" 1000 "1000 requests"
is "$(jq -r '.failed' c.json)" 100 "the 503s are failed requests (status >= 400), the rest are not"
is "$(jq -c '[.checks[] | [.name, .passed, .failed]]' c.json)" \
	'[["status 200",900,100],["body ~ ok",700,300],["header X-Kind ~ ^alpha$",650,350]]' \
	"exact passes and failures per check"
is "$(jq -r '.checks_rate' c.json)" 0.75 "all checks: 2250 of 3000 passed"
is "$(jq -r '.thresholds[0].actual' c.json)" 0.9 "checks{status 200} actual 0.9"

# The table, and checks>99% failing the run (exit 3).
exit_status 3 "checks>99% fails at 75 %" "$PINCH" load -n 1000 -c 2 --expect-status 200 \
	--expect-body 'ok' --threshold 'checks>99%' --no-verdict "$SS_URL/check"
out_has '^  status 200 +900 +100 +90\.00 %$' "table row: status 200 900 100 90.00 %"
out_has '^  body ~ ok +700 +300 +70\.00 %$' "table row: body ~ ok"
out_has '^  all checks +1,600 +400 +80\.00 %$' "table row: all checks"
out_has '^  checks>99% +80 % +FAIL$' "threshold row: checks>99% 80 % FAIL"

# Status sets: 2xx and lists.
"$PINCH" load -n 100 -c 1 --expect-status 2xx --expect-status '200, 503' --json "$SS_URL/check" >s.json
is "$(jq -c '[.checks[] | .passed]' s.json)" '[90,100]' "2xx passes 90 of 100; '200, 503' passes all"

# Scenario checks: run-wide and per task, named; thresholds on a name.
cat >sc.yaml <<YAML
url: $SS_URL
tasks:
  - name: check
    path: /check
    checks:
      - {name: kind, header: "X-Kind: alpha|beta"}
  - name: plain
    path: /ok
    checks:
      - {body: "^ok\$"}
checks:
  - {name: no server errors, status: 2xx}
thresholds:
  - checks{no server errors}>85%
  - checks{kind}>=85%
YAML
"$PINCH" load -s sc.yaml -n 400 -c 1 --seed 7 --json >sc.json
is "$?" 0 "scenario checks: thresholds hold"
nc=$(jq -r '.tasks[] | select(.name == "check") | .requests' sc.json)
np=$(jq -r '.tasks[] | select(.name == "plain") | .requests' sc.json)
is "$((nc + np))" 400 "tasks add up"
bad=$((nc / 10 + (nc % 10 > 0)))	# the 503s: every 10th /check, from the first
want="[[\"no server errors\",null,$((400 - bad)),$bad],[\"kind\",\"check\",$((nc - bad)),$bad],[\"body ~ ^ok\$\",\"plain\",$np,0]]"
is "$(jq -c '[.checks[] | [.name, .task, .passed, .failed]]' sc.json)" "$want" \
	"run-wide check over all 400, task checks over their task's requests ($nc and $np)"

# Bad checks and thresholds: a clear message, exit 2, before any traffic.
exit_status 2 "bad status check" "$PINCH" load -n 1 --expect-status 2x "$SS_URL/"
out_has "bad status check '2x'" "... names it"
exit_status 2 "bad regex" "$PINCH" load -n 1 --expect-body '(' "$SS_URL/"
out_has "bad regular expression '\('" "... names it"
exit_status 2 "header check without a colon" "$PINCH" load -n 1 --expect-header 'X-Kind' "$SS_URL/"
exit_status 2 "checks threshold without checks" "$PINCH" load -n 1 --threshold 'checks>99%' "$SS_URL/"
out_has "there are no checks" "... says so"
exit_status 2 "checks{NAME} of no such check" "$PINCH" load -n 1 --expect-status 200 \
	--threshold 'checks{nope}>99%' "$SS_URL/"
out_has "no check named 'nope'" "... names it"
printf 'url: %s\ntasks: [{path: /}]\nchecks: [{status: 200}]\nthresholds:\n  - checks{missing}>1%%\n' "$SS_URL" >bad.yaml
exit_status 2 "scenario threshold naming no check" "$PINCH" load -s bad.yaml -n 1
out_has "bad.yaml:5:5: threshold 'checks\{missing\}>1%': no check named 'missing'" "... at file:line:col"
printf 'tasks:\n  - path: /\n    checks: [{status: 200, body: x}]\n' >bad2.yaml
exit_status 2 "a check of two things" "$PINCH" load -s bad2.yaml -n 1 "$SS_URL/"
out_has "bad2.yaml:3:28: a check tests one thing" "... at file:line:col"
grep -q '^req' "$SS_LOG" && n=$(grep -c '^req GET /$' "$SS_LOG") || n=0
is "$n" 0 "no traffic from the refused runs"
done_testing
