/*
 * symbols.c - address spaces and symbolization (model layer, report
 * side): REC_MMAP records -> per-process maps -> libdwfl modules at their
 * load bias -> function names (.symtab/.dynsym), DWARF file:line and the
 * inline chain. Used by cpuprof.c and unwind.c.
 */
#include "symbols.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/hmap.h"
#include "../core/strbuf.h"
#include "profile.h"
#include "recfile.h"
#include "../core/array.h"
#include "../core/banned.h"

/* libstdc++'s demangler (the Itanium C++ ABI entry point). */
/* libstdc++'s demangler, loaded the first time a C++ name is seen: a C
 * program's profile (and every pinch command's start-up, 0.4 ms of
 * libstdc++'s initialisation) does without it. */
typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);
static demangle_fn cxa_demangle;
static pthread_once_t cxa_once = PTHREAD_ONCE_INIT;

static void cxa_load(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

	if (h)
		cxa_demangle = (demangle_fn)(uintptr_t)dlsym(h, "__cxa_demangle");
}

#define MAX_SEGS 16
#define MAX_INLINE 32

enum file_state { FILE_UNCHECKED = 0, FILE_OK = 1, FILE_BAD = -1 };

/* One file on disk, shared by every address space that maps it. */
struct sym_file {
	const char *path;	/* as recorded (interned) */
	const char *open_path;	/* what we open: " (deleted)" stripped, vdso dump */
	const char *base;	/* module name shown */
	int state;
	int is_elf_exec;	/* ET_EXEC: link addresses are absolute */
	int nseg;
	struct { uint64_t vaddr, offset, filesz; } seg[MAX_SEGS];
	uint8_t build_id[20];
	uint8_t build_id_len;
	uint8_t anon;		/* not a file: [heap], //anon, [stack]... */
	uint8_t mismatch_warned;
	uint8_t aliases_built;
	int8_t source;		/* its sources are on this machine: 1 yes, -1 no, 0 not known yet */
	/* Function start (relative to the module) -> the name shown for it,
	 * chosen once among the aliases at that address (sorted by start). */
	struct sym_alias *aliases;
	size_t naliases;
	/* Its compile units' address ranges, sorted, when it has DWARF but
	 * no .debug_aranges (cu_by_ranges): built once. */
	struct cu_range *cu_ranges;
	size_t ncu_ranges, acu_ranges;
	uint8_t cu_ranges_built;
};

struct cu_range {
	uint64_t lo, hi;	/* DWARF addresses, [lo, hi) */
	uint64_t die;		/* the unit DIE's offset */
};

struct sym_alias {
	uint64_t start;
	const char *name;	/* interned: outlives the Dwfl it came from */
	int rank;
};

struct sym_map {
	uint64_t start, end, pgoff;
	uint32_t file;
	uint8_t build_id_len;
	uint8_t build_id[20];
};

struct sym_space {
	uint32_t id;
	int refs;
	struct sym_map *maps;	/* sorted by start, non-overlapping */
	size_t n, alloc;
	Dwfl *dwfl;
	int dirty;		/* maps changed since the modules were reported */
	int has_modules;
	void *unwind;		/* owned by unwind.c */
	uint64_t dwfl_gen;	/* bumped for each new Dwfl (unwind.c re-attaches) */
	int dwfl_attached;	/* unwind.c attached a thread state to dwfl */
	int reported;		/* dwfl has had a report (and maybe lookups) */
	void (*unwind_free)(void *);
};

struct sym_pid {
	uint32_t pid;
	struct sym_space *sp;
};

struct sym_res {
	uint32_t space;
	uint64_t addr;
	uint32_t first, n;	/* frames */
};

struct str_chunk {
	struct str_chunk *next;
	size_t used, size;
	char data[];
};

struct symbolizer {
	/* interned strings with stable pointers */
	struct str_chunk *chunks;
	const char **strs;
	size_t nstrs, astrs;
	struct hmap str_idx;

	struct sym_file *files;
	size_t nfiles, afiles;
	struct hmap file_idx;

	struct sym_pid *pids;
	size_t npids, apids;
	struct hmap pid_idx;
	uint32_t next_space_id;

	struct sym_res *res;
	size_t nres, ares;
	struct hmap res_idx;
	struct sym_frame *frames;
	size_t nframes, aframes;

	char **warnings;
	size_t nwarn, awarn;

	char vdso_path[64];	/* our own vdso, dumped for libdwfl */
	int vdso_state;
};

static char *debuginfo_path;
static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};


/* ---- strings -------------------------------------------------------------- */

struct strkey {
	const char *s;
	size_t len;
};

static int str_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct symbolizer *s = ctx;
	const struct strkey *k = key;

	return !strncmp(s->strs[id], k->s, k->len) && s->strs[id][k->len] == '\0';
}

static const char *intern_n(struct symbolizer *s, const char *str, size_t len)
{
	struct strkey k = { str, len };
	uint64_t h = hash_bytes(str, len, 0x5157);
	uint32_t id = hmap_find(&s->str_idx, h, &k, str_eq, s);
	struct str_chunk *c = s->chunks;
	char *p;

	if (id != UINT32_MAX)
		return s->strs[id];
	if (!c || c->size - c->used < len + 1) {
		size_t sz = len + 1 > 65536 ? len + 1 : 65536;

		c = malloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = s->chunks;
		s->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, str, len);
	p[len] = '\0';
	c->used += len + 1;
	if (ARRAY_GROW(s->strs, s->astrs, s->nstrs + 1) ||
	    hmap_insert(&s->str_idx, h, (uint32_t)s->nstrs))
		return NULL;
	s->strs[s->nstrs++] = p;
	return p;
}

