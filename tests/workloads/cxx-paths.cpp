// cxx-paths.cpp - hot code reached through libstdc++, which Debian builds
// without frame pointers: a std::sort comparator, a std::function target,
// a std::call_once initializer (libstdc++'s __once_proxy, then glibc's
// pthread_once) and std::ostringstream formatting doubles (libstdc++'s
// num_put, then glibc's printf internals). Every sample's stack must reach
// main, with each phase function above the library frames.
//
// usage: cxx-paths [ROUNDS]   (default 4; about 0.1 s of CPU per round)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <sstream>
#include <vector>

static volatile std::uint64_t sink;

__attribute__((noinline)) static std::uint64_t spin(std::uint64_t v, long n)
{
	for (long i = 0; i < n; i++) {
		v = v * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(v));
	}
	return v;
}

__attribute__((noinline)) static bool less_slow(int a, int b)
{
	sink = spin((std::uint64_t)a, 60);
	return a < b;
}

__attribute__((noinline)) static void phase_sort(std::vector<int> &v)
{
	for (std::size_t i = 0; i < v.size(); i++)
		v[i] = (int)((unsigned)i * 2654435761u >> 8);
	std::sort(v.begin(), v.end(), [](int a, int b) { return less_slow(a, b); });
}

__attribute__((noinline)) static void phase_function(const std::function<std::uint64_t(long)> &f)
{
	for (int i = 0; i < 40; i++)
		sink = f(100000);
}

__attribute__((noinline)) static void once_body()
{
	sink = spin(3, 15 * 1000 * 1000);
}

__attribute__((noinline)) static void phase_once()
{
	std::once_flag flag;

	std::call_once(flag, once_body);
}

__attribute__((noinline)) static void phase_stream(int n)
{
	std::size_t t = 0;

	for (int i = 0; i < n; i++) {
		std::ostringstream os;

		os.precision(17);
		os << i * 1.000001 << ' ' << i / 3.0;
		t += os.str().size();
	}
	sink = t;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? std::atoi(argv[1]) : 4;
	std::vector<int> v(20000);
	std::function<std::uint64_t(long)> f = [](long n) { return spin(7, n); };

	if (rounds < 1)
		return 2;
	for (int r = 0; r < rounds; r++) {
		phase_sort(v);
		phase_function(f);
		phase_once();
		phase_stream(30000);
	}
	std::printf("%llu\n", (unsigned long long)sink);
	return 0;
}
