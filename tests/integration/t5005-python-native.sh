#!/usr/bin/env bash
# t5005-python-native: a Python loop that spends a measured share of its
# CPU in zlib (cext.py prints the truth): the Python view keeps the C
# extension as a native leaf with that share; --native interleaves native
# and Python frames (eval frames replaced by the Python frames they ran).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	if ! "$PINCH" record -q --user-only --call-graph dwarf -o $tag.rec -- "$py" "$PYW/cext.py" 3 50 2>truth.txt; then
		skip_all "pinch record cannot record here"
	fi
	truth=$(sed -n 's/^compress_share=//p' truth.txt)
	# Native leaves in zlib (libz, or the zlib extension module).
	got=$(jget $tag.rec 'sum(r["self_pct"] for r in d["report"]["rows"] if r["kind"] != "python" and ("libz" in r["module"] or "zlib" in r["module"] or "zlib" in r["function"]))' --limit 0)
	# Shares of (zlib + py_work): the truth counts nothing else.
	pyw=$(total_pct $tag.rec py_work)
	within "$(echo "100 * $got / ($got + $pyw)" | bc -l | cut -c1-5)" "$truth" 5 "$tag: zlib's share as the native leaf under compress_part"
	"$PINCH" report --native --collapsed $tag.rec >native.txt 2>/dev/null
	ok "$tag: --native: Python frames between native ones" \
		grep -qE 'PyEval_EvalCode;.*<module>;main;py_work' native.txt
	ok "$tag: --native: no eval-loop frame left where Python frames went" \
		test "$(grep -c '_PyEval_EvalFrameDefault;<module>' native.txt)" = 0
	"$PINCH" report --collapsed $tag.rec >py.txt 2>/dev/null
	ok "$tag: default view: Python frames from the root" grep -q '^<module>;main;py_work [0-9]' py.txt
	# Only start-up (before the first Python frame) stays native.
	nat=$(awk '/Py_RunMain|_PyEval/ { n += $NF } { t += $NF } END { printf "%.1f", 100 * n / t }' py.txt)
	within "$nat" 0 3 "$tag: default view: interpreter frames only before Python starts"
done
done_testing
