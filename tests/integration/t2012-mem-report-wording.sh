#!/bin/bash
# What the report says: PYTHONMALLOC (set by pinch, or the user's and what
# it hides), --svg writes a file and says so (no report), "1 block",
# a file that is not a recording, and two calls on one line in --stacks.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

# --svg: one line, the file; the text report only with --json/--lines
"$PINCH" mem -q -o leak.rec -- "$W/mem-leak" 2>/dev/null
"$PINCH" mem report --svg flame.svg --what leaked leak.rec >svg.out 2>svg.err
is "$(cat svg.out)" "wrote flame.svg: flame graph of leaked bytes from leak.rec" "--svg prints one line"
ok "and writes the SVG" grep -q "<svg" flame.svg
"$PINCH" mem report --svg-timeline time.svg leak.rec >tl.out 2>&1
is "$(cat tl.out)" "wrote time.svg: memory over time from leak.rec" "--svg-timeline prints one line"
"$PINCH" mem report --svg f2.svg --json leak.rec >both.json 2>both.err
is "$(jqv both.json .leaked_blocks)" 1024 "--svg with --json: stdout is the JSON"
ok "the 'wrote' line goes to stderr then" grep -q "^wrote f2.svg" both.err
"$PINCH" mem --svg rec.svg -o leak2.rec -- "$W/mem-leak" >rec-svg.out 2>/dev/null
is "$(cat rec-svg.out)" "wrote rec.svg: flame graph of allocated bytes from leak2.rec" "pinch mem --svg -- CMD: the same"

# singular: mem-misc usable keeps one 10 B block (reachable at exit)
"$PINCH" mem -o one.rec -- "$W/mem-misc" usable >one.txt 2>/dev/null
ok "in 1 block" grep -qx "  reachable    10 B (10 B) in 1 block still pointed to at exit (not leaks)" one.txt
ok "nothing lost says so" grep -qx "  leaked       0 B: nothing was lost" one.txt

# not a recording: says so, no hint about CPU recordings
head -c 300 /dev/urandom >random.rec
run_status 1 "random bytes" "$PINCH" mem report random.rec
is "$(cat "$TMP/last.out")" "pinch mem report: cannot read 'random.rec': not a pinch recording (bad magic)" \
	"random bytes: not a pinch recording, and nothing else"
cp leak.rec cpu.rec && printf '\001' | dd of=cpu.rec bs=1 seek=32 conv=notrunc 2>/dev/null
run_status 1 "a CPU recording" "$PINCH" mem report cpu.rec
is "$(cat "$TMP/last.out")" "pinch mem report: cannot read 'cpu.rec': a CPU recording, not a memory recording
hint: 'pinch report cpu.rec' reads it" "a CPU recording: the hint names pinch report"

# two calls on one line: --stacks rows that would print alike show addresses
"$PINCH" mem -q -o twice.rec -- "$W/mem-cache" twice 2>/dev/null
"$PINCH" mem diff twice.rec --from warm --to grown --stacks >twice.txt
is "$(grep -c '^ *+[0-9]* *+[0-9]* .*cache_put  mem-cache.c:[0-9]*  \[mem-cache+0x[0-9a-f]*\]$' twice.txt)" 2 \
	"both rows name cache_put with its address"
is "$(grep '<- main  mem-cache.c' twice.txt | sed 's/.*\[\(.*\)\]$/\1/' | sort -u | wc -l)" 2 \
	"their callers (one line) show two call addresses"
is "$(grep -c '^ *+[0-9]' twice.txt)" 2 "two rows: +800 and +600"
"$PINCH" mem report --stacks -n 3 leak.rec >plain.txt
ok "stacks that differ print no addresses" bash -c '! grep -q "\[mem-leak+0x" plain.txt'

# PYTHONMALLOC
if command -v python3.11 >/dev/null; then
	"$PINCH" mem -q -o py.rec -- python3.11 -c 'x = [(i,) for i in range(20000)]' 2>/dev/null
	"$PINCH" mem report py.rec >py.txt 2>/dev/null
	ok "PYTHONMALLOC set by pinch is said" grep -qx "  note: PYTHONMALLOC=malloc was set by pinch: every Python object is its own malloc call (pymalloc is off, so small objects show at their sites); set PYTHONMALLOC to choose" py.txt
	"$PINCH" mem report --json py.rec >py.json 2>/dev/null
	is "$(jqv py.json '"\(.pythonmalloc.value) \(.pythonmalloc.set_by)"')" "malloc pinch" "JSON: pythonmalloc malloc, set by pinch"
	PYTHONMALLOC=pymalloc "$PINCH" mem -q -o pym.rec -- python3.11 -c 'x = [(i,) for i in range(20000)]' 2>/dev/null
	"$PINCH" mem report pym.rec >pym.txt 2>/dev/null
	ok "the user's pymalloc: what it hides is said" grep -qx "  note: PYTHONMALLOC=pymalloc (yours): Python objects of 512 B or less come from pymalloc's arenas (mmap'd, 1 MiB each), not malloc: they are not counted here (--mmap shows the arenas, not the objects); only larger objects and other malloc calls are. Unset PYTHONMALLOC to see them all" pym.txt
	"$PINCH" mem report --json pym.rec >pym.json 2>/dev/null
	is "$(jqv pym.json '"\(.pythonmalloc.value) \(.pythonmalloc.set_by)"')" "pymalloc user" "JSON: pythonmalloc pymalloc, the user's"
	ok "and it hides the small objects: far fewer calls" test "$(jqv pym.json .alloc_calls)" -lt "$(( $(jqv py.json .alloc_calls) / 4 ))"
else
	for i in 1 2 3 4 5; do skip "PYTHONMALLOC note $i" "python3.11 is not installed"; done
fi
ok "no PYTHONMALLOC note for a C program" bash -c '! grep -q PYTHONMALLOC one.txt'
is "$(jqv both.json .pythonmalloc)" null "nor in its JSON"
done_testing
