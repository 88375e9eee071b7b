# python-lib.sh - helpers for the t5NNN-python-* tests (source after lib.sh
# and report-lib.sh): the pythons to test (Debian's static /usr/bin/python3.11
# and the pyenv 3.11 on PATH, when present) and the workload directory.
PYW=$PINCH_SRCDIR/tests/workloads/python
[ -x /usr/bin/python3.11 ] || skip_all "no /usr/bin/python3.11"
PYTHONS=(/usr/bin/python3.11)
_pyenv=$(python3 -c 'import sys; print(sys.executable if sys.version_info[:2] == (3, 11) else "")' 2>/dev/null)
[ -n "$_pyenv" ] && [ "$_pyenv" != /usr/bin/python3.11 ] && PYTHONS+=("$_pyenv")

# pytag PYTHON: "debian" or "pyenv", for test names.
pytag() { if [ "$1" = /usr/bin/python3.11 ]; then echo debian; else echo pyenv; fi; }

# row FILE FUNC FIELD [REPORT-ARGS]: a field of FUNC's row in the top table.
row() {
	local f=$1 fn=$2 field=$3; shift 3
	jget "$f" "$(printf '[r for r in d["report"]["rows"] if r["function"] == "%s"][0]["%s"]' "$fn" "$field")" --limit 0 "$@"
}
