# bench-lib.sh - helpers for the pinch bench / baseline tests (t14NN).
# Source after lib.sh.

# jget FILE PYEXPR: PYEXPR over the JSON document in FILE, as d.
jget() {
	python3 -c "import json,sys
d=json.load(open(sys.argv[1]))
print($2)" "$1"
}
