#!/usr/bin/env bash
# pinch load thresholds: a failed threshold exits 3 (after printing the
# whole result), a met one exits 0; from the command line or a scenario.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv

exit_status 0 "met thresholds exit 0" $PINCH load -n 100 -c 2 --threshold 'p99<5s' --threshold 'errors<1%' "$FS_URL/ok"
out_has '^  p99<5s .* pass$' "met threshold shown as pass"
exit_status 3 "p99 below 1 ns cannot hold: exit 3" $PINCH load -n 100 -c 2 --threshold 'p99<1ns' "$FS_URL/ok"
out_has '^  p99<1ns .* FAIL$' "failed threshold shown as FAIL"
out_has 'requests' "the result is still printed"
exit_status 3 "all 500s break errors<1%" $PINCH load -n 50 -c 2 --threshold 'errors<1%' "$FS_URL/500"
exit_status 0 "errors<=100% holds" $PINCH load -n 50 -c 2 --threshold 'errors<=100%' "$FS_URL/500"
exit_status 3 "error count threshold" $PINCH load -n 50 -c 2 --threshold 'errors<50' "$FS_URL/500"
exit_status 0 "error count threshold met" $PINCH load -n 50 -c 2 --threshold 'errors<=50' "$FS_URL/500"
exit_status 3 "rps threshold" $PINCH load -n 50 -c 1 --threshold 'rps>100000000' "$FS_URL/ok"
exit_status 3 "max threshold" $PINCH load -n 20 -c 2 --threshold 'max<10ms' "$FS_URL/slow?ms=30"
exit_status 0 "p50 threshold met" $PINCH load -n 20 -c 2 --threshold 'p50>=25ms' "$FS_URL/slow?ms=30"

$PINCH load -n 50 -c 2 --json --threshold 'errors<1%' "$FS_URL/500" >"$TMP/r.json"
is "$?" 3 "--json: exit 3 too"
is "$(jqv "$TMP/r.json" .passed)" false "--json: passed false"
is "$(jqv "$TMP/r.json" '.thresholds[0].actual')" 1 "--json: the actual error rate"

printf 'url: %s/500\nthresholds: ["errors<1%%"]\ntasks:\n  - path: /500\n' "$FS_URL" >"$TMP/t.yaml"
exit_status 3 "scenario thresholds exit 3" $PINCH load -s "$TMP/t.yaml" -n 20 -c 2
# A bad threshold in a scenario names its file, line and column (it said
# only "scenario threshold: ...").
printf 'url: %s\ntasks: [{path: /ok}]\nthresholds:\n  - p99<200ms\n  - "p99<fast"\n' "$FS_URL" >"$TMP/b.yaml"
exit_status 2 "a bad scenario threshold: exit 2" $PINCH load -s "$TMP/b.yaml" -n 1
out_has "^pinch load: $TMP/b.yaml:5:5: threshold 'p99<fast' needs a time with a unit" "... at file:line:col"
done_testing
