/*
 * mem-kill.c - SIGKILLs itself midway, holding 500 blocks of 100 B and a
 * 1 MiB block; the peak before death was 1,048,576 + 50,000 + 4,096 B
 * (a 4 KiB scratch block freed just before). The recording must hold
 * exactly that.
 * mem-kill wait FILE: the same, but instead of the SIGKILL it creates FILE
 * and waits (pinch mem's salvage test kills pinch then; the target gets
 * SIGKILL from it).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) static void hold_small(void)
{
	for (int i = 0; i < 500; i++) {
		char *p = malloc(100);
		p[0] = 1;
		sink = p;
	}
}

__attribute__((noinline)) static void hold_big(void)
{
	char *p = malloc(1 << 20);
	memset(p, 2, 1 << 20);
	sink = p;
}

int main(int argc, char **argv)
{
	char *scratch;

	hold_small();
	hold_big();
	scratch = malloc(4096);
	sink = scratch;
	free(scratch);
	if (argc > 2 && !strcmp(argv[1], "wait")) {
		close(open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600));
		for (;;)
			pause();
	}
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}