static const char *intern(struct symbolizer *s, const char *str)
{
	return intern_n(s, str, strlen(str));
}

static void warnf(struct symbolizer *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct symbolizer *s, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < s->nwarn; i++)
		if (!strcmp(s->warnings[i], sb.buf)) {
			strbuf_release(&sb);
			return;
		}
	if (ARRAY_GROW(s->warnings, s->awarn, s->nwarn + 1)) {
		strbuf_release(&sb);
		return;
	}
	s->warnings[s->nwarn++] = strbuf_detach(&sb, NULL);
}

size_t sym_n_warnings(const struct symbolizer *s) { return s->nwarn; }
const char *sym_warning(const struct symbolizer *s, size_t i) { return i < s->nwarn ? s->warnings[i] : NULL; }

int sym_demangle(const char *name, struct strbuf *out)
{
	char *d;
	int status = -1;

	if (!name || name[0] != '_' || name[1] != 'Z')
		return -EINVAL;
	pthread_once(&cxa_once, cxa_load);
	if (!cxa_demangle)
		return -ENOSYS;
	d = cxa_demangle(name, NULL, NULL, &status);
	if (!d || status != 0) {
		free(d);
		return -EINVAL;
	}
	strbuf_addstr(out, d);
	free(d);
	return 0;
}

/* A function name as shown: without a symbol version ("@@GLIBC_2.34"),
 * demangled when mangled, interned. */
static const char *intern_func(struct symbolizer *s, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const char *r, *at = strchr(name, '@');

	if (at && at != name) {
		strbuf_add(&sb, name, (size_t)(at - name));
		r = intern_func(s, sb.buf);
		strbuf_release(&sb);
		return r;
	}
	if (sym_demangle(name, &sb) == 0) {
		r = intern(s, sb.buf);
		strbuf_release(&sb);
		return r;
	}
	return intern(s, name);
}

/* ---- lifecycle ------------------------------------------------------------- */

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	elf_version(EV_CURRENT);
	hmap_init(&s->str_idx);
	hmap_init(&s->file_idx);
	hmap_init(&s->pid_idx);
	hmap_init(&s->res_idx);
	s->next_space_id = 1;
	return s;
}

static void space_unref(struct sym_space *sp)
{
	if (!sp || --sp->refs > 0)
		return;
	if (sp->unwind_free && sp->unwind)
		sp->unwind_free(sp->unwind);
	if (sp->dwfl)
		dwfl_end(sp->dwfl);
	free(sp->maps);
	free(sp);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npids; i++)
		space_unref(s->pids[i].sp);
	while (s->chunks) {
		struct str_chunk *c = s->chunks;

		s->chunks = c->next;
		free(c);
	}
	for (size_t i = 0; i < s->nwarn; i++)
		free(s->warnings[i]);
	if (s->vdso_path[0])
		unlink(s->vdso_path);
	free(s->warnings);
	free(s->strs);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].aliases);
		free(s->files[i].cu_ranges);
	}
	free(s->files);
	free(s->pids);
	free(s->res);
	free(s->frames);
	hmap_release(&s->str_idx);
	hmap_release(&s->file_idx);
	hmap_release(&s->pid_idx);
	hmap_release(&s->res_idx);
	free(s);
}

/* ---- files ------------------------------------------------------------------ */

static int file_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct symbolizer *s = ctx;

	return s->files[id].path == key;	/* interned: pointer equality */
}

static const char *basename_of(const char *p)
{
	const char *b = strrchr(p, '/');

	return b && b[1] ? b + 1 : p;
}

static uint32_t file_get(struct symbolizer *s, const char *path)
{
	const char *ip = intern(s, path);
	uint64_t h;
	uint32_t id;
	struct sym_file *f;

	if (!ip)
		return UINT32_MAX;
	h = hash_mix((uint64_t)(uintptr_t)ip);
	id = hmap_find(&s->file_idx, h, ip, file_eq, s);
	if (id != UINT32_MAX)
		return id;
	if (ARRAY_GROW(s->files, s->afiles, s->nfiles + 1) ||
	    hmap_insert(&s->file_idx, h, (uint32_t)s->nfiles))
		return UINT32_MAX;
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = ip;
	/* Only regular files hold code worth opening: /dev, /proc and /sys
	 * entries (a recording may name anything) are never read. */
	if (path[0] == '[' || !strncmp(path, "//anon", 6) || path[0] == '\0' ||
	    !strncmp(path, "/memfd:", 7) || !strncmp(path, "/dev/", 5) ||
	    !strncmp(path, "/proc/", 6) || !strncmp(path, "/sys/", 5)) {
		f->anon = strcmp(path, "[vdso]") != 0;
		f->base = intern(s, path[0] ? path : "[anon]");
		if (!strncmp(path, "//anon", 6))
			f->base = intern(s, "[anon]");
	} else {
		size_t len = strlen(path);
		static const char del[] = " (deleted)";

		if (len > sizeof(del) - 1 && !strcmp(path + len - (sizeof(del) - 1), del))
			len -= sizeof(del) - 1;
		f->open_path = intern_n(s, path, len);
		f->base = intern(s, basename_of(f->open_path));
	}
	return (uint32_t)s->nfiles++;
}

