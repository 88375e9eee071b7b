/*
 * memrec.c - pinch mem's collector (collect layer): target checks, the
 * launch with the LD_PRELOAD agent, outside RSS sampling, and the turn of
 * the agent's per-process stream/stats files into one recording.
 */
#include "memrec.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/mem/wire.h"
#include "collect/buildid.h"
#include "collect/procmaps.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

/* ---- target checks --------------------------------------------------- */

static int find_in_path(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, F_OK) ? -ENOENT : 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", cmd);
		if (access(out, X_OK) == 0) {
			struct stat st;

			if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
				return 0;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

/* 1 if the ELF file has a PT_INTERP (dynamically linked), 0 if not, -errno. */
static int elf_has_interp(int fd)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
		return -ENOEXEC;
	if (eh.e_ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr e32;
		Elf32_Phdr p32;

		if (pread(fd, &e32, sizeof(e32), 0) != (ssize_t)sizeof(e32))
			return -ENOEXEC;
		for (i = 0; i < e32.e_phnum && i < 512; i++) {
			if (pread(fd, &p32, sizeof(p32), (off_t)e32.e_phoff + (off_t)i * e32.e_phentsize) !=
			    (ssize_t)sizeof(p32))
				return -ENOEXEC;
			if (p32.p_type == PT_INTERP)
				return 1;
		}
		return 0;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return -ENOEXEC;
	for (i = 0; i < eh.e_phnum && i < 512; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)eh.e_phoff + (off_t)i * sizeof(ph)) != (ssize_t)sizeof(ph))
			return -ENOEXEC;
		if (ph.p_type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* 1 if the ELF file needs a sanitizer runtime that replaces malloc. */
static int needs_sanitizer(int fd)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	int found = 0;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return 0;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *name;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
				continue;
			name = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
			if (name && (!strncmp(name, "libasan", 7) || !strncmp(name, "libtsan", 7) ||
				     !strncmp(name, "libmsan", 7) || !strncmp(name, "libhwasan", 9)))
				found = 1;
		}
	}
	elf_end(elf);
	return found;
}

static int check_file(const char *path, int depth, char *err, size_t errlen)
{
	struct stat st;
	unsigned char head[256];
	ssize_t n;
	int fd, rc;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "'%s': %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK)) {
		snprintf(err, errlen, "'%s': not an executable file", path);
		return -EACCES;
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		snprintf(err, errlen, "'%s': set-user-ID or set-group-ID, the loader ignores LD_PRELOAD",
			 path);
		return -EPERM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "'%s': %s", path, strerror(errno));
		return -errno;
	}
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n < 0)
		n = 0;
	head[n] = 0;
	if (n >= 4 && !memcmp(head, ELFMAG, SELFMAG)) {
		rc = elf_has_interp(fd);
		if (rc > 0 && needs_sanitizer(fd)) {
			close(fd);
			snprintf(err, errlen, "'%s': built with a sanitizer, whose runtime owns malloc", path);
			return -ENOTSUP;
		}
		close(fd);
		if (rc == 0) {
			snprintf(err, errlen, "'%s': statically linked, LD_PRELOAD cannot reach its malloc",
				 path);
			return -ENOEXEC;
		}
		return 0;	/* dynamic, or an ELF we cannot read: let exec decide */
	}
	close(fd);
	if (n > 2 && head[0] == '#' && head[1] == '!' && depth < 4) {
		/* a script: check its interpreter */
		char interp[256];
		size_t i = 2, j = 0;

		while (head[i] == ' ' || head[i] == '\t')
			i++;
		while (head[i] && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && j < sizeof(interp) - 1)
			interp[j++] = (char)head[i++];
		interp[j] = 0;
		if (j)
			return check_file(interp, depth + 1, err, errlen);
	}
	return 0;
}

int memrec_check_target(const char *cmd, char *path, size_t pathlen, char *err, size_t errlen)
{
	if (find_in_path(cmd, path, pathlen)) {
		snprintf(err, errlen, "'%s': command not found", cmd);
		return -ENOENT;
	}
	return check_file(path, 0, err, errlen);
}

int memrec_find_agent(char *path, size_t len)
{
	return agent_find("mem", "libpinch-mem.so", "PINCH_MEM_AGENT", path, len);
}

