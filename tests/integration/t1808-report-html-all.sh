#!/usr/bin/env bash
# t1808-report-html-all.sh - one page for several kinds of result:
# `pinch report --html` given a CPU recording, a memory recording, a
# pinch load result JSON (with a failing threshold) and a pinch stat
# result JSON. The summary names the bottleneck first (the failed load
# threshold, then the leak, then the hottest function, then the rest);
# each result has its section; headless Chromium runs the page's
# #selftest hook: no script errors, four flame graphs (cpu + allocated,
# peak, leaked), search "sixty" at pinch's own share, the load section's
# percentile chart and verdict table from the JSON. Bad inputs refused.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
W=$PINCH_BUILDDIR/tests/workloads
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
	[ "${CI:-}" = true ] && { ok "chromium is installed under CI" false; done_testing; exit 1; }
	skip_all "chromium not installed"
fi

record cpu.rec "$W/cpu-603010-fp" deep 10
"$PINCH" mem -q -o mem.rec -- "$W/mem-leak" 2>/dev/null
. "$here/lib-load.sh"
start_faultsrv
"$PINCH" load -d 1s -c 2 -t 1 --threshold 'p99<1us' --json "$FS_URL/ok-t1808" > l.json 2>l.err
stop_faultsrv
"$PINCH" stat -q -o st.json -- true >/dev/null 2>&1 || "$PINCH" stat -o st.json -- true >/dev/null 2>&1
ok "a load and a stat result with \"kind\"" python3 -c '
import json
assert json.load(open("l.json"))["kind"] == "load"
assert json.load(open("st.json"))["kind"] == "stat"'

out=$("$PINCH" report --html all.html --user-only cpu.rec mem.rec l.json st.json)
is "$out" "wrote all.html: HTML report of 4 results" "wrote line"
ok "self-contained: no external URL" sh -c '! grep -Eq "(src|href)=\"(https?:)?//" all.html'
is "$(grep -c '</script>' all.html)" 6 "scripts: 4 flame graphs' data, 1 load's, the code"
"$PINCH" report --json --user-only --limit 0 cpu.rec > top.json
want=$(python3 -c "import json
d=json.load(open('top.json'))['report']
r=[r for r in d['rows'] if r['function']=='sixty'][0]
print('%.1f' % (100.0 * r['self'] / d['total']))")
ok "summary: the bottleneck first, in rank order" python3 - "$want" <<'PY'
import html, json, re, sys
page = open("all.html").read()
m = re.search(r'<pre class="summary">(.*?)</pre>', page, re.S)
lines = html.unescape(m.group(1)).split("\n")
l = json.load(open("l.json"))
assert lines[0] == "bottleneck: load %s: threshold p99<1us failed (%.6g ms)" % (l["target"], l["latency_ms"]["p99"]), lines[0]
assert lines[1].startswith("            memory mem.rec: most leaked: leak_big — 99.9 % self"), lines[1]
assert lines[2].startswith("            cpu cpu.rec: hottest: sixty — %s %% self" % sys.argv[1]), lines[2]
assert lines[3].startswith("            stat true: "), lines[3]
assert len(lines) == 4, lines
PY
ok "a section per result, in the order given" python3 - <<'PY'
import html, json, re
page = open("all.html").read()
h = [html.unescape(x) for x in re.findall(r"<h2>(.*?)</h2>", page)]
l = json.load(open("l.json"))
want = ["cpu.rec", "Memory: mem.rec", "Allocated bytes", "In use at the peak", "Leaked bytes",
        "Load test: " + l["target"], "Stat result: st.json"]
assert h == want, h
assert '"kind": "stat"' in html.unescape(page)
PY

prof=$(mktemp -d "$TMP/chr.XXXXXX")
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$prof" --virtual-time-budget=5000 --dump-dom \
	"file://$TMP/all.html#selftest=sixty" 2>/dev/null |
	sed -n 's/.*<pre id="selftest-result">\(.*\)<\/pre>.*/\1/p' |
	sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/\&/g' > st-result.json
rm -rf "$prof"
ok "selftest ran" test -s st-result.json
ok "browser: no errors, each section drawn with its numbers" python3 - <<'PY'
import json
d = json.load(open("st-result.json"))
t = json.load(open("top.json"))["report"]
l = json.load(open("l.json"))
assert d["errors"] == [], d["errors"]
c, a, p, k = d["sections"]
assert c["total"] == t["total"], (c["total"], t["total"])
sixty = [r for r in t["rows"] if r["function"] == "sixty"][0]
assert c["search"]["pct"] == round(100 * sixty["total"] / t["total"], 2), c["search"]
assert c["search"]["highlighted"] == ["sixty"], c["search"]
assert k["total"] == 1001200, k["total"]
assert "leak_big" in k["names"] and "spike" in a["names"], (k["names"], a["names"])
(ld,) = d["loads"]
assert ld["charts"] == 1 and ld["ticks"] == 0, ld
assert ld["verdict_rows"] == len(l["verdict"]) + len(l["thresholds"]), ld
assert ld["requests"] == l["requests"] and ld["p99_ms"] == l["latency_ms"]["p99"], ld
assert ld["points"] == 7, ld
PY

printf '{"schema": 1, "no": "kind"}\n' > nokind.json
exit_status 1 "a JSON file without \"kind\" is not a result: refused" "$PINCH" report --html x.html cpu.rec nokind.json
ok "no page left behind" test ! -e x.html
: > empty.rec
exit_status 1 "an empty file among them is refused" "$PINCH" report --html x.html l.json empty.rec
ok "no page left behind" test ! -e x.html
done_testing