/* Dumps our own vdso into a temporary file so libdwfl can read it like any
 * other module (the recorded one is the same image: same kernel). */
static const char *vdso_file(struct symbolizer *s)
{
	unsigned long base;
	FILE *maps;
	char line[512];
	uint64_t lo = 0, hi = 0;
	int fd;

	if (s->vdso_state)
		return s->vdso_state > 0 ? s->vdso_path : NULL;
	s->vdso_state = -1;
	base = getauxval(AT_SYSINFO_EHDR);
	if (!base)
		return NULL;
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return NULL;
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "[vdso]")) {
			if (sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) != 2)
				lo = hi = 0;
			break;
		}
	fclose(maps);
	if (lo != base || hi <= lo || hi - lo > (1u << 20))
		return NULL;
	snprintf(s->vdso_path, sizeof(s->vdso_path), "/tmp/pinch-vdso-XXXXXX");
	fd = mkstemp(s->vdso_path);
	if (fd < 0) {
		s->vdso_path[0] = '\0';
		return NULL;
	}
	if (write(fd, (const void *)base, hi - lo) != (ssize_t)(hi - lo)) {
		close(fd);
		unlink(s->vdso_path);
		s->vdso_path[0] = '\0';
		return NULL;
	}
	close(fd);
	s->vdso_state = 1;
	return s->vdso_path;
}

