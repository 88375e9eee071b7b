/*
 * procstat.c - the process's own statistics for libpinch's endpoint
 * (src/lib): CPU time, RSS, threads and start time from /proc/self/stat,
 * open files and sockets from /proc/self/fd.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/strbuf.h"
#include "core/banned.h"

static double boot_time(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	double bt = 0;

	if (strbuf_read_file(&sb, "/proc/stat", 1 << 20) == 0 && (p = strstr(sb.buf, "\nbtime ")))
		bt = strtod(p + 7, NULL);
	strbuf_release(&sb);
	return bt;
}

static void count_fds(struct lib_procstat *ps)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char link[64];

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		ssize_t n;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		ps->open_fds++;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			if (!strncmp(link, "socket:", 7)) {
				ps->sockets++;
				continue;
			}
		}
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
			ps->open_files++;
	}
	closedir(d);
}

int lib_procstat_read(struct lib_procstat *ps)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned long long utime = 0, stime = 0, start = 0, threads = 0, rss = 0, vsize = 0;
	struct rlimit rl;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	const char *p;
	int rc;

	memset(ps, 0, sizeof(*ps));
	rc = strbuf_read_file(&sb, "/proc/self/stat", 1 << 16);
	if (rc < 0)
		return rc;
	p = strrchr(sb.buf, ')');	/* comm may hold spaces and parens */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
			 "%*d %*d %*d %*d %llu %*d %llu %llu %llu",
			 &utime, &stime, &threads, &start, &vsize, &rss) != 6) {
		strbuf_release(&sb);
		return -EIO;
	}
	strbuf_release(&sb);
	if (tck <= 0)
		tck = 100;
	ps->cpu_seconds = (double)clock_process_cpu_ns() / 1e9;	/* finer than ticks */
	(void)utime, (void)stime;
	ps->threads = threads;
	ps->rss_bytes = rss * (uint64_t)(page > 0 ? page : 4096);
	ps->vsize_bytes = vsize;
	ps->max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : 0;
	ps->start_time = boot_time() + (double)start / (double)tck;
	ps->uptime = (double)clock_real_ns() / 1e9 - ps->start_time;
	if (ps->uptime < 0)
		ps->uptime = 0;
	count_fds(ps);
	return 0;
}

const struct lib_process_metric lib_process_metrics[LIB_PROCESS_METRICS] = {
	{ "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds." },
	{ "process_resident_memory_bytes", "gauge", "Resident memory size in bytes." },
	{ "process_open_fds", "gauge", "Number of open file descriptors." },
	{ "process_threads", "gauge", "Number of OS threads in the process." },
	{ "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds." },
	{ "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes." },
	{ "process_max_fds", "gauge", "Maximum number of open file descriptors." },
};

void lib_process_values(const struct lib_procstat *ps, double v[LIB_PROCESS_METRICS])
{
	v[0] = ps->cpu_seconds;
	v[1] = (double)ps->rss_bytes;
	v[2] = (double)ps->open_fds;
	v[3] = (double)ps->threads;
	v[4] = ps->start_time;
	v[5] = (double)ps->vsize_bytes;
	v[6] = (double)ps->max_fds;
}
