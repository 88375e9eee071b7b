#!/usr/bin/env bash
# t5011-python-thread-names: threads show the names the program gave them
# through threading (named_threads.py: "ingest-0", "ingest-1", "wärter",
# MainThread), read from threading._active in the target; a thread that
# threading does not know shows its OS name ("os-named", set by prctl).
# The names reach --threads, JSON, collapsed stacks and the flame graph.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

names() { jget "$1" '" ".join(sorted(set(t["name"] for t in d["report"]["threads"] if t["pid"] == d["report"]["threads"][0]["pid"])))' --threads --limit 1 "${@:2}"; }
thread_pct() {
	jget "$1" "$(printf '[r for t in d["report"]["threads"] if t["name"] == "%s" for r in t["rows"] if r["function"] == "%s"][0]["total_pct"]' "$2" "$3")" --threads --limit 0 "${@:4}"
}

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	record $tag.rec --idle -- "$py" "$PYW/named_threads.py" 2
	is "$(names $tag.rec --idle)" "MainThread ingest-0 ingest-1 os-named wärter" "$tag: threading names, else the OS name"
	within "$(thread_pct $tag.rec ingest-0 burn)" 100 3 "$tag: ingest-0 runs burn"
	within "$(thread_pct $tag.rec ingest-1 burn)" 100 3 "$tag: ingest-1 runs burn"
	within "$(thread_pct $tag.rec wärter wait_for --idle)" 100 3 "$tag: wärter waits in wait_for"
	within "$(thread_pct $tag.rec os-named os_named --idle)" 100 3 "$tag: os-named waits in os_named"
	ok "$tag: collapsed stacks start with the name" grep -q '^ingest-0-[0-9]*;' <("$PINCH" report --threads --collapsed $tag.rec)
	"$PINCH" report --threads --svg $tag.svg $tag.rec >/dev/null 2>&1
	ok "$tag: the flame graph has a frame per named thread" grep -q 'ingest-1-[0-9]* (' $tag.svg
done
done_testing
