/*
 * t-collect.c - the collector's helpers: /proc/PID/maps reading, build-id
 * notes (checked against the GNU note of a file we write ourselves),
 * command resolution like execvp().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cpu/wire.h"
#include "collect/agentstream.h"
#include "collect/buildid.h"
#include "collect/cpu.h"
#include "collect/procmaps.h"
#include "collect/proctree.h"
#include "core/strbuf.h"
#include "tap.h"

static void test_procmaps(void)
{
	static const char text[] =
		"00400000-00401000 r--p 00000000 fd:01 10 /bin/x\n"
		"00401000-00402000 r-xp 00001000 fd:01 10 /bin/x\n"
		"garbage line\n"
		"7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n"
		"7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]";
	struct procmaps m = PROCMAPS_INIT;
	size_t bad = 0;

	ok(!procmaps_parse(&m, text, sizeof(text) - 1, 1, &bad), "maps text parses");
	is_uint(m.n, 2, "two executable mappings");
	is_uint(bad, 1, "one malformed line counted");
	is_str(m.v[0].path, "/bin/x", "first path");
	is_uint(m.v[0].start, 0x401000, "first start");
	is_uint(m.v[0].pgoff, 0x1000, "first offset");
	is_str(m.v[1].path, "[vdso]", "the vdso keeps its name");
	procmaps_release(&m);
	ok(!procmaps_parse(&m, text, sizeof(text) - 1, 0, NULL), "all mappings");
	is_uint(m.n, 4, "four mappings in all");
	procmaps_release(&m);
	ok(!procmaps_read(&m, getpid(), 1), "our own maps read");
	ok(m.n >= 2, "we have executable mappings (%zu)", m.n);
	procmaps_release(&m);
	is_int(procmaps_read(&m, 4194303, 1), -ESRCH, "a missing process is -ESRCH");
	procmaps_release(&m);
}

/* A minimal ELF64 file with one PT_NOTE holding a GNU build-id. */
static size_t make_elf(unsigned char *b, const unsigned char *id, size_t idlen)
{
	size_t phoff = 64, noteoff = 64 + 56, notesz = 12 + 4 + ((idlen + 3) & ~3u);
	uint32_t u32;
	uint16_t u16;
	uint64_t u64;

	memset(b, 0, 512);
	memcpy(b, "\177ELF", 4);
	b[4] = 2;	/* ELFCLASS64 */
	b[5] = 1;	/* little-endian */
	b[6] = 1;	/* EV_CURRENT */
	u16 = 3; memcpy(b + 16, &u16, 2);	/* ET_DYN */
	u16 = 62; memcpy(b + 18, &u16, 2);	/* EM_X86_64 */
	u32 = 1; memcpy(b + 20, &u32, 4);
	u64 = phoff; memcpy(b + 32, &u64, 8);
	u16 = 64; memcpy(b + 52, &u16, 2);	/* e_ehsize */
	u16 = 56; memcpy(b + 54, &u16, 2);	/* e_phentsize */
	u16 = 1; memcpy(b + 56, &u16, 2);	/* e_phnum */
	u16 = 64; memcpy(b + 58, &u16, 2);	/* e_shentsize */
	u32 = 4; memcpy(b + phoff, &u32, 4);	/* PT_NOTE */
	u64 = noteoff; memcpy(b + phoff + 8, &u64, 8);
	u64 = notesz; memcpy(b + phoff + 32, &u64, 8);	/* p_filesz */
	memcpy(b + phoff + 40, &u64, 8);
	u64 = 4; memcpy(b + phoff + 48, &u64, 8);	/* p_align */
	u32 = 4; memcpy(b + noteoff, &u32, 4);
	u32 = (uint32_t)idlen; memcpy(b + noteoff + 4, &u32, 4);
	u32 = 3; memcpy(b + noteoff + 8, &u32, 4);	/* NT_GNU_BUILD_ID */
	memcpy(b + noteoff + 12, "GNU", 4);
	memcpy(b + noteoff + 16, id, idlen);
	return noteoff + notesz;
}

static void test_buildid(void)
{
	unsigned char elf[512], id[BUILDID_MAX], want[20];
	struct buildid_cache *c;
	char path[] = "/tmp/t-collect-XXXXXX";
	size_t n, i;
	int fd;

	for (i = 0; i < 20; i++)
		want[i] = (unsigned char)(0xa0 + i);
	n = make_elf(elf, want, 20);
	is_int(buildid_from_mem(elf, n, id), 20, "a 20-byte build-id is found");
	ok(!memcmp(id, want, 20), "... with the right bytes");
	is_int(buildid_from_mem("hello", 5, id), -EINVAL, "not ELF is -EINVAL");
	elf[64 + 56 + 8] = 1;	/* note type NT_GNU_ABI_TAG: no build-id */
	is_int(buildid_from_mem(elf, n, id), -ENODATA, "no build-id note is -ENODATA");
	elf[64 + 56 + 8] = 3;
	fd = mkstemp(path);
	ok(fd >= 0 && write(fd, elf, n) == (ssize_t)n, "wrote a test ELF file");
	close(fd);
	memset(id, 0, sizeof(id));
	is_int(buildid_from_file(path, id), 20, "the file's build-id is read");
	ok(!memcmp(id, want, 20), "... with the right bytes");
	c = buildid_cache_new();
	is_int(buildid_cache_get(c, path, id), 20, "the cache reads it");
	unlink(path);
	memset(id, 0, sizeof(id));
	is_int(buildid_cache_get(c, path, id), 20, "and remembers it after the file is gone");
	ok(!memcmp(id, want, 20), "... with the right bytes");
	is_int(buildid_cache_get(c, "[vdso]", id), -ENODATA, "pseudo paths are not opened");
	is_int(buildid_cache_get(c, "/nonexistent/lib.so", id), -ENOENT, "a missing file is -ENOENT");
	buildid_cache_free(c);
}

