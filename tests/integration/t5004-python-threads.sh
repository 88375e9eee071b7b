#!/usr/bin/env bash
# t5004-python-threads: thread attribution on Python (threads.py: burners
# "burner-a" and "burner-b", an idle "sleeper"): each burner's samples are
# its own function; waiting threads appear only with --idle.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

# thread_row FILE THREAD FUNC FIELD [ARGS]: a field of FUNC in THREAD's table.
thread_row() {
	local f=$1 th=$2 fn=$3 field=$4; shift 4
	jget "$f" "$(printf '[r for t in d["report"]["threads"] if t["name"] == "%s" for r in t["rows"] if r["function"] == "%s"][0]["%s"]' "$th" "$fn" "$field")" --threads --limit 0 "$@"
}

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	record $tag.rec --idle -- "$py" "$PYW/threads.py" 3
	# A thread's first samples, before the frame reader has read its
	# Python stack, have native frames only (clone3 ... _PyEval_Vector):
	# on a loaded machine up to a few % of a 3-round run.
	within "$(thread_row $tag.rec burner-a burn_a total_pct)" 100 5 "$tag: burner-a runs burn_a"
	within "$(thread_row $tag.rec burner-b burn_b total_pct)" 100 5 "$tag: burner-b runs burn_b"
	is "$(thread_row $tag.rec burner-a burn_b total_pct)" "" "$tag: no burn_b on burner-a"
	a=$(total_pct $tag.rec burn_a --user-only)
	b=$(total_pct $tag.rec burn_b --user-only)
	# The GIL is handed over every 5 ms, but who gets it next is up to the
	# scheduler: on a loaded machine one burner may get 2/3 of the time.
	# Both must be there, each with a real share.
	share=$(echo "100 * $a / ($a + $b)" | bc -l | cut -c1-5)
	ok "$tag: the burners share the GIL (burn_a has $share % of the two)" \
		awk -v s="$share" 'BEGIN { exit !(s >= 20 && s <= 80) }'
	# Waiting is not CPU: at most the kernel's futex wake-up of the
	# sleeper is sampled (kernel stacks), far under 1 % of the run.
	sl=$(jget $tag.rec 'sum(t["share_pct"] for t in d["report"]["threads"] if t["name"] == "sleeper")' --threads --limit 1)
	ok "$tag: the sleeper is not on CPU by default (${sl:-0} % of the samples)" python3 -c "import sys; sys.exit(0 if ${sl:-0} < 1 else 1)"
	within "$(thread_row $tag.rec sleeper sleep_forever total_pct --idle)" 100 3 "$tag: --idle shows the sleeper waiting"
	ok "$tag: ... in Event.wait" test -n "$(thread_row $tag.rec sleeper Event.wait total_pct --idle)"
done
done_testing
