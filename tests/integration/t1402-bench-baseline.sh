#!/usr/bin/env bash
# t1402-bench-baseline.sh - baselines: bench-work naps NAP_MS=100; the
# same command is saved (20 runs), rerun 20 times with --compare (5 runs
# each; no false alarm: every rerun exits 0 at --fail-if-slower 10 %,
# Mann-Whitney U at alpha 0.01); then, against a fresh NAP_MS=100
# baseline, NAP_MS=120 (a planted 20 % regression, 20 runs: exit 3,
# "slower", p < 0.01) and NAP_MS=80 (faster). A loaded machine adds
# milliseconds to every run (spawn and wake-up wait for a CPU), hence
# naps of 80 to 120 ms.
# mem: bench-work's TOUCH_MIB bytes are exact (1 -> 2 MiB: +100 %).
# load: the test server's /slow?ms=N (20 -> 60 ms p50). libpinch JSON
# (no "kind", stats only). pinch baseline list/show/rm/save/compare and
# bad input: a missing baseline (the saved ones listed), another kind,
# a newer schema, a bad name.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/bench-lib.sh"
. "$here/lib-load.sh"
W=$PINCH_WORKLOADS/bench-work


NAP_MS=100 "$PINCH" bench -r 20 --save nap "$W" >/dev/null 2>save.err
ok "saved" grep -q "^pinch bench: saved baseline 'nap' (.pinch/baselines/nap.json)$" save.err
f=.pinch/baselines/nap.json
is "$(jget $f 'd["kind"], d["baseline"]["name"], len(d["benchmarks"][0]["runs"])')" "bench nap 20" \
	"the baseline holds the kind, its name and every run"
is "$(jget $f 'sorted(d["machine"].keys())')" "['cores', 'cpu_model', 'host', 'kernel', 'loadavg']" \
	"... and the machine's facts"
is "$(stat -c %a .pinch/baselines)" 755 "the baselines directory is 0755"

# No false alarm: 20 reruns of the same command.
pass=0
for i in $(seq 20); do
	if NAP_MS=100 "$PINCH" bench -r 5 --compare nap --fail-if-slower 10% "$W" >rerun.out 2>&1; then
		pass=$((pass + 1))
	else
		sed 's/^/#   /' rerun.out
	fi
done
is "$pass" 20 "20 unchanged reruns: no false alarm"
ok "the comparison names the baseline" grep -q "^Compared with baseline 'nap' (bench, saved .*):$" rerun.out
ok "... the test and its level" grep -q "^summaries were saved); a change is significant when p < 0.01$" rerun.out

# The planted 20 % regression, against a baseline saved just before (a
# shared machine's load drifts within seconds; the closer the better).
NAP_MS=100 "$PINCH" bench -r 20 --save nap2 "$W" >/dev/null 2>&1
NAP_MS=120 "$PINCH" bench -r 20 --compare nap2 --fail-if-slower 10% "$W" >slow.out 2>&1
is "$?" 3 "a 20 % slower command exits 3"
ok "... marked slower and over the bound" \
	grep -Eq '^  \S+bench-work +[0-9.]+ ms +[0-9.]+ ms +\+[0-9]+\.[0-9]% +(<0.0001|0\.00[0-9]+)  slower \(over the 10 % bound\)$' slow.out
NAP_MS=120 "$PINCH" bench -r 20 --compare nap2 --fail-if-slower 50% "$W" >/dev/null 2>&1
is "$?" 0 "the same slowdown under a 50 % bound passes"
NAP_MS=80 "$PINCH" bench -r 20 --compare nap2 --fail-if-slower 10% "$W" >fast.out 2>&1
is "$?" 0 "a faster command passes"
ok "... marked faster" grep -Eq ' -[0-9.]+% +(<0.0001|0\.00[0-9]+)  faster$' fast.out
NAP_MS=100 "$PINCH" bench -r 3 --json --compare nap "$W" >j.json 2>j.err
ok "with --json the comparison goes to stderr" grep -q "^Compared with baseline 'nap'" j.err
is "$(jget j.json 'd["kind"]')" bench "... and stdout stays JSON"

# The same through result files: pinch baseline save/compare.
NAP_MS=120 "$PINCH" bench -r 20 --json "$W" >slow.json
exit_status 3 "baseline compare of a result file: exit 3" "$PINCH" baseline compare nap2 slow.json --fail-if-slower 10%

# libpinch's JSON (no "kind"; stats only, no raw data): 1.00 ms -> 1.20 ms.
lib() {	# lib MEAN: a pinch_bench_json document with 50 rounds, stddev 0.01 ms
	printf '{"pinch_bench": 1, "benchmarks": [{"name": "sum", "stats": {"mean": %s, "stddev": 1e-05, "rounds": 50}}]}\n' "$1"
}
lib 0.001 >lib0.json
lib 0.0012 >lib1.json
lib 0.001 >lib2.json
exit_status 0 "libpinch JSON saved" "$PINCH" baseline save lib lib0.json
exit_status 3 "libpinch JSON 20 % slower: exit 3" "$PINCH" baseline compare lib lib1.json --fail-if-slower 5%
cp .out e.out
ok "... compared per benchmark" grep -Eq '^  sum +1.00 ms +1.20 ms +\+20.0% +<0.0001  slower' e.out
exit_status 0 "libpinch JSON unchanged: exit 0" "$PINCH" baseline compare lib lib2.json --fail-if-slower 5%

