#!/usr/bin/env bash
# t1901-doctor: pinch doctor names the bottleneck class and site of
# workloads whose answer is known: CPU-bound (hotline: hot() at the HOT
# LINE; cpu-603010: sixty() with 60 % of the CPU), sleeping (nap() at
# usleep), blocked on a pipe read (wait_for_data()), blocked in fsync
# (sync_records()), page faults (touch_pages(), 163,840 minor faults),
# allocation churn with --mem (mem-heavy 12000000: 12,001,001 allocations, 5
# sites of 2,400,000 each; enough pairs that its 64 MiB spike's page faults,
# which a busy machine makes slower, stay well behind the churn), --pid, the JSON contract, --html, -o, bad input.
. "$(dirname "$0")/lib.sh"
W=${PINCH_WORKLOADS:-${PINCH_BUILDDIR:-.}/tests/workloads}
SRC=${PINCH_SRCDIR:-.}/tests/workloads
command -v jq >/dev/null || { [ "${CI:-}" = true ] && { echo "not ok 1 - jq missing"; exit 1; }; skip_all "jq is not installed"; }

j() { jq -r "$1" "$2"; }
line_of() { grep -n "$1" "$SRC/$2" | head -1 | cut -d: -f1; }
# doctor NAME ARGS...: pinch doctor --json -o NAME.json ARGS (stdout is the
# workload's own output and the JSON)
doctor() {
	local name=$1; shift
	"$PINCH" doctor -o "$name.json" "$@" >"$name.out" 2>"$name.err"
}
# the share of a finding of class C ("" when absent)
class_rank() { jq -r --arg c "$2" '[.findings[].class] | index($c) // ""' "$1"; }

# CPU-bound: hot() at the HOT LINE
doctor hot --html doc.html -- "$W/hotline-fp" 20000000 t1901
is "$?" 0 "doctor -- hotline-fp exits 0"
is "$(j .kind hot.json)/$(j .schema hot.json)" "doctor/1" "kind doctor, schema 1"
is "$(j '.findings[0].class' hot.json)" cpu "hotline: CPU-bound"
is "$(j '.findings[0].site.function' hot.json)" hot "hotline: in hot()"
is "$(j '.findings[0].site.line' hot.json)" "$(line_of '/\* HOT LINE' hotline.c)" "hotline: at the HOT LINE"
ok "hotline: hot() has over 95 % of the CPU samples, its line over 80 %" \
	jq -e '.cpu.top[0].share > 0.95 and .cpu.top[0].line_share > 0.8' hot.json
ok "hotline: the finding's share is over 90 % of its own time" jq -e '.findings[0].share > 0.9' hot.json
ok "hotline: next command reports hot's lines" grep -q 'pinch report --lines hot' hot.json
ok "hotline: the text names the bottleneck first" \
	sh -c "grep -m1 -E '^(bottleneck|second|third):' hot.out | grep -q '^bottleneck:  CPU-bound in hot (hotline.c:'"
is "$(j .runs hot.json)" "1 run: cpu+stat" "hotline: one run"
ok "user + system within 2 % of the samples' CPU time (or 20 ms)" jq -e \
	'((.resources.user_ns + .resources.sys_ns) - .cpu.sampled_ns | fabs) <= ([.cpu.sampled_ns * 0.02, 20000000] | max)' hot.json

# CPU-bound: sixty() with 60 % of the CPU, thirty() second
doctor c603 -- "$W/cpu-603010-fp" 12 t1901
is "$(j '.findings[0].class' c603.json)/$(j '.findings[0].site.function' c603.json)" cpu/sixty "cpu-603010: CPU-bound in sixty()"
within "$(j '.cpu.top[0].share' c603.json)" 0.60 0.05 "cpu-603010: sixty 60 % of the CPU samples (+-5 points)"
is "$(j '.cpu.top[1].function' c603.json)" thirty "cpu-603010: thirty() next"

# sleeping in nap(): 400 x usleep(1000)
doctor sleep -- "$W/doctor-block" sleep t1901
is "$(j '.findings[0].class' sleep.json)" blocked-sleep "sleep: class blocked-sleep"
is "$(j '.findings[0].site.function' sleep.json)" nap "sleep: at nap()"
is "$(j '.findings[0].site.line' sleep.json)" "$(line_of '/\* SLEEP LINE' doctor-block.c)" "sleep: at the usleep line"
is "$(j '.blocked[0].syscall' sleep.json)" clock_nanosleep "sleep: in clock_nanosleep"
ok "sleep: 400 ms or more blocked, at most the wall time" \
	jq -e '.blocked[0].ns >= 360000000 and .blocked[0].ns <= .resources.wall_ns' sleep.json
ok "sleep: 400 voluntary context switches or more" jq -e '.resources.voluntary_switches >= 400' sleep.json
ok "sleep: under 10 % CPU" jq -e '.resources.cpu_utilisation < 0.1' sleep.json
# (with off-CPU stacks, the next command is their view; else syscalls)
ok "sleep: next command shows the sleep (off-CPU callers, or clock_nanosleep timed)" \
	grep -Eq "pinch report --callers '\[off: sleep\]'|pinch syscalls -e clock_nanosleep" sleep.json

# blocked on a pipe read in wait_for_data()
doctor pipe -- "$W/doctor-block" pipe t1901
is "$(j '.findings[0].class' pipe.json)" blocked-io "pipe: class blocked-io"
is "$(j '.findings[0].site.function' pipe.json)" wait_for_data "pipe: at wait_for_data()"
is "$(j '.findings[0].site.line' pipe.json)" "$(line_of '/\* READ LINE' doctor-block.c)" "pipe: at the read line"
is "$(j '.blocked[0].syscall' pipe.json)/$(j '.blocked[0].object' pipe.json)" read/pipe "pipe: in read on a pipe"
is "$(grep -c '^read 200 bytes$' pipe.out)" 1 "pipe: the workload's output passes through"

