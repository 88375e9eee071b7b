#!/usr/bin/env bash
# pinch load --scenario: weighted tasks hold their shares, templates expand,
# what the server saw matches what pinch counted, users and think time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv

# The bundled example (a Locust file's three tasks, weights 3:1:1) without
# its think time so it runs fast, pointed at the fault server.
sed -e "s#^url:.*#url: $FS_URL#" -e 's/^wait:.*//' -e 's/^spawn_rate:.*//' \
	"$PINCH_SRCDIR/examples/load/items.yaml" >"$TMP/items.yaml"
$PINCH load -s "$TMP/items.yaml" -n 6000 -c 8 -t 2 --seed 42 --json >"$TMP/r.json"
is "$?" 0 "example scenario passes its thresholds"
is "$(jqv "$TMP/r.json" .requests)" 6000 "exactly 6000 requests"
share() { jq -r --arg n "$1" '.tasks[] | select(.name == $n) | .requests / 6000 * 100' "$TMP/r.json"; }
within "$(share view_items)" 60 3 "view_items (weight 3) share within 3 points"
within "$(share view_item)" 20 3 "view_item (weight 1) share within 3 points"
within "$(share create_item)" 20 3 "create_item (weight 1) share within 3 points"
stop_faultsrv
is "$(fs_stat total)" 6000 "server saw 6000 requests"
is "$(fs_stat 'path GET /items')" "$(jqv "$TMP/r.json" '.tasks[0].requests')" "server GET /items = view_items"
is "$(fs_stat 'path GET /items/_')" "$(jqv "$TMP/r.json" '.tasks[1].requests')" "server GET /items/{id} = view_item"
is "$(fs_stat 'path POST /items')" "$(jqv "$TMP/r.json" '.tasks[2].requests')" "server POST /items = create_item"
is "$(jqv "$TMP/r.json" '[.tasks[].requests] | add')" 6000 "task counts add up"

# Human form has the per-task table and the thresholds.
start_faultsrv
sed -i "s#^url:.*#url: $FS_URL#" "$TMP/items.yaml"
$PINCH load -s "$TMP/items.yaml" -n 500 -c 4 >"$TMP/h.txt"
ok "per-task table" grep -Eq '^  view_items +3 ' "$TMP/h.txt"
ok "scenario thresholds shown" grep -Eq '^  errors<1% .* pass$' "$TMP/h.txt"

# Think time: 4 users waiting 200 ms after each answer send about 20 req/s,
# so -n 8 takes at least one full wait per user.
cat >"$TMP/think.yaml" <<YAML
url: $FS_URL
users: 4
wait: 200ms
tasks:
  - path: /ok
YAML
$PINCH load -s "$TMP/think.yaml" -n 8 --json >"$TMP/t.json"
is "$(jqv "$TMP/t.json" .requests)" 8 "think time: 8 requests"
ok "think time: two rounds take >= 200 ms" jq -e '.duration_s >= 0.2' "$TMP/t.json"

# Ramp stages: users grow 0 -> 4 and the run lasts the stages.
cat >"$TMP/ramp.yaml" <<YAML
url: $FS_URL
stages:
  - {duration: 500ms, users: 4}
  - {duration: 500ms, users: 4}
tasks:
  - {name: a, path: "/ok?i={seq}&u={user}", weight: 1}
  - {name: b, path: "/items/{rand:1..3}", weight: 1, method: DELETE}
YAML
$PINCH load -s "$TMP/ramp.yaml" --json >"$TMP/s.json"
is "$?" 0 "ramp stages run"
within "$(jqv "$TMP/s.json" .duration_s)" 1 0.1 "run lasts the stages"
is "$(jqv "$TMP/s.json" .connections)" 4 "users from the stages' peak"
is "$(jqv "$TMP/s.json" .failed)" 0 "no failures"
stop_faultsrv
# Requests still in flight when the time is up are not counted (at most
# one per user), but they did reach the server.
d=$(( $(fs_stat other) - $(jqv "$TMP/s.json" '.tasks[1].requests') ))
ok "DELETE requests reached the server (server - pinch = $d)" test "$d" -ge 0 -a "$d" -le 4
done_testing
