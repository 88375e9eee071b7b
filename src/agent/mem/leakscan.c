/*
 * leakscan.c - the leak classes of the blocks in use at exit (pinch mem
 * agent): a conservative mark from the roots, then memcheck's cliques for
 * what was not reached. See leakscan.h. Runs in the exiting process with
 * the agent's lock held: no allocation, libc and syscalls only.
 */
#include "leakscan.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHUNK (64u << 10)

static uint64_t g_buf[CHUNK / 8];	/* in the agent's own bss: never a root */
static int g_direct;			/* process_vm_readv refused: plain loads */

/* ---- sorting without allocating ------------------------------------------ */

typedef int (*ls_less)(const struct ls_block *, const struct ls_block *);

static int by_addr(const struct ls_block *a, const struct ls_block *b)
{
	return a->addr < b->addr;
}

static int by_stack_class(const struct ls_block *a, const struct ls_block *b)
{
	return a->stack != b->stack ? a->stack < b->stack : a->cls < b->cls;
}

static void sift(struct ls_block *b, size_t i, size_t n, ls_less less)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;
		struct ls_block t;

		if (c < n && less(&b[m], &b[c]))
			m = c;
		if (c + 1 < n && less(&b[m], &b[c + 1]))
			m = c + 1;
		if (m == i)
			return;
		t = b[i];
		b[i] = b[m];
		b[m] = t;
		i = m;
	}
}

static void heapsort_blocks(struct ls_block *b, size_t n, ls_less less)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(b, i, n, less);
	for (size_t k = n; k-- > 1;) {
		struct ls_block t = b[0];

		b[0] = b[k];
		b[k] = t;
		sift(b, 0, k, less);
	}
}

void leakscan_sort_by_stack(struct ls_block *b, size_t n)
{
	heapsort_blocks(b, n, by_stack_class);
}

/* ---- the scan ------------------------------------------------------------ */

struct scan {
	struct ls_block *b;
	size_t n;
	uint64_t lo, hi;	/* every block lies in [lo, hi) */
	uint32_t *work;
	size_t nwork;
	int clique;		/* 0: marking from the roots; 1: a lost block's clique */
	int tcb;		/* scanning a thread descriptor: any pointer reaches */
	size_t leader;
	struct ls_stats *st;
};

/* The block holding address a, or n. */
static size_t find(const struct scan *s, uint64_t a)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->b[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return s->n;
	lo--;
	/* malloc(0) still returns a block: its start is pointable */
	return a - s->b[lo].addr < (s->b[lo].size ? s->b[lo].size : 1) ? lo : s->n;
}

/* glibc's chunk size for a request of size bytes (x86-64: 8 bytes of
 * header, 16-byte alignment, 32 bytes at least). */
static uint64_t next_chunk(uint64_t size)
{
	uint64_t c = (size + 8 + 15) & ~15ull;

	return c < 32 ? 32 : c;
}

static void push(struct scan *s, size_t i)
{
	s->work[s->nwork++] = (uint32_t)i;
}

static void found(struct scan *s, uint64_t w)
{
	size_t i;
	struct ls_block *k;

	if (w < s->lo || w >= s->hi || (i = find(s, w)) == s->n)
		return;
	k = &s->b[i];
	/* glibc's malloc state points at chunk headers (the top chunk,
	 * bins); the next chunk's header overlaps a block's last 8 bytes,
	 * and that pointer is the allocator's, not into this block */
	if (w != k->addr && w == k->addr - 16 + next_chunk(k->size))
		return;
	if (!s->clique) {
		if ((w == k->addr || s->tcb) && k->cls != LS_REACHABLE) {
			if (k->cls == LS_UNSEEN)
				push(s, i);
			k->cls = LS_REACHABLE;
		} else if (k->cls == LS_UNSEEN) {
			k->cls = LS_POSSIBLE;
			push(s, i);
		}
		return;
	}
	if (i == s->leader)
		return;
	if (k->cls == LS_UNSEEN) {
		k->cls = LS_INDIRECT;
		push(s, i);
	} else if (k->cls == LS_DEFINITE) {
		k->cls = LS_INDIRECT;	/* an earlier leader is part of this clique */
	}
}

