#!/bin/bash
# The agent's corner cases: allocating signal handlers, malloc_usable_size,
# abort, exec (followed into the new image), --mmap.
. "$(dirname "$0")/lib.sh"
. "$PINCH_SRCDIR/tests/integration/mem-lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"

mem_json sig.json -- "$W/mem-misc" signal
is "$(jqv sig.json '"\(.leaked_bytes) \(.leaked_blocks) \(.leaks[0].stack[0].function)"')" "99 3 on_usr1" \
	"allocations in a signal handler"
mem_json usable.json -- "$W/mem-misc" usable
is "$(jqv usable.json '"\(.exit_status) \(.in_use_at_exit_bytes)"')" "0 10" "malloc_usable_size works on the agent's blocks"
mem_json abort.json -- "$W/mem-misc" abort
is "$(jqv abort.json '"\(.term_signal) \(.leaked_bytes) \(.leaked_blocks)"')" "6 100 10" "abort: in use at death"
mem_json exec.json -- "$W/mem-misc" exec
ok "both images recorded" grep -q "recorded 2 processes" exec.err
is "$(jqv exec.json '"\(.leaked_bytes) \(.leaked_blocks)"')" "400 2" "exec: the new image is reported"
"$PINCH" mem report exec.rec >exec.txt 2>&1
ok "the replaced image is listed" grep -q "replaced by exec" exec.txt
mem_json mmap.json --mmap -- "$W/mem-misc" mmap
is "$(jqv mmap.json '"\(.peak_bytes) \(.in_use_at_exit_bytes) \(.in_use_at_exit_blocks)"')" "3145828 2097252 2" "--mmap counts anonymous maps"
mem_json nommap.json -- "$W/mem-misc" mmap
is "$(jqv nommap.json '"\(.peak_bytes) \(.in_use_at_exit_bytes)"')" "100 100" "without --mmap only the heap"

# stacks through code without frame pointers (glibc's strdup; a -fomit-frame-pointer build)
for prog in mem-misc mem-misc-nofp; do
	mem_json "$prog.json" -- "$W/$prog" strdup
	is "$(jqv "$prog.json" '.leaks[0] | "\(.bytes) \(.blocks) \(.stack[0].function) \(.stack[1].function) \(.stack[2].function)"')" \
		"120 10 __strdup dup_names main" "$prog: CFI unwinding through glibc finds the caller"
done
mem_json fp.json --unwind fp -- "$W/mem-misc" strdup
is "$(jqv fp.json '[.leaks[0].stack[].function] | index("dup_names")')" null \
	"--unwind fp: the frame-pointer walk loses strdup's caller (why CFI is the default)"
run_status 2 "bad --unwind" "$PINCH" mem --unwind magic -- "$W/mem-misc" strdup
done_testing
