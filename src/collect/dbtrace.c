/*
 * dbtrace.c - the db agent's files read back, merged and symbolized
 * (collect layer); see dbtrace.h.
 */
#include "dbtrace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/db/sqlnorm.h"
#include "agent/db/wire.h"
#include "agent/mem/wire.h"
#include "buildid.h"
#include "model/memprof.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "procmaps.h"
#include "core/banned.h"

struct dbtrace_proc {
	struct memprof_proc mp;	/* what memprof_profile needs: pid, exe, maps, pycodes */
	char *maps_text;
	size_t maps_len;
};

void dbtrace_init(struct dbtrace *t)
{
	memset(t, 0, sizeof(*t));
}

static void proc_free(struct dbtrace_proc *p)
{
	size_t i;

	if (!p)
		return;
	free(p->mp.exe);
	for (i = 0; i < p->mp.n_maps; i++) {
		free(p->mp.maps[i].m);
		free(p->mp.maps[i].path);
	}
	free(p->mp.maps);
	for (i = 0; i < p->mp.n_pycodes; i++) {
		free(p->mp.pycodes[i].name);
		free(p->mp.pycodes[i].file);
		free(p->mp.pycodes[i].table);
	}
	free(p->mp.pycodes);
	free(p->maps_text);
	free(p);
}

void dbtrace_release(struct dbtrace *t)
{
	size_t i, k;

	for (i = 0; i < t->n_stmts; i++) {
		free(t->stmts[i].text);
		hist_release(&t->stmts[i].hist);
	}
	free(t->stmts);
	for (i = 0; i < t->n_slows; i++) {
		struct dbtrace_slow *s = &t->slows[i];

		free(s->text);
		free(s->norm);
		free(s->ips);
		for (k = 0; k < s->n_frames; k++) {
			free(s->frames[k].function);
			free(s->frames[k].file);
		}
		free(s->frames);
	}
	free(t->slows);
	for (i = 0; i < t->n_procs; i++)
		proc_free(t->procs[i]);
	free(t->procs);
	memset(t, 0, sizeof(*t));
}

/* Room for element n of *v (capacity: 16, then doubling). */
static int grow(void **v, size_t n, size_t size)
{
	size_t nc;
	void *nv;

	if (n == 0)
		nc = 16;
	else if (n >= 16 && !(n & (n - 1)))
		nc = n * 2;
	else
		return 0;
	nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	return 0;
}

static char *dupn(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = 0;
	/* a NUL inside would cut the text: show it as a space */
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			s[i] = ' ';
	return s;
}

static int add_stmt(struct dbtrace *t, const struct dbw_stmt *st, const char *text,
		    const struct dbw_bucket *b)
{
	struct dbtrace_stmt *s;
	uint32_t nb = hist_index(HIST_DEFAULT_MAX) + 1;

	if (grow((void **)&t->stmts, t->n_stmts, sizeof(*t->stmts)))
		return -ENOMEM;
	s = &t->stmts[t->n_stmts];
	memset(s, 0, sizeof(*s));
	s->text = st->id ? dupn(text, st->text_len) : strdup("(other statements)");
	if (!s->text || hist_init(&s->hist, 0))
		goto fail;
	s->api = st->api;
	s->calls = st->calls;
	s->errors = st->errors;
	s->rows = st->rows;
	s->total_ns = st->total_ns;
	s->max_ns = st->max_ns;
	for (uint32_t i = 0; i < st->n_buckets; i++) {
		struct dbw_bucket bk;

		memcpy(&bk, &b[i], sizeof(bk));
		if (bk.index < nb && bk.index < s->hist.n_counts) {
			s->hist.counts[bk.index] += bk.count;
			s->hist.total += bk.count;
			if (s->hist.min > hist_bucket_low(bk.index))
				s->hist.min = hist_bucket_low(bk.index);
		}
	}
	/* the exact figures the agent kept */
	s->hist.max = st->max_ns > HIST_DEFAULT_MAX ? HIST_DEFAULT_MAX : st->max_ns;
	if (s->hist.min > s->hist.max)
		s->hist.min = s->hist.max;
	s->hist.sum = (double)st->total_ns;
	t->n_stmts++;
	return 0;
fail:
	free(s->text);
	hist_release(&s->hist);
	return -ENOMEM;
}

