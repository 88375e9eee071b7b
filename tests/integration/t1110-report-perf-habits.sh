#!/usr/bin/env bash
# t1110-report-perf-habits.sh - what perf users type: report -i FILE,
# --sort dso / dso,sym, filters --pid/--tid/--comm/--dso, and a memory
# recording given to pinch report gets pointed at pinch mem report. The
# fork workload's parent does 2 shares of work and its child ("fork-child")
# 1 share, so each filter's answer is known.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

record fork.rec -- "$W/fork-fp"
parent=$(jget fork.rec '[t["pid"] for t in d["report"]["threads"] if t["name"] != "fork-child"][0]' --threads)
child=$(jget fork.rec '[t["pid"] for t in d["report"]["threads"] if t["name"] == "fork-child"][0]' --threads)
ok "-i FILE reads the recording" sh -c "\"\$PINCH\" report -i fork.rec | grep -q '^hottest: parent_work'"
exit_status 2 "-i and FILE together are refused" "$PINCH" report -i fork.rec fork.rec

within "$(self_pct fork.rec parent_work --user-only)" 66.7 5 "unfiltered: parent_work has 2/3"
is "$(jget fork.rec 'len([r for r in d["report"]["rows"] if r["function"] == "parent_work"])' --pid "$child")" 0 "--pid CHILD: no parent_work"
within "$(jget fork.rec '[r["total_pct"] for r in d["report"]["rows"] if r["function"] == "child_work"][0]' --pid "$child" --user-only)" 100 3 "--pid CHILD: child_work under all of it"
within "$(jget fork.rec '[r["total_pct"] for r in d["report"]["rows"] if r["function"] == "parent_work"][0]' --tid "$parent" --user-only)" 100 3 "--tid PARENT: parent_work under all of it"
within "$(jget fork.rec '[r["total_pct"] for r in d["report"]["rows"] if r["function"] == "child_work"][0]' --comm fork-child --user-only)" 100 3 "--comm fork-child: child_work under all of it"
"$PINCH" report --comm no-such-name fork.rec >/dev/null 2>err.txt
is "$?" 1 "a filter that matches nothing exits 1"
ok "... and says so" grep -q "no sample of 'fork.rec' matches the filters" err.txt

# --sort dso: rows are binaries; the workload's own binary holds ~all of it.
within "$(jget fork.rec '[r["total_pct"] for r in d["report"]["rows"] if r["function"] == "fork-fp"][0]' --sort dso --user-only)" 100 5 "--sort dso: fork-fp holds the work"
ok "--sort dso,sym: binary\`function rows" sh -c "\"\$PINCH\" report --sort dso,sym fork.rec | grep -q 'fork-fp\`parent_work'"
ok "--sort total,dso: order and rows combine" sh -c "\"\$PINCH\" report --sort total,dso --json fork.rec | python3 -c 'import json,sys; json.load(sys.stdin)'"
exit_status 2 "--sort with an unknown key is refused" "$PINCH" report --sort bogus fork.rec
n=$(jget fork.rec 'len([r for r in d["report"]["rows"] if r["function"] in ("parent_work", "child_work")])' --dso fork-fp --limit 0)
is "$n" 2 "--dso fork-fp keeps the workload's own functions"

# A memory recording handed to the CPU report.
if "$PINCH" mem -q -o mem.rec -- "$W/mem-leak" >/dev/null 2>&1; then
	"$PINCH" report mem.rec >/dev/null 2>err.txt
	is "$?" 1 "a memory recording: exit 1"
	ok "a memory recording: hint to use pinch mem report" grep -q "hint: it is a memory recording: pinch mem report" err.txt
else
	skip "a memory recording" "pinch mem cannot record here"
fi
done_testing
