#!/usr/bin/env bash
# t1113-record-offcpu-locks.sh - pinch record --off-cpu on lock contention
# and on fsync: 8 threads take one mutex (offcpu-locks.c, its own total
# time inside pthread_mutex_lock is the truth): [off: futex] under
# take_lock is that total within 2 %; an fsync loop (offcpu-fsync.c, its
# own time inside fsync()): the blocked time under fsync is [off: fsync]
# (the disk waits of fsync are fsync, not io), and fsync's wall time
# (blocked plus its on-CPU samples) is its own time within 2 % (+ 3 ms for
# sampling at 999 Hz).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"
. "$here/offcpu-lib.sh"

record_perf lk.rec --off-cpu -- "$W/offcpu-locks" 40 1000 t1113-locks
offcpu_perf lk.rec
"$PINCH" record -q --off-cpu -o lk.rec -- "$W/offcpu-locks" 40 1000 t1113-locks 2>truth.txt
sed 's/^/# truth: /' truth.txt
want=$(truth truth.txt lock_wait_ns)
got=$(offtime lk.rec take_lock "[off: futex]")
within "$(pct "$got" "$want")" 100 2 "[off: futex] under take_lock ($got ns) is the program's own lock wait ($want ns)"
got=$(offtime lk.rec take_lock '*')
within "$(pct "$got" "$want")" 100 2 "... and take_lock holds no other blocked time"
ok "the lock site is named: take_lock;pthread_mutex_lock;__lll_lock_wait;...;[off: futex]" \
	sh -c "\"\$PINCH\" report --collapsed lk.rec | grep -q 'locker;take_lock;pthread_mutex_lock;__lll_lock_wait;.*\\[off: futex\\] '"
got=$(jget lk.rec 'd["report"]["rows"][0]["function"]')
is "$got" "[off: futex]" "the top row is [off: futex]"

# fsync: on the disk the build directory is on (tmpfs has no real fsync).
case "$(stat -f -c %T "$TMP")" in tmpfs|ramfs) dat=$(mktemp /var/tmp/t1113.XXXXXX) ;; *) dat=$TMP/f.dat ;; esac
trap 'rm -rf "$TMP" "$dat"' EXIT
"$PINCH" record -q --off-cpu -o fs.rec -- "$W/offcpu-fsync" "$dat" 50 t1113-fsync 2>truth2.txt
sed 's/^/# truth: /' truth2.txt
want=$(truth truth2.txt fsync_ns)
fs=$(offtime fs.rec fsync "[off: fsync]")
all=$(offtime fs.rec fsync '*')
ok "blocked time in fsync is [off: fsync] ($fs of $all ns)" python3 -c "assert $all > 0 and $fs >= 0.98 * $all"
got=$(offtime fs.rec fsync '*' --wall)
ok "fsync's wall time ($got ns) is the program's own fsync time ($want ns) within 2 % + 3 ms (three samples at 999 Hz)" \
	python3 -c "assert abs(${got:-0} - $want) <= 0.02 * $want + 3e6"
done_testing
