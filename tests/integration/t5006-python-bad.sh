#!/usr/bin/env bash
# t5006-python-bad: what pinch does with Pythons it cannot read and
# targets that misbehave: a python whose Py_Version says 3.10 (a patched
# copy) is recorded native-only with a message naming the supported
# versions; --no-python; a process that exits at once; a target whose
# threads and stacks churn under the reader. Never a crash or a hang.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

sym=$(readelf -W --dyn-syms /usr/bin/python3.11 | awk '$8 == "Py_Version" { print $2, $7 }')
read -r vaddr shndx <<<"$sym"
sec=$(readelf -W -S /usr/bin/python3.11 | sed 's/^ *\[ *//; s/\]//' | awk -v n="$shndx" '$1 == n { print $4, $5 }')
read -r saddr soff <<<"$sec"
cp /usr/bin/python3.11 py310
printf '\xf0\x00\x0a\x03' | dd of=py310 bs=1 seek=$((0x$soff + 0x$vaddr - 0x$saddr)) conv=notrunc status=none
"$PINCH" record -o v.rec -- ./py310 "$PYW/shares.py" 60 >v.txt 2>&1
is "$?" 0 "python 3.10: recorded anyway"
ok "... says which versions pinch reads" grep -q 'no python frames: python 3.10 in .* is not supported (pinch reads 3.11)' v.txt
ok "... native frames are there" test "$(jget v.rec 'd["report"]["total_count"]')" -gt 100
is "$(jget v.rec 'd["recording"]["meta"].get("python", "none")')" none "... and no Python frames"

record np.rec --no-python -- /usr/bin/python3.11 "$PYW/shares.py" 1
is "$(total_pct np.rec func_sixty --user-only)" "" "--no-python: no Python frames"

exit_status 0 "a python that exits at once" "$PINCH" record -q -o quick.rec -- /usr/bin/python3.11 -c pass
ok "... leaves a readable recording" "$PINCH" report quick.rec

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	exit_status 0 "$tag: threads and stacks churning under the reader" \
		timeout 120 "$PINCH" record -q -o churn-$tag.rec --idle -- "$py" "$PYW/churn.py" 3
	ok "$tag: ... report works" "$PINCH" report churn-$tag.rec
done
done_testing
