#!/usr/bin/env bash
# t1803-view-export.sh - exports for other viewers: pprof (gzip +
# profile.proto, read back by `go tool pprof -traces` when Go is
# installed) and speedscope JSON (schema URL, samples/weights, exact sum).
. "$(dirname "$0")/lib.sh"
DUMP=$PINCH_BUILDDIR/tests/unit/view-dump
command -v python3 >/dev/null || skip_all "python3 missing"

"$DUMP" pprof > fx.pb.gz
ok "pprof output is gzip" sh -c 'gzip -t fx.pb.gz'
"$DUMP" -p hostile pprof > hostile.pb.gz
ok "pprof of hostile names is gzip" sh -c 'gzip -t hostile.pb.gz'
if command -v go >/dev/null && go tool pprof -h >/dev/null 2>&1; then
	go tool pprof -traces fx.pb.gz > traces.txt 2>&1
	# leaf first, one block per sample: a/work/main 45 + 15 ms, b 30, c 10, rec x3 20
	is "$(grep -c -- "-----------+" traces.txt)" 6 "-traces: one block per sample (5) plus the closing rule"
	ok "rec recursion kept as three frames" sh -c "grep -A4 '20ms   rec' traces.txt | grep -c '^ *rec$' | grep -qx 2"
	ok "thread labels" grep -q 'thread:  worker' traces.txt
	go tool pprof -top -sample_index=cpu fx.pb.gz > top.txt 2>&1
	ok "pprof -top: a 50 % flat" grep -Eq '60ms 50\.00% +50\.00% +60ms 50\.00%  a$' top.txt
	ok "pprof -top: work 75 % cum" grep -Eq '0 +0% +[0-9.]+% +90ms 75\.00%  work$' top.txt
	go tool pprof -top -sample_index=samples fx.pb.gz > top2.txt 2>&1
	ok "pprof sample counts" grep -Eq 'Showing nodes accounting for 120, 100% of 120 total' top2.txt
	go tool pprof -traces hostile.pb.gz > htraces.txt 2>&1
	ok "pprof reads hostile names" grep -q "a&b \"quoted\" 'single'" htraces.txt
else
	skip "go tool pprof checks" "go not installed"
fi

for prof in fixture hostile big; do
	"$DUMP" -p "$prof" speedscope > ss.json
	"$DUMP" -p "$prof" -j top > top.json
	ok "speedscope ($prof): schema, frames, samples/weights, exact sum" python3 -c '
import json, sys
d = json.load(open("ss.json"))
total = json.load(open("top.json"))["total"]
assert d["$schema"] == "https://www.speedscope.app/file-format-schema.json"
nf = len(d["shared"]["frames"])
for f in d["shared"]["frames"]:
    assert isinstance(f["name"], str)
for p in d["profiles"]:
    assert p["type"] == "sampled" and p["unit"] == "nanoseconds"
    assert len(p["samples"]) == len(p["weights"])
    assert all(0 <= i < nf for s in p["samples"] for i in s)
    assert sum(p["weights"]) == p["endValue"] == total, (sum(p["weights"]), total)
'
done
"$DUMP" -t speedscope > sst.json
ok "speedscope per thread: one profile per thread" python3 -c '
import json
d = json.load(open("sst.json"))
names = [p["name"] for p in d["profiles"]]
assert names == ["main (tid 100)", "worker (tid 101)"], names
assert [p["endValue"] for p in d["profiles"]] == [90000000, 30000000]
'
done_testing
