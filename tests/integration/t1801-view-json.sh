#!/usr/bin/env bash
# t1801-view-json.sh - every view's --json output parses and carries the
# documented keys (view-json-lint.py), on normal and hostile profiles.
. "$(dirname "$0")/lib.sh"
DUMP=$PINCH_BUILDDIR/tests/unit/view-dump
LINT=$PINCH_SRCDIR/tests/integration/view-json-lint.py
command -v python3 >/dev/null || skip_all "python3 missing"

lint_one() {	# lint_one VIEW view-dump-args...
	local view=$1; shift
	"$DUMP" -j "$@" "$view" > out.json && python3 "$LINT" "$view" < out.json
}
lint() {	# lint NAME VIEW view-dump-args...
	local name=$1; shift
	ok "$name" lint_one "$@"
}

for prof in fixture hostile big; do
	lint "top json ($prof)" top -p "$prof"
	lint "top --threads json ($prof)" top -p "$prof" -t
done
lint "lines json" lines -p fixture -f a
lint "lines json, source found" lines -p fixture -f a -r "$PINCH_SRCDIR"
lint "lines json, hostile names" lines -p hostile -f quoted
lint "callers json" callers -p fixture -f a -d 2
lint "callees json" callees -p fixture -f main -d 2
lint "callees json, hostile" callees -p hostile -f operator -d 2
lint "callers json, kernel frame" callers -p hostile -f do_syscall -d 1

# the top total equals the sum of the folded stacks
for prof in fixture hostile big; do
	"$DUMP" -p "$prof" -j top > top.json
	"$DUMP" -p "$prof" collapsed > folded.txt
	want=$(python3 -c 'import json,sys; print(json.load(open("top.json"))["total"])')
	got=$(awk '{ s += $NF } END { printf "%.0f", s }' folded.txt)
	is "$got" "$want" "folded stacks sum to the profile total ($prof)"
done
done_testing
