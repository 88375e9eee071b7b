/*
 * sysc.c - syscall names, groups and argument layouts (see sysc.h).
 */
#include "model/sysc.h"

#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "syscall_table.h"
#include "core/banned.h"

const char *sysc_name(unsigned nr, char *buf, size_t len)
{
	if (nr < SYSCALL_TABLE_N && syscall_table[nr])
		return syscall_table[nr];
	snprintf(buf, len, "syscall_%u", nr);
	return buf;
}

int sysc_number(const char *name)
{
	unsigned n;

	for (n = 0; n < SYSCALL_TABLE_N; n++)
		if (syscall_table[n] && !strcmp(syscall_table[n], name))
			return (int)n;
	if (sscanf(name, "syscall_%u", &n) == 1 && n < SYSC_MAX_NR)
		return (int)n;
	return -1;
}

void sysc_list_names(struct strbuf *out)
{
	int first = 1;

	for (unsigned n = 0; n < SYSCALL_TABLE_N; n++)
		if (syscall_table[n]) {
			strbuf_addf(out, "%s%s", first ? "" : ", ", syscall_table[n]);
			first = 0;
		}
}

/* name, group, argument layout */
static const struct {
	const char *name;
	int group;
	unsigned layout;
} known[] = {
	{ "open", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "openat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "openat2", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "creat", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "stat", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "lstat", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "newfstatat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "statx", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "statfs", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "access", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "faccessat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "faccessat2", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "readlink", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "readlinkat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "unlink", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "unlinkat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "rename", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "renameat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "renameat2", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "mkdir", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "mkdirat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "rmdir", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "chdir", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "chroot", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "chmod", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "fchmodat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "chown", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "lchown", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "fchownat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "truncate", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "link", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "linkat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "symlink", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "symlinkat", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "mknod", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "mknodat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "utimes", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "utimensat", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "getxattr", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "lgetxattr", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "setxattr", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "listxattr", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "mount", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "umount2", SYSC_GROUP_FILE, SYSC_PATH0 },
	{ "inotify_add_watch", SYSC_GROUP_FILE, SYSC_PATH1 },
	{ "execve", SYSC_GROUP_FILE | SYSC_GROUP_PROCESS, SYSC_PATH0 },
	{ "execveat", SYSC_GROUP_FILE | SYSC_GROUP_PROCESS, SYSC_PATH1 },
	{ "socket", SYSC_GROUP_NET, 0 },
	{ "socketpair", SYSC_GROUP_NET, 0 },
	{ "connect", SYSC_GROUP_NET, SYSC_SOCKADDR1 },
	{ "bind", SYSC_GROUP_NET, SYSC_SOCKADDR1 },
	{ "listen", SYSC_GROUP_NET, 0 },
	{ "accept", SYSC_GROUP_NET, 0 },
	{ "accept4", SYSC_GROUP_NET, 0 },
	{ "sendto", SYSC_GROUP_NET, 0 },
	{ "recvfrom", SYSC_GROUP_NET, 0 },
	{ "sendmsg", SYSC_GROUP_NET, 0 },
	{ "recvmsg", SYSC_GROUP_NET, 0 },
	{ "sendmmsg", SYSC_GROUP_NET, 0 },
	{ "recvmmsg", SYSC_GROUP_NET, 0 },
	{ "shutdown", SYSC_GROUP_NET, 0 },
	{ "getsockname", SYSC_GROUP_NET, 0 },
	{ "getpeername", SYSC_GROUP_NET, 0 },
	{ "setsockopt", SYSC_GROUP_NET, 0 },
	{ "getsockopt", SYSC_GROUP_NET, 0 },
	{ "fork", SYSC_GROUP_PROCESS, 0 },
	{ "vfork", SYSC_GROUP_PROCESS, 0 },
	{ "clone", SYSC_GROUP_PROCESS, 0 },
	{ "clone3", SYSC_GROUP_PROCESS, 0 },
	{ "exit", SYSC_GROUP_PROCESS, 0 },
	{ "exit_group", SYSC_GROUP_PROCESS, 0 },
	{ "wait4", SYSC_GROUP_PROCESS, 0 },
	{ "waitid", SYSC_GROUP_PROCESS, 0 },
	{ "kill", SYSC_GROUP_PROCESS, 0 },
	{ "tkill", SYSC_GROUP_PROCESS, 0 },
	{ "tgkill", SYSC_GROUP_PROCESS, 0 },
	{ "unshare", SYSC_GROUP_PROCESS, 0 },
	{ "setns", SYSC_GROUP_PROCESS, 0 },
	{ "pidfd_open", SYSC_GROUP_PROCESS, 0 },
};

int sysc_group(const char *name)
{
	if (!strcmp(name, "file"))
		return SYSC_GROUP_FILE;
	if (!strcmp(name, "net") || !strcmp(name, "network"))
		return SYSC_GROUP_NET;
	if (!strcmp(name, "process"))
		return SYSC_GROUP_PROCESS;
	if (!strcmp(name, "all"))
		return SYSC_GROUP_ALL;
	return 0;
}

int sysc_in_groups(unsigned nr, int mask)
{
	char buf[32];
	const char *name;

	if (mask & SYSC_GROUP_ALL)
		return 1;
	name = sysc_name(nr, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].name, name))
			return (known[i].group & mask) != 0;
	return 0;
}

unsigned sysc_arg_layout(unsigned nr)
{
	char buf[32];
	const char *name = sysc_name(nr, buf, sizeof(buf));

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].name, name))
			return known[i].layout;
	return 0;
}

uint64_t sysc_percentile(const struct sysc_stat *s, double pct)
{
	uint64_t total = 0, want, seen = 0;

	for (int i = 0; i < SYSC_HIST; i++)
		total += s->hist[i];
	if (!total)
		return 0;
	want = (uint64_t)(pct / 100.0 * (double)total + 0.999999);
	if (want < 1)
		want = 1;
	for (int i = 0; i < SYSC_HIST; i++) {
		seen += s->hist[i];
		if (seen >= want) {
			uint64_t hi = i >= 63 ? UINT64_MAX : (2ull << i) - 1;

			return hi < s->max_ns ? hi : s->max_ns;
		}
	}
	return s->max_ns;
}
