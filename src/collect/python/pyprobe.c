/*
 * pyprobe.c - finds a CPython runtime in a process: scans /proc/PID/maps
 * for the python executable or libpython, reads their ELF symbols
 * (.dynsym/.symtab: _PyRuntime, Py_Version, PyCode_Type...) with libelf,
 * computes the load bias, and reads Py_Version from the target. Feeds
 * pyreader.c. A probe cache keeps each file's symbols, so that the
 * children of a recorded process (forked or exec'd into the same python)
 * are probed without reading them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <pthread.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "collect/python/pyoffsets.h"
#include "collect/python/pyreader.h"
#include "core/strbuf.h"
#include "core/banned.h"

struct elf_syms {
	uint64_t runtime, version, code_type, unicode_type, bytes_type;
	uint64_t long_type, float_type, bool_type, list_type, tuple_type, dict_type, cell_type;
	uint64_t none_obj, true_obj, false_obj;
	uint64_t eval, eval_size;
	uint64_t runtime_section;
	uint64_t first_load;	/* p_vaddr of the first PT_LOAD, page-aligned */
	int have_load;
};

static void scan_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct elf_syms *s)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n;

	if (!data || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || (name[0] != '_' && name[0] != 'P'))
			continue;
		if (!strcmp(name, "_PyRuntime"))
			s->runtime = sym.st_value;
		else if (!strcmp(name, "Py_Version"))
			s->version = sym.st_value;
		else if (!strcmp(name, "PyCode_Type"))
			s->code_type = sym.st_value;
		else if (!strcmp(name, "PyUnicode_Type"))
			s->unicode_type = sym.st_value;
		else if (!strcmp(name, "PyBytes_Type"))
			s->bytes_type = sym.st_value;
		else if (!strcmp(name, "PyLong_Type"))
			s->long_type = sym.st_value;
		else if (!strcmp(name, "PyFloat_Type"))
			s->float_type = sym.st_value;
		else if (!strcmp(name, "PyBool_Type"))
			s->bool_type = sym.st_value;
		else if (!strcmp(name, "PyList_Type"))
			s->list_type = sym.st_value;
		else if (!strcmp(name, "PyTuple_Type"))
			s->tuple_type = sym.st_value;
		else if (!strcmp(name, "PyDict_Type"))
			s->dict_type = sym.st_value;
		else if (!strcmp(name, "PyCell_Type"))
			s->cell_type = sym.st_value;
		else if (!strcmp(name, "_Py_NoneStruct"))
			s->none_obj = sym.st_value;
		else if (!strcmp(name, "_Py_TrueStruct"))
			s->true_obj = sym.st_value;
		else if (!strcmp(name, "_Py_FalseStruct"))
			s->false_obj = sym.st_value;
		else if (!strcmp(name, "_PyEval_EvalFrameDefault")) {
			s->eval = sym.st_value;
			s->eval_size = sym.st_size;
		}
	}
}

/* Reads the symbols pinch needs from the ELF file at path. */
static int elf_scan(const char *path, unsigned flags, struct elf_syms *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx, phnum;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) < 0) {
		ret = -ENOEXEC;
		goto out;
	}
	if (elf_getphdrnum(elf, &phnum) == 0) {
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
				s->first_load = ph.p_vaddr & ~(uint64_t)0xfff;
				s->have_load = 1;
				break;
			}
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".PyRuntime"))
			s->runtime_section = sh.sh_addr;
		if ((sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB) &&
		    !(flags & PY_PROBE_NO_SYMBOLS))
			scan_symtab(elf, scn, &sh, s);
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

#define CACHE_MAX 16	/* files remembered (pythons and libpythons) */

struct cache_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
	unsigned flags;
	struct elf_syms s;
};

struct py_probe_cache {
	pthread_mutex_t lock;
	struct cache_entry v[CACHE_MAX];
	size_t n, next;		/* next: the slot replaced when full */
};

