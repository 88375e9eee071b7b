# cext.py - a loop that spends a known share of its time inside a C
# extension (zlib.compress), the rest in pure Python (py_work). The
# iteration counts are calibrated at start so that compress takes
# SHARE % (argv[2], default 50) of each round. It prints the measured
# truth: compress's share of the user CPU time (the test records with
# --user-only: zlib's page faults are system time).
import resource
import sys
import time
import zlib

DATA = bytes(range(256)) * 256


def compress_part(k):
    for _ in range(k):
        zlib.compress(DATA, 6)


def py_work(k):
    t = 0
    for i in range(k):
        t += i % 3
    return t


SPENT = {"compress": 0.0, "python": 0.0}


def utime():
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


def calibrate(fn, arg, key):
    u0 = utime()
    t0 = time.process_time()
    n = 0
    while time.process_time() - t0 < 0.3:
        for _ in range(20):
            fn(arg)
        n += 20
    SPENT[key] += utime() - u0
    return (time.process_time() - t0) / n


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    share = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
    c = calibrate(compress_part, 1, "compress")
    p = calibrate(py_work, 10000, "python") / 10000
    round_s = 0.02
    kc = max(1, round(round_s * share / 100 / c))
    kp = max(1, round(round_s * (100 - share) / 100 / p))
    deadline = time.monotonic() + seconds
    tc = tp = 0.0
    while time.monotonic() < deadline:
        t0 = utime()
        compress_part(kc)
        t1 = utime()
        py_work(kp)
        tc += t1 - t0
        tp += utime() - t1
    # The measured truth (calibration included), for the tests.
    tc += SPENT["compress"]
    tp += SPENT["python"]
    print("compress_share=%.1f" % (100 * tc / (tc + tp)), file=sys.stderr)


if __name__ == "__main__":
    main()