int agent_find(const char *dir, const char *file, const char *env_name, char *path, size_t len)
{
	static const char *const rel[] = {
		"src/agent/%s/%s",	/* build tree: pinch is at the top */
		"../lib/pinch/%.0s%s",
		"../lib/x86_64-linux-gnu/pinch/%.0s%s",
		"../lib64/pinch/%.0s%s",
	};
	const char *env = getenv(env_name);
	char exe[4096], *slash;
	ssize_t n;
	size_t i;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return access(path, R_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = 0;
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char tmp[4600], sub[400];

		snprintf(sub, sizeof(sub), rel[i], dir, file);
		snprintf(tmp, sizeof(tmp), "%s/%s", exe, sub);
		if (access(tmp, R_OK) == 0 && realpath(tmp, path) && strlen(path) < len)
			return 0;
	}
	return -ENOENT;
}

/* ---- running the command --------------------------------------------- */

/* The one piece of state a signal handler needs: whom to pass SIGTERM to. */
static volatile pid_t forward_pid;

static void forward_signal(int sig)
{
	if (forward_pid > 0)
		kill(forward_pid, sig);
}

static uint64_t read_statm_rss(int fd)
{
	char buf[128];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	unsigned long size, res;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%lu %lu", &size, &res) != 2)
		return 0;
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

int agent_start(struct agent_child *c, char **argv, const char *agent, const char *const *env,
		char *err, size_t errlen)
{
	struct strbuf pre = STRBUF_INIT;
	const char *old = getenv("LD_PRELOAD");
	struct sigaction ign, fwd;
	int pfd[2], child_errno = 0;
	pid_t parent = getpid();
	ssize_t n;

	strbuf_addstr(&pre, agent);
	if (old && *old)
		strbuf_addf(&pre, ":%s", old);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		int e = errno;

		snprintf(err, errlen, "pipe: %s", strerror(e));
		strbuf_release(&pre);
		return -e;
	}
	c->pid = fork();
	if (c->pid < 0) {
		int e = errno;

		snprintf(err, errlen, "fork: %s", strerror(e));
		close(pfd[0]);
		close(pfd[1]);
		strbuf_release(&pre);
		return -e;
	}
	if (c->pid == 0) {
		int e;

		/* If pinch is killed (kill -9), the target goes too: an orphan
		 * would go on writing agent files nobody reads. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		setenv("LD_PRELOAD", pre.buf, 1);
		for (size_t i = 0; env && env[i]; i += 2) {
			const char *name = env[i] + (env[i][0] == '?');

			if (!env[i + 1])
				unsetenv(name);
			else
				setenv(name, env[i + 1], env[i][0] != '?');
		}
		execv(argv[0], argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	strbuf_release(&pre);
	n = read(pfd[0], &child_errno, sizeof(child_errno));
	close(pfd[0]);
	if (n == (ssize_t)sizeof(child_errno) && child_errno) {
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(err, errlen, "cannot run '%s': %s", argv[0], strerror(child_errno));
		return -child_errno;
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	memset(&fwd, 0, sizeof(fwd));
	fwd.sa_handler = forward_signal;
	forward_pid = c->pid;
	sigaction(SIGINT, &ign, &c->old_int);
	sigaction(SIGQUIT, &ign, &c->old_quit);
	sigaction(SIGTERM, &fwd, &c->old_term);
	sigaction(SIGHUP, &fwd, &c->old_hup);
	return 0;
}

void agent_end(struct agent_child *c)
{
	forward_pid = 0;
	sigaction(SIGINT, &c->old_int, NULL);
	sigaction(SIGQUIT, &c->old_quit, NULL);
	sigaction(SIGTERM, &c->old_term, NULL);
	sigaction(SIGHUP, &c->old_hup, NULL);
}

int memrec_run(const struct memrec_opts *o, struct memrec_result *res, char *err, size_t errlen)
{
	struct strbuf opts = STRBUF_INIT;
	struct agent_child c;
	int status = 0, statm = -1, rc;
	size_t rss_cap = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	strbuf_addf(&opts, "mmap=%d,unwind=%s,signal=%d,interval_us=%llu,depth=%d,leaks=%d", o->mmap ? 1 : 0,
		    o->unwind_fp ? "fp" : "cfi",
		    o->snapshot_signal,
		    (unsigned long long)((o->interval_ns ? o->interval_ns : 10000000) / 1000),
		    o->depth ? o->depth : MEMW_MAX_DEPTH, o->no_leak_scan ? 0 : 1);
	{
		/* Python: every object through malloc, so the agent sees
		 * pymalloc's small objects too (unless the user chose an
		 * allocator: '?' keeps a value already set). */
		const char *env[] = { MEMW_ENV_DIR, o->dir, MEMW_ENV_OPTS, opts.buf,
				      "?PYTHONMALLOC", "malloc", NULL };

		res->start_mono_ns = clock_mono_ns();
		rc = agent_start(&c, o->argv, o->agent, env, err, errlen);
	}
	strbuf_release(&opts);
	if (rc)
		return rc;
	pid = c.pid;
	res->pid = (uint32_t)pid;

	{
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d/statm", (int)pid);
		statm = open(p, O_RDONLY | O_CLOEXEC);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
		if (statm >= 0) {
			uint64_t rss = read_statm_rss(statm);

			/* keep a sample when RSS moved by 10 %, or by 1 % (and
			 * 64 KiB) after 100 ms: a steady run stays a few records,
			 * the agent's timeline has the fine grain */
			uint64_t last = res->n_rss ? res->rss[res->n_rss - 1].rss : 0;
			uint64_t lt = res->n_rss ? res->rss[res->n_rss - 1].time_ns : 0;
			uint64_t d = rss > last ? rss - last : last - rss, now = clock_mono_ns();

			if (rss && (d >= last / 10 ||
				    (d >= last / 100 && d >= 65536 && now - lt >= 100000000))) {
				if (res->n_rss == rss_cap) {
					size_t nc = rss_cap ? rss_cap * 2 : 256;
					void *nr = realloc(res->rss, nc * sizeof(*res->rss));

					if (nr) {
						res->rss = nr;
						rss_cap = nc;
					}
				}
				if (res->n_rss < rss_cap) {
					res->rss[res->n_rss].time_ns = clock_mono_ns();
					res->rss[res->n_rss].rss = rss;
					res->n_rss++;
				}
			}
		}
		clock_sleep_ns(o->interval_ns ? o->interval_ns : 10000000, NULL);
	}
	res->end_mono_ns = clock_mono_ns();
	if (statm >= 0)
		close(statm);
	agent_end(&c);
	if (WIFEXITED(status)) {
		res->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->term_signal = WTERMSIG(status);
	}
	return 0;
}