static int add_slow(struct dbtrace *t, size_t proc, uint32_t pid, const struct dbw_slow *sl,
		    const uint8_t *ips, const char *text)
{
	struct dbtrace_slow *s;

	if (grow((void **)&t->slows, t->n_slows, sizeof(*t->slows)))
		return -ENOMEM;
	s = &t->slows[t->n_slows];
	memset(s, 0, sizeof(*s));
	s->ns = sl->ns;
	s->rows = sl->rows;
	s->end_mono_ns = sl->end_mono_ns;
	s->pid = pid;
	s->tid = sl->tid;
	s->api = sl->api;
	s->error = sl->error != 0;
	s->proc = proc;
	s->nr = sl->nr;
	s->text = dupn(text, sl->text_len);
	s->ips = malloc(((size_t)sl->nr + 1) * 8);
	if (!s->text || !s->ips) {
		free(s->text);
		free(s->ips);
		return -ENOMEM;
	}
	memcpy(s->ips, ips, (size_t)sl->nr * 8);
	t->n_slows++;
	return 0;
}

static int add_pycode(struct dbtrace_proc *p, const uint8_t *pl, size_t size)
{
	struct memw_pycode pc;
	struct memprof_pycode *c;

	if (size < sizeof(pc))
		return 0;
	memcpy(&pc, pl, sizeof(pc));
	if ((uint64_t)pc.name_len + pc.file_len + pc.table_len > size - sizeof(pc))
		return 0;
	if (grow((void **)&p->mp.pycodes, p->mp.n_pycodes, sizeof(*p->mp.pycodes)))
		return -ENOMEM;
	c = &p->mp.pycodes[p->mp.n_pycodes];
	memset(c, 0, sizeof(*c));
	c->code = pc.code;
	c->firstlineno = pc.firstlineno;
	c->name = dupn(pl + sizeof(pc), pc.name_len);
	c->file = dupn(pl + sizeof(pc) + pc.name_len, pc.file_len);
	c->table = malloc(pc.table_len + 1);
	if (!c->name || !c->file || !c->table) {
		free(c->name);
		free(c->file);
		free(c->table);
		return -ENOMEM;
	}
	memcpy(c->table, pl + sizeof(pc) + pc.name_len + pc.file_len, pc.table_len);
	c->table_len = pc.table_len;
	p->mp.n_pycodes++;
	return 0;
}

int dbtrace_add(struct dbtrace *t, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	struct dbtrace_proc *p = NULL;
	size_t off = 0, pi = 0;
	int rc = 0;

	while (off < len && !rc) {
		uint32_t h[2];
		const uint8_t *pl;
		size_t size;

		if (len - off < sizeof(h)) {
			t->torn = 1;
			break;
		}
		memcpy(h, b + off, sizeof(h));
		size = h[1];
		if (size > len - off - sizeof(h) || h[0] == 0 || h[0] > DBW_END) {
			t->torn = 1;
			break;
		}
		pl = b + off + sizeof(h);
		off += sizeof(h) + size;
		if (h[0] == DBW_PROC) {
			struct dbw_proc pr;

			if (p || size < sizeof(pr)) {
				t->torn = 1;
				break;
			}
			memcpy(&pr, pl, sizeof(pr));
			if (grow((void **)&t->procs, t->n_procs, sizeof(*t->procs)))
				return -ENOMEM;
			p = calloc(1, sizeof(*p));
			if (!p)
				return -ENOMEM;
			p->mp.info.pid = pr.pid;
			p->mp.info.ppid = pr.ppid;
			p->mp.info.start_mono_ns = pr.start_mono_ns;
			p->mp.exe = dupn(pl + sizeof(pr), size - sizeof(pr));
			if (!p->mp.exe) {
				free(p);
				return -ENOMEM;
			}
			pi = t->n_procs;
			t->procs[t->n_procs++] = p;
			continue;
		}
		if (!p) {
			t->torn = 1;	/* records before the process record cannot be placed */
			break;
		}
		switch (h[0]) {
		case DBW_SLOW: {
			struct dbw_slow sl;

			if (size < sizeof(sl))
				break;
			memcpy(&sl, pl, sizeof(sl));
			if (sl.nr > DBW_MAX_DEPTH || sl.text_len > DBW_SLOW_TEXT_MAX ||
			    (uint64_t)sl.nr * 8 + sl.text_len > size - sizeof(sl))
				break;
			rc = add_slow(t, pi, p->mp.info.pid, &sl, pl + sizeof(sl),
				      (const char *)pl + sizeof(sl) + (size_t)sl.nr * 8);
			break;
		}
		case DBW_PYCODE:
			rc = add_pycode(p, pl, size);
			break;
		case DBW_STMT: {
			struct dbw_stmt st;

			if (size < sizeof(st))
				break;
			memcpy(&st, pl, sizeof(st));
			if (st.text_len > DBW_TEXT_MAX ||
			    (uint64_t)st.n_buckets * sizeof(struct dbw_bucket) + st.text_len >
				    size - sizeof(st))
				break;
			{
				/* the buckets are unaligned in the buffer: copy them */
				size_t bl = (size_t)st.n_buckets * sizeof(struct dbw_bucket);
				struct dbw_bucket *bk = malloc(bl + 1);

				if (!bk)
					return -ENOMEM;
				memcpy(bk, pl + sizeof(st) + st.text_len, bl);
				rc = add_stmt(t, &st, (const char *)pl + sizeof(st), bk);
				free(bk);
			}
			break;
		}
		case DBW_MAPS:
			free(p->maps_text);
			p->maps_text = dupn(pl, size);
			p->maps_len = size;
			if (!p->maps_text)
				return -ENOMEM;
			break;
		case DBW_END: {
			struct dbw_end e;

			if (size < sizeof(e))
				break;
			memcpy(&e, pl, sizeof(e));
			t->untracked += e.untracked;
			t->n_ended++;
			break;
		}
		default:
			break;
		}
	}
	return rc;
}

