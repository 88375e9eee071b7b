/*
 * doctor-block.c - programs that are mostly blocked, for pinch doctor's
 * ground truth (t1901). argv[1] picks the mode; any further arguments
 * are ignored (tests add a unique one for their own process):
 *   sleep  nap() sleeps 1 ms at a time (usleep), 400 times: ~0.45 s
 *          wall, almost no CPU; blocked in clock_nanosleep under nap()
 *   pipe   wait_for_data() reads 1 byte at a time from a pipe that a
 *          child feeds every 2 ms, 200 times: ~0.45 s, blocked in read
 *   fsync  sync_records() writes 64 KiB and fsync()s it, 100 times, to
 *          the file argv[2] (default doctor-fsync.dat, removed at the
 *          end): blocked in fsync on the disk
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void nap(int n)
{
	for (int i = 0; i < n; i++)
		usleep(1000);	/* SLEEP LINE */
}

__attribute__((noinline)) static long wait_for_data(int fd, int n)
{
	long got = 0;
	char c;

	for (int i = 0; i < n; i++)
		if (read(fd, &c, 1) == 1)	/* READ LINE */
			got++;
	return got;
}

static int pipe_mode(int n)
{
	int fds[2], status;
	pid_t pid;
	long got;

	if (pipe(fds))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(fds[0]);
		for (int i = 0; i < n; i++) {
			usleep(2000);
			if (write(fds[1], "x", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	got = wait_for_data(fds[0], n);
	waitpid(pid, &status, 0);
	printf("read %ld bytes\n", got);
	return got == n ? 0 : 1;
}

__attribute__((noinline)) static int sync_records(const char *path, int n)
{
	static char rec[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0) {
		perror(path);
		return 1;
	}
	memset(rec, 'r', sizeof(rec));
	for (int i = 0; i < n; i++) {
		if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec) || fsync(fd)) {	/* FSYNC LINE */
			perror(path);
			close(fd);
			return 1;
		}
	}
	close(fd);
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sleep";

	if (!strcmp(mode, "sleep")) {
		nap(400);
		return 0;
	}
	if (!strcmp(mode, "pipe"))
		return pipe_mode(200);
	if (!strcmp(mode, "fsync"))
		return sync_records(argc > 2 ? argv[2] : "doctor-fsync.dat", 100);
	fprintf(stderr, "usage: doctor-block sleep|pipe|fsync [FILE]\n");
	return 2;
}
