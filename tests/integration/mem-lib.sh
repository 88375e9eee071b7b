# mem-lib.sh - shared by the t2xxx pinch mem tests: where the workloads
# are, running pinch mem with --json, and the valgrind anchors.
W="$PINCH_BUILDDIR/tests/workloads"

mem_json() {	# mem_json OUT.json [pinch mem options] -- CMD...: records into OUT.rec
	local out=$1; shift
	"$PINCH" mem -o "${out%.json}.rec" --json "$@" >"$out" 2>"${out%.json}.err"
}

jqv() {	# jqv FILE FILTER
	jq -r "$2" "$1"
}

massif_peak() {	# the peak snapshot's useful heap, exact (--peak-inaccuracy=0)
	valgrind --tool=massif --peak-inaccuracy=0.0 --massif-out-file="$TMP/massif.out" "$@" >/dev/null 2>&1
	awk '/^mem_heap_B=/{h=substr($0,12)} /^heap_tree=peak/{print h}' "$TMP/massif.out"
}

memcheck_lost() {	# "BYTES BLOCKS" definitely lost
	valgrind --leak-check=full "$@" 2>&1 |
		sed -n 's/.*definitely lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1 \2/p' | tr -d ,
}

# "IN_USE_BYTES IN_USE_BLOCKS LOST_BYTES LOST_BLOCKS": what memcheck found
# in use at exit (exact) and definitely lost (a conservative scan: a stale
# copy of a leaked pointer in a register or on the stack demotes its block
# to "possibly lost", so it can miss a block).
memcheck_exit() {
	valgrind --leak-check=full "$@" 2>&1 | tr -d , | awk '
		/in use at exit:/ { for (i = 1; i <= NF; i++) if ($i == "exit:") { ub = $(i + 1); un = $(i + 4) } }
		/definitely lost:/ { for (i = 1; i <= NF; i++) if ($i == "lost:") { lb = $(i + 1); ln = $(i + 4) } }
		END { print ub + 0, un + 0, lb + 0, ln + 0 }'
}

# ok memcheck_agrees BYTES BLOCKS BLOCK_SIZE NAME: in use at exit exactly,
# definitely lost within one block
memcheck_agrees() {	# exe bytes blocks block_size name
	local ub un lb ln
	read -r ub un lb ln <<<"$(memcheck_exit "$1")"
	is "$ub $un" "$2 $3" "$5: memcheck's in use at exit"
	ok "$5: memcheck's definitely lost within one block ($lb B in $ln)" \
		test "$lb" -le "$2" -a "$lb" -ge $(($2 - $4)) -a "$ln" -le "$3" -a "$ln" -ge $(($3 - 1))
}

run_status() {	# exit_status, keeping the output in $TMP/last.out for greps
	exit_status "$@"
	cp "$TMP/.out" "$TMP/last.out"
}

# The agent interposes malloc: in a process whose allocator is ASan's the
# two conflict. The workloads are built without sanitizers even in the
# sanitized build (pinch itself stays sanitized), so this only skips when
# that is not so.
if [ "${PINCH_SANITIZED:-0}" = 1 ] && ldd "$W/mem-leak" 2>/dev/null | grep -q 'libasan'; then
	skip_all "the workloads carry ASan, whose allocator conflicts with the LD_PRELOAD agent"
fi