void memrec_result_release(struct memrec_result *res)
{
	free(res->rss);
	res->rss = NULL;
	res->n_rss = 0;
}

/* ---- turning the agent's files into a recording ----------------------- */

struct image {
	char stream[4200], stats[4200];
	uint32_t pid, seq;
	uint64_t start;
};

static int image_cmp(const void *a, const void *b)
{
	const struct image *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct mapped {
	unsigned char *data;
	size_t size;
};

static int map_file(const char *path, struct mapped *m)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	m->data = NULL;
	m->size = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return -ENODATA;
	}
	m->data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m->data == MAP_FAILED) {
		m->data = NULL;
		return -errno;
	}
	m->size = (size_t)st.st_size;
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->data)
		munmap(m->data, m->size);
	m->data = NULL;
}

/* /proc/PID/maps text -> REC_MMAP records for the executable mappings. */
int agent_write_maps(struct rec_writer *w, struct buildid_cache *ids, uint32_t pid, uint64_t t,
		     const char *text, size_t len, const char *agent)
{
	struct procmaps maps = PROCMAPS_INIT;
	size_t i;
	int rc = procmaps_parse(&maps, text, len, 1, NULL);

	for (i = 0; i < maps.n && !rc; i++) {
		const struct procmap *pm = &maps.v[i];
		const char *path = pm->path[0] ? pm->path : "//anon";
		const char *base = strrchr(path, '/');
		struct rec_mmap m;
		int n;

		/* no allocation stack has frames in the agent or the vDSO */
		if (!strcmp(path, "[vdso]") || (base && !strcmp(base + 1, agent)))
			continue;

		memset(&m, 0, sizeof(m));
		m.pid = pid;
		m.prot = pm->prot;
		m.start = pm->start;
		m.len = pm->end - pm->start;
		m.pgoff = pm->pgoff;
		m.time_ns = t;
		n = buildid_cache_get(ids, path, m.build_id);
		m.build_id_len = n > 0 ? (uint8_t)n : 0;
		rc = rec_writer_add(w, REC_MMAP, &m, sizeof(m), path, strlen(path) + 1, NULL, 0);
	}
	procmaps_release(&maps);
	return rc;
}

