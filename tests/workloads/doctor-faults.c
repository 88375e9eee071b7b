/*
 * doctor-faults.c - a page-fault-bound program for pinch doctor (t1901):
 * touch_pages() maps 64 MiB of fresh anonymous memory, writes one byte
 * per 4 KiB page and unmaps it, ROUNDS times (default 40): 16384 minor
 * faults per round (655,360 in all), nearly all of its time in the
 * kernel's fault path. Further arguments are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define MAP_BYTES (64ul << 20)

__attribute__((noinline)) static long touch_pages(void)
{
	char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long sum = 0;

	if (p == MAP_FAILED)
		return -1;
	for (size_t off = 0; off < MAP_BYTES; off += 4096) {
		p[off] = (char)off;	/* FAULT LINE */
		sum += p[off];
	}
	munmap(p, MAP_BYTES);
	return sum;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 40;
	long sum = 0;

	for (int i = 0; i < rounds; i++) {
		long s = touch_pages();

		if (s < 0)
			return 1;
		sum += s;
	}
	printf("%ld\n", sum & 0xff);
	return 0;
}
