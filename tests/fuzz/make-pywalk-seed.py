# make-seed.py - writes seed images for fuzz-pywalk: a fake CPython 3.11
# memory image (base 0x10000) with one interpreter, two threads, a
# three-frame stack (one frame incomplete, one generator) and real
# strings and line tables.  Run in corpus/pywalk: python3 ../../make-pywalk-seed.py.
import struct

BASE = 0x10000
img = bytearray(0x8000)


def put(off, fmt, *v):
    struct.pack_into("<" + fmt, img, off, *v)


def A(off):
    return BASE + off


def pystr(off, s):
    put(off + 16, "q", len(s))
    put(off + 32, "I", (1 << 5) | (1 << 6) | (1 << 2))
    img[off + 48:off + 48 + len(s)] = s.encode()


def pybytes(off, b):
    put(off + 16, "q", len(b))
    img[off + 32:off + 32 + len(b)] = b


def code(off, first, name, fname, table):
    put(off + 72, "i", first)
    put(off + 112, "Q", A(fname))
    put(off + 120, "Q", A(name))
    put(off + 128, "Q", A(name))
    put(off + 136, "Q", A(table))
    put(off + 168, "i", 0)


put(40, "Q", A(0x1000))              # runtime.interpreters.head
put(576, "Q", A(0x2000))             # gil holder
put(0x1000 + 16, "Q", A(0x2000))     # interp.threads.head
put(0x2000 + 8, "Q", A(0x2200))      # tstate.next
put(0x2000 + 56, "Q", A(0x3000))     # cframe
put(0x2000 + 160, "Q", 1234)
put(0x2200 + 56, "Q", 0)             # second thread: no frames
put(0x2200 + 160, "Q", 1235)
put(0x3000 + 8, "Q", A(0x4000))      # current frame
# frame 1 (leaf): code A, lasti 5
put(0x4000 + 32, "Q", A(0x5000)); put(0x4000 + 48, "Q", A(0x4100))
put(0x4000 + 56, "Q", A(0x5000) + 184 + 10)
# frame 2: generator, code B
put(0x4100 + 32, "Q", A(0x5400)); put(0x4100 + 48, "Q", A(0x4200))
put(0x4100 + 56, "Q", A(0x5400) + 184 + 2); img[0x4100 + 69] = 1
# frame 3: entry, incomplete (prev_instr before the code)
put(0x4200 + 32, "Q", A(0x5400)); put(0x4200 + 48, "Q", 0)
put(0x4200 + 56, "Q", A(0x5400) + 184 - 2); img[0x4200 + 68] = 1
code(0x5000, 10, 0x6000, 0x6100, 0x6200)
code(0x5400, 20, 0x6300, 0x6100, 0x6400)
pystr(0x6000, "Worker.run")
pystr(0x6100, "/srv/app.py")
pybytes(0x6200, bytes([0x80 | (13 << 3) | 3, 2, 0x80 | (11 << 3) | 7, 1, 2]))
pystr(0x6300, "gen")
pybytes(0x6400, bytes([0x80 | (14 << 3) | 7, 4, 2, 1, 3]))
open("seed-basic", "wb").write(img)
# A cycle: frame 3 points back to frame 1.
put(0x4200 + 48, "Q", A(0x4000))
open("seed-cycle", "wb").write(img)
