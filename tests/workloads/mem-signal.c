/*
 * mem-signal.c - allocations in a signal handler while the main loop is
 * (nearly always) inside the allocator: a 1 ms SIGALRM handler does
 * malloc(333) -> realloc(555) -> free and keeps one calloc(7, 11) (77 B)
 * alive (the previous one is freed), while main mallocs and frees
 * 128..191 B blocks until the handler has run RUNS times (argv[1],
 * default 400; the first run is a direct call, before the timer starts).
 * The sizes keep apart in glibc's per-size caches, and every size is used
 * once before the timer starts, so a handler never re-enters glibc's
 * malloc where main is inside it (malloc is not async-signal-safe; the
 * agent must not lose the handler's calls, but cannot make glibc safe).
 * The program prints its own counts to stderr:
 *   runs=R loops=L
 * so the truth is: on_alarm's malloc site R calls (333 R B), its realloc
 * site R calls (555 R B), its calloc site R calls (77 R B), main's loop
 * malloc site L calls, and in use at exit exactly 77 B in 1 block.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

static volatile sig_atomic_t runs;
static void *volatile keep;

__attribute__((noinline)) static void on_alarm(int sig)
{
	char *p;

	(void)sig;
	p = malloc(333);
	p[0] = 1;
	p = realloc(p, 555);
	p[554] = 2;
	free(p);
	free(keep);
	keep = calloc(7, 11);
	runs++;
}

int main(int argc, char **argv)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { 0 };
	long target = argc > 1 ? atol(argv[1]) : 400, loops = 0;

	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	for (int i = 0; i < 64; i++)
		free(malloc(128 + (size_t)i));
	on_alarm(0);
	setitimer(ITIMER_REAL, &it, NULL);
	while (runs < target) {
		char *p = malloc(128 + (size_t)(loops & 63));

		p[0] = 0;
		free(p);
		loops++;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	fprintf(stderr, "runs=%ld loops=%ld\n", (long)runs, loops);
	return 0;
}