# libpinch's JSON with its rounds in "stats"."data" (pinch.bench in Python,
# pytest-benchmark): compared by the medians of the rounds and U, not by
# the "mean" (set far off here so that using it would show).
libd() {	# libd DATA...: 5 rounds
	printf '{"pinch_bench": 1, "benchmarks": [{"name": "py", "stats": {"mean": 1, "stddev": 1, "rounds": 5, "data": [%s]}}]}\n' "$1"
}
libd 0.00100,0.00110,0.00090,0.00105,0.00095 >libd0.json
libd 0.00200,0.00220,0.00180,0.00210,0.00190 >libd1.json
exit_status 0 "libpinch JSON with data saved" "$PINCH" baseline save libd libd0.json
exit_status 3 "libpinch JSON with data, twice as slow: exit 3" "$PINCH" baseline compare libd libd1.json --fail-if-slower 5%
cp .out e.out
ok "... by the medians of stats.data and U (exact p 2/252)" grep -Eq '^  py +1.00 ms +2.00 ms +\+100.0% +0.0079  slower' e.out
exit_status 0 "... removed again" "$PINCH" baseline rm libd

# mem: exact bytes.
TOUCH_MIB=1 "$PINCH" mem -o m1.rec --save mem1 -- "$W" >/dev/null 2>&1
TOUCH_MIB=2 "$PINCH" mem -o m2.rec --compare mem1 --fail-if-slower 5% -- "$W" >m.out 2>&1
is "$?" 3 "mem: twice the memory exits 3"
ok "... peak 1 -> 2 MiB, +100 %" grep -Eq '^  peak +1\.0 MiB +2\.0 MiB +\+100\.0%  worse \(over the 5 % bound\)$' m.out
TOUCH_MIB=1 "$PINCH" mem -o m3.rec --compare mem1 --fail-if-slower 5% -- "$W" >/dev/null 2>&1
is "$?" 0 "mem: the same memory passes"

# load: p50 of /slow?ms=20 then ?ms=60.
start_faultsrv
"$PINCH" load -n 20 -c 1 --no-verdict --save web "$FS_URL/slow?ms=20" >/dev/null 2>&1
is "$(jget .pinch/baselines/web.json 'd["kind"], d["schema"]')" "load 1" "load: saved with kind and schema"
"$PINCH" load -n 20 -c 1 --no-verdict --compare web --fail-if-slower 50% "$FS_URL/slow?ms=60" >l.out 2>&1
is "$?" 3 "load: a 3x slower p50 exits 3"
ok "... p50 worse" grep -Eq '^  p50 latency +[0-9.]+ ms +[0-9.]+ ms +\+[0-9.]+%  worse \(over the 50 % bound\)$' l.out
stop_faultsrv

# pinch baseline list/show/rm.
"$PINCH" baseline list >list.out
is "$(awk 'NR > 1 { print $1, $2 }' list.out | tr '\n' ' ')" "lib bench mem1 mem nap bench nap2 bench web load " "list: names and kinds"
is "$("$PINCH" baseline show nap | jget /dev/stdin 'd["baseline"]["name"]')" nap "show prints the baseline"
exit_status 0 "rm" "$PINCH" baseline rm lib
is "$(ls .pinch/baselines)" "$(printf 'mem1.json\nnap.json\nnap2.json\nweb.json')" "... removed it"

# Bad input.
exit_status 2 "compare with a missing baseline" "$PINCH" bench -r 2 --compare nope true
cp .out e.out
ok "... lists the saved ones" grep -q "^pinch bench: no baseline 'nope' (saved: mem1, nap, nap2, web)$" e.out
exit_status 2 "a result of another kind" "$PINCH" baseline compare nap .pinch/baselines/web.json
cp .out e.out
ok "... says which" grep -q "^pinch baseline: baseline 'nap' is a bench result, this is a load result: compare like with like$" e.out
echo '{"kind": "bench", "schema": 2, "benchmarks": []}' >new.json
exit_status 2 "a newer schema" "$PINCH" baseline compare nap new.json
cp .out e.out
ok "... says a newer pinch wrote it" grep -q "schema newer than 1; this pinch reads schema 1: a newer pinch wrote it" e.out
exit_status 2 "a bad baseline name" "$PINCH" bench --save ../x true
exit_status 2 "not JSON" "$PINCH" baseline save x /etc/hostname
exit_status 2 "rm of a missing baseline" "$PINCH" baseline rm nope
exit_status 2 "bad --fail-if-slower" "$PINCH" baseline compare nap slow.json --fail-if-slower fast
exit_status 2 "unknown subcommand" "$PINCH" baseline frob
done_testing
