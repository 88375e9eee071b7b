# named_threads.py - threads named only through threading (the OS still
# calls them "python3"): "ingest-0" and "ingest-1" burn CPU, "wärter"
# (non-ASCII) waits on an event; one thread started with _thread (so not
# in threading._active) names itself "os-named" with prctl, the OS name
# pinch must fall back to. Ground truth for thread names in record,
# report --threads, top and dump. argv[1]: seconds (default 3).
import _thread
import ctypes
import sys
import threading
import time

libc = ctypes.CDLL(None)


def burn(deadline):
    n = 0
    while time.monotonic() < deadline:
        for i in range(1000):
            n += i * i
    return n


def wait_for(stop):
    stop.wait()


def os_named(stop, done):
    libc.prctl(15, ctypes.c_char_p(b"os-named"), 0, 0, 0)
    stop.wait()
    done.release()


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    deadline = time.monotonic() + seconds
    stop = threading.Event()
    done = _thread.allocate_lock()
    done.acquire()
    _thread.start_new_thread(os_named, (stop, done))
    ts = [threading.Thread(target=burn, args=(deadline,), name="ingest-0"),
          threading.Thread(target=burn, args=(deadline,), name="ingest-1"),
          threading.Thread(target=wait_for, args=(stop,), name="wärter")]
    for t in ts:
        t.start()
    ts[0].join()
    ts[1].join()
    stop.set()
    ts[2].join()
    done.acquire()


if __name__ == "__main__":
    main()
