/*
 * kernel-split.c - known user/kernel split: read_phase() spends its time
 * in read(2) of /dev/zero (the kernel clears the buffer: system time),
 * then spin_phase() spins in user space, each for the same amount of this
 * thread's CPU time (argv[1] ms, default 400). It prints the process's own
 * user and system CPU from getrusage() so a test can compare the kernel
 * share of the samples with the truth of this run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static void read_phase(int fd, double ms)
{
	static char buf[1 << 20];
	double end = thread_cpu_ms() + ms;

	while (thread_cpu_ms() < end)
		if (read(fd, buf, sizeof(buf)) < 0)
			exit(1);
}

__attribute__((noinline)) static void spin_phase(double ms)
{
	double end = thread_cpu_ms() + ms;
	volatile unsigned long x = 0;

	while (thread_cpu_ms() < end)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i * 2654435761u;
}

int main(int argc, char **argv)
{
	double ms = argc > 1 ? atof(argv[1]) : 400;
	int fd = open("/dev/zero", O_RDONLY);
	struct rusage ru;

	if (fd < 0)
		return 1;
	read_phase(fd, ms);
	spin_phase(ms);
	getrusage(RUSAGE_SELF, &ru);
	printf("user_ms %.1f sys_ms %.1f\n", ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3);
	return 0;
}