/* Reads [a, a+len) of our own memory into g_buf; the bytes read. */
static size_t read_self(uint64_t a, size_t len)
{
	struct iovec local = { g_buf, len }, remote = { (void *)(uintptr_t)a, len };
	ssize_t r;

	if (g_direct) {
		memcpy(g_buf, (const void *)(uintptr_t)a, len);
		return len;
	}
	r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (r < 0 && (errno == ENOSYS || errno == EPERM)) {
		g_direct = 1;	/* a seccomp filter: blocks are plain memory */
		return 0;
	}
	return r > 0 ? (size_t)r : 0;
}

static void scan_range(struct scan *s, uint64_t start, uint64_t end, int root)
{
	start = (start + 7) & ~7ull;
	while (start + 8 <= end) {
		size_t len = end - start > CHUNK ? CHUNK : (size_t)(end - start);
		size_t got;

		len &= ~(size_t)7;
		if (g_direct && root)
			return;	/* without a safe read, roots may fault: skip */
		got = read_self(start, len);
		if (!got) {
			if (g_direct && !root)
				got = read_self(start, len);
			if (!got) {
				/* an unreadable page: skip to the next one */
				start = (start | 4095) + 1;
				continue;
			}
		}
		for (size_t k = 0; k < got / 8; k++)
			found(s, g_buf[k]);
		if (root)
			s->st->root_bytes += got;
		else
			s->st->block_bytes += got;
		start += got & ~(size_t)7;
	}
}

static void drain(struct scan *s)
{
	while (s->nwork) {
		const struct ls_block *k = &s->b[s->work[--s->nwork]];

		scan_range(s, k->addr, k->addr + k->size, 0);
	}
}

/* ---- roots ----------------------------------------------------------------- */

struct own {
	uint64_t probe;
	struct ls_range seg[8];
	size_t n;
};

/* The agent's own writable segments (its data and bss hold block
 * addresses: the last allocation, table pointers). */
static int own_segments(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct own *o = ctx;
	int mine = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && o->probe >= a && o->probe < a + ph->p_memsz)
			mine = 1;
	}
	if (!mine)
		return 0;
	for (int i = 0; i < info->dlpi_phnum && o->n < 8; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
			o->seg[o->n].start = a & ~4095ull;
			o->seg[o->n].end = (a + ph->p_memsz + 4095) & ~4095ull;
			o->n++;
		}
	}
	return 1;
}

static uint64_t hex(const char **p)
{
	uint64_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* ---- other threads' stacks ------------------------------------------------ */

#define MAX_SPS 4096
static uint64_t g_sps[MAX_SPS];	/* stack pointers of the other live threads */
static size_t g_nsps;
static int g_sp_unknown;	/* a live thread whose stack pointer could not be read */

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

/* The other threads' stack pointers from /proc/self/task/TID/syscall
 * ("nr args... sp pc", "-1 sp pc" or "running"): a glibc thread stack
 * that holds none is a dead thread's, kept for reuse, and its stale
 * contents are no root (memcheck scans live threads only). */
static void thread_sps(void)
{
	char buf[4096], path[64], line[256];
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long self = syscall(SYS_gettid);
	long n;

	g_nsps = 0;
	g_sp_unknown = 0;
	if (fd < 0) {
		g_sp_unknown = 1;
		return;
	}
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			const char *name = buf + off + 19;	/* struct linux_dirent64: d_name */
			unsigned short reclen;
			const char *p;
			long tid = 0;
			int fields = 0;
			uint64_t v = 0, last[2] = { 0, 0 };

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			for (p = name; *p >= '0' && *p <= '9'; p++)
				tid = tid * 10 + (*p - '0');
			if (!tid || *p || tid == self)
				continue;
			memcpy(path, "/proc/self/task/", 16);
			{
				char num[24];
				int k = 0, m = 16;

				do
					num[k++] = (char)('0' + tid % 10);
				while ((tid /= 10));
				while (k)
					path[m++] = num[--k];
				memcpy(path + m, "/syscall", 9);
			}
			if (read_small(path, line, sizeof(line)) || line[0] == 'r') {
				if (!read_small(path, line, sizeof(line)) || errno != ENOENT)
					g_sp_unknown = 1;	/* running, or unreadable */
				continue;
			}
			/* the second-to-last field is the stack pointer */
			for (p = line; *p;) {
				while (*p == ' ')
					p++;
				if (!*p || *p == '\n')
					break;
				if (p[0] == '0' && p[1] == 'x')
					p += 2;
				if (*p == '-')
					p++;
				v = hex(&p);
				while (*p && *p != ' ' && *p != '\n')
					p++;
				last[0] = last[1];
				last[1] = v;
				fields++;
			}
			if (fields < 3 || g_nsps == MAX_SPS)
				g_sp_unknown = 1;
			else
				g_sps[g_nsps++] = last[0];
		}
	}
	close(fd);
}

