/*
 * mem-fork.c - forks. The parent leaks 3 x 100 B before the fork and
 * 2 x 7 B after it; the child (followed into its own recording) inherits
 * the 3 blocks, leaks 5 x 200 B more and exits: child in use at exit
 * 1,300 B in 8 blocks, parent 314 B in 5 blocks.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) static void before(void)
{
	for (int i = 0; i < 3; i++)
		sink = malloc(100);
}

__attribute__((noinline)) static void in_child(void)
{
	for (int i = 0; i < 5; i++)
		sink = malloc(200);
}

__attribute__((noinline)) static void in_parent(void)
{
	for (int i = 0; i < 2; i++)
		sink = malloc(7);
}

int main(void)
{
	pid_t pid;
	int st;

	before();
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		in_child();
		sink = NULL;
		exit(0);
	}
	in_parent();
	waitpid(pid, &st, 0);
	sink = NULL;
	return 0;
}
