/*
 * proctree.c - reading /proc/PID/{stat,io,fd,status} and listing every
 * process with its parent (see proctree.h).
 */
#include "collect/proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/array.h"
#include "core/strbuf.h"
#include "core/banned.h"

uint64_t proc_ticks_ns(uint64_t ticks)
{
	static long hz;

	if (!hz) {
		hz = sysconf(_SC_CLK_TCK);
		if (hz <= 0)
			hz = 100;
	}
	return ticks * (1000000000ull / (uint64_t)hz);
}

/* Reads a small /proc file into buf (NUL-terminated); length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = 0;
	return got;
}

int proc_stat_parse(const char *buf, struct proc_info *pi)
{
	const char *p, *q;
	unsigned long long minflt, majflt, ut, st, start, rss;
	long long cut, cst, threads;
	int ppid;
	size_t len;

	p = strchr(buf, '(');
	q = strrchr(buf, ')');
	if (!p || !q || q < p)
		return -EINVAL;
	len = (size_t)(q - p - 1);
	if (len >= sizeof(pi->comm))
		len = sizeof(pi->comm) - 1;
	memcpy(pi->comm, p + 1, len);
	pi->comm[len] = 0;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime vsize rss */
	if (sscanf(q + 1, " %c %d %*d %*d %*d %*d %*u %llu %*u %llu %*u %llu %llu %lld %lld %*d %*d %lld %*d %llu %*u %llu",
		   &pi->state, &ppid, &minflt, &majflt, &ut, &st, &cut, &cst, &threads, &start, &rss) != 11)
		return -EINVAL;
	pi->ppid = ppid;
	pi->minflt = minflt;
	pi->majflt = majflt;
	pi->utime_ns = proc_ticks_ns(ut);
	pi->stime_ns = proc_ticks_ns(st);
	pi->cutime_ns = cut > 0 ? proc_ticks_ns((uint64_t)cut) : 0;
	pi->cstime_ns = cst > 0 ? proc_ticks_ns((uint64_t)cst) : 0;
	pi->threads = (long)threads;
	pi->start_ticks = start;
	pi->rss_bytes = rss * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static int read_stat(pid_t pid, struct proc_info *pi)
{
	char path[64], buf[1024];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ESRCH ? -ENOENT : (int)n;
	pi->pid = pid;
	return proc_stat_parse(buf, pi);
}

void proc_io_parse(const char *buf, struct proc_info *pi)
{
	const char *line;
	unsigned long long v;

	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (sscanf(line, "rchar: %llu", &v) == 1)
			pi->rchar = v;
		else if (sscanf(line, "wchar: %llu", &v) == 1)
			pi->wchar = v;
		else if (sscanf(line, "read_bytes: %llu", &v) == 1)
			pi->read_bytes = v;
		else if (sscanf(line, "write_bytes: %llu", &v) == 1)
			pi->write_bytes = v;
	}
	pi->io_ok = 1;
}

static void read_io(pid_t pid, struct proc_info *pi)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	pi->io_ok = 0;
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	proc_io_parse(buf, pi);
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static void read_uid(pid_t pid, struct proc_info *pi)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	p = strstr(buf, "\nUid:");
	if (p)
		pi->uid = (uid_t)strtoul(p + 5, NULL, 10);
}

int proc_info_read(pid_t pid, int what, struct proc_info *pi)
{
	int rc;

	memset(pi, 0, sizeof(*pi));
	pi->fds = -1;
	rc = read_stat(pid, pi);
	if (rc)
		return rc;
	if (what & PROC_IO)
		read_io(pid, pi);
	if (what & PROC_FDS)
		pi->fds = count_fds(pid);
	if (what & PROC_UID)
		read_uid(pid, pi);
	return 0;
}

int proc_list(int what, struct proc_info **list, size_t *n)
{
	struct proc_info *v = NULL, *nv;
	size_t len = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	*list = NULL;
	*n = 0;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		char *end;
		long pid;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				return -ENOMEM;
			}
			v = nv;
		}
		if (proc_info_read((pid_t)pid, what, &v[len]) == 0)
			len++;
	}
	closedir(dir);
	*list = v;
	*n = len;
	return 0;
}

/* Appends the pids in /proc/PID/task/TID/children of every thread of pid. */
static int add_children(pid_t pid, pid_t **v, size_t *len, size_t *cap)
{
	struct strbuf sb = STRBUF_INIT;
	char path[320];
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;	/* gone meanwhile */
	while (!rc && (d = readdir(dir))) {
		char *p, *end;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int)pid, d->d_name);
		strbuf_reset(&sb);
		if (strbuf_read_file(&sb, path, 0) || !sb.len)
			continue;
		for (p = sb.buf;; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p || c <= 0)
				break;
			rc = ARRAY_GROW(*v, *cap, *len + 1);
			if (rc)
				break;
			(*v)[(*len)++] = (pid_t)c;
		}
	}
	closedir(dir);
	strbuf_release(&sb);
	return rc;
}

