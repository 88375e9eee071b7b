# calls.py - a call-heavy workload for bench/python.sh: three small
# Python calls per iteration. Self time ranks heavy > medium > light >
# drive by the size of their loops (with room for cProfile's per-call
# cost, which it charges to the caller), so every profiler should name
# the same top three.
# Runs with kernprof -l too (its @profile decorator is optional).
import sys
import time

try:
    profile  # injected by kernprof -l
except NameError:
    def profile(f):
        return f


@profile
def heavy(x):
    t = 0
    for k in range(48):
        t += (x ^ k) & 15
    return t


@profile
def medium(x):
    t = 0
    for k in range(28):
        t += (x + k) & 7
    return t


@profile
def light(x):
    t = 0
    for k in range(16):
        t += x & k
    return t


def drive(n):
    s = 0
    for i in range(n):
        s += heavy(i) + medium(i) + light(i)
    return s


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    t0 = time.perf_counter()
    c0 = time.process_time()
    s = drive(n)
    # The run's own wall and CPU time, so a profiler's start-up and
    # report writing are not counted.
    print("elapsed=%.6f cpu=%.6f sum=%d" % (time.perf_counter() - t0,
          time.process_time() - c0, s), file=sys.stderr)


if __name__ == "__main__":
    main()
