#!/usr/bin/env bash
# t1804-report-exports.sh - pinch report --pprof/--speedscope/--chrome and
# pinch mem report --pprof/--speedscope/--chrome on recordings with known
# answers: go tool pprof -top shows the same per-function sample counts as
# pinch's own table (cpu-603010: sixty/thirty/ten), speedscope's weights
# sum to the total, the Chrome trace nests per thread and holds the same
# CPU per leaf; mem-leak's 1,000,000 leaked bytes in leak_big.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
W=$PINCH_BUILDDIR/tests/workloads

record cpu.rec "$W/cpu-603010-fp" deep 10
out=$("$PINCH" report cpu.rec --user-only --pprof p.pb.gz --speedscope s.json --chrome c.json)
ok "three 'wrote' lines" test "$(grep -c '^wrote ' <<<"$out")" = 3
ok "pprof is gzip" gzip -t p.pb.gz
"$PINCH" report --json --user-only --limit 0 cpu.rec > top.json

if command -v go >/dev/null; then
	go tool pprof -top -sample_index=samples p.pb.gz > ptop.txt 2>&1
	for f in sixty thirty ten main middle; do
		want=$(python3 -c "import json
d=json.load(open('top.json'))
r=[r for r in d['report']['rows'] if r['function']=='$f'][0]
print(r['self_count'], r['total_count'])")
		got=$(awk -v f="$f" '$6 == f { print $1, $4 }' ptop.txt)
		is "$got" "$want" "go tool pprof -top: $f flat/cum samples as pinch's table"
	done
	go tool pprof -top p.pb.gz > ptop2.txt 2>&1
	ok "pprof: default sample type cpu" grep -q '^Type: cpu$' ptop2.txt
else
	[ "${CI:-}" = true ] && ok "go is installed under CI" false
	skip "go tool pprof" "go not installed"
fi

ok "speedscope: frames and weights" python3 -c '
import json
d = json.load(open("s.json")); t = json.load(open("top.json"))["report"]
assert d["$schema"] == "https://www.speedscope.app/file-format-schema.json"
names = [f["name"] for f in d["shared"]["frames"]]
for f in ("sixty", "thirty", "ten", "middle", "main"):
    assert f in names, f
p = d["profiles"][0]
assert sum(p["weights"]) == t["total"], (sum(p["weights"]), t["total"])
# leaves last (root first): nearly all weight ends in the three workers
leafw = sum(w for s, w in zip(p["samples"], p["weights"]) if names[s[-1]] in ("sixty", "thirty", "ten"))
assert leafw >= 0.97 * sum(p["weights"]), (leafw, sum(p["weights"]))
'
ok "chrome: X events nest per thread, per-leaf CPU as pinch's table" python3 -c '
import json, collections
d = json.load(open("c.json")); t = json.load(open("top.json"))["report"]
ev = [e for e in d["traceEvents"] if e["ph"] == "X"]
assert ev and all(e["dur"] >= 0 for e in ev)
assert any(e["ph"] == "M" and e["name"] == "thread_name" for e in d["traceEvents"])
# each event lies inside the innermost open event of its thread (stack discipline)
open_ = collections.defaultdict(list)
for e in ev:
    ts, end = round(e["ts"] * 1000), round((e["ts"] + e["dur"]) * 1000)
    st = open_[e["tid"]]
    while st and st[-1] <= ts:
        st.pop()
    if st:
        assert end <= st[-1], (e, st[-1])
    st.append(end)
# leaf time: sixty/thirty/ten events sum to at least their CPU in the table
self = {r["function"]: r["self"] for r in t["rows"]}
for f in ("sixty", "thirty", "ten"):
    us = sum(e["dur"] for e in ev if e["name"] == f)
    assert abs(us * 1000 - self[f]) <= 0.02 * self[f] + 2e6, (f, us, self[f])
'

# memory: sample types and the leak
"$PINCH" mem -q -o mem.rec -- "$W/mem-leak" 2>/dev/null
"$PINCH" mem report mem.rec --what leaked --pprof m.pb.gz --speedscope ms.json --chrome mc.json > mout.txt
is "$(grep -c '^wrote ' mout.txt)" 3 "mem report: three 'wrote' lines"
if command -v go >/dev/null; then
	go tool pprof -raw m.pb.gz > mraw.txt 2>&1
	ok "mem pprof: sample types" grep -q 'alloc_bytes/bytes.*peak_bytes/bytes.*leaked_bytes/bytes' mraw.txt
	go tool pprof -top -sample_index=leaked_bytes -unit=byte m.pb.gz > mtop.txt 2>&1
	ok "mem pprof: leak_big leaked 1000000 B" grep -Eq '^ *1000000B .* leak_big$' mtop.txt
	go tool pprof -top -sample_index=leaked_count m.pb.gz > mtop2.txt 2>&1
	ok "mem pprof: leak_small 24 blocks" grep -Eq '^ *24 .* leak_small$' mtop2.txt
else
	skip "mem pprof" "go not installed"
fi
ok "mem speedscope: leaked bytes 1001200" python3 -c '
import json
d = json.load(open("ms.json")); p = d["profiles"][0]
assert p["unit"] == "bytes" and sum(p["weights"]) == 1001200, sum(p["weights"])
'
ok "mem chrome: leak_big 1000000 units" python3 -c '
import json
d = json.load(open("mc.json"))
assert sum(e["dur"] for e in d["traceEvents"] if e["ph"] == "X" and e["name"] == "leak_big") == 1000000
'
DUMP=$PINCH_BUILDDIR/tests/unit/view-dump
"$DUMP" -p hostile chrome > hc.json
ok "chrome: hostile names as raw UTF-8, no control characters" python3 -c '
import json, unicodedata
raw = open("hc.json", encoding="utf-8").read()
assert "\\u" not in raw, "escaped"
d = json.loads(raw)
names = [e["name"] for e in d["traceEvents"] if e["ph"] == "X"]
assert "a&b \"quoted\" \x27single\x27" in names, names
for n in names:
    assert not any(unicodedata.category(ch) == "Cc" or ch in "\ufffe\uffff" for ch in n), n
'
exit_status 2 "--pprof with --json is refused" "$PINCH" report cpu.rec --pprof x.pb.gz --json
exit_status 1 "unwritable --pprof path" "$PINCH" report cpu.rec --pprof /nonexistent/x.pb.gz
done_testing