/* Opens the file once: PT_LOAD segments and build-id. */
static void file_check(struct symbolizer *s, struct sym_file *f, const struct sym_map *m)
{
	const char *path = f->open_path;
	GElf_Ehdr eh;
	size_t phnum;
	const void *bid = NULL;
	ssize_t bidlen;
	struct stat st;
	Elf *elf;
	int fd;

	if (f->state != FILE_UNCHECKED)
		return;
	f->state = FILE_BAD;
	if (f->anon)
		return;
	if (!path && !strcmp(f->path, "[vdso]")) {
		path = vdso_file(s);
		if (!path)
			return;
		f->open_path = intern(s, path);
	}
	if (!path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warnf(s, "cannot open '%s' (%s): its frames show as module+offset", path,
		      strerror(errno));
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		warnf(s, "'%s' is not a regular file: its frames show as module+offset", path);
		close(fd);
		return;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    elf_getphdrnum(elf, &phnum)) {
		warnf(s, "'%s' is not an ELF file: its frames show as module+offset", path);
		goto out;
	}
	for (size_t i = 0; i < phnum && f->nseg < MAX_SEGS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		f->seg[f->nseg].vaddr = ph.p_vaddr;
		f->seg[f->nseg].offset = ph.p_offset;
		f->seg[f->nseg].filesz = ph.p_filesz;
		f->nseg++;
	}
	f->is_elf_exec = eh.e_type == ET_EXEC;
	bidlen = dwelf_elf_gnu_build_id(elf, &bid);
	if (bidlen > 0 && bid) {
		f->build_id_len = (uint8_t)(bidlen > 20 ? 20 : bidlen);
		memcpy(f->build_id, bid, f->build_id_len);
	}
	if (f->nseg == 0) {
		warnf(s, "'%s' has no loadable segments", path);
		goto out;
	}
	/* The recorded build-id must be this file's: otherwise the binary was
	 * rebuilt or replaced since the recording and its names would lie. */
	if (m->build_id_len && f->build_id_len &&
	    (m->build_id_len != f->build_id_len || memcmp(m->build_id, f->build_id, f->build_id_len))) {
		warnf(s, "'%s' changed since the recording (build-id differs): its frames show as module+offset",
		      path);
		goto out;
	}
	if (f->path != f->open_path && !m->build_id_len && strcmp(f->path, "[vdso]")) {
		warnf(s, "'%s' was deleted or replaced during the recording and no build-id was recorded: its frames show as module+offset",
		      f->open_path);
		goto out;
	}
	f->state = FILE_OK;
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

/* Load bias of a map: runtime address minus link-time address. */
static int map_bias(const struct sym_file *f, const struct sym_map *m, uint64_t *bias)
{
	if (f->is_elf_exec) {
		*bias = 0;
		return 0;
	}
	for (int i = 0; i < f->nseg; i++) {
		uint64_t lo = f->seg[i].offset & ~(uint64_t)0xfff;
		uint64_t hi = f->seg[i].offset + f->seg[i].filesz;

		if (m->pgoff >= lo && (m->pgoff < hi || (f->seg[i].filesz == 0 && m->pgoff == lo))) {
			*bias = m->start - m->pgoff - (f->seg[i].vaddr - f->seg[i].offset);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- address spaces --------------------------------------------------------- */

static int pid_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct symbolizer *s = ctx;

	return s->pids[id].pid == *(const uint32_t *)key;
}

static struct sym_pid *pid_slot(struct symbolizer *s, uint32_t pid, int create)
{
	uint64_t h = hash_mix(pid + 1);
	uint32_t id = hmap_find(&s->pid_idx, h, &pid, pid_eq, s);

	if (id != UINT32_MAX)
		return &s->pids[id];
	if (!create)
		return NULL;
	if (ARRAY_GROW(s->pids, s->apids, s->npids + 1) ||
	    hmap_insert(&s->pid_idx, h, (uint32_t)s->npids))
		return NULL;
	s->pids[s->npids].pid = pid;
	s->pids[s->npids].sp = NULL;
	return &s->pids[s->npids++];
}

static struct sym_space *space_new(struct symbolizer *s)
{
	struct sym_space *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return NULL;
	sp->id = s->next_space_id++;
	sp->refs = 1;
	sp->dirty = 1;
	return sp;
}

/* The space of pid, private to it (copied if shared after a fork). */
static struct sym_space *space_own(struct symbolizer *s, uint32_t pid)
{
	struct sym_pid *p = pid_slot(s, pid, 1);
	struct sym_space *sp;

	if (!p)
		return NULL;
	if (p->sp && p->sp->refs == 1)
		return p->sp;
	sp = space_new(s);
	if (!sp)
		return NULL;
	if (p->sp) {
		if (p->sp->n && ARRAY_GROW(sp->maps, sp->alloc, p->sp->n)) {
			free(sp);
			return NULL;
		}
		if (p->sp->n)
			memcpy(sp->maps, p->sp->maps, p->sp->n * sizeof(*sp->maps));
		sp->n = p->sp->n;
		space_unref(p->sp);
	}
	p->sp = sp;
	return sp;
}

static int space_insert(struct sym_space *sp, const struct sym_map *nm)
{
	struct sym_map *out = NULL;
	size_t n = 0, alloc = 0, i;
	int placed = 0;

	/* Rebuild: maps entirely before/after stay, overlapped ones are trimmed. */
	if (ARRAY_GROW(out, alloc, sp->n + 3))
		return -ENOMEM;
	for (i = 0; i < sp->n; i++) {
		struct sym_map m = sp->maps[i];

		if (m.end <= nm->start || m.start >= nm->end) {
			if (!placed && m.start >= nm->end) {
				out[n++] = *nm;
				placed = 1;
			}
			if (ARRAY_GROW(out, alloc, n + 3))
				goto nomem;
			out[n++] = m;
			continue;
		}
		if (m.start < nm->start) {
			struct sym_map left = m;

			left.end = nm->start;
			out[n++] = left;
		}
		if (!placed) {
			out[n++] = *nm;
			placed = 1;
		}
		if (m.end > nm->end) {
			struct sym_map right = m;

			right.pgoff += nm->end - m.start;
			right.start = nm->end;
			if (ARRAY_GROW(out, alloc, n + 3))
				goto nomem;
			out[n++] = right;
		}
		if (ARRAY_GROW(out, alloc, n + 3))
			goto nomem;
	}
	if (!placed)
		out[n++] = *nm;
	free(sp->maps);
	sp->maps = out;
	sp->n = n;
	sp->alloc = alloc;
	sp->dirty = 1;
	return 0;
nomem:
	free(out);
	return -ENOMEM;
}

static int add_map(struct symbolizer *s, uint32_t pid, uint64_t start, uint64_t len,
		   uint64_t pgoff, const uint8_t *bid, uint8_t bidlen, const char *path)
{
	struct sym_space *sp;
	struct sym_map m;

	if (!len || start + len < start)
		return 0;
	memset(&m, 0, sizeof(m));
	m.start = start;
	m.end = start + len;
	m.pgoff = pgoff;
	m.file = file_get(s, path);
	if (m.file == UINT32_MAX)
		return -ENOMEM;
	if (bidlen > 20)
		bidlen = 20;
	m.build_id_len = bidlen;
	if (bidlen)
		memcpy(m.build_id, bid, bidlen);
	sp = space_own(s, pid);
	if (!sp)
		return -ENOMEM;
	return space_insert(sp, &m);
}

int symbolizer_mmap(struct symbolizer *s, const struct rec_mmap *m, const char *path)
{
	return add_map(s, m->pid, m->start, m->len, m->pgoff, m->build_id, m->build_id_len, path);
}

int symbolizer_fork(struct symbolizer *s, uint32_t pid, uint32_t ppid)
{
	struct sym_pid *parent, *child;

	if (pid == ppid)
		return 0;
	parent = pid_slot(s, ppid, 0);
	child = pid_slot(s, pid, 1);
	if (!child)
		return -ENOMEM;
	parent = pid_slot(s, ppid, 0);	/* the array may have moved */
	if (child->sp)
		space_unref(child->sp);
	child->sp = NULL;
	if (parent && parent->sp) {
		child->sp = parent->sp;
		child->sp->refs++;
	}
	return 0;
}

void symbolizer_exec(struct symbolizer *s, uint32_t pid)
{
	struct sym_pid *p = pid_slot(s, pid, 0);

	if (p && p->sp) {
		space_unref(p->sp);
		p->sp = NULL;
	}
}

int symbolizer_load_proc_maps(struct symbolizer *s, uint32_t pid)
{
	char path[64], line[4096];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t lo, hi, off;
		char perm[8];
		int name_at = 0;
		char *name;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", &lo, &hi,
			   perm, &off, &name_at) < 4 || !name_at)
			continue;
		if (perm[2] != 'x')
			continue;
		name = line + name_at;
		name[strcspn(name, "\n")] = '\0';
		rc = add_map(s, pid, lo, hi - lo, off, NULL, 0, name);
		if (rc)
			break;
	}
	fclose(f);
	return rc;
}

