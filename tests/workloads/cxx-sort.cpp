// cxx-sort.cpp - C++ whose hot code is library templates inlined into
// main: std::sort of doubles (std::sort -> std::__sort -> ... inlined,
// __introsort_loop and __unguarded_partition out of line) and vector
// fills. Built with g++ -O2 -g: a report must show the inline chain from
// main down to the sort's helpers, and the names shortened to fit.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 300, sum = 0;

	for (long r = 0; r < rounds; r++) {
		std::vector<double> d(20000);

		for (size_t i = 0; i < d.size(); i++)
			d[i] = (double)((i * 2654435761u + (unsigned long)r) % 100003);
		std::sort(d.begin(), d.end());
		sum += (long)d[d.size() / 2];
	}
	std::printf("%ld\n", sum);
	return 0;
}
