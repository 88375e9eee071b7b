# locals.py - known arguments and locals for `pinch dump --locals`: a
# thread named "handler-1" stops in handle() with one local of each type
# pinch shows (and a few it only names), then waits; the main thread
# spins in a CPU loop that holds the GIL (a "stuck" interpreter: it never
# waits). Prints "ready" once handle() sleeps in stop.wait() and the main
# thread is about to spin. argv[1]: seconds to
# live (default 30).
import sys
import threading
import time


class Custom:
    pass


def handle(request_id, payload, *rest, retries=3, **options):
    name = "ingest"
    count = -42
    big_int = 2 ** 40
    ratio = 0.25
    flag = True
    nothing = None
    blob = b"\x00ab'c"
    items = [1, 2, 3, 4, 5, 6]
    pair = (7, "x")
    table = {"a": 1, "b": [1, 2]}
    long_text = "y" * 10000
    huge = list(range(100000))
    obj = Custom()
    accent = "héllo wörld"
    ready.set()
    stop.wait()
    return name, count, big_int, ratio, flag, nothing, blob, items, pair, table, long_text, huge, obj, accent


def spin(deadline):
    n = 0
    while time.monotonic() < deadline: n += 1  # one line: one line number to assert
    return n


stop = threading.Event()
ready = threading.Event()


def blocked(tid):
    """True once thread tid sleeps in the kernel (here: in stop.wait())."""
    with open("/proc/self/task/%d/stat" % tid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "S"


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    t = threading.Thread(target=handle, args=(17, "payload-text", "extra"),
                         kwargs={"retries": 5, "mode": "fast"}, name="handler-1")
    t.start()
    ready.wait()
    while not blocked(t.native_id):
        time.sleep(0.001)
    print("ready", flush=True)
    spin(time.monotonic() + seconds)
    stop.set()
    t.join()


if __name__ == "__main__":
    main()
