#!/usr/bin/env bash
# run.sh PYTHON MODE - the pinch Python module's tests under one interpreter.
#   pytest: the whole pytest suite of this directory (Debian's python3-pytest,
#           also under pyenv's python, which has no pytest of its own)
#   smoke:  smoke.py, no pytest needed
# Exit 77 (meson: skipped) when the interpreter or pytest is missing and CI
# is not "true"; under CI=true a missing tool fails.
py=$1 mode=$2
here=$(dirname "$0")
skip() {
	echo "skip: $*"
	[ "${CI:-}" = true ] && { echo "CI=true: failing instead" >&2; exit 1; }
	exit 77
}
[ -n "$py" ] && command -v "$py" >/dev/null || skip "no interpreter '$py'"
if [ "${PINCH_SANITIZED:-0}" = 1 ]; then
	# The module is built with ASan/UBSan: their runtimes must be loaded
	# first, and CPython's own allocations at exit are not leaks of ours.
	export LD_PRELOAD="${PINCH_ASAN_RUNTIME:-} ${PINCH_UBSAN_RUNTIME:-}"
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
fi
case $mode in
pytest)
	# An interpreter without pytest (pyenv's 3.11.7) runs Debian's
	# python3-pytest, FastAPI and uvicorn from /usr/lib/python3/dist-packages,
	# placed before its own site-packages: pyenv's pydantic 2 would
	# otherwise shadow the pydantic 1 Debian's FastAPI 0.92 needs.
	deb=/usr/lib/python3/dist-packages
	if ! "$py" -c 'import pytest' 2>/dev/null && [ -d "$deb/pytest" ]; then
		export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$deb"
	fi
	"$py" -c 'import pytest' 2>/dev/null || skip "pytest is not installed for $py (python3-pytest)"
	exec "$py" -m pytest -q -p no:cacheprovider -o console_output_style=classic "$here"
	;;
smoke)
	exec "$py" "$here/smoke.py"
	;;
esac
echo "usage: run.sh PYTHON pytest|smoke" >&2
exit 2
