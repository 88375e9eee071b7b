#!/usr/bin/env bash
# t1805-report-html.sh - pinch report --html and pinch mem report --html
# opened in headless Chromium: the page's own #selftest hook (report.js)
# runs on load and writes its findings into the DOM, read back with
# --dump-dom. Checked against pinch's own numbers: no script errors, the
# flame graph's frames, search "sixty" matches exactly sixty's share with
# only sixty highlighted, the inverted toggle puts the leaves under the
# root and draws it on top, the time strip's halves sum to the whole; a
# screenshot is saved. Hostile names stay inert; mem-leak's leak share;
# a memory recording given to pinch report gets the same sections.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
W=$PINCH_BUILDDIR/tests/workloads
DUMP=$PINCH_BUILDDIR/tests/unit/view-dump
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
	[ "${CI:-}" = true ] && { ok "chromium is installed under CI" false; done_testing; exit 1; }
	skip_all "chromium not installed"
fi

# selftest HTML QUERY: the page's #selftest result JSON (empty on failure)
selftest() {
	local prof
	prof=$(mktemp -d "$TMP/chr.XXXXXX")
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" --virtual-time-budget=5000 --dump-dom \
		"file://$(realpath "$1")#selftest=$2" 2>"$TMP/chr.err" |
		sed -n 's/.*<pre id="selftest-result">\(.*\)<\/pre>.*/\1/p' |
		sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/\&/g'
	rm -rf "$prof"
}

