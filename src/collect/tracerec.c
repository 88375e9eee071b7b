/*
 * tracerec.c - pinch trace's collector (collect layer): the instrumented
 * target check, the function filter, the launch with the LD_PRELOAD agent
 * and the turn of the agent's files into one recording.
 */
#include "tracerec.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/trace/wire.h"
#include "collect/buildid.h"
#include "collect/memrec.h"
#include "collect/procmaps.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

/* ---- the target ------------------------------------------------------- */

struct elf_scan {
	int dynamic;		/* has PT_INTERP */
	int hooks;		/* __cyg_profile_func_enter is an undefined dynamic symbol */
};

static int scan_elf(const char *path, struct elf_scan *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t nph = 0;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			s->dynamic = 1;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx != SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, "__cyg_profile_func_enter"))
				s->hooks = 1;
		}
	}
	elf_end(elf);
	close(fd);
	return 0;
}

int tracerec_check_target(const char *cmd, char *path, size_t pathlen, char *err, size_t errlen)
{
	struct elf_scan s;
	int rc = memrec_check_target(cmd, path, pathlen, err, errlen);

	/* a sanitizer owning malloc is no matter here; static linking is
	 * told below in this command's words */
	if (rc && rc != -ENOTSUP && rc != -ENOEXEC)
		return rc;
	rc = scan_elf(path, &s);
	if (rc) {
		char head[2] = { 0, 0 };
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (read(fd, head, sizeof(head)) != (ssize_t)sizeof(head))
				head[0] = 0;
			close(fd);
		}
		if (head[0] == '#' && head[1] == '!')
			snprintf(err, errlen, "'%s': a script, not the program built with -finstrument-functions", path);
		else
			snprintf(err, errlen, "'%s': not an ELF program", path);
		return -EINVAL;
	}
	if (!s.dynamic) {
		snprintf(err, errlen, "'%s': statically linked, so its hooks are glibc's no-ops and the agent cannot be preloaded", path);
		return -ENOEXEC;
	}
	if (!s.hooks) {
		snprintf(err, errlen, "'%s': not built with -finstrument-functions (no __cyg_profile_func_enter in its dynamic symbols)", path);
		return -ENOTSUP;
	}
	return 0;
}

int tracerec_find_agent(char *path, size_t len)
{
	return agent_find("trace", "libpinch-trace.so", "PINCH_TRACE_AGENT", path, len);
}

/* ---- --filter / --exclude -------------------------------------------- */

static int name_matches(const char *name, const char *pat)
{
	if (strpbrk(pat, "*?["))
		return fnmatch(pat, name, 0) == 0;
	return !strcmp(name, pat);
}

static int matches_any(const char *name, const char *const *pats, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (name_matches(name, pats[i]))
			return 1;
	return 0;
}

