#!/usr/bin/env bash
# The kernel sampler (perf mode) and the in-process agent (agent mode, both
# its timers) see the same program the same way: the 60/30/10 self shares
# of cpu-603010 agree within 5 points between modes, and each is within 5
# points of the truth. Stacks agree too: middle() in every stack (deep).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

[ "${PINCH_SANITIZED:-0}" = 1 ] && skip_all "the preloaded agent does not run under the sanitizer build"

# The agent sees user space only: compare with perf's user-space samples
# (a loaded machine adds a few % of kernel time: interrupts, switches).
record_perf perf.rec --mode perf --user-only -- "$W/cpu-603010-fp" deep
record agent.rec --mode agent -- "$W/cpu-603010-fp" deep
PINCH_CPUAGENT_TIMER=posix record posix.rec --mode agent -- "$W/cpu-603010-fp" deep
is "$(jget agent.rec 'd["recording"]["meta"]["mode"]')" agent "the agent recording says mode agent"

for f in sixty thirty ten; do
	p=$(self_pct perf.rec $f --user-only)
	for m in agent posix; do
		a=$(self_pct $m.rec $f --user-only)
		within "$a" "$p" 5 "$f: $m agent's self share agrees with perf's"
	done
done
within "$(self_pct agent.rec sixty --user-only)" 60 5 "agent: sixty self"
within "$(self_pct agent.rec thirty --user-only)" 30 5 "agent: thirty self"
within "$(self_pct agent.rec ten --user-only)" 10 5 "agent: ten self"
within "$(total_pct agent.rec middle --user-only)" "$(total_pct perf.rec middle --user-only)" 5 "middle's total share agrees (leaf fix on agent stacks)"
within "$(total_pct agent.rec main --user-only)" 100 5 "agent: main in every stack"
done_testing