record cpu.rec "$W/cpu-603010-fp" deep 10
out=$("$PINCH" report --html r.html --user-only cpu.rec)
is "$out" "wrote r.html: HTML report of 1 recording" "wrote line"
ok "self-contained: no external URL" sh -c '! grep -Eq "(src|href)=\"(https?:)?//" r.html'
is "$(grep -c '</script>' r.html)" 2 "two scripts: the data and the code"
ok "bottleneck first in the summary" grep -q '<pre class="summary">hottest: sixty' r.html
"$PINCH" report --json --user-only --limit 0 cpu.rec > top.json
want=$(python3 -c "import json
d=json.load(open('top.json'))['report']
r=[r for r in d['rows'] if r['function']=='sixty'][0]
print('%.2f' % (100.0 * r['total'] / d['total']))")
selftest r.html sixty > st.json
ok "selftest ran" test -s st.json
ok "no script errors, frames, search, inverted, time range" python3 - "$want" <<'PY'
import json, sys
want = float(sys.argv[1])
d = json.load(open("st.json"))
t = json.load(open("top.json"))["report"]
assert d["errors"] == [], d["errors"]
s = d["sections"][0]
for f in ("all", "main", "middle", "sixty", "thirty", "ten"):
    assert f in s["names"], (f, s["names"])
assert s["total"] == t["total"], (s["total"], t["total"])
assert s["search"]["pct"] == want, (s["search"], want)
assert s["search"]["highlighted"] == ["sixty"], s["search"]["highlighted"]
assert s["search"]["matched_text"].startswith("Matched: %.2f %%" % want), s["search"]
inv = s["inverted"]
assert {"sixty", "thirty", "ten"} <= set(inv["depth1"]) and "main" not in inv["depth1"], inv
assert inv["root_y"] == 0 and s["normal_root_y"] > 0, (inv, s["normal_root_y"])
assert inv["search_pct"] == want, inv
r = s["range"]
assert r["first_half"] + r["second_half"] == r["all"] == t["total"], r
assert r["first_half"] > 0 and r["second_half"] > 0, r
assert s["table_rows"] >= 6, s["table_rows"]
PY
prof=$(mktemp -d "$TMP/chr.XXXXXX")
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$prof" --screenshot="$TMP/report.png" --window-size=1200,900 \
	"file://$TMP/r.html#selftest=sixty" >/dev/null 2>&1
ok "screenshot saved (PNG)" sh -c "head -c 8 '$TMP/report.png' | od -c | grep -q 'P   N   G'"
[ -n "${PINCH_TEST_ARTIFACTS:-}" ] && cp "$TMP/report.png" "$PINCH_TEST_ARTIFACTS/t1805-report.png"

# hostile names: markup, quotes, invalid UTF-8 in names and title
"$DUMP" -p hostile html > hostile.html
is "$(grep -c '</script>' hostile.html)" 2 "hostile: names cannot end the script"
ok "hostile: title escaped" grep -q '<title>view-dump &lt;html&gt; &amp; &quot;test&quot;</title>' hostile.html
ok "hostile: valid UTF-8" iconv -f UTF-8 -t UTF-8 hostile.html -o /dev/null
selftest hostile.html 'a%26b' > hst.json
ok "hostile: no errors, exact search %, names intact" python3 - <<'PY'
import json
d = json.load(open("hst.json"))
assert d["errors"] == [], d["errors"]
s = d["sections"][0]
assert 'a&b "quoted" \'single\'' in s["names"], s["names"]
assert "std::vector<int>::operator[](unsigned long)" in s["names"], s["names"]
# a&b is in the 30, 20, 40 and 5 sample stacks of 105
assert s["search"]["pct"] == round(100 * 95 / 105, 2), s["search"]
PY

# memory: the leaked section's search for leak_big
"$PINCH" mem -q -o mem.rec -- "$W/mem-leak" 2>/dev/null
out=$("$PINCH" mem report mem.rec --html m.html)
is "$out" "wrote m.html: HTML report of mem.rec" "mem: wrote line"
ok "mem: timeline SVG inline" grep -q '<svg xmlns' m.html
ok "mem: the biggest allocator first" grep -q '<pre class="summary">most allocated:   spike' m.html
ok "mem: the biggest leak named" grep -q '^most leaked:      leak_big' m.html
selftest m.html leak_big > mst.json
ok "mem: three flame graphs, leak_big's share of leaked bytes" python3 - <<'PY'
import json
d = json.load(open("mst.json"))
assert d["errors"] == [], d["errors"]
a, p, l = d["sections"]
assert l["total"] == 1001200, l["total"]
assert l["search"]["pct"] == round(100 * 1000000 / 1001200, 2), l["search"]
assert a["search"]["pct"] == round(100 * 1000000 / a["total"], 2), a
assert "spike" in p["names"], p["names"]
PY

# load: charts and the verdict table of a 2 s run against load-faultsrv
. "$here/lib-load.sh"
start_faultsrv
"$PINCH" load -d 2s -c 2 -t 1 --html l.html --threshold 'p99<5s' --json "$FS_URL/ok" > l.json 2>l.err
stop_faultsrv
ok "load: wrote the page" grep -q "wrote l.html: HTML report" l.err
selftest l.html "" > lst.json
ok "load: three charts, verdict rows, the run's numbers" python3 - <<'PY'
import json
d = json.load(open("lst.json")); r = json.load(open("l.json"))
assert d["errors"] == [], d["errors"]
l = d["loads"][0]
assert l["charts"] == 3, l
assert l["verdict_rows"] == len(r["verdict"]) + 1, (l, r["verdict"])
assert l["requests"] == r["requests"] and l["p99_ms"] == r["latency_ms"]["p99"], (l, r["latency_ms"])
assert l["ticks"] >= 1 and l["points"] >= 2, l
PY

out=$("$PINCH" report --html x.html mem.rec)
is "$out" "wrote x.html: HTML report of 1 recording" "a memory recording given to report --html gets its memory sections"
ok "... with the leak named" grep -q '^most leaked:      leak_big' x.html
rm -f x.html
exit_status 2 "--html with --json is refused" "$PINCH" report --html x.html --json cpu.rec
out=$("$PINCH" report --html e.html --pid 1 cpu.rec)
ok "no samples left by the filters: the page says so" grep -q '<p class="empty">No samples' e.html
: > empty.rec
exit_status 1 "an empty file is refused" "$PINCH" report --html x.html empty.rec
ok "no page left behind" test ! -e x.html
done_testing
