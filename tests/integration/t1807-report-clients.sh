#!/usr/bin/env bash
# t1807-report-clients.sh - pinch's --speedscope and --chrome exports opened
# by a real client: speedscope's own page (npm package speedscope 1.25.0,
# fetched by scripts/speedscope.sh into a cache) in headless Chromium, the
# file handed over the way speedscope's CLI does (#localProfilePath= a
# script calling speedscope.loadFileFromBase64), its Sandwich view's
# table read back with --dump-dom. Checked: the importer it picked, no
# console output besides its start-up lines (no "Tried to end ..." from
# the trace importer), and each function's Total and Self as pinch's own
# table. The Chrome trace is also held to the Trace Event Format rules in
# doubles, as readers compute ts + dur (no event ends after its parent
# or past its next sibling's start).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
W=$PINCH_BUILDDIR/tests/workloads
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
SS=$(PINCH_CACHE=${PINCH_CACHE:-} bash -c '
	c=${PINCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pinch}
	echo "$c/speedscope-1.25.0/package/dist/release/index.html"')
if [ -z "$CHROMIUM" ] || [ ! -f "$SS" ]; then
	if [ "${CI:-}" = true ]; then
		ok "chromium and speedscope are installed under CI (scripts/deps.sh test)" false
		done_testing
		exit 1
	fi
	skip_all "needs chromium and speedscope's page (bash scripts/speedscope.sh)"
fi

# speedscope_once FILE: speedscope's Sandwich table of FILE as JSON lines
# {"total": ms, "self": ms, "name": ...}, console lines in FILE.console
speedscope_once() {
	local f=$1 prof
	prof=$(mktemp -d "$TMP/chr.XXXXXX")
	printf 'speedscope.loadFileFromBase64("%s", "%s")' "$(basename "$f")" "$(base64 -w0 "$f")" > "$f.js"
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" --window-size=1200,4000 --enable-logging=stderr --v=0 --virtual-time-budget=10000 \
		--dump-dom "file://$SS#localProfilePath=$(realpath "$f.js")&view=sandwich" \
		> "$f.dom" 2> "$f.err"
	rm -rf "$prof"
	sed -n 's/.*INFO:CONSOLE[^"]*"\(.*\)", source: .*/\1/p' "$f.err" > "$f.console"
	python3 - "$f.dom" <<'PY'
import html, json, re, sys
text = re.sub(r"<[^>]+>", "\n", open(sys.argv[1]).read())
lines = [html.unescape(l).strip() for l in text.split("\n")]
lines = [l for l in lines if l]
unit = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3,
        "B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
val = re.compile(r"^([0-9.]+) ?(ns|µs|us|ms|s|B|KB|MB|GB) \([<>0-9.]+%\)$")
i = lines.index("Symbol Name") + 1 if "Symbol Name" in lines else len(lines)
while i + 2 < len(lines) and val.match(lines[i]) and val.match(lines[i + 1]):
    t, s = val.match(lines[i]), val.match(lines[i + 1])
    print(json.dumps({"total": float(t[1]) * unit[t[2]], "self": float(s[1]) * unit[s[2]],
                      "name": lines[i + 2]}))
    i += 3
if "Symbol Name" not in lines:	# a diagnostic for the TAP log
    sys.stderr.write("# no Sandwich table in the page: %r\n" % " ".join(lines)[-400:])
PY
}

# speedscope FILE: speedscope_once, again (up to 3 tries) when the dump
# caught the table before its rows: speedscope fills its virtualized list
# in a later frame, which a loaded machine can push past the dump
speedscope() {
	local try out
	for try in 1 2 3; do
		out=$(speedscope_once "$1")
		[ -n "$out" ] && break
		echo "# try $try: no rows in speedscope's table" >&2
	done
	printf '%s\n' "$out"
}

# quiet FILE: speedscope's console held only its start-up lines (the
# software WebGL notes, the importer's name and time)
quiet() {
	! grep -Ev '^(speedscope v[0-9.]+|WebGL initialized.*|.*Automatic fallback to software WebGL.*|.*GL Driver Message.*|Importing as .*|import: [0-9.]+ ms)$' "$1.console"
}

record cpu.rec "$W/cpu-603010-fp" deep 10
"$PINCH" report cpu.rec --user-only --speedscope s.json --chrome c.json > /dev/null
"$PINCH" report --json --user-only --limit 0 cpu.rec > top.json

speedscope s.json > s.rows
ok "speedscope: imported as its own format" grep -qx 'Importing as speedscope json file' s.json.console
ok "speedscope: nothing else on the console" quiet s.json
ok "speedscope: Sandwich Total and Self as pinch's table (2 decimals of ms)" python3 - <<'PY'
import json
rows = {r["name"]: r for r in map(json.loads, open("s.rows"))}
t = json.load(open("top.json"))["report"]
want = {r["function"]: r for r in t["rows"]}
for f in ("sixty", "thirty", "ten", "middle", "main"):
    assert f in rows, (f, sorted(rows))
    for k in ("total", "self"):
        assert abs(rows[f][k] - want[f][k] / 1e6) <= 0.0051, (f, k, rows[f][k], want[f][k])
assert set(rows) <= set(want), set(rows) - set(want)
# every sample once in some Self (the stacks without main too)
every = [json.loads(l) for l in open("s.rows")]	# names may repeat (two _start)
assert abs(sum(r["self"] for r in every) - t["total"] / 1e6) <= 0.0051 * len(every), (every, t["total"])
PY

ok "chrome: Trace Event Format rules, in doubles" python3 - <<'PY'
import json, collections
d = json.load(open("c.json"))
ev = d["traceEvents"]
named = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
last = collections.defaultdict(lambda: -1.0)
stack = collections.defaultdict(list)
for e in ev:
    assert e["ph"] in ("X", "M"), e
    assert type(e["pid"]) is int and type(e["tid"]) is int, e
    if e["ph"] == "M":
        continue
    assert (e["pid"], e["tid"]) in named, ("no thread_name", e)
    assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float)), e
    assert e["ts"] >= 0 and e["dur"] >= 0, e
    k = (e["pid"], e["tid"])
    assert e["ts"] >= last[k], ("ts goes back", e)
    last[k] = e["ts"]
    end = e["ts"] + e["dur"]
    st = stack[k]
    while st and st[-1] <= e["ts"]:
        st.pop()
    assert not st or end <= st[-1], ("ends after its parent", e, st[-1])
    st.append(end)
