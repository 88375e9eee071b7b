/*
 * trace-calls.c - pinch trace ground truth: built with
 * -finstrument-functions, each mode has exactly known call counts.
 *   fib N      fib(N): fib(25) is 242785 calls of fib
 *   fanout     root 1, mid 3 (from root), leaf 12 (4 per mid)
 *   mutual     is_even(10) twice: is_even 12/2, is_odd 10/2 (total/primitive)
 *   threads    two threads: worker_a calls tick 1000 times, worker_b 2000
 *   longjmp    5 rounds: jumper's deep1 -> deep2 -> deep3 longjmp back, then after()
 *   busy       200 rounds of spin_a (1 unit of work) and spin_b (3 units):
 *              25 % / 75 % of the time; then the fanout tree (17 tiny calls)
 *   exit       f_outer -> f_inner -> exit(0): calls left open
 *   thread-exit  a thread: worker_exit -> tick, exit_inner -> pthread_exit
 *   running    main returns while a thread spins in loop_forever
 *   fork       forker: leaf, fork (the child: in_child -> leaf), leaf
 *   deep N     recursion N deep
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;

NOINLINE static long fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

NOINLINE static void leaf(int i)
{
	sink += (unsigned long)i;
}

NOINLINE static void mid(void)
{
	for (int i = 0; i < 4; i++)
		leaf(i);
}

NOINLINE static void root(void)
{
	for (int i = 0; i < 3; i++)
		mid();
}

NOINLINE static int is_odd(int n);

NOINLINE static int is_even(int n)
{
	return n == 0 ? 1 : is_odd(n - 1);
}

NOINLINE static int is_odd(int n)
{
	return n == 0 ? 0 : is_even(n - 1);
}

NOINLINE static void tick(void)
{
	sink++;
}

NOINLINE static void *worker_a(void *arg)
{
	for (int i = 0; i < 1000; i++)
		tick();
	return arg;
}

NOINLINE static void *worker_b(void *arg)
{
	for (int i = 0; i < 2000; i++)
		tick();
	return arg;
}

static jmp_buf jb;

NOINLINE static void deep3(void)
{
	longjmp(jb, 1);
}

NOINLINE static void deep2(void)
{
	char pad[64];

	memset(pad, (int)sink, sizeof(pad));
	sink += (unsigned long)pad[3];
	deep3();
}

NOINLINE static void deep1(void)
{
	deep2();
	sink++;
}

NOINLINE static void after(void)
{
	sink++;
}

NOINLINE static void jumper(void)
{
	for (volatile int round = 0; round < 5; round++) {
		if (!setjmp(jb))
			deep1();
		after();
	}
}

NOINLINE static void spin(unsigned long units)
{
	for (unsigned long i = 0; i < units * 200000ul; i++)
		sink += i;
}

NOINLINE static void spin_a(void)
{
	spin(1);
}

NOINLINE static void spin_b(void)
{
	spin(3);
}

NOINLINE static void f_inner(void)
{
	fflush(stdout);
	exit(0);
}

NOINLINE static void f_outer(void)
{
	f_inner();
}

NOINLINE static void exit_inner(void)
{
	pthread_exit(NULL);
}

NOINLINE static void *worker_exit(void *arg)
{
	tick();
	exit_inner();
	return arg;
}

static volatile int spinning;

NOINLINE static void loop_forever(void)
{
	spinning = 1;
	for (;;)
		sink++;
}

NOINLINE static void *worker_forever(void *arg)
{
	loop_forever();
	return arg;
}

NOINLINE static void in_child(void)
{
	leaf(1);
}

NOINLINE static void forker(void)
{
	pid_t pid;

	leaf(0);
	pid = fork();
	if (pid == 0) {
		in_child();
		exit(0);
	}
	waitpid(pid, NULL, 0);
	leaf(2);
}

NOINLINE static unsigned long deep(unsigned long n)
{
	return n ? deep(n - 1) + 1 : 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "fib";

	if (!strcmp(mode, "fib")) {
		printf("%ld\n", fib(argc > 2 ? atoi(argv[2]) : 25));
	} else if (!strcmp(mode, "fanout")) {
		root();
	} else if (!strcmp(mode, "mutual")) {
		printf("%d %d\n", is_even(10), is_even(10));
	} else if (!strcmp(mode, "threads")) {
		pthread_t a, b;

		pthread_create(&a, NULL, worker_a, NULL);
		pthread_join(a, NULL);
		pthread_create(&b, NULL, worker_b, NULL);
		pthread_join(b, NULL);
	} else if (!strcmp(mode, "longjmp")) {
		jumper();
	} else if (!strcmp(mode, "busy")) {
		/* interleaved in small rounds, so a busy machine slows both alike */
		for (int i = 0; i < 200; i++) {
			spin_a();
			spin_b();
		}
		root();
	} else if (!strcmp(mode, "exit")) {
		f_outer();
	} else if (!strcmp(mode, "thread-exit")) {
		pthread_t a;

		pthread_create(&a, NULL, worker_exit, NULL);
		pthread_join(a, NULL);
	} else if (!strcmp(mode, "running")) {
		pthread_t a;

		pthread_create(&a, NULL, worker_forever, NULL);
		while (!spinning)
			;
	} else if (!strcmp(mode, "fork")) {
		forker();
	} else if (!strcmp(mode, "deep")) {
		printf("%lu\n", deep(argc > 2 ? strtoul(argv[2], NULL, 10) : 100000));
	} else {
		fprintf(stderr, "usage: trace-calls fib N|fanout|mutual|threads|longjmp|busy|exit|thread-exit|running|fork|deep N\n");
		return 2;
	}
	return 0;
}
