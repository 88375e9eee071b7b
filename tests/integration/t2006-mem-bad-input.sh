#!/bin/bash
# Bad input: static, set-ID, missing targets; cut-short, empty and foreign
# recordings; usage errors. Clear message, right exit status, no crash.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"

run_status 2 "no command" "$PINCH" mem
run_status 2 "missing command" "$PINCH" mem -- ./no-such-program
ok "says not found" grep -q "command not found" "$TMP/last.out"
printf 'not a program' >plain.txt
run_status 2 "not executable" "$PINCH" mem -- ./plain.txt
if [ -x "$W/mem-static" ]; then
	run_status 2 "static binary refused" "$PINCH" mem -o static.rec -- "$W/mem-static"
	ok "says statically linked" grep -q "statically linked" "$TMP/last.out"
	ok "nothing left behind" test ! -e static.rec
else
	skip "static binary" "no static libc to build one"
fi
printf 'int main(void) { return 0; }\n' >asan.c
if cc -fsanitize=address -o asan-prog asan.c 2>/dev/null; then
	run_status 2 "sanitized binary refused (ASan owns malloc)" "$PINCH" mem -- ./asan-prog
	ok "says sanitizer" grep -q "built with a sanitizer" "$TMP/last.out"
else
	skip "sanitized binary" "cannot build with -fsanitize=address here"
	skip "says sanitizer" "cannot build with -fsanitize=address here"
fi
cp "$W/mem-align" ./setuid-prog && chmod u+s ./setuid-prog
run_status 2 "set-user-ID refused" "$PINCH" mem -- ./setuid-prog
ok "says set-user-ID" grep -q "set-user-ID" "$TMP/last.out"
run_status 2 "bad --what" "$PINCH" mem --what nothing -- "$W/mem-align"
run_status 2 "bad signal" "$PINCH" mem --snapshot-signal KILL -- "$W/mem-align"

# recordings
"$PINCH" mem -q -o good.rec -- "$W/mem-leak" 2>/dev/null
size=$(stat -c %s good.rec)
head -c $((size - 100)) good.rec >cut.rec
run_status 0 "cut-short recording still reports" "$PINCH" mem report cut.rec
ok "with a warning" grep -q "cut short" "$TMP/last.out"
head -c 1400 good.rec >cut2.rec
run_status 0 "cut before the final figures" "$PINCH" mem report cut2.rec
ok "says what it summed" grep -q "summed from the sites" "$TMP/last.out"
: >empty.rec
run_status 1 "empty recording" "$PINCH" mem report empty.rec
ok "says empty" grep -q "empty" "$TMP/last.out"
head -c 64 good.rec >header.rec
run_status 1 "header only" "$PINCH" mem report header.rec
run_status 2 "missing recording" "$PINCH" mem report nope.rec
run_status 2 "diff needs labels" "$PINCH" mem diff good.rec --from a
run_status 2 "diff of a recording without snapshots" "$PINCH" mem diff good.rec --from a --to b
ok "says there are none" grep -q "the recording has none" "$TMP/last.out"
run_status 2 "no such pid" "$PINCH" mem report --pid 1 good.rec
mkdir newest && cd newest && cp ../good.rec ./x.rec
run_status 0 "newest recording found" "$PINCH" mem report
ok "names it" grep -q "reading x.rec" "$TMP/last.out"
cd .. && mkdir none && cd none
run_status 2 "no recording here" "$PINCH" mem report
done_testing
