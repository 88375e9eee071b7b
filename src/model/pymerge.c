/*
 * pymerge.c - Python frames into profile stacks (see pymerge.h): the
 * report's recording -> profile conversion (cpuprof.c) calls it for the
 * interpreter records and for each sample.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "model/profile.h"
#include "model/pymerge.h"
#include "model/recfile.h"
#include "core/banned.h"

#define MAX_PY 1024

struct pystack {
	uint32_t tid;
	uint32_t n;
	uint32_t *locs;		/* profile location ids, leaf first */
	uint8_t *entry;		/* per frame: 1 = entry frame */
};

struct pymerge {
	struct profile *p;
	int native;
	uint32_t *strs;		/* recording string id -> profile string id */
	size_t nstrs;
	struct pystack *threads;
	size_t nthreads, athreads;
	struct hmap idx;	/* tid -> index in threads */
	uint32_t python_module;	/* profile string "python" */
	uint64_t seen;
	uint32_t tmp[MAX_PY * 2 + 64];
};

struct pymerge *pymerge_new(struct profile *p, int native)
{
	struct pymerge *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->p = p;
	m->native = native;
	hmap_init(&m->idx);
	m->python_module = profile_intern_string(p, "python");
	return m;
}

void pymerge_free(struct pymerge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nthreads; i++) {
		free(m->threads[i].locs);
		free(m->threads[i].entry);
	}
	free(m->threads);
	free(m->strs);
	hmap_release(&m->idx);
	free(m);
}

uint64_t pymerge_stacks_seen(const struct pymerge *m)
{
	return m->seen;
}

int pymerge_on_string(struct pymerge *m, const struct rec *rec)
{
	uint32_t id, sid;

	if (rec->size < 4)
		return -EINVAL;
	memcpy(&id, rec->data, 4);
	if (id == 0 || id > (1u << 24))
		return -EINVAL;
	if (id >= m->nstrs) {
		size_t nn = m->nstrs ? m->nstrs : 256;
		uint32_t *v;

		while (nn <= id)
			nn *= 2;
		v = realloc(m->strs, nn * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + m->nstrs, 0, (nn - m->nstrs) * sizeof(*v));
		m->strs = v;
		m->nstrs = nn;
	}
	sid = profile_intern_stringn(m->p, (const char *)rec->data + 4, rec->size - 4);
	if (sid == UINT32_MAX)
		return -ENOMEM;
	m->strs[id] = sid;
	return 0;
}

static uint32_t str(const struct pymerge *m, uint32_t id)
{
	return id < m->nstrs ? m->strs[id] : 0;
}

static int tid_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct pymerge *m = ctx;

	return m->threads[id].tid == *(const uint32_t *)key;
}

static struct pystack *thread(struct pymerge *m, uint32_t tid, int create)
{
	uint64_t h = hash_mix(tid + 0x51);
	uint32_t id = hmap_find(&m->idx, h, &tid, tid_eq, m);

	if (id != UINT32_MAX)
		return &m->threads[id];
	if (!create)
		return NULL;
	if (m->nthreads == m->athreads) {
		size_t na = m->athreads ? m->athreads * 2 : 16;
		struct pystack *v = realloc(m->threads, na * sizeof(*v));

		if (!v)
			return NULL;
		m->threads = v;
		m->athreads = na;
	}
	if (hmap_insert(&m->idx, h, (uint32_t)m->nthreads) < 0)
		return NULL;
	memset(&m->threads[m->nthreads], 0, sizeof(m->threads[0]));
	m->threads[m->nthreads].tid = tid;
	return &m->threads[m->nthreads++];
}

