/*
 * sys-work.c - ground truth for pinch stat and pinch syscalls: exactly
 * known numbers of system calls, memory and bytes written.
 *
 *   sys-work calls N DIR     N getppid(); N/100 open(2)+close of DIR/f<i%10>
 *                            (created first, O_RDONLY), then 10 open(2)
 *                            of DIR/missing<i> failing with ENOENT
 *   sys-work rss MIB FILE MIB2   touches MIB MiB (mmap), writes MIB2 MiB
 *                            to FILE in 1 MiB write(2)s, unlinks nothing,
 *                            prints its VmHWM in bytes to stderr
 *                            ("VmHWM N"): the kernel's own answer
 *   sys-work threads T N    T threads, each N getppid(), alive >= 1 s
 *   sys-work fork C N MIB   C children, each N getppid(), MIB MiB touched
 *                            and MIB MiB written to /dev/null, alive >= 1 s
 *   sys-work hold MIB S T   touches MIB MiB, starts T sleeping threads,
 *                            prints "ready", sleeps S seconds, prints
 *                            its VmHWM to stderr
 *
 * open and getppid are called through syscall(2) by their own numbers
 * (SYS_open, not openat) so that nothing else in the process (the
 * dynamic loader opens with openat) adds to their counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static void calls(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void touch(long mib)
{
	char *p;

	if (mib <= 0)
		return;
	p = mmap(NULL, (size_t)(mib * MIB), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (long i = 0; i < mib * MIB; i += 4096)
		p[i] = 1;
}

static void write_mib(const char *path, long mib)
{
	static char buf[MIB];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	memset(buf, 'x', sizeof(buf));
	for (long i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			perror("write");
			exit(1);
		}
	close(fd);
}

/* prints the kernel's high-water mark of this process: "VmHWM BYTES" */
static void print_hwm(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			fprintf(stderr, "VmHWM %lld\n", atoll(line + 6) * 1024);
	if (f)
		fclose(f);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long thread_n, sleep_s;

static void *sleeper(void *arg)
{
	(void)arg;
	sleep_ms(sleep_s * 1000);
	return NULL;
}

static void *thread_main(void *arg)
{
	(void)arg;
	calls(thread_n);
	sleep_ms(1000);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "calls")) {
		long n = atol(argv[2]);
		char path[4096];
		int fd;

		for (int i = 0; i < 10; i++) {
			snprintf(path, sizeof(path), "%s/f%d", argv[3], i);
			fd = creat(path, 0600);
			if (fd < 0) {
				perror(path);
				return 1;
			}
			close(fd);
		}
		calls(n);
		for (long i = 0; i < n / 100; i++) {
			snprintf(path, sizeof(path), "%s/f%ld", argv[3], i % 10);
			fd = (int)syscall(SYS_open, path, O_RDONLY);
			if (fd < 0) {
				perror(path);
				return 1;
			}
			close(fd);
		}
		for (int i = 0; i < 10; i++) {
			snprintf(path, sizeof(path), "%s/missing%d", argv[3], i);
			if (syscall(SYS_open, path, O_RDONLY) >= 0 || errno != ENOENT) {
				fprintf(stderr, "%s: expected ENOENT\n", path);
				return 1;
			}
		}
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "rss")) {
		touch(atol(argv[2]));
		write_mib(argv[3], atol(argv[4]));
		print_hwm();
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "threads")) {
		int t = atoi(argv[2]);
		pthread_t th[64];

		if (t < 1 || t > 64)
			return 2;
		thread_n = atol(argv[3]);
		for (int i = 0; i < t; i++)
			pthread_create(&th[i], NULL, thread_main, NULL);
		for (int i = 0; i < t; i++)
			pthread_join(th[i], NULL);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "fork")) {
		int c = atoi(argv[2]), st, bad = 0;

		for (int i = 0; i < c; i++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (pid == 0) {
				calls(atol(argv[3]));
				touch(atol(argv[4]));
				write_mib("/dev/null", atol(argv[4]));
				sleep_ms(1000);
				_exit(0);
			}
		}
		while (wait(&st) > 0)
			bad |= !WIFEXITED(st) || WEXITSTATUS(st);
		return bad;
	}
	if (argc == 5 && !strcmp(argv[1], "hold")) {
		int t = atoi(argv[4]);
		pthread_t th[64];

		if (t < 0 || t > 64)
			return 2;
		sleep_s = atol(argv[3]);
		touch(atol(argv[2]));
		for (int i = 0; i < t; i++)
			pthread_create(&th[i], NULL, sleeper, NULL);
		printf("ready\n");
		fflush(stdout);
		sleep_ms(sleep_s * 1000);
		print_hwm();
		return 0;
	}
	fprintf(stderr, "usage: sys-work calls N DIR | rss MIB FILE MIB | threads T N | fork C N MIB | hold MIB S T\n");
	return 2;
}
