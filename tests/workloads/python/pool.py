# pool.py - a multiprocessing pool of 3 workers (fork start method) that
# each wait in a task named "work_item" for argv[1] seconds (default 30),
# for `pinch dump --subprocesses`: the parent waits in pool.map, each
# child is a Python process in work_item. Prints "ready" when the three
# tasks have started.
import multiprocessing as mp
import sys
import time


def work_item(args):
    i, seconds, started = args
    started.put(i)
    time.sleep(seconds)
    return i


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    ctx = mp.get_context("fork")
    with ctx.Manager() as m:
        started = m.Queue()
        with ctx.Pool(3) as pool:
            res = pool.map_async(work_item, [(i, seconds, started) for i in range(3)], chunksize=1)
            for _ in range(3):
                started.get()
            print("ready", flush=True)
            res.get()


if __name__ == "__main__":
    main()
