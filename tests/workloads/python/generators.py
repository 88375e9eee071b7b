# generators.py - CPU time spent inside three levels of generators that
# yield constantly (the shape of json's _iterencode): leaf() yields each
# item, middle() and outer() re-yield with "yield from" and a for loop,
# consume() drives them from main(). Every sample is under main(), so a
# reader that loses a generator's callers (its frame's link is cleared at
# each yield) shows roots that are not <module>.
import sys
import time


def leaf(n):
    x = 0
    for i in range(n):
        x = (x * 31 + i) % 1000003
        yield x


def middle(n):
    yield from leaf(n)


def outer(n, rounds):
    for _ in range(rounds):
        for v in middle(n):
            yield v + 1


def consume(seconds):
    total = 0
    end = time.process_time() + seconds
    while time.process_time() < end:
        for v in outer(1000, 20):
            total += v
    return total


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    print(consume(seconds))


if __name__ == "__main__":
    main()