/*
 * glibc puts a thread's descriptor (struct pthread, whose tcbhead_t
 * starts with tcb and self pointing at itself) at the top of its stack
 * mapping. The descriptor's pointers are glibc's own (the DTV, which it
 * points into, not at): they keep what they point to reachable, even in
 * a dead thread's cached stack. Returns its address, or 0.
 */
static uint64_t find_tcb(uint64_t s0, uint64_t e0)
{
	uint64_t lo = e0 - s0 > (256u << 10) ? e0 - (256u << 10) : s0;

	for (uint64_t t = (e0 - 24) & ~63ull; t >= lo && t > 64; t -= 64) {
		if (read_self(t, 24) != 24)
			return 0;
		if (g_buf[0] == t && g_buf[2] == t)
			return t;
	}
	return 0;
}

/* The lowest live stack pointer in [s0, e0), or 0. */
static uint64_t sp_in(uint64_t s0, uint64_t e0)
{
	uint64_t best = 0;

	for (size_t i = 0; i < g_nsps; i++)
		if (g_sps[i] >= s0 && g_sps[i] < e0 && (!best || g_sps[i] < best))
			best = g_sps[i];
	return best;
}

/* Scans [s0, e0) minus the excluded ranges that overlap it. */
static void scan_root(struct scan *s, uint64_t s0, uint64_t e0, const struct ls_range *x,
		      size_t nx)
{
	for (size_t i = 0; i < nx && s0 < e0; i++) {
		if (x[i].end <= s0 || x[i].start >= e0)
			continue;
		if (x[i].start > s0)
			scan_root(s, s0, x[i].start, x + i + 1, nx - i - 1);
		s0 = x[i].end > s0 ? x[i].end : s0;
	}
	if (s0 < e0) {
		s->st->roots++;
		scan_range(s, s0, e0, 1);
	}
}

/* Memory by system call: the agent interposes mmap and munmap, and its
 * lock is held here. */
static void *raw_mmap(size_t len)
{
	long p = syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return (unsigned long)p > -4096ul ? MAP_FAILED : (void *)p;
}

static void *raw_mremap(void *old, size_t olen, size_t nlen)
{
	long p = syscall(SYS_mremap, old, olen, nlen, MREMAP_MAYMOVE);

	return (unsigned long)p > -4096ul ? MAP_FAILED : (void *)p;
}

/* The maps text in an anonymous mapping (*cap bytes); its length or -errno. */
static ssize_t read_maps(char **text, size_t *cap)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	*text = NULL;
	*cap = 0;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (len + 4096 > *cap) {
			size_t nc = *cap ? *cap * 2 : 1u << 20;
			char *nt = *text ? raw_mremap(*text, *cap, nc) : raw_mmap(nc);

			if (nt == MAP_FAILED) {
				if (*text)
					syscall(SYS_munmap, *text, *cap);
				*text = NULL;
				close(fd);
				return -ENOMEM;
			}
			*text = nt;
			*cap = nc;
		}
		r = read(fd, *text + len, *cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	(*text)[len] = '\0';
	return (ssize_t)len;
}

