# calls.py - a call-heavy workload for bench/python.sh: about 3 million
# small Python calls. Self time ranks heavy > medium > light by the size
# of their loops, so every profiler should name the same top three.
# Runs with kernprof -l too (its @profile decorator is optional).
import sys

try:
    profile  # injected by kernprof -l
except NameError:
    def profile(f):
        return f


@profile
def heavy(x):
    t = 0
    for k in range(24):
        t += (x ^ k) & 15
    return t


@profile
def medium(x):
    t = 0
    for k in range(12):
        t += (x + k) & 7
    return t


@profile
def light(x):
    t = 0
    for k in range(4):
        t += x & k
    return t


def tiny(x):
    return x + 1


def drive(n):
    s = 0
    for i in range(n):
        s += heavy(i) + medium(i) + light(i) + tiny(i)
    return s


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300000
    print(drive(n))


if __name__ == "__main__":
    main()