struct sym_space *symbolizer_space(struct symbolizer *s, uint32_t pid)
{
	struct sym_pid *p = pid_slot(s, pid, 0);

	return p ? p->sp : NULL;
}

uint32_t sym_space_id(const struct sym_space *sp) { return sp ? sp->id : 0; }

static const struct sym_map *space_find(const struct sym_space *sp, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!sp)
		return NULL;
	hi = sp->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sp->n && sp->maps[lo].start <= addr && addr < sp->maps[lo].end)
		return &sp->maps[lo];
	return NULL;
}

int sym_space_maps(const struct sym_space *sp, uint64_t addr)
{
	return space_find(sp, addr) != NULL;
}

/* Reports every usable file of the space to its Dwfl at its load bias. */
static Dwfl *space_dwfl(struct symbolizer *s, struct sym_space *sp)
{
	if (!sp)
		return NULL;
	if (!sp->dwfl) {
		sp->dwfl = dwfl_begin(&dwfl_callbacks);
		if (!sp->dwfl)
			return NULL;
		sp->dirty = 1;
	}
	if (!sp->dirty)
		return sp->has_modules ? sp->dwfl : NULL;
	if (sp->reported) {
		/* Every report starts from a fresh Dwfl. Reporting again into
		 * one that has already answered lookups is not safe: libdwfl
		 * keeps its address-lookup tables across dwfl_report_begin(),
		 * and after one lookup before a late mapping (a sample in ld.so
		 * before libc is mapped) the main executable could no longer
		 * be found. An unwinder attached to the old Dwfl also keeps
		 * pointers to its modules; unwind.c sees the new generation
		 * and attaches again. */
		dwfl_end(sp->dwfl);
		sp->dwfl_attached = 0;
		sp->dwfl_gen++;
		sp->dwfl = dwfl_begin(&dwfl_callbacks);
		if (!sp->dwfl)
			return NULL;
	}
	sp->reported = 1;
	sp->dirty = 0;
	sp->has_modules = 0;
	dwfl_report_begin(sp->dwfl);
	for (size_t i = 0; i < sp->n; i++) {
		const struct sym_map *m = &sp->maps[i];
		struct sym_file *f = &s->files[m->file];
		uint64_t bias;
		int dup = 0;

		file_check(s, f, m);
		if (f->state != FILE_OK || map_bias(f, m, &bias))
			continue;
		/* One module per (file, bias): the segments of a file share it. */
		for (size_t j = 0; j < i && !dup; j++) {
			uint64_t b2;

			dup = sp->maps[j].file == m->file && s->files[m->file].state == FILE_OK &&
			      !map_bias(f, &sp->maps[j], &b2) && b2 == bias;
		}
		if (dup)
			continue;
		if (dwfl_report_elf(sp->dwfl, f->base, f->open_path, -1, bias, true))
			sp->has_modules = 1;
	}
	dwfl_report_end(sp->dwfl, NULL, NULL);
	return sp->has_modules ? sp->dwfl : NULL;
}

void *sym_space_dwfl(struct symbolizer *s, struct sym_space *sp)
{
	return space_dwfl(s, sp);
}

uint64_t sym_space_dwfl_attached(struct sym_space *sp)
{
	sp->dwfl_attached = 1;
	return sp->dwfl_gen;
}

void **sym_space_unwind_slot(struct sym_space *sp, void (**free_fn)(void *))
{
	if (free_fn)
		sp->unwind_free = *free_fn;
	return &sp->unwind;
}

int sym_space_read(struct symbolizer *s, struct sym_space *sp, uint64_t addr, void *buf,
		   size_t len)
{
	const struct sym_map *m = space_find(sp, addr);
	struct sym_file *f;
	int fd;
	ssize_t n;

	if (!m || addr + len > m->end)
		return -EFAULT;
	f = &s->files[m->file];
	file_check(s, f, m);
	if (f->state != FILE_OK)
		return -EFAULT;
	fd = open(f->open_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EFAULT;
	n = pread(fd, buf, len, (off_t)(m->pgoff + (addr - m->start)));
	close(fd);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

/* ---- lookups --------------------------------------------------------------- */

struct reskey {
	uint32_t space;
	uint64_t addr;
};

static int res_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct symbolizer *s = ctx;
	const struct reskey *k = key;

	return s->res[id].space == k->space && s->res[id].addr == k->addr;
}

static int push_frame(struct symbolizer *s, const struct sym_frame *f)
{
	if (ARRAY_GROW(s->frames, s->aframes, s->nframes + 1))
		return -ENOMEM;
	s->frames[s->nframes++] = *f;
	return 0;
}

static void unknown_frame(struct symbolizer *s, const struct sym_map *m, uint64_t addr)
{
	struct sym_frame f;
	char buf[96];

	memset(&f, 0, sizeof(f));
	f.kind = LOC_UNKNOWN;
	if (m) {
		const struct sym_file *file = &s->files[m->file];

		f.module = file->base;
		if (file->anon)
			f.rel = addr;	/* no file: the address itself */
		else
			f.rel = addr - m->start + m->pgoff;
		snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, f.module, f.rel);
	} else {
		f.module = intern(s, "[unknown]");
		f.rel = addr;
		snprintf(buf, sizeof(buf), "[unknown]+0x%" PRIx64, addr);
	}
	f.function = intern(s, buf);
	push_frame(s, &f);
}

