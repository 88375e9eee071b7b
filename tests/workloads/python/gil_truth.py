# gil_truth.py TAG MODE SECONDS - threads whose share of the GIL is known
# by construction (no two threads ever want the GIL at once, so nothing
# depends on how the GIL is handed over or on scheduling):
#   MODE duty: "duty60" runs a pure-Python busy loop until 60 ms into each
#     100 ms period, then sleeps until the period's end (absolute
#     deadlines, so a late wake-up is not carried over): it holds the GIL
#     60 % of the wall time; "sleeper" only sleeps (0 %); the main thread
#     waits in join (0 %).
#   MODE spin: "spinner" runs a pure-Python busy loop all the time and is
#     the only thread that wants the GIL: 100 %; "sleeper" 0 %.
# A thread keeps the GIL while it is descheduled, and the share is of wall
# time: on a loaded machine duty60 may overrun its 60 ms until it runs
# again. So it also measures what it held itself (from the first
# statement after each sleep to the last before the next) and the main
# thread prints "held PCT" at the end: the truth the test compares with.
# With a fourth argument FILE, duty60 also writes each of its busy
# intervals there ("start end", time.monotonic() seconds), so that a test
# can take the truth over the recording's own window.
# Prints "ready" once the threads run; TAG makes the command line unique.
import sys
import threading
import time

PERIOD = 0.1
BUSY = 0.06


def busy_until(t):
    n = 0
    while time.monotonic() < t:
        n += 1
    return n


held = [0.0, 0.0]  # seconds held, seconds of the loop
intervals = []


def duty60(end):
    t0 = first = time.monotonic()
    while t0 < end:
        s = time.monotonic()
        busy_until(t0 + BUSY)
        e = time.monotonic()
        held[0] += e - s
        intervals.append((s, e))
        t0 += PERIOD
        left = t0 - time.monotonic()
        if left > 0:
            time.sleep(left)
    held[1] = time.monotonic() - first


def spinner(end):
    first = time.monotonic()
    busy_until(end)
    held[0] = held[1] = time.monotonic() - first


def sleeper(end):
    while time.monotonic() < end:
        time.sleep(0.2)


def main():
    mode = sys.argv[2]
    end = time.monotonic() + float(sys.argv[3])
    work = duty60 if mode == "duty" else spinner
    ts = [threading.Thread(target=work, name=work.__name__, args=(end,)),
          threading.Thread(target=sleeper, name="sleeper", args=(end,))]
    for t in ts:
        t.start()
    print("ready", flush=True)
    for t in ts:
        t.join()
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            f.writelines("%.6f %.6f\n" % iv for iv in intervals)
    print("held %.1f" % (100.0 * held[0] / held[1]), flush=True)


if __name__ == "__main__":
    main()
