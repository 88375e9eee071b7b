# subprocs.py TAG SCALE [GOFILE] - a parent and three forked worker
# processes (multiprocessing, fork start method) that burn a known share of
# CPU each in a function of their own: worker_a 3 units of rounds, worker_b
# 2, worker_c 1 (so 50 / 33.3 / 16.7 % of the workers' CPU, whatever the
# scheduling: the work is a fixed number of rounds; on a shared CPU the
# same rounds may take more CPU time, so each worker also prints "cpu
# NAME SECONDS", the CPU time its rounds took). TAG only makes the
# command line unique to a test. worker_a is forked at once; with GOFILE,
# the parent prints "ready" and waits until GOFILE exists before forking
# worker_b and worker_c and letting worker_a start, so a recorder attached
# in between sees one child that existed and two that appear while it
# records. Five more children exit at once (nothing to find in them).
# Each child sleeps 1 s before its work (the recorder finds it and
# reads its Python runtime: under load that takes a while),
# then prints "child NAME PID" (one write(2) a line). The parent exits
# when all have ended.
import multiprocessing as mp
import os
import sys
import time

ROUNDS = 40000


def say(line):
    # One write(2) per line: the workers share stdout, and print() may
    # write a line in pieces that another worker's line gets between.
    os.write(1, line.encode())


def spin(n):
    x = 0
    for i in range(n):
        x = (x * 31 + i) % 1000003
    return x


def work(name, n):
    # n units of rounds, then the CPU time they took: the same rounds take
    # more CPU time while the CPU is shared (SMT siblings, frequency), so
    # the shares of CPU a profiler sees are these, not exactly n's.
    t0 = time.process_time()
    for _ in range(n):
        spin(ROUNDS)
    say("cpu %s %.6f\n" % (name, time.process_time() - t0))


def worker_a(units, gofile):
    while gofile and not os.path.exists(gofile):
        time.sleep(0.01)
    time.sleep(1.0)
    say("child worker_a %d\n" % os.getpid())
    work("worker_a", units * 3)


def worker_b(units, gofile):
    time.sleep(1.0)
    say("child worker_b %d\n" % os.getpid())
    work("worker_b", units * 2)


def worker_c(units, gofile):
    time.sleep(1.0)
    say("child worker_c %d\n" % os.getpid())
    work("worker_c", units)


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
