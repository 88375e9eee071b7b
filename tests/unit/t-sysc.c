/* pinch syscalls' model and view: syscall names and groups of this
 * machine, percentiles from the log2 histogram, and traced calls decoded
 * into strace's form (path, flags, sockaddr, errno name). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/strbuf.h"
#include "model/sysc.h"
#include "view/view_syscalls.h"
#include "tap.h"

static void line(const struct sysc_event *e, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	sysc_render_event(e, 1000000000ull, &sb);
	is_str(sb.buf, want, name);
	strbuf_release(&sb);
}

int main(void)
{
	struct sysc_stat s;
	struct sysc_event e;
	struct sockaddr_in sin;
	char buf[32];

	is_str(sysc_name(110, buf, sizeof(buf)), "getppid", "110 is getppid (x86_64)");
	is_str(sysc_name(2, buf, sizeof(buf)), "open", "2 is open");
	is_str(sysc_name(511, buf, sizeof(buf)), "syscall_511", "unknown numbers get a name");
	ok(sysc_number("openat") == 257, "openat is 257");
	ok(sysc_number("nosuchcall") == -1, "unknown name: -1");
	ok(sysc_group("file") == SYSC_GROUP_FILE && sysc_group("bogus") == 0, "group names");
	ok(sysc_in_groups(257, SYSC_GROUP_FILE) && !sysc_in_groups(110, SYSC_GROUP_FILE), "openat is file, getppid not");
	ok(sysc_in_groups(42, SYSC_GROUP_NET) && sysc_in_groups(110, SYSC_GROUP_ALL), "connect is net; all has getppid");
	ok(sysc_arg_layout(257) == SYSC_PATH1 && sysc_arg_layout(2) == SYSC_PATH0 &&
	   sysc_arg_layout(42) == SYSC_SOCKADDR1, "argument layouts");

	memset(&s, 0, sizeof(s));
	is_uint(sysc_percentile(&s, 50), 0, "empty: 0");
	s.hist[8] = 90;		/* [256, 511] ns */
	s.hist[12] = 9;		/* [4096, 8191] */
	s.hist[20] = 1;		/* [1 Mi, 2 Mi) */
	s.max_ns = 1500000;
	is_uint(sysc_percentile(&s, 50), 511, "p50: the upper bound of its bucket");
	is_uint(sysc_percentile(&s, 90), 511, "p90 still in the first bucket");
	is_uint(sysc_percentile(&s, 99), 8191, "p99");
	is_uint(sysc_percentile(&s, 100), 1500000, "p100: capped at the max");

	memset(&e, 0, sizeof(e));
	e.pid = e.tid = 42;
	e.nr = 257;
	e.start_ns = 1001500000ull;
	e.dur_ns = 12000;
	e.args[0] = (uint64_t)(int64_t)AT_FDCWD;
	e.args[2] = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
	e.ret = 3;
	e.buf_kind = SYSC_BUF_PATH;
	strcpy(e.buf, "/tmp/a \"b\"");
	line(&e, "  0.001500 [42] openat(AT_FDCWD, \"/tmp/a \\\"b\\\"\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC) = 3 <0.000012>\n",
	     "openat: dirfd, quoted path, flags, fd, duration");
	e.nr = 2;
	e.args[0] = 0x1000;
	e.args[1] = O_RDONLY;
	e.ret = -ENOENT;
	strcpy(e.buf, "/nonexistent");
	line(&e, "  0.001500 [42] open(\"/nonexistent\", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000012>\n",
	     "open: errno name and message");
	e.buf_kind = SYSC_BUF_NONE;
	line(&e, "  0.001500 [42] open(0x1000, O_RDONLY) = -1 ENOENT (No such file or directory) <0.000012>\n",
	     "an unreadable path: its address");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(8080);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	e.nr = 42;
	e.tid = 43;
	e.args[0] = 5;
	e.args[2] = sizeof(sin);
	memcpy(e.buf, &sin, sizeof(sin));
	e.buf_kind = SYSC_BUF_SOCKADDR;
	e.ret = -ECONNREFUSED;
	line(&e, "  0.001500 [43] connect(5, {AF_INET, 127.0.0.1:8080}, 16) = -1 ECONNREFUSED (Connection refused) <0.000012>\n",
	     "connect: the address decoded, the thread id");
	e.args[2] = 4;	/* shorter than a sockaddr_in: not decoded */
	e.args[1] = 0x2000;
	line(&e, "  0.001500 [43] connect(5, {family 2}, 4) = -1 ECONNREFUSED (Connection refused) <0.000012>\n",
	     "a short address: the family only");
	return done_testing();
}
