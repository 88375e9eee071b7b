# cext.py - a loop that spends a known share of its time inside a C
# extension (zlib.compress), the rest in pure Python (py_work). The
# iteration counts are calibrated at start so that compress takes
# SHARE % (argv[2], default 50) of each round.
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


def calibrate(fn, arg):
    t0 = time.process_time()
    n = 0
    while time.process_time() - t0 < 0.3:
        fn(arg)
        n += 1
    return (time.process_time() - t0) / n


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    share = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
    c = calibrate(compress_part, 1)
    p = calibrate(py_work, 10000) / 10000
    round_s = 0.02
    kc = max(1, round(round_s * share / 100 / c))
    kp = max(1, round(round_s * (100 - share) / 100 / p))
    deadline = time.monotonic() + seconds
    tc = tp = 0.0
    while time.monotonic() < deadline:
        t0 = time.process_time()
        compress_part(kc)
        t1 = time.process_time()
        py_work(kp)
        tc += t1 - t0
        tp += time.process_time() - t1
    # The measured truth, for the tests to compare with.
    print("compress_share=%.1f" % (100 * tc / (tc + tp)), file=sys.stderr)


if __name__ == "__main__":
    main()