int dbtrace_add_dir(struct dbtrace *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return -errno;
	while (!rc && (de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		char path[4096];
		struct stat st;
		char *buf;
		int fd;
		ssize_t n;
		size_t got = 0;

		if (nl < 4 || strcmp(de->d_name + nl - 3, ".db"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) || st.st_size < 0) {
			close(fd);
			continue;
		}
		buf = malloc((size_t)st.st_size + 1);
		if (!buf) {
			close(fd);
			rc = -ENOMEM;
			break;
		}
		while (got < (size_t)st.st_size &&
		       (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
		close(fd);
		rc = dbtrace_add(t, buf, got);
		free(buf);
	}
	closedir(d);
	return rc;
}

static int stmt_key_cmp(const void *a, const void *b)
{
	const struct dbtrace_stmt *x = a, *y = b;

	if (x->api != y->api)
		return x->api < y->api ? -1 : 1;
	return strcmp(x->text, y->text);
}

static int stmt_total_cmp(const void *a, const void *b)
{
	const struct dbtrace_stmt *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	return strcmp(x->text, y->text);
}

static int slow_cmp(const void *a, const void *b)
{
	const struct dbtrace_slow *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return x->end_mono_ns < y->end_mono_ns ? -1 : x->end_mono_ns > y->end_mono_ns;
}

int dbtrace_finish(struct dbtrace *t)
{
	size_t i, k = 0;
	char norm[DBW_TEXT_MAX];

	if (t->n_stmts)
		qsort(t->stmts, t->n_stmts, sizeof(*t->stmts), stmt_key_cmp);
	for (i = 0; i < t->n_stmts; i++) {
		struct dbtrace_stmt *s = &t->stmts[i];

		if (k && !stmt_key_cmp(&t->stmts[k - 1], s)) {
			struct dbtrace_stmt *d = &t->stmts[k - 1];

			d->calls += s->calls;
			d->errors += s->errors;
			d->rows += s->rows;
			d->total_ns += s->total_ns;
			if (s->max_ns > d->max_ns)
				d->max_ns = s->max_ns;
			if (hist_merge(&d->hist, &s->hist))
				return -ENOMEM;
			d->hist.sum = (double)d->total_ns;
			free(s->text);
			hist_release(&s->hist);
			continue;
		}
		t->stmts[k++] = *s;
	}
	t->n_stmts = k;
	if (t->n_stmts)
		qsort(t->stmts, t->n_stmts, sizeof(*t->stmts), stmt_total_cmp);
	for (i = 0; i < t->n_slows; i++) {
		struct dbtrace_slow *s = &t->slows[i];
		size_t n = sqlnorm(s->text, strlen(s->text), norm, sizeof(norm));

		free(s->norm);
		s->norm = dupn(norm, n);
		if (!s->norm)
			return -ENOMEM;
	}
	if (t->n_slows)
		qsort(t->slows, t->n_slows, sizeof(*t->slows), slow_cmp);
	return 0;
}

/* The REC_MMAP records of a process from its maps text. */
static int load_maps(struct dbtrace_proc *p, struct buildid_cache *ids)
{
	struct procmaps maps = PROCMAPS_INIT;
	int rc;

	if (!p->maps_text || p->mp.n_maps)
		return 0;
	rc = procmaps_parse(&maps, p->maps_text, p->maps_len, 1, NULL);
	for (size_t i = 0; i < maps.n && !rc; i++) {
		const struct procmap *pm = &maps.v[i];
		const char *path = pm->path[0] ? pm->path : "//anon";
		const char *base = strrchr(path, '/');
		struct memprof_map *mm;
		struct rec_mmap *m;
		int n;

		if (!strcmp(path, "[vdso]") || (base && !strcmp(base + 1, "libpinch-db.so")))
			continue;
		if (grow((void **)&p->mp.maps, p->mp.n_maps, sizeof(*p->mp.maps))) {
			rc = -ENOMEM;
			break;
		}
		m = calloc(1, sizeof(*m));
		mm = &p->mp.maps[p->mp.n_maps];
		mm->m = m;
		mm->path = strdup(path);
		if (!m || !mm->path) {
			free(m);
			free(mm->path);
			rc = -ENOMEM;
			break;
		}
		m->pid = p->mp.info.pid;
		m->prot = pm->prot;
		m->start = pm->start;
		m->len = pm->end - pm->start;
		m->pgoff = pm->pgoff;
		n = buildid_cache_get(ids, path, m->build_id);
		m->build_id_len = n > 0 ? (uint8_t)n : 0;
		p->mp.n_maps++;
	}
	procmaps_release(&maps);
	return rc;
}

/* Agent frames (the interposers) are not the program's: drop them. */
static int agent_frame(const char *fn)
{
	static const char *const names[] = {
		"slow", "sq_finish", "pq_done", "pq_result", "capture",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(fn, names[i]))
			return 1;
	return 0;
}

static int symbolize_proc(struct dbtrace *t, size_t pi, struct buildid_cache *ids)
{
	struct dbtrace_proc *p = t->procs[pi];
	struct memprof_proc mp;
	struct profile *prof = NULL;
	uint32_t *map = NULL;
	size_t *which, n = 0, i;
	char err[128];
	int rc;

	for (i = 0; i < t->n_slows; i++)
		if (t->slows[i].proc == pi)
			n++;
	if (!n)
		return 0;
	rc = load_maps(p, ids);
	if (rc)
		return rc;
	mp = p->mp;
	which = calloc(n, sizeof(*which));
	mp.stack_ips = calloc(n, sizeof(*mp.stack_ips));
	mp.stack_nr = calloc(n, sizeof(*mp.stack_nr));
	mp.sites = calloc(n, sizeof(*mp.sites));
	rc = -ENOMEM;
	if (!which || !mp.stack_ips || !mp.stack_nr || !mp.sites)
		goto out;
	n = 0;
	for (i = 0; i < t->n_slows; i++) {
		if (t->slows[i].proc != pi)
			continue;
		which[n] = i;
		mp.stack_ips[n] = t->slows[i].ips;
		mp.stack_nr[n] = t->slows[i].nr;
		mp.sites[n].stack = (uint32_t)n;
		n++;
	}
	mp.n_stacks = mp.n_sites = n;
	{
		struct memprof_sym_opts o;

		memset(&o, 0, sizeof(o));
		o.keep_alloc_fns = 1;
		rc = memprof_profile(&mp, &o, &prof, &map, NULL, err, sizeof(err));
	}
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		struct dbtrace_slow *s = &t->slows[which[i]];
		const uint32_t *locs;
		uint32_t nl, k;

		if (map[i] == UINT32_MAX)
			continue;
		locs = profile_stack(prof, map[i], &nl);
		s->frames = calloc(nl + 1, sizeof(*s->frames));
		if (!s->frames) {
			rc = -ENOMEM;
			goto out;
		}
		for (k = 0; k < nl; k++) {
			const struct profile_location *l = profile_location(prof, locs[k]);
			const char *fn = profile_string(prof, l->function);
			struct dbtrace_frame *f = &s->frames[s->n_frames];

			if (l->kind != LOC_PYTHON && agent_frame(fn))
				continue;
			if (!strcmp(fn, "[unknown stack]"))
				continue;
			f->function = strdup(fn);
			f->file = l->file ? strdup(profile_string(prof, l->file)) : NULL;
			f->line = l->line;
			f->python = l->kind == LOC_PYTHON;
			if (!f->function) {
				free(f->file);
				rc = -ENOMEM;
				goto out;
			}
			s->n_frames++;
		}
	}
	rc = 0;
out:
	profile_free(prof);
	free(map);
	free(which);
	free(mp.stack_ips);
	free(mp.stack_nr);
	free(mp.sites);
	return rc;
}

int dbtrace_symbolize(struct dbtrace *t)
{
	struct buildid_cache *ids = buildid_cache_new();
	int rc = 0;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_procs && !rc; i++)
		rc = symbolize_proc(t, i, ids);
	buildid_cache_free(ids);
	return rc;
}
