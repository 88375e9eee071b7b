# alloc.py - allocates known amounts on known lines and keeps them alive:
# line A: 200 bytearrays of 100 000 bytes (20 MB), line B: 100 of
# 50 000 bytes (5 MB), line C: 10 000 bytes objects of 1 001 bytes
# (1 034 with the object header: 10.34 MB held; b"x" * 1000 is folded
# at compile time, the one-byte bytes are cached, so the concatenation is
# the allocation). Small objects go through pymalloc unless the target
# runs with PYTHONMALLOC=malloc (pinch mem sets it). Then sleeps briefly
# and exits.
import sys
import time


def make_big():
    keep = []
    for _ in range(200):
        keep.append(bytearray(100000))  # LINE-A
    return keep


def make_medium():
    keep = []
    for _ in range(100):
        keep.append(bytearray(50000))  # LINE-B
    return keep


def make_small():
    keep = []
    for i in range(10000):
        keep.append(b"x" * 1000 + bytes([i % 256]))  # LINE-C
    return keep


def main():
    held = [make_big(), make_medium(), make_small()]
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0.2)
    return len(held)


if __name__ == "__main__":
    main()