/* A source path from DWARF made absolute against the compilation
 * directory, with "." and ".." components folded, interned. */
static const char *intern_src(struct symbolizer *s, const char *comp_dir, const char *path)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	const char *p, *r;

	if (path[0] != '/' && comp_dir && comp_dir[0] == '/')
		strbuf_addf(&in, "%s/%s", comp_dir, path);
	else
		strbuf_addstr(&in, path);
	if (in.buf[0] != '/') {
		strbuf_release(&in);
		return intern(s, path);
	}
	for (p = in.buf; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len == 1 && p[0] == '.') {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out.buf, '/');

			strbuf_setlen(&out, slash ? (size_t)(slash - out.buf) : 0);
		} else {
			strbuf_addch(&out, '/');
			strbuf_add(&out, p, len);
		}
		p += len;
	}
	r = intern(s, out.len ? out.buf : "/");
	strbuf_release(&in);
	strbuf_release(&out);
	return r;
}

/* Name of a subprogram or inlined-subroutine DIE: the demangled linkage
 * name of a C++ function, else the DWARF name (a C linkage name is often an
 * internal alias such as glibc's __GI_ names, not what the source says). */
static const char *die_func_name(struct symbolizer *s, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		name = dwarf_formstring(&attr);
	if (name && strncmp(name, "_Z", 2))
		name = NULL;
	if (!name)
		name = dwarf_diename(die);
	return name ? intern_func(s, name) : NULL;
}

static int cu_range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * The compile unit around addr when libdw's lookup found none because the
 * module has no .debug_aranges (clang writes none unless -gdwarf-aranges;
 * elfutils 0.188 then does not look at the units' own ranges): a table of
 * each unit's DW_AT_low_pc/high_pc or DW_AT_ranges, built once per file.
 * Not for modules with .debug_aranges: there an address outside every
 * unit (crt code, PLT) is just that.
 */
static Dwarf_Die *cu_by_ranges(struct sym_file *sf, Dwfl_Module *mod, uint64_t addr,
			       Dwarf_Addr *bias, Dwarf_Die *out)
{
	Dwarf *dw = dwfl_module_getdwarf(mod, bias);
	size_t lo = 0, hi;
	uint64_t a;

	if (!dw)
		return NULL;
	if (!sf->cu_ranges_built) {
		Dwarf_Aranges *ar = NULL;
		size_t nar = 0, hsize;
		Dwarf_Off off = 0, next;

		sf->cu_ranges_built = 1;
		if (dwarf_getaranges(dw, &ar, &nar) == 0 && nar > 0)
			return NULL;
		while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
			Dwarf_Die die;
			Dwarf_Addr base, b, e;
			ptrdiff_t o = 0;

			if (dwarf_offdie(dw, off + hsize, &die))
				while ((o = dwarf_ranges(&die, o, &base, &b, &e)) > 0)
					if (e > b && !ARRAY_GROW(sf->cu_ranges, sf->acu_ranges, sf->ncu_ranges + 1))
						sf->cu_ranges[sf->ncu_ranges++] =
							(struct cu_range){ b, e, off + hsize };
			off = next;
		}
		if (sf->ncu_ranges)
			qsort(sf->cu_ranges, sf->ncu_ranges, sizeof(*sf->cu_ranges), cu_range_cmp);
	}
	/* the last range starting at or below the address */
	a = addr - *bias;
	hi = sf->ncu_ranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sf->cu_ranges[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || a >= sf->cu_ranges[lo - 1].hi)
		return NULL;
	return dwarf_offdie(dw, sf->cu_ranges[lo - 1].die, out);
}

/* The inline chain at addr: frames for each DW_TAG_inlined_subroutine
 * (innermost first), then the containing function. sym_name is the ELF
 * symbol's name for the outermost frame. */