PY
speedscope c.json > c.rows
ok "chrome: speedscope imported it as a trace" grep -qx 'Importing as Trace Event Format profile' c.json.console
ok "chrome: nothing else on the console (no 'Tried to end')" quiet c.json
ok "chrome: speedscope's Self per leaf as the trace's X durations, near pinch's table" python3 - <<'PY'
import json, collections
rows = {r["name"]: r for r in map(json.loads, open("c.rows"))}
ev = [e for e in json.load(open("c.json"))["traceEvents"] if e["ph"] == "X"]
us = collections.Counter()
for e in ev:
    us[e["name"]] += e["dur"]
t = json.load(open("top.json"))["report"]
want = {r["function"]: r for r in t["rows"]}
for f in ("sixty", "thirty", "ten"):
    assert abs(rows[f]["self"] - us[f] / 1e3) <= 0.0051, (f, rows[f], us[f])
    assert rows[f]["self"] == rows[f]["total"], rows[f]
    assert abs(rows[f]["self"] * 1e6 - want[f]["self"]) <= 0.02 * want[f]["self"] + 2e6, (f, rows[f], want[f])
assert abs(rows["main"]["total"] - us["main"] / 1e3) <= 0.0051, (rows["main"], us["main"])
assert rows["main"]["self"] == 0 and rows["middle"]["self"] == 0, (rows["main"], rows["middle"])
PY

# memory: leaked bytes in speedscope
"$PINCH" mem -q -o mem.rec -- "$W/mem-leak" 2>/dev/null
"$PINCH" mem report mem.rec --what leaked --speedscope ms.json > /dev/null
speedscope ms.json > ms.rows
ok "mem speedscope: imported as its own format" grep -qx "Importing as speedscope json file" ms.json.console
ok "mem speedscope: nothing else on the console" quiet ms.json
ok "mem speedscope: leak_big leaked 1000000 B (976.56 KB)" python3 - <<'PY'
import json
rows = {r["name"]: r for r in map(json.loads, open("ms.rows"))}
assert "leak_big" in rows, sorted(rows)
assert abs(rows["leak_big"]["self"] - 1000000) <= 0.006 * 1024, rows["leak_big"]
PY
done_testing
