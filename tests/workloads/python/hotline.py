# hotline.py - one function whose time is spent on a single known line
# (the line marked HOT: a big-integer power, ~95 % of the loop's time).
import sys

try:
    profile  # injected by kernprof -l (the line_profiler cross-check)
except NameError:
    def profile(f):
        return f


@profile
def work(n):
    acc = 0
    for i in range(n):
        acc += i
        x = (i + 12345) ** 300 % 1000003  # HOT
        acc ^= x
    return acc


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    for _ in range(rounds):
        work(2000)


if __name__ == "__main__":
    main()
