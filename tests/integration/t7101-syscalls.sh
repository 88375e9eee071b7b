#!/usr/bin/env bash
# t7101-syscalls: pinch syscalls against the sys-work ground truth, for
# both mechanisms (bpf, ptrace): exactly 100,000 getppid, 1,010 open with
# 10 ENOENT, 1,000 more close than a run without the loop, threads and
# forked children followed, -e filtering, --trace file listing the exact
# paths and errno names; BPF refused as another user (exit 1 when forced,
# ptrace fallback named in the header otherwise); bad input.
. "$(dirname "$0")/lib.sh"
W=${PINCH_WORKLOADS:-${PINCH_BUILDDIR:-.}/tests/workloads}
SW=$W/sys-work

# calls FILE NAME FIELD: .calls or .errors of one syscall in a JSON result
calls() { jq -r --arg n "$2" "[.syscalls[] | select(.name == \$n) | .$3] | add // 0" "$1"; }

mechs=(ptrace)
if [ "$(id -u)" = 0 ] && "$PINCH" syscalls -m bpf -- true >/dev/null 2>probe.err; then
	mechs=(bpf ptrace)
elif [ "${CI:-}" = true ]; then
	echo "not ok 1 - BPF must load under CI (root): $(cat probe.err)"
	echo "1..1"
	exit 1
else
	echo "# BPF not available here ($(cat probe.err 2>/dev/null)); ptrace only"
fi

for m in "${mechs[@]}"; do
	mkdir -p "d$m"
	"$PINCH" syscalls -m $m --json -- "$SW" calls 100000 "$TMP/d$m" >"$m.json"
	is "$?" 0 "$m: syscalls --json -- sys-work calls 100000"
	is "$(jq -r .mechanism "$m.json")/$(jq -r .kind "$m.json")/$(jq -r .schema "$m.json")" "$m/syscalls/1" "$m: mechanism named, kind syscalls, schema 1"
	is "$(calls "$m.json" getppid calls)" 100000 "$m: 100,000 getppid"
	is "$(calls "$m.json" getppid errors)" 0 "$m: ... no errors"
	is "$(calls "$m.json" open calls)" 1010 "$m: 1,010 open"
	is "$(calls "$m.json" open errors)" 10 "$m: ... 10 of them failed"
	"$PINCH" syscalls -m $m --json -- "$SW" calls 0 "$TMP/d$m" >"$m-0.json"
	is "$(( $(calls "$m.json" close calls) - $(calls "$m-0.json" close calls) ))" 1000 "$m: 1,000 more close than without the loop"
	is "$(calls "$m.json" execve calls)/$(calls "$m.json" exit_group calls)" 1/1 "$m: one execve, one exit_group"
	ok "$m: p50 <= p99 <= max for getppid" jq -e '.syscalls[] | select(.name == "getppid") | .p50_ns <= .p99_ns and .p99_ns <= .max_ns and .max_ns > 0' "$m.json"
	is "$(jq '[.syscalls[] | select(.name == "getppid") | .log2_hist[]] | add' "$m.json")" 100000 "$m: the histogram holds every getppid"

	"$PINCH" syscalls -m $m --json -- "$SW" threads 8 1000 >"$m-thr.json"
	is "$(calls "$m-thr.json" getppid calls)" 8000 "$m: 8 threads x 1,000 getppid"
	"$PINCH" syscalls -m $m --json -- "$SW" fork 4 1000 0 >"$m-fork.json"
	is "$(calls "$m-fork.json" getppid calls)" 4000 "$m: 4 children x 1,000 getppid"
	is "$(jq -r .processes "$m-fork.json")" 5 "$m: 5 processes followed"

	"$PINCH" syscalls -m $m --json -e getppid,open -- "$SW" calls 1000 "$TMP/d$m" >"$m-e.json"
	is "$(jq -r '[.syscalls[].name] | sort | join(",")' "$m-e.json")" "getppid,open" "$m: -e getppid,open counts only those"
	is "$(calls "$m-e.json" open calls)" 20 "$m: ... 20 open"

	"$PINCH" syscalls -m $m --trace file --trace-output "$m.trace" -- "$SW" calls 1000 "$TMP/d$m" 2>"$m.table"
	is "$?" 0 "$m: --trace file"
	is "$(stat -c %a "$m.trace")" 600 "$m: the trace file (arguments read from the process) is mode 0600"
	is "$(grep -c "open(\"$TMP/d$m/missing[0-9]\", O_RDONLY) = -1 ENOENT (No such file or directory)" "$m.trace")" 10 "$m: 10 failed opens listed with path, flags, errno name"
	is "$(grep -c "open(\"$TMP/d$m/f[0-9]\", O_RDONLY) = [0-9]" "$m.trace")" 10 "$m: 10 successful opens listed with their fds"
	ok "$m: the missing paths in order" test "$(grep -o 'missing[0-9]' "$m.trace" | tr -d '\n')" = missing0missing1missing2missing3missing4missing5missing6missing7missing8missing9
	ok "$m: no getppid in a file trace" test "$(grep -c getppid "$m.trace")" = 0
	ok "$m: the header names the mechanism" grep -q "mechanism $m" "$m.table"
done

# --pid with BPF: a process's syscalls from the attach on
if [ "${mechs[0]}" = bpf ]; then
	sleep 5 &
	pid=$!
	"$PINCH" syscalls --pid $pid --duration 200ms --json >att.json
	is "$?" 0 "bpf: --pid --duration"
	is "$(jq -r .attached att.json)" true "... attached"
	kill $pid
fi
exit_status 1 "ptrace cannot attach: a clear message" "$PINCH" syscalls -m ptrace --pid $$ --duration 100ms
cp "$TMP/.out" last.out
ok "... says why" grep -q "cannot watch a running process" last.out

# BPF refused: another user
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	NB=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	exit_status 1 "as nobody, -m bpf: exit 1" "${NB[@]}" "$PINCH" syscalls -m bpf -- true
	cp "$TMP/.out" last.out
	ok "... BPF refused, with the reason" grep -q "BPF refused" last.out
	chmod 755 "$TMP"
	mkdir -p nb && chmod 777 nb
	"${NB[@]}" "$PINCH" syscalls --json -- "$SW" calls 1000 "$TMP/nb" >nb.json 2>nb.err
	is "$?" 0 "as nobody, default: falls back"
	is "$(jq -r .mechanism nb.json)" ptrace "... to ptrace"
	ok "... saying why" jq -e '.bpf_refused | test("not permitted")' nb.json
	is "$(calls nb.json getppid calls)" 1000 "... and counts exactly"
fi

# bad input
exit_status 2 "unknown syscall" "$PINCH" syscalls -e getppid,nosuchcall -- true
tr -d '\n' <"$TMP/.out" >last.out
ok "... lists the valid names" grep -q "unknown syscall 'nosuchcall'.*getppid" last.out
exit_status 2 "unknown --trace group" "$PINCH" syscalls --trace files -- true
exit_status 2 "unknown mechanism" "$PINCH" syscalls -m dtrace -- true
exit_status 2 "no command" "$PINCH" syscalls
exit_status 2 "command not found" "$PINCH" syscalls -- /nonexistent/prog
exit_status 1 "no such pid" "$PINCH" syscalls --pid 999999999
exit_status 3 "the command's exit status is passed on" "$PINCH" syscalls -m ptrace -- sh -c 'exit 3'
done_testing
