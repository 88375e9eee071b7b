#!/usr/bin/env bash
# t7301-top-machine: pinch top without --pid lists the machine's
# processes: a process holding 256 MiB with 3 extra threads is listed with
# its exact thread count and its RSS within 2 %, a spinning one is first
# when sorted by CPU among the workloads; --sort rss/threads, JSON (kind
# top), bad options.
. "$(dirname "$0")/lib.sh"
W=${PINCH_WORKLOADS:-${PINCH_BUILDDIR:-.}/tests/workloads}
MIB=1048576

"$W/sys-work" hold 256 20 3 >hold.out &
hold=$!
"$W/spin-forever-fp" >/dev/null &
spin=$!
for i in $(seq 100); do grep -q ready hold.out && break; sleep 0.1; done

"$PINCH" top --once --json -n 0 -i 1s >m.json
is "$?" 0 "top --once --json (whole machine)"
is "$(jq -r '.kind + "/" + (.schema | tostring) + "/" + .scope' m.json)" "top/1/machine" "kind top, schema 1, scope machine"
row() { jq -r --argjson p "$1" ".processes[] | select(.pid == \$p) | .$2" m.json; }
is "$(row $hold comm)" sys-work "the holder is listed"
is "$(row $hold threads)" 4 "... with 4 threads"
within "$(row $hold rss_bytes)" $((256 * MIB)) $((256 * MIB / 50)) "... and 256 MiB resident (2 %)"
is "$(row $hold cpu_pct)" 0 "... idle: 0 % CPU"
ok "the spinner uses CPU" awk -v c="$(row $spin cpu_pct)" 'BEGIN { exit !(c > 1) }'
ok "sorted by CPU: the spinner before the holder" test "$(jq --argjson s $spin --argjson h $hold '[.processes[].pid] | (index($s) < index($h))' m.json)" = true
is "$(jq '[.processes[].cpu_pct] | . == (sort | reverse)' m.json)" true "rows in descending CPU order"

"$PINCH" top --once --json -n 0 -i 200ms --sort rss >r.json
is "$(jq '[.processes[].rss_bytes] | . == (sort | reverse)' r.json)" true "--sort rss: descending RSS"
"$PINCH" top --once -n 5 -i 200ms --sort threads >t.txt
is "$?" 0 "text table"
ok "header" grep -q '^    PID USER         %CPU        RSS  THR       READ/s      WRITE/s  COMMAND$' t.txt
# fields: PID USER %CPU RSS-number RSS-unit THR ...
is "$(sed -n '4,8p' t.txt | awk '{print $6}' | sort -rn | tr '\n' ' ')" "$(sed -n '4,8p' t.txt | awk '{print $6}' | tr '\n' ' ')" "--sort threads: descending thread counts"

# interactive, in a pseudo-terminal: the spinner's pid typed and Enter
# drill into it with the per-process view, q there comes back to the
# machine list, q again quits
if command -v script >/dev/null; then
	(sleep 2; printf '%s\r' $spin; sleep 6; printf 'q'; sleep 3; printf 'q') |
		timeout 30 script -qfec "stty rows 30 cols 120; '$PINCH' top -i 500ms" /dev/null >tty.out
	is "$?" 0 "interactive: quits with q"
	tr -d '\r' <tty.out | grep -ao "pinch top: pid $spin, \|pinch top: [0-9]* processes" | uniq >tty.seq
	ok "machine list, then a process's hottest functions, then the list again" \
		test "$(sed 's/^pinch top: pid.*/P/; s/^pinch top: [0-9].*/L/' tty.seq | uniq | tr -d '\n')" = LPL
fi
kill $hold $spin
wait 2>/dev/null

exit_status 2 "--sort bogus" "$PINCH" top --sort bogus --once
exit_status 2 "--interval 10ms" "$PINCH" top -i 10ms --once
exit_status 2 "--pid and a command" "$PINCH" top --pid 1 -- true
done_testing
