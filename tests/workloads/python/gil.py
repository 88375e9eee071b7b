# gil.py - GIL contention: two CPU-bound threads ("cpu-0", "cpu-1") that
# share the GIL (each holds it about half the time: CPython hands it over
# every 5 ms to the other one waiting for it), and one I/O thread ("io")
# that sleeps and writes to a pipe, so it holds the GIL almost never.
# The main thread waits in join. Prints "ready" once the three threads
# run (attach then: the startup, where the main thread holds the GIL, is
# over). argv[1]: seconds (default 3).
import os
import sys
import threading
import time


def burn(deadline):
    n = 0
    while time.monotonic() < deadline:
        for i in range(1000):
            n += i * i
    return n


def io(deadline):
    r, w = os.pipe()
    while time.monotonic() < deadline:
        time.sleep(0.01)
        os.write(w, b"x")
        os.read(r, 1)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    deadline = time.monotonic() + seconds
    ts = [threading.Thread(target=burn, args=(deadline,), name="cpu-0"),
          threading.Thread(target=burn, args=(deadline,), name="cpu-1"),
          threading.Thread(target=io, args=(deadline,), name="io")]
    for t in ts:
        t.start()
    print("ready", flush=True)
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()
