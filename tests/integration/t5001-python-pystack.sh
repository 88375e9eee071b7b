#!/usr/bin/env bash
# t5001-python-pystack: the CPython reader on live processes of both
# pythons (Debian's static /usr/bin/python3.11 and pyenv's shared-libpython
# python3): threads, qualified names, files, lines, the .PyRuntime
# fallback without symbols, and bad targets (not python, gone, churning).
. "$(dirname "$0")/lib.sh"
: "${PINCH_PYSTACK:?}"
W=$PINCH_SRCDIR/tests/workloads/python

pythons=(/usr/bin/python3.11)
pyenv=$(python3 -c 'import sys; print(sys.executable if sys.version_info[:2] == (3, 11) else "")' 2>/dev/null)
[ -n "$pyenv" ] && [ "$pyenv" != /usr/bin/python3.11 ] && pythons+=("$pyenv")
[ -x /usr/bin/python3.11 ] || skip_all "no /usr/bin/python3.11"

# Waits until pid has named its three threads (or 5 s).
wait_threads() {
	for _ in $(seq 50); do
		[ "$(cat /proc/"$1"/task/*/comm 2>/dev/null | grep -c -E 'burner|sleeper')" -ge 3 ] && return 0
		sleep 0.1
	done
	return 1
}

for py in "${pythons[@]}"; do
	tag=debian
	[ "$py" = /usr/bin/python3.11 ] || tag=pyenv
	"$py" "$W/threads.py" 5 &
	pid=$!
	wait_threads $pid
	# main names no thread: it is in join (line 49) once the last start()
	# has returned; read until it is there (or 3 s)
	for _ in $(seq 30); do
		"$PINCH_PYSTACK" $pid >dump.txt 2>&1
		rc=$?
		grep -q "main ($W/threads.py:49)" dump.txt && break
		sleep 0.1
	done
	is "$rc" 0 "$tag: pystack reads $py"
	is "$(grep -c '^thread ' dump.txt)" 4 "$tag: four python threads"
	tid_a=$(grep -l burner-a /proc/$pid/task/*/comm | cut -d/ -f5)
	is "$(awk -v t="thread $tid_a" 'index($0, t) == 1 { getline; print $1 }' dump.txt)" burn_a \
		"$tag: burner-a's leaf frame is burn_a"
	ok "$tag: qualified names" grep -q '^  Event.wait (.*threading.py:[0-9]*)' dump.txt
	is "$(grep -c "main ($W/threads.py:49)" dump.txt)" 1 "$tag: main waits on line 49 (join)"
	ok "$tag: entry frames flagged" grep -q "<module> ($W/threads.py:56) \[entry\]" dump.txt
	"$PINCH_PYSTACK" --no-symbols $pid >dump2.txt 2>&1
	ok "$tag: .PyRuntime section fallback" grep -q 'PyRuntime section' dump2.txt
	is "$(grep -c '^thread ' dump2.txt)" 4 "$tag: same threads without symbols"
	kill $pid; wait $pid 2>/dev/null

	# A target that changes under the reader: many reads, no crash, no hang.
	"$py" "$W/churn.py" 3 &
	pid=$!
	sleep 0.5
	timeout 60 "$PINCH_PYSTACK" --bench 2000 $pid >churn.txt 2>&1
	rc=$?
	ok "$tag: reading a churning target ends cleanly (exit $rc)" test $rc -le 1
	wait $pid 2>/dev/null
done

# A python pinch cannot read: a copy of python3.11 whose Py_Version says
# 3.10 (patched in .rodata) must get the message naming what pinch reads.
sym=$(readelf -W --dyn-syms /usr/bin/python3.11 | awk '$8 == "Py_Version" { print $2, $7 }')
read -r vaddr shndx <<<"$sym"
sec=$(readelf -W -S /usr/bin/python3.11 | sed 's/^ *\[ *//; s/\]//' | awk -v n="$shndx" '$1 == n { print $4, $5 }')
read -r saddr soff <<<"$sec"
cp /usr/bin/python3.11 py310
printf '\xf0\x00\x0a\x03' | dd of=py310 bs=1 seek=$((0x$soff + 0x$vaddr - 0x$saddr)) conv=notrunc status=none
./py310 -c 'import time; time.sleep(5)' &
pid=$!
sleep 0.5
exit_status 3 "python 3.10: not supported" "$PINCH_PYSTACK" $pid
cp .out py310.txt
ok "the message names the versions pinch reads" grep -q 'python 3.10 in .* is not supported (pinch reads 3.11)' py310.txt
kill $pid; wait $pid 2>/dev/null

sleep 30 &
pid=$!
exit_status 1 "not a python process" "$PINCH_PYSTACK" $pid
cp .out notpy.txt
ok "message says so" grep -q 'runs no python' notpy.txt
kill $pid; wait $pid 2>/dev/null
exit_status 1 "a process that is gone" "$PINCH_PYSTACK" $pid
done_testing