static int write_image(const struct image *im, int execed, const struct memrec_result *res,
		       int last_of_root, struct buildid_cache *ids, struct rec_writer *w)
{
	struct mapped s, t;
	const struct memw_stream_hdr *sh;
	const struct memw_stats_hdr *st;
	const struct memw_site_live *sites;
	struct memw_summary sum;
	size_t off, max_sites;
	uint32_t i, n_stacks;
	uint64_t first_point = 0, last_point = 0;
	int rc = 0, have_proc = 0;

	if (map_file(im->stream, &s))
		return 0;
	if (s.size < sizeof(*sh) || memcmp(s.data, MEMW_STREAM_MAGIC, 8)) {
		unmap_file(&s);
		return 0;
	}
	sh = (const struct memw_stream_hdr *)s.data;
	if (map_file(im->stats, &t) || t.size < sizeof(*st) || memcmp(t.data, MEMW_STATS_MAGIC, 8)) {
		unmap_file(&s);
		unmap_file(&t);
		return 0;
	}
	st = (const struct memw_stats_hdr *)t.data;
	sites = (const struct memw_site_live *)(st + 1);
	max_sites = (t.size - sizeof(*st)) / sizeof(*sites);
	n_stacks = st->n_stacks < max_sites ? st->n_stacks : (uint32_t)max_sites;

	for (off = sh->header_size; off + 8 <= s.size && !rc;) {
		uint32_t type, size;
		const unsigned char *pl;

		memcpy(&type, s.data + off, 4);
		memcpy(&size, s.data + off + 4, 4);
		if (!type || size > s.size - off - 8)
			break;
		pl = s.data + off + 8;
		if (type == MEMW_PROC && size >= sizeof(struct memw_proc)) {
			struct memw_proc p;
			const char *exe = (const char *)pl + sizeof(p), *base;
			size_t elen = strnlen(exe, size - sizeof(p));
			struct rec_comm c;
			char name[256];

			memcpy(&p, pl, sizeof(p));
			p.flags = st->flags | (execed ? MEMW_F_EXECED : 0) | (res->salvaged ? MEMW_F_SALVAGED : 0);
			rc = rec_writer_add(w, MEMW_PROC, &p, sizeof(p), exe, elen, "", 1);
			base = memrchr(exe, '/', elen);
			base = base ? base + 1 : exe;
			snprintf(name, sizeof(name), "%.*s", (int)(elen - (size_t)(base - exe)), base);
			memset(&c, 0, sizeof(c));
			c.pid = c.tid = p.pid;
			c.time_ns = p.start_mono_ns;
			if (!rc)
				rc = rec_writer_add(w, REC_COMM, &c, sizeof(c), name, strlen(name) + 1, NULL, 0);
			have_proc = 1;
		} else if (!have_proc) {
			/* records before the process record cannot be placed */
		} else if (type == MEMW_MAPS) {
			rc = agent_write_maps(w, ids, st->pid, st->start_mono_ns, (const char *)pl, size,
					      "libpinch-mem.so");
		} else if (type >= 32 && type < 64) {
			rc = rec_writer_add(w, type, pl, size, NULL, 0, NULL, 0);
			if (type == MEMW_POINT && size >= sizeof(struct memw_point)) {
				uint64_t t;

				memcpy(&t, pl, sizeof(t));
				if (!first_point)
					first_point = t;
				last_point = t;
			}
		}
		off += 8 + (((size_t)size + 7) & ~(size_t)7);
	}
	if (!have_proc) {
		unmap_file(&s);
		unmap_file(&t);
		return 0;
	}
	for (i = 0; i < n_stacks && !rc; i++) {
		const struct memw_site_live *l = &sites[i];
		struct memw_site site;

		if (!l->alloc_calls && !l->live_blocks && !l->free_calls)
			continue;
		memset(&site, 0, sizeof(site));
		site.stack = i;
		site.alloc_bytes = l->alloc_bytes;
		site.alloc_calls = l->alloc_calls;
		site.free_calls = l->free_calls;
		site.temp_calls = l->temp_calls;
		site.live_bytes = l->live_bytes;
		site.live_blocks = l->live_blocks;
		/* high-water mark: a site untouched since the peak still holds its peak value */
		if (l->last_seq <= st->peak_seq) {
			site.peak_bytes = l->live_bytes;
			site.peak_blocks = l->live_blocks;
		} else {
			site.peak_bytes = l->peak_bytes;
			site.peak_blocks = l->peak_blocks;
		}
		rc = rec_writer_add(w, MEMW_SITE, &site, sizeof(site), NULL, 0, NULL, 0);
	}
	/* the timeline bucket still open when the process ended */
	if (!rc && st->alloc_calls + st->free_calls) {
		struct memw_point pt = {
			.time_ns = st->bucket_start_ns, .heap_max = st->bucket_max,
			.heap_end = st->live_bytes, .rss = 0,
		};

		rc = rec_writer_add(w, MEMW_POINT, &pt, sizeof(pt), NULL, 0, NULL, 0);
	}
	memset(&sum, 0, sizeof(sum));
	sum.pid = st->pid;
	sum.ppid = st->ppid;
	sum.flags = st->flags | (execed ? MEMW_F_EXECED : 0) | (res->salvaged ? MEMW_F_SALVAGED : 0);
	sum.exit_status = -1;
	if (last_of_root) {
		sum.exit_status = res->exit_status;
		sum.term_signal = res->term_signal;
	}
	sum.n_stacks = n_stacks;
	sum.start_mono_ns = st->start_mono_ns;
	sum.end_mono_ns = st->end_mono_ns ? st->end_mono_ns :
		(last_of_root && res->end_mono_ns ? res->end_mono_ns : st->last_time_ns);
	sum.alloc_calls = st->alloc_calls;
	sum.alloc_bytes = st->alloc_bytes;
	sum.free_calls = st->free_calls;
	sum.live_bytes = st->live_bytes;
	sum.live_blocks = st->live_blocks;
	sum.peak_bytes = st->peak_bytes;
	sum.peak_blocks = st->peak_blocks;
	sum.peak_time_ns = st->peak_time_ns;
	sum.temp_calls = st->temp_calls;
	sum.temp_bytes = st->temp_bytes;
	sum.unknown_frees = st->unknown_frees;
	sum.rss_max = st->rss_max;
	sum.snapshots = st->snapshots;
	sum.dropped = st->dropped;
	if (last_of_root) {
		size_t k;

		for (k = 0; k < res->n_rss; k++)
			if (res->rss[k].rss > sum.rss_max)
				sum.rss_max = res->rss[k].rss;
	}
	if (!rc)
		rc = rec_writer_add(w, MEMW_SUMMARY, &sum, sizeof(sum), NULL, 0, NULL, 0);
	if (!rc && last_of_root) {
		size_t k;

		for (k = 0; k < res->n_rss && !rc; k++) {
			struct memw_rss r = { .pid = res->pid, .time_ns = res->rss[k].time_ns,
					      .rss = res->rss[k].rss };

			/* while the agent's timeline runs its points carry RSS; the
			 * outside samples matter before, after and in quiet spans
			 * (kept: the largest, and one per 100 ms) */
			if (first_point && r.time_ns >= first_point && r.time_ns <= last_point &&
			    r.rss != sum.rss_max && k && r.time_ns - res->rss[k - 1].time_ns < 100000000)
				continue;
			rc = rec_writer_add(w, MEMW_RSS, &r, sizeof(r), NULL, 0, NULL, 0);
		}
	}
	unmap_file(&s);
	unmap_file(&t);
	return rc ? rc : 1;
}