static void resolve_dwarf(struct symbolizer *s, struct sym_file *sf, Dwfl_Module *mod,
			  uint64_t addr, uint64_t func_start, const char *sym_name,
			  const char *module, uint64_t rel)
{
	Dwarf_Addr cubias = 0;
	Dwarf_Die *cudie = dwfl_module_addrdie(mod, addr, &cubias);
	Dwarf_Die cubuf;
	Dwarf_Die *scopes = NULL;
	int nscopes = 0;
	struct sym_frame f;
	Dwfl_Line *line;
	const char *file = NULL;
	int lineno = 0;
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	const char *comp_dir = NULL;

	if (!cudie)
		cudie = cu_by_ranges(sf, mod, addr, &cubias, &cubuf);
	line = dwfl_module_getsrc(mod, addr);
	if (!line && cudie) {
		/* found by cu_by_ranges: libdwfl cannot find the line either */
		Dwarf_Line *dl = dwarf_getsrc_die(cudie, addr - cubias);
		Dwarf_Addr laddr = 0;
		Dwarf_Attribute attr;
		const char *src = dl ? dwarf_linesrc(dl, NULL, NULL) : NULL;

		if (src && !dwarf_lineaddr(dl, &laddr) && laddr + cubias >= func_start &&
		    !dwarf_lineno(dl, &lineno))
			file = intern_src(s, dwarf_attr(cudie, DW_AT_comp_dir, &attr) ?
					  dwarf_formstring(&attr) : NULL, src);
		else
			lineno = 0;
	}
	if (line) {
		Dwarf_Addr laddr = 0;
		const char *src = dwfl_lineinfo(line, &laddr, &lineno, NULL, NULL, NULL);

		/* libdwfl answers with the nearest row before addr even past the
		 * end of its CU: a row from before the function's start belongs
		 * to other code (crt1's _start, which has no line table, got
		 * the last row of the C++ CU before it). */
		if (laddr < func_start) {
			src = NULL;
			lineno = 0;
		}
		if (src)
			file = intern_src(s, dwfl_line_comp_dir(line), src);
	}
	if (file && !sf->source)
		sf->source = file[0] == '/' && access(file, R_OK) == 0 ? 1 : -1;
	if (cudie) {
		Dwarf_Attribute attr;

		if (dwarf_attr(cudie, DW_AT_comp_dir, &attr))
			comp_dir = dwarf_formstring(&attr);
		nscopes = dwarf_getscopes(cudie, addr - cubias, &scopes);
		if (nscopes < 0)
			nscopes = 0;
		if (nscopes > 0 && dwarf_tag(&scopes[0]) == DW_TAG_inlined_subroutine) {
			/* dwarf_getscopes() continues from an inline instance into
			 * its abstract origin's scopes, skipping the instances it
			 * is nested in (std::sort -> __sort -> ...): the concrete
			 * chain comes from the innermost instance's own parents,
			 * as eu-addr2line -i walks it. */
			Dwarf_Die *chain = NULL;
			int n = dwarf_getscopes_die(&scopes[0], &chain);

			if (n > 0) {
				free(scopes);
				scopes = chain;
				nscopes = n;
			} else {
				free(chain);
			}
		}
		if (dwarf_getsrcfiles(cudie, &files, &nfiles))
			files = NULL;
	}
	memset(&f, 0, sizeof(f));
	f.module = module;
	f.rel = rel;
	f.kind = LOC_NATIVE;
	f.file = file;
	f.line = lineno > 0 ? (uint32_t)lineno : 0;
	/* scopes[0] is innermost. Each inlined_subroutine yields a frame whose
	 * name is its callee; its call site gives the outer frame's line. */
	int emitted = 0;

	/* A library whose sources are not on this machine (glibc's inlined
	 * helpers such as libc_feholdsetround_sse_ctx) keeps its inlined code
	 * in the function that contains it, as perf names it: a frame nobody
	 * can read would only push the real function down the table. */
	for (int i = 0; sf->source >= 0 && i < nscopes && emitted < MAX_INLINE; i++) {
		Dwarf_Die *d = &scopes[i];
		Dwarf_Attribute attr;
		Dwarf_Word v;

		if (dwarf_tag(d) != DW_TAG_inlined_subroutine)
			continue;
		f.function = die_func_name(s, d);
		if (!f.function)
			f.function = intern(s, "[inlined]");
		f.inlined = 1;
		push_frame(s, &f);
		emitted++;
		/* The caller's position is the call site of this inline. */
		f.file = NULL;
		f.line = 0;
		if (files && dwarf_attr(d, DW_AT_call_file, &attr) && !dwarf_formudata(&attr, &v) &&
		    v < nfiles) {
			const char *cf = dwarf_filesrc(files, v, NULL, NULL);

			if (cf)
				f.file = intern_src(s, comp_dir, cf);
		}
		if (dwarf_attr(d, DW_AT_call_line, &attr) && !dwarf_formudata(&attr, &v))
			f.line = (uint32_t)v;
	}
	free(scopes);
	f.inlined = 0;
	f.function = sym_name;
	push_frame(s, &f);
}

/*
 * Start of the function around addr (a module address) from the sorted
 * search table of .eh_frame_hdr, which survives strip: it lets samples in
 * a stripped function share one "module+0xoff" name instead of one per
 * instruction. Handles the encodings every GNU toolchain emits
 * (table: datarel sdata4). 0 or -ENOENT.
 */
static int eh_hdr_func_start(Dwfl_Module *mod, uint64_t addr, uint64_t *start)
{
	Dwarf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;
		const uint8_t *p;
		uint32_t count;
		size_t lo, hi;
		uint64_t a = addr - bias;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".eh_frame_hdr"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < 12)
			return -ENOENT;
		p = d->d_buf;
		/* version 1, eh_frame_ptr any 4-byte form, count udata4, table datarel|sdata4 */
		if (p[0] != 1 || (p[1] & 0x0f) != 0x0b || p[2] != 0x03 || p[3] != 0x3b)
			return -ENOENT;
		memcpy(&count, p + 8, 4);
		if ((size_t)count > (d->d_size - 12) / 8 || count == 0)
			return -ENOENT;
		lo = 0;
		hi = count;
		while (lo < hi) {	/* first entry whose start is above a */
			size_t mid = lo + (hi - lo) / 2;
			int32_t rel;

			memcpy(&rel, p + 12 + mid * 8, 4);
			if (sh.sh_addr + (int64_t)rel <= a)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			return -ENOENT;
		{
			int32_t rel;

			memcpy(&rel, p + 12 + (lo - 1) * 8, 4);
			*start = sh.sh_addr + (int64_t)rel + bias;
		}
		return 0;
	}
	return -ENOENT;
}