int tracerec_filter(const char *exe, const char *const *incl, size_t nincl,
		    const char *const *excl, size_t nexcl, struct strbuf *out, char *err,
		    size_t errlen)
{
	int fd = open(exe, O_RDONLY | O_CLOEXEC), found = 0;
	Elf *elf;
	Elf_Scn *scn = NULL;

	if (fd < 0) {
		snprintf(err, errlen, "'%s': %s", exe, strerror(errno));
		return -errno;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int in, ex;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			in = matches_any(name, incl, nincl);
			ex = matches_any(name, excl, nexcl);
			if (!in && !ex)
				continue;
			/* both when both match: --exclude wins in the agent */
			if (in)
				strbuf_addf(out, "%si:%llx", out->len ? "," : "",
					    (unsigned long long)sym.st_value);
			if (ex)
				strbuf_addf(out, "%sx:%llx", out->len ? "," : "",
					    (unsigned long long)sym.st_value);
			found++;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/* ---- running ------------------------------------------------------------ */

int tracerec_run(const struct tracerec_opts *o, struct tracerec_result *res, char *err,
		 size_t errlen)
{
	struct strbuf opts = STRBUF_INIT;
	struct agent_child c;
	int status = 0, rc;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	strbuf_addf(&opts, "counts=%d,depth=%ld,min_ns=%llu,clock=%s", o->counts ? 1 : 0,
		    o->depth, (unsigned long long)o->min_ns, o->clock ? o->clock : "tsc");
	{
		const char *env[] = { TRW_ENV_DIR, o->dir, TRW_ENV_OPTS, opts.buf,
				      TRW_ENV_FILTER, o->filter && *o->filter ? o->filter : NULL, NULL };

		res->start_mono_ns = clock_mono_ns();
		rc = agent_start(&c, o->argv, o->agent, env, err, errlen);
	}
	strbuf_release(&opts);
	if (rc)
		return rc;
	while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR)
		;
	res->end_mono_ns = clock_mono_ns();
	agent_end(&c);
	if (WIFEXITED(status))
		res->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->term_signal = WTERMSIG(status);
	return 0;
}

/* ---- agent files -> recording ------------------------------------------ */

struct tfile {
	char *path;
	unsigned long pid, seq;
};

static int tfile_cmp(const void *a, const void *b)
{
	const struct tfile *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int copy_file(const char *path, struct rec_writer *w, struct buildid_cache *ids)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0, have_proc = 0;
	struct stat st;
	const unsigned char *p;
	size_t off = 0, len;
	uint32_t pid = 0;
	uint64_t mono0 = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size == 0) {
		close(fd);
		return 0;
	}
	len = (size_t)st.st_size;
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	while (!rc && len - off >= 8) {
		uint32_t type, size;
		size_t whole;

		memcpy(&type, p + off, 4);
		memcpy(&size, p + off + 4, 4);
		whole = 8 + (((size_t)size + 7) & ~(size_t)7);
		if (!type || size > REC_MAX_RECORD || whole > len - off)
			break;		/* cut short: what came before stays */
		if (type == TRW_PROC && size >= sizeof(struct trw_proc)) {
			struct trw_proc pr;

			memcpy(&pr, p + off + 8, sizeof(pr));
			pid = pr.pid;
			mono0 = pr.mono0;
			have_proc = 1;
			rc = rec_writer_add(w, type, p + off + 8, size, NULL, 0, NULL, 0);
		} else if (!have_proc) {
			/* nothing can be placed before its process */
		} else if (type == TRW_MAPS) {
			rc = agent_write_maps(w, ids, pid, mono0, (const char *)p + off + 8, size,
					      "libpinch-trace.so");
		} else if (type >= TRW_EVENTS && type <= TRW_CLOCK) {
			rc = rec_writer_add(w, type, p + off + 8, size, NULL, 0, NULL, 0);
		}
		off += whole;
	}
	munmap((void *)p, len);
	return rc ? rc : have_proc;
}

int tracerec_write(const char *dir, const struct tracerec_result *res, struct rec_writer *w,
		   char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct tfile *v = NULL;
	size_t n = 0, cap = 0;
	struct buildid_cache *ids = buildid_cache_new();
	struct rec_finish fin;
	int rc = 0, procs = 0;

	if (!d || !ids) {
		snprintf(err, errlen, "'%s': %s", dir, strerror(d ? ENOMEM : errno));
		rc = d ? -ENOMEM : -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		unsigned long pid, seq;
		char tail[16];

		if (sscanf(de->d_name, "%lu-%lu%15s", &pid, &seq, tail) != 3 || strcmp(tail, ".trace"))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct tfile *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = nc;
		}
		v[n].pid = pid;
		v[n].seq = seq;
		if (asprintf(&v[n].path, "%s/%s", dir, de->d_name) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), tfile_cmp);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = copy_file(v[i].path, w, ids);
		if (rc > 0)
			procs++;
	}
	if (rc < 0) {
		snprintf(err, errlen, "writing the recording: %s", strerror(-rc));
		goto out;
	}
	memset(&fin, 0, sizeof(fin));
	fin.end_mono_ns = res->end_mono_ns;
	fin.exit_status = res->exit_status;
	fin.term_signal = res->term_signal;
	rc = rec_writer_add(w, REC_FINISH, &fin, sizeof(fin), NULL, 0, NULL, 0);
	if (!rc && !procs) {
		snprintf(err, errlen, "the agent wrote nothing (was the program started through a shell that clears LD_PRELOAD?)");
		rc = -ENODATA;
	}
	if (!rc)
		rc = procs;
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	if (d)
		closedir(d);
	buildid_cache_free(ids);
	return rc;
}

void tracerec_cleanup(const char *dir)
{
	memrec_cleanup(dir);	/* the same: every file of the directory, then it */
}
