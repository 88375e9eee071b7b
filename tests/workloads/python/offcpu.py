"""offcpu.py - Python ground truth for `pinch record --off-cpu`: the main
thread sleeps in nap_phase (time.sleep) and blocks in recv_phase on a
socket that a helper thread writes to after the same time; each phase's own
time.monotonic_ns() duration goes to stderr as "phase NAME NS".
Usage: offcpu.py [SECONDS_PER_PHASE [TAG]] (default 0.3)."""
import socket
import sys
import threading
import time

PHASE = float(sys.argv[1]) if len(sys.argv) > 1 else 0.3


def nap_phase():
    time.sleep(PHASE)


def sender(sock):
    time.sleep(PHASE)
    sock.send(b"x")


def recv_phase(sock):
    return sock.recv(1)


def main():
    t0 = time.monotonic_ns()
    nap_phase()
    print("phase sleep", time.monotonic_ns() - t0, file=sys.stderr)
    a, b = socket.socketpair()
    t = threading.Thread(target=sender, args=(b,))
    t.start()
    t0 = time.monotonic_ns()
    recv_phase(a)
    print("phase recv", time.monotonic_ns() - t0, file=sys.stderr)
    t.join()


main()
