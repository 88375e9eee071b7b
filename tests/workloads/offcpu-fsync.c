/*
 * offcpu-fsync.c - an fsync-bound program for `pinch record --off-cpu`:
 * writes 16 KiB to FILE and fsyncs it, ROUNDS times (sync_round), and
 * prints its own time inside fsync() to stderr as "fsync_ns NS".
 * Usage: offcpu-fsync FILE [ROUNDS [TAG]] (default 50).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

__attribute__((noinline)) static long sync_round(int fd, const char *buf, size_t len)
{
	long t0;

	if (write(fd, buf, len) != (ssize_t)len)
		exit(2);
	t0 = now_ns();
	if (fsync(fd))
		exit(2);
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	static char buf[16384];
	long rounds = 50, total = 0;
	int fd;

	if (argc < 2)
		return 2;
	if (argc > 2)
		rounds = atol(argv[2]);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || rounds <= 0)
		return 2;
	memset(buf, 'x', sizeof(buf));
	for (long i = 0; i < rounds; i++)
		total += sync_round(fd, buf, sizeof(buf));
	close(fd);
	fprintf(stderr, "fsync_ns %ld\n", total);
	return 0;
}
