#!/usr/bin/env bash
# t1104-report-bad-input.sh - pinch report on bad input: empty, cut short,
# corrupt, newer-version and missing files, no recording in the directory,
# a function that matches nothing, bad options. Each ends with a non-zero
# exit, a one-line "pinch report: ..." message (plus at most one hint),
# and never a crash; a recording cut mid-way still reports what it holds.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

# fails WANT_STATUS "name" ARGS...: exits WANT, no crash, one message line
fails() {
	local want=$1 name=$2 rc; shift 2
	"$PINCH" report "$@" >out.txt 2>err.txt; rc=$?
	is "$rc" "$want" "$name: exit $want"
	ok "$name: one 'pinch report:' line and at most a hint" \
		awk 'NR == 1 && !/^pinch report: / { exit 1 } NR == 2 && !/^hint: / { exit 1 } NR > 2 { exit 1 }' err.txt
	ok "$name: says why ($(head -1 err.txt))" test -s err.txt
}

mkdir empty-dir && cd empty-dir
fails 1 "no recording in the directory" 
ok "no recording: hints at pinch record" grep -q "hint: run 'pinch record" err.txt
cd ..

fails 1 "missing file" nosuch.rec
ok "missing file: names it" grep -q "nosuch.rec" err.txt

: >empty.rec
fails 1 "empty file" empty.rec
ok "empty file: says so" grep -q 'empty' err.txt

# (seeded, so every run reads the same bytes; the first is not 0x0a or
# 0x1f, which begin a raw or gzipped pprof profile)
python3 -c 'import random, sys; r = random.Random(1104); sys.stdout.buffer.write(b"\x7f" + bytes(r.getrandbits(8) for _ in range(4095)))' >random.rec
fails 1 "random bytes" random.rec
ok "random bytes: not a recording" grep -q 'not a pinch recording' err.txt

record good.rec -- "$W/cpu-603010-fp" 10
samples=$(jget good.rec 'd["recording"]["samples"]')

# The version field is the uint32 at offset 8.
cp good.rec newer.rec
printf '\x63\x00\x00\x00' | dd of=newer.rec bs=1 seek=8 conv=notrunc status=none
fails 1 "newer version" newer.rec
ok "newer version: says so" grep -q 'newer' err.txt

# A bad magic inside a valid-looking size: corrupt, not a crash.
cp good.rec badmagic.rec
printf 'XXXX' | dd of=badmagic.rec bs=1 seek=0 conv=notrunc status=none
fails 1 "corrupt header" badmagic.rec

size=$(stat -c %s good.rec)
cp good.rec cut.rec
truncate -s $((size / 2 + 3)) cut.rec
"$PINCH" report cut.rec >cut.txt 2>cut.err; rc=$?
is "$rc" 0 "cut in the middle: still reports"
ok "cut in the middle: warns that it is cut short" grep -q 'warning: the recording is cut short' cut.err
ok "cut in the middle: shows the samples it has" grep -q '^hottest: ' cut.txt
is "$(jget cut.rec 'd["recording"]["truncated"]')" True "cut in the middle: --json says truncated"
n=$(jget cut.rec 'd["recording"]["samples"]')
ok "cut in the middle: fewer samples ($n of $samples)" test "$n" -lt "$samples" -a "$n" -gt 0

# Corrupt records inside: random bytes after the header.
cp good.rec garbled.rec
head -c 2000 /dev/urandom | dd of=garbled.rec bs=1 seek=2000 conv=notrunc status=none
"$PINCH" report garbled.rec >/dev/null 2>garbled.err; rc=$?
ok "garbled records: no crash (exit $rc)" test "$rc" -lt 2

truncate -s 40 short.rec 2>/dev/null; printf 'PINCHREC' | dd of=short.rec conv=notrunc status=none
fails 1 "header cut short" short.rec

fails 1 "a function that matches nothing" --lines sixy good.rec
ok "no match: lists close matches" grep -q 'sixty' err.txt
fails 1 "callers of nothing" --callers zzzzzz good.rec

fails 2 "bad --sort" --sort fastest good.rec
fails 2 "two views at once" --lines sixty --collapsed good.rec
fails 2 "unknown option" --frobnicate good.rec
fails 2 "two files" good.rec cut.rec
done_testing
