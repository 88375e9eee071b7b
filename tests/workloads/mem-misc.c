/*
 * mem-misc.c - the agent's corner cases, one per mode (argv[1]):
 *   signal  a signal handler leaks 3 x 33 B (99 B in 3 blocks)
 *   usable  malloc_usable_size() on the agent's blocks: exit 0 if sane;
 *           leaks one 10 B block
 *   abort   leaks 10 x 10 B, then abort(): 100 B in 10 blocks at death
 *   exec    leaks 100 B, then execs itself as "after", which leaks
 *           2 x 200 B: the image after exec leaks 400 B in 2 blocks
 *   strdup  dup_names() leaks 10 strdup("pinch-mem!!") (120 B): glibc has
 *           no frame pointers, so only CFI unwinding finds dup_names;
 *           built twice, with and without frame pointers (mem-misc-nofp)
 *   mmap    anonymous mmap of 1 MiB and 2 MiB, munmap of the 1 MiB, and a
 *           100 B malloc leak; with --mmap: peak 3,145,828 B, in use at
 *           exit 2,097,252 B in 2 blocks; without: 100 B
 */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) static void on_usr1(int sig)
{
	(void)sig;
	sink = malloc(33);
}

__attribute__((noinline)) static void leak_n(int n, size_t size)
{
	for (int i = 0; i < n; i++)
		sink = malloc(size);
}

__attribute__((noinline)) static void dup_names(void)
{
	for (int i = 0; i < 10; i++)
		sink = strdup("pinch-mem!!");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "signal")) {
		signal(SIGUSR1, on_usr1);
		for (int i = 0; i < 3; i++)
			raise(SIGUSR1);
	} else if (!strcmp(mode, "usable")) {
		char *p = malloc(10);

		sink = p;
		if (malloc_usable_size(p) < 10)
			return 1;
		memset(p, 1, malloc_usable_size(p));
	} else if (!strcmp(mode, "abort")) {
		leak_n(10, 10);
		abort();
	} else if (!strcmp(mode, "exec")) {
		char *args[] = { argv[0], (char *)"after", NULL };

		leak_n(1, 100);
		execv("/proc/self/exe", args);
		return 127;
	} else if (!strcmp(mode, "after")) {
		leak_n(2, 200);
	} else if (!strcmp(mode, "strdup")) {
		dup_names();
	} else if (!strcmp(mode, "mmap")) {
		char *a = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *b = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (a == MAP_FAILED || b == MAP_FAILED)
			return 1;
		a[0] = b[0] = 1;
		leak_n(1, 100);
		munmap(a, 1 << 20);
	} else {
		return 2;
	}
	sink = NULL;
	return 0;
}
