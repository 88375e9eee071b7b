#!/usr/bin/env bash
# t5016-python-gil-truth: "GIL held %" against shares known by
# construction (gil_truth.py: no two threads ever want the GIL at once):
# - duty mode: duty60 runs Python 60 ms of every 100 ms and sleeps the
#   rest (60 %), sleeper only sleeps (0 %), MainThread waits in join (0 %);
# - spin mode: spinner runs Python all the time (100 %), sleeper 0 %.
# Each within 5 points, attached for 2.5 s once the threads run, on both
# Pythons. On a loaded machine duty60 may hold the GIL past its 60 ms
# while descheduled (the share is of wall time), or start late after a
# sleep (52.9 to 66.0 % seen under load): its truth is what it measured
# itself over the window pinch read the GIL in — its busy intervals
# (written by the workload, time.monotonic()) overlapping the span from the
# recording's first to its last PYGIL record (the same clock).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
run=t5016-$$

# gil JSON NAME: the thread's gil_pct in a saved report --json --threads.
gil() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([t["gil_pct"] for t in d["report"]["threads"] if t["name"] == sys.argv[2]][0])' "$1" "$2" 2>/dev/null; }

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	for mode in duty spin; do
		"$py" "$PYW/gil_truth.py" $run $mode 4 $tag-$mode.iv >$tag-$mode.out 2>&1 &
		pid=$!
		pids+=($pid)
		for _ in $(seq 600); do grep -q ready $tag-$mode.out && break; sleep 0.05; done
		record $tag-$mode.rec --idle --pid $pid --duration 2500ms
		wait $pid
		truth=$(sed -n 's/^held //p' $tag-$mode.out)
		"$PINCH" report --json --threads --idle --limit 1 $tag-$mode.rec >$tag-$mode.json 2>/dev/null
		if [ $mode = duty ]; then
			# duty60's share over the window pinch read the GIL in
			truth=$("$RECDUMP" $tag-$mode.rec | python3 -c '
import json, sys
d = json.load(sys.stdin)
t0, t1 = d["pygil_first_ns"] / 1e9, d["pygil_last_ns"] / 1e9
held = sum(max(0.0, min(e, t1) - max(s, t0)) for s, e in (map(float, l.split()) for l in open(sys.argv[1])))
print("%.1f" % (100 * held / (t1 - t0)))' $tag-$mode.iv)
		fi
		if [ $mode = duty ]; then
			ok "$tag: duty60 measured what it held in the window ($truth %; 60 on an idle machine)" test -n "$truth"
			within "$(gil $tag-$mode.json duty60)" "$truth" 5 "$tag: duty60's GIL held % is what it held"
			within "$(gil $tag-$mode.json MainThread)" 0 5 "$tag: MainThread, in join, 0 %"
		else
			within "$(gil $tag-$mode.json spinner)" "$truth" 5 "$tag: spinner, alone, holds it all the time"
		fi
		within "$(gil $tag-$mode.json sleeper)" 0 5 "$tag ($mode): sleeper 0 %"
	done
done
done_testing
