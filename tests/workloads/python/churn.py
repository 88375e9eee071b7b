# churn.py - a target that changes under the reader: threads created and
# destroyed all the time, stacks growing and shrinking (recursion), and
# generators. For robustness tests: the reader must never crash or hang.
import sys
import threading
import time


def deep(n):
    if n == 0:
        return sum(i for i in range(50))
    return deep(n - 1) + 1


def short_lived(k):
    for d in range(k):
        deep(d % 40)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ts = [threading.Thread(target=short_lived, args=(30,)) for _ in range(4)]
        for t in ts:
            t.start()
        deep(30)
        for t in ts:
            t.join()


if __name__ == "__main__":
    main()