int memrec_write(const char *dir, const struct memrec_result *res, struct rec_writer *w,
		 char *err, size_t errlen)
{
	struct image *im = NULL;
	struct buildid_cache *ids = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0, images = 0;

	if (!d) {
		snprintf(err, errlen, "'%s': %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		unsigned pid, seq;
		char tail[16];
		struct mapped s;

		if (sscanf(de->d_name, "%u-%u.%15s", &pid, &seq, tail) != 3 || strcmp(tail, "stream"))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct image *ni = realloc(im, nc * sizeof(*im));

			if (!ni) {
				rc = -ENOMEM;
				break;
			}
			im = ni;
			cap = nc;
		}
		memset(&im[n], 0, sizeof(im[n]));
		snprintf(im[n].stream, sizeof(im[n].stream), "%s/%u-%u.stream", dir, pid, seq);
		snprintf(im[n].stats, sizeof(im[n].stats), "%s/%u-%u.stats", dir, pid, seq);
		im[n].pid = pid;
		im[n].seq = seq;
		if (map_file(im[n].stream, &s) == 0) {
			if (s.size >= sizeof(struct memw_stream_hdr))
				im[n].start = ((const struct memw_stream_hdr *)s.data)->start_mono_ns;
			unmap_file(&s);
		}
		n++;
	}
	closedir(d);
	if (rc) {
		free(im);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if (n)
		qsort(im, n, sizeof(*im), image_cmp);
	ids = buildid_cache_new();
	rc = ids ? rec_writer_meta(w, "mode", "preload") : -ENOMEM;
	for (i = 0; i < n && rc >= 0; i++) {
		size_t j;
		int execed = 0, last_of_root;

		for (j = 0; j < n; j++)
			if (im[j].pid == im[i].pid && im[j].seq > im[i].seq)
				execed = 1;
		last_of_root = im[i].pid == res->pid && !execed;
		rc = write_image(&im[i], execed, res, last_of_root, ids, w);
		if (rc > 0) {
			images++;
			rc = 0;
		}
	}
	free(im);
	buildid_cache_free(ids);
	if (rc < 0) {
		snprintf(err, errlen, "writing the recording: %s", strerror(-rc));
		return rc;
	}
	{
		struct rec_finish f = {
			.end_mono_ns = res->end_mono_ns,
			.exit_status = res->exit_status,
			.term_signal = res->term_signal,
			.samples = (uint64_t)images,
		};

		rc = rec_writer_add(w, REC_FINISH, &f, sizeof(f), NULL, 0, NULL, 0);
	}
	if (rc < 0) {
		snprintf(err, errlen, "writing the recording: %s", strerror(-rc));
		return rc;
	}
	if (!images) {
		snprintf(err, errlen, "the agent recorded nothing");
		return -ENODATA;
	}
	return images;
}

int memrec_salvage(const char *path, char *err, size_t errlen)
{
	struct rec_reader *r;
	struct rec_writer *w = NULL;
	struct memrec_result res;
	struct strbuf dir = STRBUF_INIT, command = STRBUF_INIT, tmp = STRBUF_INIT;
	struct rec rec;
	struct stat st;
	int finished = 0, rc, images;

	if (rec_reader_open(&r, path, err, errlen))
		return 0;	/* the report says why it cannot read it */
	if (rec_reader_header(r)->kind != REC_KIND_MEM) {
		rec_reader_close(r);
		return 0;
	}
	while (rec_reader_next(r, &rec) == 1) {
		if (rec.type == REC_FINISH) {
			finished = 1;
		} else if (rec.type == REC_META) {
			const char *k = rec.data;
			size_t kl = strnlen(k, rec.size);

			if (kl + 1 >= rec.size)
				continue;
			if (!strcmp(k, MEMREC_META_DIR)) {
				strbuf_reset(&dir);
				strbuf_add(&dir, k + kl + 1, strnlen(k + kl + 1, rec.size - kl - 1));
			} else if (!strcmp(k, "command")) {
				strbuf_reset(&command);
				strbuf_add(&command, k + kl + 1, strnlen(k + kl + 1, rec.size - kl - 1));
			}
		}
	}
	rec_reader_close(r);
	rc = 0;
	if (finished || !dir.len || stat(dir.buf, &st) || !S_ISDIR(st.st_mode))
		goto out;
	memset(&res, 0, sizeof(res));
	res.exit_status = -1;
	res.salvaged = 1;
	strbuf_addf(&tmp, "%s.salvage-%d", path, (int)getpid());
	rc = rec_writer_open(&w, tmp.buf, REC_KIND_MEM);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", tmp.buf, strerror(-rc));
		goto out;
	}
	if (command.len)
		rec_writer_meta(w, "command", command.buf);
	rec_writer_meta(w, MEMREC_META_SALVAGED, "pinch was killed while the program ran");
	images = memrec_write(dir.buf, &res, w, err, errlen);
	rc = rec_writer_close(w);
	if (images < 0 || rc) {
		if (images >= 0)
			snprintf(err, errlen, "writing '%s': %s", tmp.buf, strerror(-rc));
		unlink(tmp.buf);
		rc = images < 0 ? images : rc;
		goto out;
	}
	if (rename(tmp.buf, path)) {
		rc = -errno;
		snprintf(err, errlen, "cannot replace '%s': %s", path, strerror(errno));
		unlink(tmp.buf);
		goto out;
	}
	memrec_cleanup(dir.buf);
	rc = 1;
out:
	strbuf_release(&dir);
	strbuf_release(&command);
	strbuf_release(&tmp);
	return rc;
}

void memrec_cleanup(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			char p[4400];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}