int leakscan(struct ls_block *b, size_t n, uint32_t *work, const struct ls_range *excl,
	     size_t nexcl, uint64_t sp, struct ls_stats *st)
{
	struct scan s = { .b = b, .n = n, .work = work, .st = st };
	struct ls_range x[64];
	struct own own = { .probe = (uint64_t)(uintptr_t)&g_buf };
	size_t nx = 0, cap;
	char *text;
	ssize_t len;
	uint64_t guard_end = 0;
	int anon = 0;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < n; i++)
		b[i].cls = LS_UNSEEN;
	if (!n)
		return 0;
	heapsort_blocks(b, n, by_addr);
	s.lo = b[0].addr;
	for (size_t i = 0; i < n; i++)
		if (b[i].addr + (b[i].size ? b[i].size : 1) > s.hi)
			s.hi = b[i].addr + (b[i].size ? b[i].size : 1);
	len = read_maps(&text, &cap);
	if (len < 0)
		return (int)len;
	dl_iterate_phdr(own_segments, &own);
	for (size_t i = 0; i < own.n && nx < 64; i++)
		x[nx++] = own.seg[i];
	for (size_t i = 0; i < nexcl && nx < 63; i++)
		x[nx++] = excl[i];
	x[nx].start = (uint64_t)(uintptr_t)text;	/* the maps text itself */
	x[nx++].end = (uint64_t)(uintptr_t)text + cap;
	/* sorted, for scan_root's walk */
	for (size_t i = 1; i < nx; i++)
		for (size_t j = i; j > 0 && x[j].start < x[j - 1].start; j--) {
			struct ls_range t = x[j];

			x[j] = x[j - 1];
			x[j - 1] = t;
		}

	thread_sps();
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		uint64_t s0, e0;
		char perms[4];
		size_t k;
		int special;

		s0 = hex(&p);
		if (*p == '-')
			p++;
		e0 = hex(&p);
		while (*p == ' ')
			p++;
		for (k = 0; k < 4 && *p && *p != ' '; k++)
			perms[k] = *p++;
		{
			/* offset, device, inode: an anonymous mapping has inode 0 */
			const char *q = p;
			int f = 0;

			anon = 0;
			while (*q == ' ')
				q++;
			for (; f < 3 && *q && *q != '\n'; f++) {
				const char *w0 = q;

				while (*q && *q != ' ' && *q != '\n')
					q++;
				if (f == 2)
					anon = q - w0 == 1 && *w0 == '0';
				while (*q == ' ')
					q++;
			}
			if (anon && *q && *q != '\n')
				anon = 0;	/* named: [stack], [heap], a file */
		}
		/* [vvar], [vsyscall] and the like are no program memory */
		special = eol ? memchr(p, '[', (size_t)(eol - p)) && !memmem(p, (size_t)(eol - p), "[stack]", 7) &&
			  !memmem(p, (size_t)(eol - p), "[heap]", 6) : 0;
		if (k == 4 && perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p' && !special) {
			size_t i = find(&s, s0);
			int holds = 0;

			/* a mapping holding a block is the heap: not a root */
			if (i == n) {
				/* the first block at or after s0 */
				size_t lo = 0, hi = n;

				while (lo < hi) {
					size_t mid = lo + (hi - lo) / 2;

					if (b[mid].addr < s0)
						lo = mid + 1;
					else
						hi = mid;
				}
				holds = lo < n && b[lo].addr < e0;
			} else {
				holds = 1;
			}
			if (!holds) {
				uint64_t tsp;

				if (sp >= s0 && sp < e0) {
					s0 = sp & ~7ull;	/* this thread's stack: its live part */
				} else if (guard_end == s0 && anon) {
					uint64_t tcb = find_tcb(s0, e0);

					if (tcb) {
						s.tcb = 1;
						scan_root(&s, tcb, tcb + 4096 < e0 ? tcb + 4096 : e0, x, nx);
						s.tcb = 0;
					}
					/* a thread stack: from its thread's sp, or
					 * nothing when the thread is gone */
					if (!g_sp_unknown) {
						tsp = sp_in(s0, e0);
						s0 = tsp ? tsp & ~7ull : e0;
					}
				}
				scan_root(&s, s0, e0, x, nx);
			}
		}
		guard_end = k == 4 && perms[0] == '-' && perms[1] == '-' && perms[2] == '-' ? e0 : 0;
		if (!eol)
			break;
		p = eol + 1;
	}
	syscall(SYS_munmap, text, cap);
	drain(&s);

	/* What was not reached: each block no other lost block points to
	 * leads its clique (definite), the blocks it reaches are indirect. */
	s.clique = 1;
	for (size_t i = 0; i < n; i++) {
		if (b[i].cls != LS_UNSEEN)
			continue;
		b[i].cls = LS_DEFINITE;
		s.leader = i;
		push(&s, i);
		drain(&s);
	}
	return 0;
}