struct py_probe_cache *py_probe_cache_new(void)
{
	struct py_probe_cache *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void py_probe_cache_free(struct py_probe_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* elf_scan through the cache: a file is known by its device, inode, size
 * and modification time (a python rebuilt in place is read again). */
static int elf_scan_cached(struct py_probe_cache *c, const char *path, unsigned flags,
			   struct elf_syms *s)
{
	struct stat st;
	int64_t mtime;
	int ret;

	if (!c || stat(path, &st) < 0)
		return elf_scan(path, flags, s);
	mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++) {
		const struct cache_entry *e = &c->v[i];

		if (e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
		    e->mtime_ns == mtime && e->flags == flags) {
			*s = e->s;
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&c->lock);
	ret = elf_scan(path, flags, s);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&c->lock);
	{
		struct cache_entry *e = &c->v[c->n < CACHE_MAX ? c->n++ : c->next++ % CACHE_MAX];

		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->size = st.st_size;
		e->mtime_ns = mtime;
		e->flags = flags;
		e->s = *s;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* "python3.11" / "libpython3.11.so.1.0" -> 0x030b0000, or 0. */
static uint32_t version_from_name(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *p;
	unsigned major, minor;

	base = base ? base + 1 : path;
	p = strstr(base, "python");
	if (!p || sscanf(p + 6, "%u.%u", &major, &minor) != 2 || major > 9 || minor > 99)
		return 0;
	return (major << 24) | (minor << 16);
}

static int read_target(pid_t pid, uint64_t addr, void *dst, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (got < 0)
		return -errno;
	return (size_t)got == len ? 0 : -EFAULT;
}

static int is_python_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strstr(base, "python") != NULL;
}

int py_probe(pid_t pid, unsigned flags, struct py_target *t, char *err, size_t errlen)
{
	return py_probe_cached(pid, flags, NULL, t, err, errlen);
}

int py_probe_cached(pid_t pid, unsigned flags, struct py_probe_cache *cache, struct py_target *t,
		    char *err, size_t errlen)
{
	char mpath[64], line[1024];
	FILE *f;
	int ret = -ENOENT, saw_python = 0;
	char last[512] = "", exe[512] = "";
	ssize_t elen;

	memset(t, 0, sizeof(*t));
	/* The executable is checked whatever its name (a renamed python). */
	snprintf(mpath, sizeof(mpath), "/proc/%d/exe", (int)pid);
	elen = readlink(mpath, exe, sizeof(exe) - 1);
	exe[elen > 0 ? elen : 0] = '\0';
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", (int)pid);
	f = fopen(mpath, "re");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", mpath, strerror(errno));
		return errno == ENOENT ? -ESRCH : -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, off;
		char perms[8], path[512];
		struct elf_syms s;
		char alt[600];
		uint64_t runtime, bias;
		uint32_t version = 0;
		const struct py_offsets *tab;

		path[0] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %511[^\n]",
			   &start, &end, perms, &off, path) < 4)
			continue;
		/* The first mapping of each file has offset 0: it gives the bias. */
		if (path[0] != '/' || off != 0 || (!is_python_path(path) && strcmp(path, exe)) || !strcmp(path, last))
			continue;
		snprintf(last, sizeof(last), "%s", path);
		saw_python |= is_python_path(path);
		snprintf(alt, sizeof(alt), "/proc/%d/root%s", (int)pid, path);
		if (elf_scan_cached(cache, alt, flags, &s) < 0 &&
		    elf_scan_cached(cache, path, flags, &s) < 0)
			continue;
		runtime = s.runtime ? s.runtime : s.runtime_section;
		if (!runtime || !s.have_load)
			continue;
		bias = start - s.first_load;
		if (s.version) {
			uint64_t v = 0;

			if (read_target(pid, bias + s.version, &v, sizeof(v)) == 0)
				version = (uint32_t)v;
		}
		if (!version)
			version = version_from_name(path);
		snprintf(t->path, sizeof(t->path), "%s", path);
		t->version_hex = version;
		t->runtime = bias + runtime;
		t->from_section = !s.runtime;
		t->code_type = s.code_type ? bias + s.code_type : 0;
		t->unicode_type = s.unicode_type ? bias + s.unicode_type : 0;
		t->bytes_type = s.bytes_type ? bias + s.bytes_type : 0;
#define REBASE(f) t->f = s.f ? bias + s.f : 0
		REBASE(long_type);
		REBASE(float_type);
		REBASE(bool_type);
		REBASE(list_type);
		REBASE(tuple_type);
		REBASE(dict_type);
		REBASE(cell_type);
		REBASE(none_obj);
		REBASE(true_obj);
		REBASE(false_obj);
#undef REBASE
		if (s.eval) {
			t->eval_start = bias + s.eval;
			t->eval_end = t->eval_start + s.eval_size;
		}
		tab = py_offsets_find(version);
		if (!tab) {
			if (version)
				snprintf(err, errlen,
					 "python %u.%u in %s is not supported (pinch reads %s)",
					 version >> 24, (version >> 16) & 0xff, path,
					 py_offsets_supported());
			else
				snprintf(err, errlen,
					 "cannot tell the python version of %s (pinch reads %s)", path,
					 py_offsets_supported());
			ret = -EPROTONOSUPPORT;
		} else {
			ret = 0;
		}
		break;
	}
	fclose(f);
	if (ret == -ENOENT)
		snprintf(err, errlen, saw_python ? "no CPython runtime (_PyRuntime) found in process %d"
						 : "process %d runs no python", (int)pid);
	return ret;
}
