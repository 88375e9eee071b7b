#!/usr/bin/env bash
# t7201-io: pinch io: the iostat -x table for the devices of
# /proc/diskstats, JSON (kind io), --pid rates of an idle process (exactly
# 0), --latency seeing at least the 64 direct writes made during its
# interval (BPF, root), bad input.
. "$(dirname "$0")/lib.sh"

"$PINCH" io -i 200ms -c 2 >io.txt
is "$?" 0 "io -i 200ms -c 2"
is "$(grep -c '^Device  *r/s  *rkB/s  *rrqm/s  *r_await  *rareq-sz  *w/s  *wkB/s  *wrqm/s  *w_await  *wareq-sz  *aqu-sz  *%util$' io.txt)" 2 "two reports with iostat -x's columns"
dev=$(awk 'NF >= 14 && $3 !~ /^(loop|ram|zram)/ {print $3; exit}' /proc/diskstats)
if [ -n "$dev" ]; then
	ok "a device of /proc/diskstats is listed ($dev)" grep -q "^$dev " io.txt
	"$PINCH" io --json -i 100ms -c 1 -d "$dev" >io.json
	is "$(jq -r '.kind + "/" + (.schema | tostring) + "/" + .intervals[0].devices[0].device' io.json)" "io/1/$dev" "JSON: kind io, the device asked for"
	ok "JSON: %util within 0..100" jq -e '.intervals[0].devices[0].util_pct | . >= 0 and . <= 100' io.json
fi
exit_status 2 "an unknown device: usage error" "$PINCH" io -d nosuchdev0
cp "$TMP/.out" last.out
ok "... listing the devices" grep -q "no device 'nosuchdev0'" last.out

sleep 30 &
pid=$!
# past its start-up (the loader's reads): blocked in clock_nanosleep (230)
for i in $(seq 100); do [ "$(cut -d' ' -f1 /proc/$pid/syscall 2>/dev/null)" = 230 ] && break; sleep 0.05; done
"$PINCH" io --pid $pid --json -i 100ms -c 3 >pid.json
is "$?" 0 "io --pid"
is "$(jq '[.intervals[] | .read_bps + .write_bps + .storage_read_bps + .storage_write_bps] | add' pid.json)" 0 "an idle process: exactly 0 B/s"
is "$(jq '.intervals | length' pid.json)" 3 "3 intervals"
kill $pid
wait $pid 2>/dev/null
exit_status 1 "--pid of a gone process" "$PINCH" io --pid $pid

if [ "$(id -u)" = 0 ] && "$PINCH" io --latency -i 10ms -c 1 >/dev/null 2>lat.err; then
	# 64 direct (uncached) synchronous writes of 64 KiB on the disk of $PWD
	if dd if=/dev/zero of=direct.probe bs=64k count=1 oflag=direct 2>/dev/null; then
		"$PINCH" io --latency --json -i 6s -c 1 >lat.json &
		lp=$!
		sleep 2
		dd if=/dev/zero of=direct.out bs=64k count=64 oflag=direct,dsync 2>/dev/null
		wait $lp
		is "$?" 0 "io --latency"
		ok "at least the 64 direct writes were timed" test "$(jq '[.intervals[0].log2_ns_hist[]] | add' lat.json)" -ge 64
	else
		skip "io --latency counts direct writes" "O_DIRECT is not supported on $PWD's file system"
	fi
	"$PINCH" io --latency -i 100ms -c 1 >lat.txt
	ok "text histogram header" grep -q 'usecs : count    distribution\|no block I/O completed' lat.txt
elif [ "${CI:-}" = true ]; then
	ok "io --latency loads BPF under CI" false
else
	skip "io --latency" "BPF not available: $(cat lat.err)"
fi
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	exit_status 1 "--latency as nobody: BPF refused, exit 1" setpriv --reuid=nobody --regid=nogroup --clear-groups "$PINCH" io --latency -c 1 -i 10ms
	cp "$TMP/.out" last.out
	ok "... saying so" grep -q "BPF refused" last.out
fi
exit_status 2 "unexpected argument" "$PINCH" io sda
exit_status 2 "--interval 1ms" "$PINCH" io -i 1ms
done_testing
