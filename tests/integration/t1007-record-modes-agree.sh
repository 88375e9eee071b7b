#!/usr/bin/env bash
# The kernel sampler (perf mode) and the in-process agent (agent mode, both
# its timers) see the same program the same way: the 60/30/10 self shares
# of cpu-603010 agree within 5 points between modes, and each is within 5
# points of the truth. Stacks agree too: middle() in every stack (deep).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

[ "${PINCH_SANITIZED:-0}" = 1 ] && skip_all "the preloaded agent does not run under the sanitizer build"

record_perf perf.rec --mode perf -- "$W/cpu-603010-fp" deep
record agent.rec --mode agent -- "$W/cpu-603010-fp" deep
PINCH_CPUAGENT_TIMER=posix record posix.rec --mode agent -- "$W/cpu-603010-fp" deep
is "$(jget agent.rec 'd["recording"]["meta"]["mode"]')" agent "the agent recording says mode agent"

for f in sixty thirty ten; do
	p=$(self_pct perf.rec $f)
	for m in agent posix; do
		a=$(self_pct $m.rec $f)
		within "$a" "$p" 5 "$f: $m agent's self share agrees with perf's"
	done
done
within "$(self_pct agent.rec sixty)" 60 5 "agent: sixty self"
within "$(self_pct agent.rec thirty)" 30 5 "agent: thirty self"
within "$(self_pct agent.rec ten)" 10 5 "agent: ten self"
within "$(total_pct agent.rec middle)" "$(total_pct perf.rec middle)" 5 "middle's total share agrees (leaf fix on agent stacks)"
within "$(total_pct agent.rec main)" 100 5 "agent: main in every stack"
done_testing
