#!/usr/bin/env bash
# t1401-bench-times.sh - pinch bench measures commands whose cost is
# known: sleeps (no run below the sleep; the fastest of 5 within 100 ms
# above it: a 2-core machine at load average 20 to 40 delays wake-ups by
# tens of milliseconds, medians by more), bench-work's CPU burn (user +
# system within 10 ms of SPIN_MS) and its touched memory (max RSS at
# least TOUCH_MIB, at most 16 MiB over). Exact counts: runs, warmups,
# prepare/setup/cleanup invocations, -P expansion, the relative summary's
# ratio, outliers planted by a slow run; outputs (JSON, Markdown, CSV),
# --shell, --ignore-failure, and the failures of bad input.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/bench-lib.sh"
W=$PINCH_WORKLOADS/bench-work


# Sleep: wall time never below the sleep, median near it.
"$PINCH" bench -r 5 --json 'sleep 0.1' >s.json 2>s.err
is "$(jget s.json 'd["kind"], d["schema"], len(d["benchmarks"][0]["runs"]), len(d["benchmarks"][0]["data"])')" \
	"bench 1 5 5" "JSON: kind, schema, every raw run"
is "$(jget s.json 'int(min(d["benchmarks"][0]["data"]) >= 0.1)')" 1 "no run of sleep 0.1 is under 100 ms"
within "$(jget s.json 'd["benchmarks"][0]["stats"]["min"]')" 0.15 0.05 "fastest run of sleep 0.1 (s, 100..200 ms)"
is "$(jget s.json 'd["benchmarks"][0]["runs"][0]["exit_status"], d["options"]["shell"]')" "0 None" \
	"exit status recorded; no shell by default"
ok "no progress bar when stderr is not a terminal" sh -c '! grep -q ETA s.err'
# On a terminal (script(1) gives one): the bar with the run count and ETA.
script -qc "'$PINCH' bench -r 3 'sleep 0.01' >/dev/null" /dev/null >tty.out 2>&1
ok "a progress bar on a terminal" grep -q "Benchmark 1: \[#*\.*\] 3/3  ETA 00:00" tty.out

# CPU time from wait4: 150 ms of spinning.
SPIN_MS=150 "$PINCH" bench -r 3 --json "$W" >c.json
within "$(jget c.json 'round((d["benchmarks"][0]["stats"]["user"] + d["benchmarks"][0]["stats"]["system"]) * 1000, 1)')" \
	150 10 "user + system CPU of SPIN_MS=150 (ms)"
within "$(jget c.json 'round(d["benchmarks"][0]["runs"][0]["user_s"] + d["benchmarks"][0]["runs"][0]["sys_s"], 3)')" \
	0.15 0.01 "the first run's own CPU time (s)"

# Max RSS from wait4: 48 MiB touched.
TOUCH_MIB=48 "$PINCH" bench -r 2 --json "$W" >m.json
within "$(jget m.json 'round(d["benchmarks"][0]["stats"]["max_rss_bytes"] / 1048576)')" 56 8 \
	"max RSS of TOUCH_MIB=48 (MiB, 48..64)"
is "$(jget m.json 'int(d["benchmarks"][0]["runs"][1]["minflt"] >= 48 * 256)')" 1 \
	"page faults: at least one per touched 4 KiB page"

# Counts: warmups and prepare before each run, setup and cleanup once.
"$PINCH" bench -w 3 -r 7 --prepare 'echo p >>log' --setup 'echo s >>log' --cleanup 'echo c >>log' \
	--json true >n.json
is "$(sort log | uniq -c | awk '{ printf "%s%s ", $1, $2 }')" "1c 10p 1s " "prepare 3 + 7 times, setup and cleanup once"
is "$(jget n.json 'd["benchmarks"][0]["stats"]["rounds"]')" 7 "7 timed runs"

# The time budget: --max-time 0.3s of sleep 0.05 is at most 6 runs, --min-runs 2 at least.
"$PINCH" bench --max-time 0.3s --min-runs 2 --json 'sleep 0.05' >b.json
within "$(jget b.json 'd["benchmarks"][0]["stats"]["rounds"]')" 4 2 "runs from the time budget (2..6)"

# Quote-aware splitting, no shell: the argument arrives whole.
"$PINCH" bench -r 1 --show-output "printf '%s|' 'a b' \"c \\\"d\" e\\ f" >q.out 2>&1
ok "words split like a shell: 'a b' \"c \\\"d\" e\\ f" grep -q '^a b|c "d|e f|Benchmark' q.out

# --shell: shell syntax works, its spawn time is measured and subtracted.
"$PINCH" bench --shell -r 5 --json 'sleep 0.05; sleep 0.05' >sh.json
is "$(jget sh.json 'int(d["options"]["shell"] == "/bin/sh" and d["options"]["shell_spawn_s"] > 0)')" 1 \
	"--shell: the shell's spawn time is recorded"
