#!/usr/bin/env bash
# t1103-report-threads.sh - threads and forked children in pinch report:
# threads.c runs worker-1..3 with 1/6, 2/6, 3/6 of the work; fork.c's
# parent does 2/3 and its child "fork-child" 1/3. --threads shows each
# with its share and name; the merged table sums them.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

# share FILE NAME: a thread's share (by name) in the --threads JSON
share() {
	jget "$1" "sum(t[\"share_pct\"] for t in d[\"report\"][\"threads\"] if t[\"name\"] == \"$2\")" --threads
}

record thr.rec --user-only -- "$W/threads-fp"
within "$(share thr.rec worker-1)" 16.7 5 "worker-1 has 1/6"
within "$(share thr.rec worker-2)" 33.3 5 "worker-2 has 2/6"
within "$(share thr.rec worker-3)" 50 5 "worker-3 has 3/6"
within "$(self_pct thr.rec thread_work)" 100 2 "merged: thread_work has all the self time"
"$PINCH" report --threads thr.rec >thr.txt 2>&1
ok "--threads human form heads each thread with its name and share" \
	grep -qE '^thread worker-3 \(pid [0-9]+, tid [0-9]+\): [0-9.]+ %' thr.txt
is "$(grep -c '^thread worker-' thr.txt)" 3 "--threads: three worker tables"

record fork.rec -- "$W/fork-fp"
within "$(self_pct fork.rec parent_work)" 66.7 5 "fork: the parent's function has 2/3"
within "$(self_pct fork.rec child_work)" 33.3 5 "fork: the child's function has 1/3"
within "$(share fork.rec fork-child)" 33.3 5 "fork: the child process appears as fork-child"
is "$(jget fork.rec 'len(set(t["pid"] for t in d["report"]["threads"]))' --threads)" 2 "fork: two processes"
within "$(total_pct fork.rec main)" 100 5 "fork: the child's stacks resolve through the parent's maps (main)"
# A forked child that neither execs nor renames itself has its parent's
# name (the kernel sends no COMM for it), never "[PID]".
record sub.rec -- sh -c '( i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done ); i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'
"$PINCH" report --threads --limit 1 sub.rec >sub.txt 2>&1
ok "forked children keep their inherited name" grep -q '^thread sh (pid' sub.txt
is "$(grep -c '^thread \[' sub.txt)" 0 "no thread is named by its number"
done_testing
