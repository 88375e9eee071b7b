/*
 * fork.c - a parent and a forked child each doing known work: the parent
 * runs parent_work() for 2 shares, the child (named "fork-child") runs
 * child_work() for 1 share; the parent waits for the child.
 *
 * usage: fork [ROUNDS]   (default 60, about 0.5 s of CPU)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "work.h"

#define UNIT 2500000L

__attribute__((noinline, noclone)) uint64_t parent_work(uint64_t x, long n)
{
	SPIN(x, n * UNIT);
	return x;
}

__attribute__((noinline, noclone)) uint64_t child_work(uint64_t x, long n)
{
	SPIN(x, n * UNIT);
	return x;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 60;
	int st = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		prctl(PR_SET_NAME, "fork-child");
		_exit((int)(child_work(3, rounds) & 1) + 0 * 7);
	}
	parent_work(5, 2 * rounds);
	waitpid(pid, &st, 0);
	printf("child %s\n", WIFEXITED(st) ? "exited" : "died");
	return 0;
}