static void test_resolve(void)
{
	struct strbuf sb = STRBUF_INIT;
	char dir[] = "/tmp/t-collect-dir-XXXXXX";
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct strbuf p = STRBUF_INIT;
	int fd;

	is_int(cpu_resolve_command("sh", &sb), 0, "sh is found in PATH");
	ok(sb.buf[0] == '/' && strstr(sb.buf, "/sh"), "... as an absolute path (%s)", sb.buf);
	is_int(cpu_resolve_command("no-such-command-pinch", &sb), -ENOENT, "a missing command is -ENOENT");
	is_int(cpu_resolve_command("/", &sb), -EISDIR, "a directory is -EISDIR");
	ok(mkdtemp(dir) != NULL, "made a temp dir");
	strbuf_addf(&p, "%s/plain", dir);
	fd = open(p.buf, O_CREAT | O_WRONLY, 0644);
	close(fd);
	is_int(cpu_resolve_command(p.buf, &sb), -EACCES, "a non-executable path is -EACCES");
	setenv("PATH", dir, 1);
	is_int(cpu_resolve_command("plain", &sb), -EACCES, "a non-executable PATH entry is -EACCES");
	if (old)
		setenv("PATH", old, 1);
	unlink(p.buf);
	rmdir(dir);
	free(old);
	strbuf_release(&p);
	strbuf_release(&sb);
}

static size_t put(unsigned char *b, size_t off, uint32_t type, const void *p, size_t len)
{
	struct pcw_hdr h = { type, (uint32_t)len };

	memcpy(b + off, &h, sizeof(h));
	memcpy(b + off + sizeof(h), p, len);
	return off + pcw_record_bytes(len);
}

static void test_agentstream(void)
{
	unsigned char b[1024] = { 0 };
	struct pcw_sample s1 = { .pid = 1, .tid = 1, .time_ns = 300 };
	struct pcw_sample s2 = { .pid = 1, .tid = 2, .time_ns = 100 };
	struct pcw_task fk = { .pid = 2, .ppid = 1, .tid = 2, .ptid = 1, .time_ns = 200 };
	struct pcw_lost lost = { 3, 0 };
	struct agentstream_rec *v;
	size_t off = 0, n;
	int torn;

	off = put(b, off, PCW_SAMPLE, &s1, sizeof(s1));
	off = put(b, off, 8 /* FINISH: never copied from the agent */, "12345678", 8);
	off = put(b, off, PCW_SAMPLE, &s2, sizeof(s2));
	off = put(b, off, PCW_FORK, &fk, sizeof(fk));
	off = put(b, off, PCW_SAMPLE, &s2, 10);	/* too short for a sample: skipped */
	off = put(b, off, PCW_LOST, &lost, sizeof(lost));
	ok(!agentstream_index(b, off, &v, &n, &torn), "a stream is indexed");
	is_uint(n, 4, "four records of known types and sizes");
	is_int(torn, 0, "no torn tail");
	ok(n == 4 && v[0].type == PCW_LOST && v[1].time == 100 && v[2].type == PCW_FORK &&
	   v[3].time == 300, "sorted by time (untimed first)");
	free(v);
	ok(!agentstream_index(b, off - 5, &v, &n, &torn), "a cut stream is indexed");
	is_int(torn, 1, "... and reported torn");
	is_uint(n, 3, "... keeping the records before the cut");
	free(v);
	ok(!agentstream_index(b, 0, &v, &n, &torn) && n == 0, "an empty stream is fine");
	free(v);
}


/* proc_tree_list from the children files: a child and the grandchild it
 * forks from a second thread-free process, both found; a pid outside the
 * tree (our parent) not. */
static void test_proctree(void)
{
	int up[2], down[2];
	pid_t child, grand = 0;
	struct proc_info *v = NULL;
	size_t n = 0, i;
	int seen_self = 0, seen_child = 0, seen_grand = 0, seen_parent = 0, rc;
	char c = 0;

	if (pipe(up) || pipe(down)) {
		ok(0, "pipes");
		return;
	}
	child = fork();
	if (child == 0) {
		pid_t g = fork();

		if (g == 0) {
			if (read(down[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		if (write(up[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		if (read(down[0], &c, 1) < 0)
			_exit(1);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	if (read(up[0], &grand, sizeof(grand)) != sizeof(grand))
		grand = -1;
	rc = proc_tree_list(getpid(), PROC_STAT, &v, &n);
	if (rc == -ENOSYS) {
		ok(1, "proc_tree_list # SKIP the kernel has no /proc/PID/task/TID/children");
	} else {
		for (i = 0; i < n; i++) {
			seen_self += v[i].pid == getpid();
			seen_child += v[i].pid == child && v[i].ppid == getpid();
			seen_grand += v[i].pid == grand && v[i].ppid == child;
			seen_parent += v[i].pid == getppid();
		}
		ok(rc == 0 && seen_self == 1 && seen_child == 1 && seen_grand == 1 && !seen_parent,
		   "proc_tree_list: the root, its child and grandchild, once each, not the root's parent (%zu listed)", n);
	}
	free(v);
	ok(proc_tree_list(999999999, PROC_STAT, &v, &n) == 0 && n == 0, "proc_tree_list of no such pid: empty");
	free(v);
	c = 1;
	if (write(down[1], &c, 1) != 1 || write(down[1], &c, 1) != 1)
		kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

int main(void)
{
	test_agentstream();
	test_procmaps();
	test_buildid();
	test_resolve();
	test_proctree();
	return done_testing();
}
