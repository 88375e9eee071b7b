# subprocs.py TAG SCALE [GOFILE] - a parent and three forked worker
# processes (multiprocessing, fork start method) that burn a known share of
# CPU each in a function of their own: worker_a 3 units of rounds, worker_b
# 2, worker_c 1 (so 50 / 33.3 / 16.7 % of the workers' CPU, whatever the
# scheduling: the work is a fixed number of rounds). TAG only makes the
# command line unique to a test. worker_a is forked at once; with GOFILE,
# the parent prints "ready" and waits until GOFILE exists before forking
# worker_b and worker_c and letting worker_a start, so a recorder attached
# in between sees one child that existed and two that appear while it
# records. Five more children exit at once (nothing to find in them).
# Each child sleeps 1 s before its work (the recorder finds it and
# reads its Python runtime: under load that takes a while),
# then prints "child NAME PID". The parent exits when all have ended.
import multiprocessing as mp
import os
import sys
import time

ROUNDS = 40000


def spin(n):
    x = 0
    for i in range(n):
        x = (x * 31 + i) % 1000003
    return x


def worker_a(units, gofile):
    while gofile and not os.path.exists(gofile):
        time.sleep(0.01)
    time.sleep(1.0)
    print("child worker_a", os.getpid(), flush=True)
    for _ in range(units * 3):
        spin(ROUNDS)


def worker_b(units, gofile):
    time.sleep(1.0)
    print("child worker_b", os.getpid(), flush=True)
    for _ in range(units * 2):
        spin(ROUNDS)


def worker_c(units, gofile):
    time.sleep(1.0)
    print("child worker_c", os.getpid(), flush=True)
    for _ in range(units):
        spin(ROUNDS)


def quick():
    pass


def main():
    units = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    gofile = sys.argv[3] if len(sys.argv) > 3 else None
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=worker_a, args=(units, gofile))]
    procs[0].start()
    if gofile:
        print("ready", flush=True)
        while not os.path.exists(gofile):
            time.sleep(0.01)
    for w in (worker_b, worker_c):
        procs.append(ctx.Process(target=w, args=(units, None)))
        procs[-1].start()
    for _ in range(5):
        procs.append(ctx.Process(target=quick))
        procs[-1].start()
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()
