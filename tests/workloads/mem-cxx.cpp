// mem-cxx.cpp - C++ allocations through the standard library, with exact
// figures (libstdc++, x86-64): fill_map() inserts 7,000 std::map<long,
// std::string> nodes of 72 B and 7,000 strings of 41..47 B (length + 1;
// moved into the map, no second allocation) = 812,000 B in 14,000 calls;
// fill_vec() pushes 7,000 strings of 101 B into a std::vector<std::string>
// that grows 1, 2, 4 ... 8,192 elements of 32 B = 707,000 + 524,256 =
// 1,231,256 B in 7,014 calls. Each allocation's first caller outside the
// standard library is one line of fill_map or fill_vec.
#include <map>
#include <string>
#include <vector>

enum { N = 7000 };

__attribute__((noinline)) static size_t fill_map(std::map<long, std::string> &m)
{
	for (long i = 0; i < N; i++)
		m[i] = std::string(40 + i % 7, 'x');
	return m.size();
}

__attribute__((noinline)) static size_t fill_vec(std::vector<std::string> &v)
{
	for (long i = 0; i < N; i++)
		v.push_back(std::string(100, 'y'));
	return v.size();
}

int main()
{
	std::map<long, std::string> m;
	std::vector<std::string> v;
	size_t a = fill_map(m), b = fill_vec(v);

	return a + b == 2 * N ? 0 : 1;
}