/*
 * Several symbols often name one function (glibc's _IO_default_xsputn and
 * its internal alias __GI__IO_default_xsputn). libdwfl may answer with
 * either, so one function would show as two. Rank the aliases like perf's
 * choose_best_symbol: global over weak over local, then fewer leading
 * underscores, then the shorter name.
 */
static int alias_rank(const GElf_Sym *sym, const char *name)
{
	int bind = GELF_ST_BIND(sym->st_info);
	int r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
	int us = 0;

	while (name[us] == '_' && us < 4)
		us++;
	return r * 100000 + us * 10000 + (int)(strlen(name) < 9999 ? strlen(name) : 9999);
}

static int alias_cmp(const void *a, const void *b)
{
	const struct sym_alias *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->rank - y->rank;
}

static void build_aliases(struct symbolizer *s, struct sym_file *file, Dwfl_Module *mod)
{
	int n = dwfl_module_getsymtab(mod), i;
	size_t k = 0, out = 0;

	file->aliases_built = 1;
	if (n <= 0)
		return;
	file->aliases = calloc((size_t)n, sizeof(*file->aliases));
	if (!file->aliases)
		return;
	for (i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		Dwarf_Addr bias = 0;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, &bias);

		if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || !a)
			continue;
		file->aliases[k].start = a - bias;
		file->aliases[k].name = name;
		file->aliases[k].rank = alias_rank(&sym, name);
		k++;
	}
	qsort(file->aliases, k, sizeof(*file->aliases), alias_cmp);
	for (size_t j = 0; j < k; j++)	/* keep the best of each start */
		if (!out || file->aliases[out - 1].start != file->aliases[j].start)
			file->aliases[out++] = file->aliases[j];
	/* libdwfl's strings die with its Dwfl, which is rebuilt when maps change. */
	for (size_t j = 0; j < out; j++)
		file->aliases[j].name = intern(s, file->aliases[j].name);
	file->naliases = out;
}

static const char *canonical_name(struct symbolizer *s, struct sym_file *file, Dwfl_Module *mod,
				  uint64_t start, const char *name)
{
	size_t lo = 0, hi;

	if (!file->aliases_built)
		build_aliases(s, file, mod);
	hi = file->naliases;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (file->aliases[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < file->naliases && file->aliases[lo].start == start)
		return file->aliases[lo].name;
	return name;
}

static void resolve(struct symbolizer *s, struct sym_space *sp, uint64_t addr)
{
	const struct sym_map *m = space_find(sp, addr);
	struct sym_file *file;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	GElf_Off off = 0;
	GElf_Sym sym;
	Dwarf_Addr bias = 0;
	const char *name;

	if (!m) {
		unknown_frame(s, NULL, addr);
		return;
	}
	file = &s->files[m->file];
	dwfl = space_dwfl(s, sp);
	m = space_find(sp, addr);	/* maps are stable, but be careful */
	if (!dwfl || file->state != FILE_OK) {
		unknown_frame(s, m, addr);
		return;
	}
	mod = dwfl_addrmodule(dwfl, addr);
	if (!mod) {
		unknown_frame(s, m, addr);
		return;
	}
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, &bias);
	if (!name || !*name || GELF_ST_TYPE(sym.st_info) == STT_OBJECT ||
	    GELF_ST_TYPE(sym.st_info) == STT_TLS ||
	    (sym.st_size && off >= sym.st_size)) {
		uint64_t start;
		const struct sym_map *fm;

		/* No symbol: name it by its function's start when CFI knows it. */
		if (!eh_hdr_func_start(mod, addr, &start) && start <= addr &&
		    addr - start < (1u << 20) && (fm = space_find(sp, start)) && fm->file == m->file)
			unknown_frame(s, fm, start);
		else
			unknown_frame(s, m, addr);
		return;
	}
	name = canonical_name(s, file, mod, addr - off - bias, name);
	resolve_dwarf(s, file, mod, addr, addr - off, intern_func(s, name), file->base, addr - bias);
}

uint32_t sym_lookup(struct symbolizer *s, struct sym_space *sp, uint64_t addr)
{
	struct reskey k = { sym_space_id(sp), addr };
	uint64_t h = hash_mix(addr ^ ((uint64_t)k.space << 48) ^ k.space);
	uint32_t id = hmap_find(&s->res_idx, h, &k, res_eq, s);
	struct sym_res *r;

	if (id != UINT32_MAX)
		return id;
	if (ARRAY_GROW(s->res, s->ares, s->nres + 1))
		return UINT32_MAX;
	r = &s->res[s->nres];
	r->space = k.space;
	r->addr = addr;
	r->first = (uint32_t)s->nframes;
	resolve(s, sp, addr);
	if (s->nframes == r->first)
		unknown_frame(s, space_find(sp, addr), addr);
	r->n = (uint32_t)(s->nframes - r->first);
	if (hmap_insert(&s->res_idx, h, (uint32_t)s->nres))
		return UINT32_MAX;
	return (uint32_t)s->nres++;
}

const struct sym_frame *sym_result(const struct symbolizer *s, uint32_t id, uint32_t *n)
{
	if (id >= s->nres) {
		*n = 0;
		return NULL;
	}
	*n = s->res[id].n;
	return s->frames + s->res[id].first;
}

size_t sym_n_results(const struct symbolizer *s) { return s->nres; }
