# threads.py - two busy threads with OS names ("burner-a", "burner-b")
# and one idle thread ("sleeper") waiting on an event, for thread
# attribution. CPython 3.11 does not pass thread names to the OS, so each
# thread names itself with prctl(PR_SET_NAME).
import ctypes
import sys
import threading
import time

libc = ctypes.CDLL(None)


def set_os_name(name):
    libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)


def burn_a(deadline):
    set_os_name("burner-a")
    n = 0
    while time.monotonic() < deadline:
        for i in range(1000):
            n += i * i
    return n


def burn_b(deadline):
    set_os_name("burner-b")
    n = 0
    while time.monotonic() < deadline:
        for i in range(1000):
            n += i ^ 5
    return n


def sleep_forever(stop):
    set_os_name("sleeper")
    stop.wait()


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    deadline = time.monotonic() + seconds
    stop = threading.Event()
    ts = [threading.Thread(target=burn_a, args=(deadline,), name="burner-a"),
          threading.Thread(target=burn_b, args=(deadline,), name="burner-b"),
          threading.Thread(target=sleep_forever, args=(stop,), name="sleeper")]
    for t in ts:
        t.start()
    ts[0].join()
    ts[1].join()
    stop.set()
    ts[2].join()


if __name__ == "__main__":
    main()
