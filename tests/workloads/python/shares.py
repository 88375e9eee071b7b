# shares.py - three functions doing 60 / 30 / 10 % of the CPU work, by
# iteration counts of the same loop body (ground truth for pinch record
# on Python). Does a fixed amount of work: ROUNDS rounds (argv[1],
# default 100, about 2 s), so a loaded machine does not change the shares.
import sys


def spin(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def func_sixty(n):
    return spin(6 * n)


def func_thirty(n):
    return spin(3 * n)


def func_ten(n):
    return spin(n)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    unit = 20000
    for _ in range(rounds):
        func_sixty(unit)
        func_thirty(unit)
        func_ten(unit)


if __name__ == "__main__":
    main()