# blocked in fsync in sync_records(), on a disk file system
dir=$TMP
[ "$(stat -f -c %T "$TMP")" = tmpfs ] && dir=${PINCH_BUILDDIR:-$PWD}
doctor fsync -- "$W/doctor-block" fsync "$dir/t1901-fsync.dat"
is "$(j '.findings[0].class' fsync.json)" blocked-io "fsync: class blocked-io"
is "$(j '.findings[0].site.function' fsync.json)" sync_records "fsync: at sync_records()"
is "$(j '.findings[0].site.line' fsync.json)" "$(line_of '/\* FSYNC LINE' doctor-block.c)" "fsync: at the fsync line"
is "$(j '.blocked[0].syscall' fsync.json)" fsync "fsync: in fsync"
is "$(j '.blocked[0].object' fsync.json)" "$dir/t1901-fsync.dat" "fsync: on the data file"

# page faults in touch_pages(): 10 x 16384 fresh pages
doctor faults -- "$W/doctor-faults" 10 t1901
is "$(j '.findings[0].class' faults.json)" page-faults "faults: class page-faults"
is "$(j '.findings[0].site.function' faults.json)" touch_pages "faults: in touch_pages()"
within "$(j '.resources.minor_faults' faults.json)" 163840 3277 "faults: 163,840 minor faults (2 %)"

# allocation churn, with --mem: 2 runs
doctor mem --mem -- "$W/mem-heavy" 12000000
is "$(j '.findings[0].class' mem.json)" alloc-churn "mem-heavy --mem: allocation churn"
ok "mem-heavy --mem: at one of its five sites" \
	sh -c "jq -r '.findings[0].site.function' mem.json | grep -qx 'site_malloc\|site_calloc\|site_memalign\|site_realloc\|site_small'"
is "$(j '.mem.alloc_calls' mem.json)" 12001001 "mem-heavy --mem: 12,001,001 allocations"
is "$(j '.mem.top[0].calls' mem.json)" 2400000 "mem-heavy --mem: 2,400,000 at the top site"
is "$(j .runs mem.json)" "2 runs: cpu+stat, then mem" "mem-heavy --mem: says it ran twice"
doctor mem1 -- "$W/mem-heavy" 12000000
is "$(j '.findings[0].class' mem1.json)" alloc-churn "mem-heavy without --mem: allocation churn from the CPU samples"
ok "mem-heavy without --mem: next is doctor --mem" grep -q 'pinch doctor --mem -- ' mem1.json

# --pid: a spinning process watched for 1 s
"$W/spin-forever-fp" 1 t1901-pid >spin.out &
spid=$!
for _ in $(seq 50); do grep -q ready spin.out 2>/dev/null && break; sleep 0.1; done
doctor pid --pid "$spid" --duration 1s
kill "$spid"; wait "$spid" 2>/dev/null
is "$(j '.findings[0].class' pid.json)/$(j '.findings[0].site.function' pid.json)" cpu/spin "--pid: CPU-bound in spin()"
ok "--pid: the next command attaches" grep -q "pinch record --pid $spid --duration 1s" pid.json

# --pid of a process that exits during the run (killed 1.5 s into 10, 6 s when sanitized)
"$W/spin-forever-fp" 1 t1901-gone >gone.spin &
gpid=$!
for _ in $(seq 50); do grep -q ready gone.spin 2>/dev/null && break; sleep 0.1; done
doctor gone --pid "$gpid" --duration 10s &
dpid=$!
# (the sanitized pinch takes longer to attach)
sleep "$([ "${PINCH_SANITIZED:-0}" = 1 ] && echo 6 || echo 1.5)"
kill "$gpid"
wait "$dpid"
is "$?" 0 "--pid, process exits: doctor exits 0"
wait "$gpid" 2>/dev/null
ok "--pid, process exits: says so" grep -q "pid $gpid exited during the run" gone.json
is "$(j '.findings[0].class' gone.json)/$(j '.findings[0].site.function' gone.json)" cpu/spin "--pid, process exits: CPU-bound in spin()"
ok "--pid, process exits: its CPU time up to the last poll" jq -e '.resources.user_ns > 0' gone.json

# --html of the hotline run; --json on stdout after the workload's output
ok "--html writes the diagnosis and the profile" sh -c "grep -q 'Diagnosis' doc.html && grep -q 'bottleneck:  CPU-bound in hot' doc.html"
"$PINCH" doctor --json -- "$W/cpu-603010-fp" 3 t1901 >both.out 2>/dev/null
is "$?" 0 "--json exits 0"
ok "--json prints the document after the workload's output" sh -c "sed -n '/^{/,\$p' both.out | jq -e '.kind == \"doctor\" and .findings[0].site.function == \"sixty\"'"

# bad input
exit_status 2 "no command" "$PINCH" doctor
exit_status 2 "--pid without --duration" "$PINCH" doctor --pid $$
exit_status 2 "--pid with --mem" "$PINCH" doctor --pid $$ --duration 1s --mem
exit_status 2 "--pid and a command" "$PINCH" doctor --pid $$ --duration 1s -- true
exit_status 1 "a pid that does not exist" "$PINCH" doctor --pid 999999999 --duration 1s
"$PINCH" doctor -- ./no-such-program-t1901 >bad.out 2>bad.err
is "$?" 2 "a command that does not exist: exit 2"
ok "a command that does not exist: says so" grep -q "no-such-program-t1901" bad.err
"$PINCH" doctor -- "$W/doctor-block" nosuchmode >st.out 2>&1
is "$?" 2 "the command's exit status passes through"

done_testing
