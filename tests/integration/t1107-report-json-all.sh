#!/usr/bin/env bash
# t1107-report-json-all.sh - every `pinch report --json` combination of
# view and option writes one document that parses (--collapsed --json
# once wrote raw folded lines into it), and its numbers agree with the
# text form: the folded values sum to the recording's sample count.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

record cpu.rec -- "$W/cpu-603010-fp" deep
parses() { "$PINCH" report --json "$@" cpu.rec >out.json 2>err.txt && python3 -c 'import json; json.load(open("out.json"))'; }
for view in "" "--threads" "--lines sixty" "--callers sixty" "--callees main" "--collapsed" \
	"--collapsed --threads" "--sort total" "--limit 0" "--no-inline" "--native" "--idle"; do
	# shellcheck disable=SC2086
	ok "report --json $view: one valid JSON document" parses $view
done
samples=$(jget cpu.rec 'd["recording"]["samples"]')
folded=$(jget cpu.rec 'sum(s["value"] for s in d["report"]["stacks"])' --collapsed)
is "$folded" "$samples" "--collapsed --json: values sum to the sample count"
first=$(jget cpu.rec 'd["report"]["stacks"][0]["stack"].split(";")[-1] != ""' --collapsed)
is "$first" True "--collapsed --json: stacks are frame paths"
done_testing