within "$(jget sh.json 'd["benchmarks"][0]["stats"]["min"]')" 0.14 0.06 \
	"fastest run of --shell 'sleep 0.05; sleep 0.05' (s, 80..200 ms: the shell's median spawn time is subtracted)"

# -P: one command per value, {NAME} replaced; the relative summary.
"$PINCH" bench -r 3 -P t 0.05,0.1 'sleep {t}' >p.out
ok "-P: both commands ran" grep -q '^Benchmark 2: sleep 0.1$' p.out
# The summary names the faster by mean (on a loaded machine either may
# be), and its ratio is the means' ratio.
summary=$(python3 - p.out <<'PY'
import re, sys
t = open(sys.argv[1]).read()
means = dict(re.findall(r"^Benchmark \d+: (.*)\n  Time \(mean ± σ\): +([0-9.]+) ms", t, re.M))
fast = re.search(r"^  '(.*)' ran$", t, re.M).group(1)
r, slow = re.search(r"^    ([0-9.]+) ± [0-9.]+ times faster than '(.*)'$", t, re.M).groups()
ok = float(means[fast]) <= float(means[slow]) and abs(float(r) - float(means[slow]) / float(means[fast])) <= 0.011
print("ok" if ok else "bad: %s %s %s" % (means, fast, r))
PY
)
is "$summary" ok "relative summary: the faster first, the ratio of the means"
"$PINCH" bench -r 2 -P t 0.01,0.02 'sleep {t}' --json >pj.json
is "$(jget pj.json '[b["parameters"]["t"] for b in d["benchmarks"]]')" "['0.01', '0.02']" "-P values in the JSON"
"$PINCH" bench -r 2 -P t 0.01,0.02 'sleep {t}' --markdown >p.md
is "$(sed -n 1p p.md)" "| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |" "Markdown header"
ok "Markdown rows" grep -Eq '^\| `sleep 0.02` \| [0-9.]+ ± [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| ([0-9.]+ ± [0-9.]+|1.00) \|$' p.md
"$PINCH" bench -r 2 -P t 0.01,0.02 'sleep {t}' --csv >p.csv
is "$(sed -n 1p p.csv)" "command,mean,stddev,median,user,system,min,max,max_rss_bytes,runs,parameter_t" "CSV header"
is "$(cut -d, -f1,10,11 p.csv | tail -2 | tr '\n' ' ')" '"sleep 0.01",2,"0.01" "sleep 0.02",2,"0.02" ' "CSV rows"

# Outliers: run 3 of 12 sleeps 1 s, the others 10 ms (far enough out for a
# loaded machine, whose scheduling delays widen the MAD).
cat >slow3.sh <<'SH'
#!/bin/sh
n=$(cat n 2>/dev/null || echo 0); n=$((n + 1)); echo $n >n
if [ $n -eq 3 ]; then sleep 1; else sleep 0.01; fi
SH
chmod +x slow3.sh
"$PINCH" bench -r 12 ./slow3.sh >o.out
ok "the outlier is reported" grep -Eq '^  Warning: [1-9][0-9]* outliers? \(more than 3.5 MADs from the median\) moves? the mean by \+[0-9.]+ %' o.out

# Failures.
exit_status 1 "a failing command stops the run (exit 1)" "$PINCH" bench -r 3 -- sh -c 'exit 4'
cp .out e.out
ok "... with its exit status" grep -q "^pinch bench: 'sh -c 'exit 4'' failed with exit status 4$" e.out
exit_status 0 "--ignore-failure goes on" "$PINCH" bench -i -r 3 -- sh -c 'exit 4'
cp .out e.out
ok "... and says how many failed" grep -q '^  Warning: 3 of 3 runs exited non-zero' e.out
exit_status 2 "a program that does not exist (exit 2)" "$PINCH" bench -r 1 no-such-program-1401
cp .out e.out
ok "... named with the reason" grep -q "^pinch bench: cannot run 'no-such-program-1401': No such file or directory$" e.out
exit_status 2 "an unclosed quote" "$PINCH" bench -r 1 "echo 'a"
cp .out e.out
ok "... says so" grep -q "^pinch bench: bad command: unclosed ' in" e.out
exit_status 2 "no command" "$PINCH" bench -r 1
exit_status 2 "-P without {NAME} in the command" "$PINCH" bench -r 1 -P n 1,2 'sleep 0.01'
exit_status 2 "-P without a list" "$PINCH" bench -P n
exit_status 2 "two output formats" "$PINCH" bench --json --csv true
exit_status 2 "--runs 0 via --min-runs 0" "$PINCH" bench --min-runs 0 true
exit_status 2 "--fail-if-slower without --compare" "$PINCH" bench --fail-if-slower 5% true
exit_status 2 "nothing after --" "$PINCH" bench --
exit_status 2 "commands both before and after --" "$PINCH" bench true -- false
done_testing
