#!/usr/bin/env bash
# t5008-python-mem: pinch mem attributes allocations to Python lines
# (alloc.py allocates known amounts on known lines; the target runs with
# PYTHONMALLOC=malloc): bytes per line within 5 %, the tracemalloc-style
# top lines, and the memory_profiler-style --lines listing, for Debian's
# python3.11 and pyenv's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/python-lib.sh"
[ "${PINCH_SANITIZED:-0}" = 1 ] && skip_all "the LD_PRELOAD agent does not run under ASan"

line_of() { grep -n "# $1" "$PYW/alloc.py" | cut -d: -f1; }
A=$(line_of LINE-A)
B=$(line_of LINE-B)
C=$(line_of LINE-C)

# site FILE FUNC LINE FIELD: a field of the site row for FUNC at LINE.
site() { "$PINCH" mem report --json -n 0 "$1" 2>/dev/null | python3 -c "import json,sys
d=json.load(sys.stdin)
r=[s for s in d['sites'] if s['function'] == '$2' and s['line'] == $3]
print(r[0]['$4'] if r else '')"; }

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	if ! "$PINCH" mem -q -o $tag.rec -- "$py" "$PYW/alloc.py" 0.1 >$tag.txt 2>&1; then
		sed 's/^/# /' $tag.txt
		skip_all "pinch mem cannot run here"
	fi
	within "$(site $tag.rec make_big $A alloc_bytes)" 20000000 1000000 "$tag: line A allocates 200 x 100 kB"
	within "$(site $tag.rec make_medium $B alloc_bytes)" 5000000 250000 "$tag: line B allocates 100 x 50 kB"
	within "$(site $tag.rec make_small $C peak_bytes)" 10340000 517000 "$tag: line C holds 10000 x 1034 B at the peak" ||
		"$PINCH" mem report --json -n 12 $tag.rec 2>&1 | python3 -c "import json, sys
d = json.load(sys.stdin)
print('# peak', d.get('peak_bytes'), 'sites by peak:')
for s in sorted(d['sites'], key=lambda s: -s['peak_bytes']):
    print('#  ', s['function'], s['file'], s['line'], s['peak_bytes'], s['alloc_bytes'])" 2>&1 | sed 's/^\([^#]\)/# \1/'
	is "$(site $tag.rec make_big $A module)" python "$tag: a Python location"
	is "$(site $tag.rec make_big $A file)" "$PYW/alloc.py" "$tag: with its file"
	"$PINCH" mem report $tag.rec -n 3 >top.txt 2>&1
	ok "$tag: top line by bytes is line A" grep -A2 '^Top allocation sites by bytes' top.txt
	is "$(grep -A3 '^Top allocation sites by bytes' top.txt | grep -E '^ +[0-9]' | head -1 | awk '{ print $5, $6 }')" "make_big alloc.py:$A" "$tag: ... named as function file:line"
	"$PINCH" mem report $tag.rec --lines make_big >lines.txt 2>&1
	ok "$tag: --lines lists line A with its bytes" grep -Eq "^ +$A +2[0-9]{7} " lines.txt
done
done_testing
