# pylines.py - helper of t-pylinetable: prints, for every code object of a
# few stdlib modules (nested ones included), its first line, its
# co_linetable in hex and the co_lines() triples, one code object per
# line: "firstlineno hex start,end,line start,end,line ..." (line -1 =
# None). The C decoder must agree with CPython on every entry.
import dis
import json
import threading
import types


def walk(code):
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from walk(c)


def main():
    mods = [dis, json.decoder, threading]
    n = 0
    for m in mods:
        src = open(m.__file__).read()
        top = compile(src, m.__file__, "exec")
        for code in walk(top):
            lines = " ".join("%d,%d,%d" % (s, e, -1 if l is None else l)
                             for s, e, l in code.co_lines())
            print(code.co_firstlineno, code.co_linetable.hex() or "-", lines)
            n += 1


main()
