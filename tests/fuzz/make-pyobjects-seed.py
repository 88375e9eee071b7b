#!/usr/bin/env python3
# make-pyobjects-seed.py OUT: a fake CPython 3.11 memory image for
# fuzz-pyobjects (layout in fuzz-pyobjects.c): the object at +0x3000 is
# the dict {"ab": 5}, which is also the interpreter's sys.modules, and the
# frame at +0x4000 has one argument "ab" holding that dict.
import struct
import sys

BASE = 0x10000
img = bytearray(0x6000)


def put(off, fmt, *v):
    struct.pack_into("<" + fmt, img, off, *v)


UNICODE, LONG, TUPLE, DICT, BYTES = 0x1000, 0x1100, 0x1500, 0x1600, 0x1800
put(0x2000 + 888, "Q", BASE + 0x3000)            # interp->modules
put(0x3000 + 8, "Q", BASE + DICT)                 # dict {"ab": 5}
put(0x3000 + 16, "q", 1)
put(0x3000 + 32, "QQ", BASE + 0x3400, 0)
put(0x3200 + 8, "Q", BASE + UNICODE)              # "ab"
put(0x3200 + 16, "q", 2)
put(0x3200 + 32, "I", 0x64)
img[0x3200 + 48:0x3200 + 50] = b"ab"
put(0x3300 + 8, "Q", BASE + LONG)                 # 5
put(0x3300 + 16, "q", 1)
put(0x3300 + 24, "I", 5)
put(0x3400 + 8, "BBB", 3, 3, 1)                   # keys: unicode kind
put(0x3400 + 24, "q", 1)
put(0x3400 + 40, "QQ", BASE + 0x3200, BASE + 0x3300)
put(0x4000 + 72, "Q", BASE + 0x3000)              # frame localsplus[0]
put(0x5000 + 56, "i", 1)                          # co_argcount
put(0x5000 + 76, "i", 1)                          # co_nlocalsplus
put(0x5000 + 96, "QQ", BASE + 0x5200, BASE + 0x5300)
put(0x5200 + 8, "Q", BASE + TUPLE)
put(0x5200 + 16, "q", 1)
put(0x5200 + 24, "Q", BASE + 0x3200)
put(0x5300 + 8, "Q", BASE + BYTES)
put(0x5300 + 16, "q", 1)
img[0x5300 + 32] = 0x20
open(sys.argv[1], "wb").write(bytes(img))