int proc_tree_list(pid_t root, int what, struct proc_info **list, size_t *n)
{
	struct proc_info *v = NULL;
	pid_t *pids = NULL;
	size_t len = 0, cap = 0, i, got = 0;
	char path[64];
	int rc = 0;

	*list = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)root, (int)root);
	if (access(path, R_OK)) {
		/* no such file for a live root: a kernel without them */
		snprintf(path, sizeof(path), "/proc/%d", (int)root);
		return access(path, F_OK) ? 0 : -ENOSYS;
	}
	if (ARRAY_GROW(pids, cap, 64))
		return -ENOMEM;
	pids[len++] = root;
	/* Breadth first: each process's children are appended as it is read
	 * (a pid seen twice, in a reparenting race, is read once). */
	for (i = 0; i < len && !rc; i++) {
		size_t j;

		for (j = 0; j < i && pids[j] != pids[i]; j++)
			;
		if (j < i)
			continue;
		rc = add_children(pids[i], &pids, &len, &cap);
	}
	if (!rc && len) {
		v = calloc(len, sizeof(*v));
		if (!v)
			rc = -ENOMEM;
	}
	for (i = 0; !rc && i < len; i++) {
		size_t j;

		for (j = 0; j < i && pids[j] != pids[i]; j++)
			;
		if (j == i && proc_info_read(pids[i], what, &v[got]) == 0)
			got++;
	}
	free(pids);
	if (rc) {
		free(v);
		return rc;
	}
	*list = v;
	*n = got;
	return 0;
}

size_t proc_tree_mark(const struct proc_info *list, size_t n, pid_t root, unsigned char *keep)
{
	size_t i, count = 0;
	int changed = 1;

	memset(keep, 0, n);
	for (i = 0; i < n; i++)
		if (list[i].pid == root) {
			keep[i] = 1;
			count++;
		}
	/* Parents usually have lower pids, but not always (pid wrap): repeat
	 * until nothing changes. */
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++) {
			size_t j;

			if (keep[i])
				continue;
			for (j = 0; j < n; j++)
				if (keep[j] && list[j].pid == list[i].ppid)
					break;
			if (j < n) {
				keep[i] = 1;
				count++;
				changed = 1;
			}
		}
	}
	return count;
}

uint64_t proc_mem_total(void)
{
	char buf[4096], *p;

	if (read_small("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "MemTotal:");
	return p ? strtoull(p + 9, NULL, 10) * 1024ull : 0;
}

static uint64_t read_limit(const char *path)
{
	char buf[64];

	if (read_small(path, buf, sizeof(buf)) <= 0 || !isdigit((unsigned char)buf[0]))
		return 0;	/* "max" or unreadable */
	return strtoull(buf, NULL, 10);
}

uint64_t proc_cgroup_mem_limit(void)
{
	char buf[4096], path[4352], *line, *nl;
	uint64_t lim = 0, v;

	if (read_small("/proc/self/cgroup", buf, sizeof(buf)) <= 0)
		return 0;
	for (line = buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", line + 3);
			v = read_limit(path);
		} else if (strstr(line, ":memory:")) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes",
				 strstr(line, ":memory:") + 8);
			v = read_limit(path);
		} else {
			v = 0;
		}
		/* v1's "unlimited" is a huge page-rounded number */
		if (v && v < (1ull << 60) && (!lim || v < lim))
			lim = v;
		if (!nl)
			break;
	}
	return lim;
}

size_t proc_descendants(pid_t pid, pid_t *out, size_t max)
{
	size_t n = 0;

	for (size_t parent = (size_t)-1; ; ) {
		pid_t p = parent == (size_t)-1 ? pid : out[parent];
		char path[64];
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)p);
		if ((d = opendir(path))) {
			while ((de = readdir(d)) && n < max) {
				struct strbuf sb = STRBUF_INIT;
				char cp[320];
				char *s, *end;

				if (de->d_name[0] == '.')
					continue;
				snprintf(cp, sizeof(cp), "/proc/%d/task/%s/children", (int)p, de->d_name);
				if (strbuf_read_file(&sb, cp, 65536) == 0)
					for (s = sb.buf; n < max; s = end) {
						long c = strtol(s, &end, 10);

						if (end == s || c <= 0)
							break;
						out[n++] = (pid_t)c;
					}
				strbuf_release(&sb);
			}
			closedir(d);
		}
		if (++parent >= n)
			break;
	}
	return n;
}

int proc_cmdline(pid_t pid, struct strbuf *sb)
{
	char path[64];
	size_t start = sb->len;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	rc = strbuf_read_file(sb, path, 4096);
	if (rc)
		return rc;
	for (size_t i = start; i < sb->len; i++)
		if (!sb->buf[i])
			sb->buf[i] = ' ';
	strbuf_rtrim(sb);
	return 0;
}
