#!/usr/bin/env bash
# t3013-load-outputs.sh - --csv writes a per-second series whose rows add up
# to the run's counts; --hdr-log writes HdrHistogram's own interval log (V2
# compressed histograms), checked by an independent decoder (zlib + ZigZag
# LEB128, tests/load/hdrdecode.py) and, when installed, by HdrHistogram's
# HistogramLogProcessor (Debian libhdrhistogram-java); pinch load merge
# still reads it exactly.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib-load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_faultsrv

$PINCH load -R 500 -c 4 -d 2500ms --csv s.csv --hdr-log h.hlog --json "$FS_URL/ok" >r.json
is "$?" 0 "run with --csv and --hdr-log"
n=$(jqv r.json .requests)
within "$n" 1250 4 "about 1250 requests at 500/s for 2.5 s"

# CSV: the header, one row per second (the last one partial), sums exact.
is "$(head -1 s.csv)" "second,requests,errors,p50_ms,p90_ms,p99_ms" "CSV header"
ok "CSV rows are numbers" awk -F, 'NR > 1 && !($1 ~ /^[0-9]+\.[0-9][0-9][0-9]$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ && NF == 6) { exit 1 }' s.csv
is "$(awk -F, 'NR > 1 { n += $2 } END { print n }' s.csv)" "$n" "CSV requests add up to the run's ($n)"
is "$(awk -F, 'NR > 1 { n += $3 } END { print n }' s.csv)" 0 "CSV errors add up to the run's (0)"
is "$(awk -F, 'NR > 1' s.csv | wc -l | tr -d ' ')" 3 "three rows: 1 s, 2 s and the last half second"
# A row ends when the per-second tick runs, which a loaded machine may
# delay: the rate over the row's own span is what the open model fixes.
within "$(awk -F, 'NR == 2 { printf "%.0f", $2 / $1 }' s.csv)" 500 10 "first row: 500 requests per second of its span (open model)"
ok "seconds increase" awk -F, 'NR > 2 && $1 <= prev { exit 1 } { prev = $1 }' s.csv

# HdrHistogram log, read independently.
ok "header" grep -q '^#\[Histogram log format version 1.3\]$' h.hlog
ok "legend" grep -q '^"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"$' h.hlog
ok "StartTime" grep -Eq '^#\[StartTime: [0-9]+\.[0-9]{3} \(seconds since epoch\), ' h.hlog
python3 "$PINCH_SRCDIR/tests/load/hdrdecode.py" h.hlog >d.json
is "$?" 0 "the independent decoder reads every interval"
is "$(jqv d.json .intervals)" 3 "three intervals"
is "$(jqv d.json .count)" "$(jqv r.json .latency_ms.count)" "decoded count = the run's latency count"
is "$(jqv d.json .sig_digits)" 2 "2 significant digits (pinch's 256 sub-buckets)"
is "$(jqv d.json .lines_max_ok)" true "each line's Interval_Max lies in its histogram's top bucket"
for p in p50 p90 p99; do
	v=$(jq -r ".latency_ms.$p * 1e6 | round" r.json)
	ok "pinch's $p ($v ns) lies in the decoded $p bucket $(jq -c ".$p" d.json)" \
		jq -e --argjson v "$v" ".$p[0] <= \$v and \$v <= .$p[1]" d.json
done

# HdrHistogram's own tool, when installed.
jar=/usr/share/java/hdrhistogram.jar
if command -v java >/dev/null && [ -r "$jar" ]; then
	java -cp "$jar" org.HdrHistogram.HistogramLogProcessor -i h.hlog -o hp -outputValueUnitRatio 1 >hp.err 2>&1
	is "$?" 0 "HistogramLogProcessor reads the log"
	is "$(sed -n 's/.*Total count *= *\([0-9]*\)\]/\1/p' hp.hgrm)" "$(jqv r.json .latency_ms.count)" \
		"HistogramLogProcessor: total count = the run's"
	max=$(sed -n 's/^#\[Max *= *\([0-9]*\)\.00,.*/\1/p' hp.hgrm)
	ok "HistogramLogProcessor's max ($max ns) is the top of the decoded max bucket" \
		jq -e --argjson v "${max:-0}" '.max[1] == $v' d.json
else
	skip "HistogramLogProcessor reads the log" "no java or libhdrhistogram-java"
fi

# pinch load merge reads it back exactly.
$PINCH load merge --json h.hlog >m.json
for k in requests failed latency_ms.count latency_ms.min latency_ms.max latency_ms.p99; do
	is "$(jqv m.json ".$k")" "$(jqv r.json ".$k")" "merge: $k as in the run"
done

# An unwritable file is found before any traffic.
stop_faultsrv
n=$(fs_stat total)
start_faultsrv
exit_status 2 "unwritable --csv: exit 2" $PINCH load -n 10 --csv /nonexistent/dir/s.csv "$FS_URL/ok"
out_has "cannot create '/nonexistent/dir/s.csv'" "... names the file"
stop_faultsrv
is "$(fs_stat total)" 0 "... and sent nothing"
done_testing
