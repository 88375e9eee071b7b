#!/usr/bin/env bash
# t7001-stat: pinch stat against the sys-work ground truth: RSS growth and
# bytes written within 2 %, exact peak threads and process counts for a
# threaded and a forking command, the JSON contract pinch check reads
# (kind, schema, cpu_pct of the whole machine, memory_pct), --interval
# series and --svg, --pid, exit status passing, bad input.
. "$(dirname "$0")/lib.sh"
W=${PINCH_WORKLOADS:-${PINCH_BUILDDIR:-.}/tests/workloads}
SW=$W/sys-work
MIB=1048576

j() { jq -r "$1" "$2"; }

# RSS and bytes: 100 MiB touched and 64 MiB written; the workload prints
# its own VmHWM (the kernel's answer) to stderr.
"$PINCH" stat --json -- "$SW" rss 100 "$TMP/out" 64 >rss.json 2>rss.err
is "$?" 0 "stat --json -- sys-work rss 100 FILE 64"
is "$(j .kind rss.json)/$(j .schema rss.json)" "stat/1" "kind stat, schema 1"
hwm=$(awk '/^VmHWM/ {print $2}' rss.err)
ok "the workload's VmHWM is over 100 MiB" test "$hwm" -ge $((100 * MIB))
within "$(j .max_rss_bytes rss.json)" "$hwm" $((hwm / 50)) "max RSS is the workload's VmHWM (2 %)"
# a command whose peak may stay below pinch's own forked image (the
# kernel keeps that image's high-water mark in the command's ru_maxrss;
# under ASan it is ~8 MiB): its VmHWM sampled after the exec
"$PINCH" stat -o small.json -- "$SW" hold 2 1 0 >/dev/null 2>small.err
hwm=$(awk '/^VmHWM/ {print $2}' small.err)
within "$(j .max_rss_process_bytes small.json)" "$hwm" $((hwm / 50 + 65536)) "a small command's max RSS is its own, not pinch's fork (2 %)"
within "$(j .write_bytes rss.json)" $((64 * MIB)) $((64 * MIB / 50)) "64 MiB written (2 %)"
is "$(j .exit_status rss.json)" 0 "exit status 0"
ncpu=$(nproc)
mem_kib=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
ok "cpu_pct is (user+sys)/wall over all $ncpu CPUs" awk -v u="$(j .user_s rss.json)" -v s="$(j .sys_s rss.json)" \
	-v w="$(j .wall_s rss.json)" -v p="$(j .cpu_pct rss.json)" -v n="$ncpu" \
	'BEGIN { e = (u + s) / w / n * 100; d = e - p; if (d < 0) d = -d; exit !(d < 0.01 && p <= 100) }'
ok "memory_pct is max RSS over MemTotal (or the cgroup limit)" awk -v r="$(j .max_rss_bytes rss.json)" \
	-v p="$(j .memory_pct rss.json)" -v m="$mem_kib" -v l="$(j .mem_limit_bytes rss.json)" \
	'BEGIN { cap = m * 1024; if (l != "null" && l + 0 < cap) cap = l; e = r / cap * 100; d = e - p; if (d < 0) d = -d; exit !(d < 1e-4) }'
for k in wall_s user_s sys_s minor_faults major_faults voluntary_ctxsw involuntary_ctxsw \
	storage_read_bytes storage_write_bytes peak_fds; do
	ok "JSON has $k" test "$(j ".$k | numbers | . >= 0" rss.json)" = true
done

# threads and children
"$PINCH" stat --json -- "$SW" threads 8 1000 >thr.json
is "$(j .peak_threads thr.json)" 9 "8 threads + main: peak threads 9"
is "$(j .processes thr.json)" 1 "... one process"
"$PINCH" stat --json -- "$SW" fork 4 1000 16 >fork.json
is "$(j .processes fork.json)" 5 "fork 4: 5 processes"
is "$(j .peak_threads fork.json)" 5 "... peak threads 5 (one each)"
within "$(j .write_bytes fork.json)" $((64 * MIB)) $((64 * MIB / 50)) "children's writes counted: 4 x 16 MiB (2 %)"
ok "the tree's RSS sum (>= 4 x 16 MiB) is above the biggest process's" \
	test "$(j .max_rss_bytes fork.json)" -ge $((64 * MIB)) -a "$(j .max_rss_process_bytes fork.json)" -lt $((32 * MIB))

# perf counters: present, or a note saying why not
if [ "$(j '.perf | type' rss.json)" = object ]; then
	ok "perf page faults >= the 25,600 pages touched" test "$(j .perf.page_faults rss.json)" -ge 25600
	within "$(j .perf.task_clock_ns thr.json)" "$(awk -v u="$(j .user_s thr.json)" -v s="$(j .sys_s thr.json)" 'BEGIN { printf "%.0f", (u + s) * 1e9 }')" 20000000 "task-clock agrees with user+sys (20 ms)"
else
	ok "perf refused: a note" test -n "$(j .perf_note rss.json)"
fi

# --interval, the text chart and --svg
"$PINCH" stat -i 100ms --svg st.svg -- "$SW" fork 2 10 8 2>chart.txt
is "$?" 0 "stat -i 100ms --svg"
ok "text summary" grep -q '^  max RSS ' chart.txt
ok "text chart rows" grep -q '^  RSS .* max ' chart.txt
ok "svg written" grep -q '<polyline' st.svg
"$PINCH" stat --json -i 100ms -- "$SW" threads 2 10 >ser.json
ok "series: >= 9 points over >= 1 s" test "$(j '.series | length' ser.json)" -ge 9
is "$(j '[.series[].threads] | max' ser.json)" 3 "series: 3 threads at the peak"

# --pid
"$SW" threads 4 10 &
pid=$!
sleep 0.3
"$PINCH" stat --json --pid $pid --duration 300ms >pid.json
is "$?" 0 "stat --pid --duration"
is "$(j .attached pid.json)" true "attached"
is "$(j .peak_threads pid.json)" 5 "attached: 5 threads"
wait $pid
"$PINCH" stat --json --pid $pid >gone.json 2>gone.err
is "$?" 1 "stat --pid of a gone process: exit 1"
ok "... says so" grep -q "no process with pid $pid" gone.err

# exit status, bad input
exit_status 3 "the command's exit status is passed on" "$PINCH" stat -- sh -c 'exit 3'
exit_status 2 "no command: usage" "$PINCH" stat
exit_status 2 "--pid and a command: usage" "$PINCH" stat --pid 1 -- true
exit_status 2 "unknown command: 2" "$PINCH" stat -- /nonexistent/prog
exit_status 2 "--svg without --interval" "$PINCH" stat --svg x.svg -- true
exit_status 2 "--interval 1ms" "$PINCH" stat -i 1ms -- true
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	exit_status 1 "another user's view: pid 1 as nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups "$PINCH" stat --pid 1 --duration 100ms
fi
done_testing