int pymerge_on_symstack(struct pymerge *m, const struct rec *rec)
{
	const struct rec_symstack *ss = rec->data;
	const struct rec_symframe *f;
	struct pystack *t;
	uint32_t n;

	if (rec->size < sizeof(*ss))
		return -EINVAL;
	n = ss->nr;
	if (ss->lang != 1 || rec->size < sizeof(*ss) + (size_t)n * sizeof(*f))
		return -EINVAL;
	if (n > MAX_PY)
		n = MAX_PY;
	f = (const void *)(ss + 1);
	t = thread(m, ss->tid, 1);
	if (!t)
		return -ENOMEM;
	m->seen++;
	if (n) {
		uint32_t *l = realloc(t->locs, n * sizeof(*l));
		uint8_t *e;

		if (!l)
			return -ENOMEM;
		t->locs = l;
		e = realloc(t->entry, n);
		if (!e)
			return -ENOMEM;
		t->entry = e;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct profile_location loc = {
			.function = str(m, f[i].function),
			.file = str(m, f[i].file),
			.line = f[i].line,
			.module = m->python_module,
			.kind = LOC_PYTHON,
		};
		uint32_t id = profile_intern_location(m->p, &loc);

		if (id == UINT32_MAX)
			return -ENOMEM;
		t->locs[i] = id;
		t->entry[i] = (f[i].flags & REC_SYMFRAME_ENTRY) != 0;
	}
	t->n = n;
	return 0;
}

static const char *loc_function(const struct pymerge *m, uint32_t id)
{
	return profile_string(m->p, profile_location(m->p, id)->function);
}

static int is_eval(const struct pymerge *m, uint32_t id)
{
	const char *f = loc_function(m, id);

	return f && !strncmp(f, "_PyEval_EvalFrame", 17) && !profile_location(m->p, id)->inlined;
}

static const char *loc_module(const struct pymerge *m, uint32_t id)
{
	const char *mod = profile_string(m->p, profile_location(m->p, id)->module);

	return mod ? mod : "";
}

/* The interpreter itself: python's executable or libpython. */
static int is_interpreter(const struct pymerge *m, uint32_t id)
{
	const char *mod = loc_module(m, id);

	if (profile_location(m->p, id)->kind == LOC_PYTHON)
		return 1;
	return !strncmp(mod, "python", 6) || !strncmp(mod, "libpython", 9);
}

/* The C library and friends, which both the interpreter and extensions
 * call: they never name the extension. */
static int is_libc(const struct pymerge *m, uint32_t id)
{
	const char *mod = loc_module(m, id);

	return !strncmp(mod, "libc.so", 7) || !strncmp(mod, "libc-", 5) ||
	       !strncmp(mod, "libm.so", 7) || !strncmp(mod, "ld-linux", 8) ||
	       !strncmp(mod, "libpthread", 10) || !strcmp(mod, "[vdso]") ||
	       !strcmp(mod, "[kernel]");
}

int pymerge_stack(struct pymerge *m, uint32_t tid, uint32_t *locs, uint32_t *n, uint32_t max)
{
	struct pystack *t = m->nthreads ? thread(m, tid, 0) : NULL;
	uint32_t *out = m->tmp, o = 0, cap = sizeof(m->tmp) / sizeof(m->tmp[0]);
	uint32_t seg = 0;	/* next Python frame to place */

	if (!t || !t->n)
		return 0;
	if (!m->native) {
		int ext = -1;

		/* The outermost extension/library frame above the interpreter
		 * (e.g. zlib's compress), skipping libc under it. */
		for (uint32_t i = 0; i < *n && !is_interpreter(m, locs[i]); i++)
			if (!is_libc(m, locs[i]))
				ext = (int)i;
		if (ext >= 0)
			out[o++] = locs[ext];
		for (uint32_t k = 0; k < t->n && o < cap; k++)
			out[o++] = t->locs[k];
	} else {
		for (uint32_t i = 0; i < *n && o < cap; i++) {
			if (!is_eval(m, locs[i]) || seg >= t->n) {
				out[o++] = locs[i];
				continue;
			}
			/* Inlined helpers of the eval loop go with it. */
			while (o > 0 && profile_location(m->p, out[o - 1])->inlined &&
			       is_interpreter(m, out[o - 1]))
				o--;
			while (seg < t->n && o < cap) {
				out[o++] = t->locs[seg];
				if (t->entry[seg++])
					break;
			}
		}
		/* A native chain cut short (no frame pointers): the rest of the
		 * Python stack goes at the root end. */
		while (seg < t->n && o < cap)
			out[o++] = t->locs[seg++];
	}
	if (o > max)
		o = max;
	memcpy(locs, out, o * sizeof(*locs));
	*n = o;
	return 0;
}
