# hdrdecode.py - an independent reader of HdrHistogram interval logs, for
# the pinch load tests: it follows the published V2 encoding (base64; a
# big-endian compressed header with cookie 0x1c849314 and a length; zlib;
# a 40-byte header with cookie 0x1c849313; counts as ZigZag LEB128-64b9B,
# negative numbers being runs of zero counts) and the bucket layout of a
# histogram with lowest discernible value 1. Prints one JSON object:
#   {"intervals": N, "count": C, "sig_digits": 2, "lines_max_ok": true,
#    "p50": [lo, hi], "p90": [...], "p99": [...], "max": [lo, hi]}
# where [lo, hi] is the value range (ns) of the bucket at that rank.
import base64
import json
import math
import struct
import sys
import zlib


def zigzag_leb128(buf, pos):
    value, shift = 0, 0
    for i in range(9):
        b = buf[pos]
        pos += 1
        if i == 8:
            value |= b << 56
            break
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return (value >> 1) ^ -(value & 1), pos


def decode(b64):
    raw = base64.b64decode(b64)
    cookie, length = struct.unpack(">II", raw[:8])
    assert cookie & ~0xF0 == 0x1C849304, "compressed cookie %x" % cookie
    payload = zlib.decompress(raw[8:8 + length])
    cookie, plen, norm, digits, lowest, highest, ratio = struct.unpack(">IIIIqqd", payload[:40])
    assert cookie & ~0xF0 == 0x1C849303, "encoding cookie %x" % cookie
    assert norm == 0 and lowest == 1 and ratio == 1.0, (norm, lowest, ratio)
    counts, pos, end = [], 40, 40 + plen
    while pos < end:
        v, pos = zigzag_leb128(payload, pos)
        if v < 0:
            counts.extend([0] * -v)
        else:
            counts.append(v)
    return digits, counts


def bucket_range(i, sub_count):
    half = sub_count // 2
    half_mag = int(math.log2(half))
    if i < sub_count:
        return i, i
    bucket = (i >> half_mag) - 1
    sub = (i & (half - 1)) + half
    return sub << bucket, ((sub + 1) << bucket) - 1


def main():
    total = []
    intervals = 0
    lines_max_ok = True
    digits = None
    for line in open(sys.argv[1]):
        line = line.strip()
        if not line or line[0] in '#"':
            continue
        if line.startswith("Tag="):
            line = line.split(",", 1)[1]
        start, length, imax, b64 = line.split(",")
        digits, counts = decode(b64)
        sub_count = 2 ** math.ceil(math.log2(2 * 10 ** digits))
        intervals += 1
        if len(total) < len(counts):
            total.extend([0] * (len(counts) - len(total)))
        for i, c in enumerate(counts):
            total[i] += c
        nz = [i for i, c in enumerate(counts) if c]
        if nz:
            lo, hi = bucket_range(nz[-1], sub_count)
            # Interval_Max is in ms with 3 decimals: in its last bucket.
            lines_max_ok &= lo - 1000 <= float(imax) * 1e6 <= hi + 1000
    n = sum(total)
    out = {"intervals": intervals, "count": n, "sig_digits": digits, "lines_max_ok": lines_max_ok}
    sub_count = 2 ** math.ceil(math.log2(2 * 10 ** (digits or 2)))
    for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100)):
        rank, seen = max(1, math.ceil(p / 100 * n)), 0
        for i, c in enumerate(total):
            seen += c
            if seen >= rank:
                out[name] = list(bucket_range(i, sub_count))
                break
    print(json.dumps(out))


main()
