# make-rec-seed.py - shrinks a real recording (pinch record / pinch mem)
# into a fuzz seed: the 64-byte header and every record in order, but only
# N samples spread over the run (with the interpreter frames that follow
# each kept sample), so a seed stays a few KB while keeping the maps, names, strings
# and the finish record that make the rest of it parse.
#   python3 tests/fuzz/make-rec-seed.py IN.rec OUT.bin [N=20]
import struct
import sys

REC_SAMPLE, REC_SYMSTACK = 4, 10

src = open(sys.argv[1], "rb").read()
keep = int(sys.argv[3]) if len(sys.argv) > 3 else 20


def records():
    off = 64
    while off + 8 <= len(src):
        typ, size = struct.unpack_from("<II", src, off)
        end = off + 8 + ((size + 7) & ~7)
        if end > len(src):
            return
        yield typ, off, end
        off = end


total = sum(1 for typ, _, _ in records() if typ == REC_SAMPLE)
stride = max(1, total // keep) if keep else 1
out = bytearray(src[:64])
samples, kept, last_kept = 0, 0, False
for typ, off, end in records():
    if typ == REC_SAMPLE:
        last_kept = samples % stride == 0 and kept < keep
        samples += 1
        kept += last_kept
        take = last_kept
    elif typ == REC_SYMSTACK:
        take = last_kept
    else:
        take = True
    if take:
        out += src[off:end]
open(sys.argv[2], "wb").write(out)
print("%s: %d -> %d bytes, %d of %d samples" % (sys.argv[2], len(src), len(out), kept, total))
