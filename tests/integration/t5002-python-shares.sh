#!/usr/bin/env bash
# t5002-python-shares: pinch record + report on a Python script whose three
# functions do 60/30/10 % of the work (tests/workloads/python/shares.py),
# with Debian's python3.11 and pyenv's: Python function names, their files,
# shares within 5 points; the same through --pid attach.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	record $tag.rec --user-only -- "$py" "$PYW/shares.py" 250
	is "$(jget $tag.rec 'd["recording"]["meta"]["python"][:4]')" 3.11 "$tag: python version recorded"
	within "$(total_pct $tag.rec func_sixty)" 60 5 "$tag: func_sixty total share"
	within "$(total_pct $tag.rec func_thirty)" 30 5 "$tag: func_thirty total share"
	within "$(total_pct $tag.rec func_ten)" 10 5 "$tag: func_ten total share"
	within "$(self_pct $tag.rec spin)" 97 4 "$tag: spin holds the self time"
	is "$(row $tag.rec func_sixty file)" "$PYW/shares.py" "$tag: file of func_sixty"
	is "$(row $tag.rec func_sixty kind)" python "$tag: a Python location"
	is "$(row $tag.rec spin line)" 11 "$tag: spin's hot line (total += ...)"
	"$PINCH" report $tag.rec --collapsed >folded.txt 2>/dev/null
	ok "$tag: folded stacks are Python frames root first" \
		grep -q "^<module>;main;func_sixty;spin [0-9]" folded.txt
	"$PINCH" report $tag.rec --callers spin >callers.txt 2>&1
	ok "$tag: callers of spin name the three" grep -q func_thirty callers.txt
	if "$PINCH" report $tag.rec --svg $tag.svg >/dev/null 2>&1; then
		ok "$tag: flame graph has the Python functions" grep -q func_sixty $tag.svg
	else
		skip "$tag: flame graph" "pinch report --svg not available yet"
	fi

	# Attach to a running process.
	"$py" "$PYW/shares.py" 100000 &
	pid=$!
	sleep 1
	record att-$tag.rec --pid $pid --duration 3
	kill $pid
	wait $pid 2>/dev/null
	within "$(total_pct att-$tag.rec func_sixty)" 60 5 "$tag: attached: func_sixty"
	within "$(total_pct att-$tag.rec func_ten)" 10 5 "$tag: attached: func_ten"
done
done_testing
