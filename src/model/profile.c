/*
 * profile.c - the profile model (model layer): interning tables for
 * strings, locations, stacks and threads, and merged samples. Collectors
 * (through their readers) fill it; views only read it.
 */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hmap.h"
#include "../core/strbuf.h"
#include "../core/array.h"
#include "../core/banned.h"

struct profile {
	size_t n_types;
	uint32_t type_name[PROFILE_MAX_TYPES], type_unit[PROFILE_MAX_TYPES];

	/* strings: offsets into one arena */
	char *arena;
	size_t arena_len, arena_alloc;
	uint32_t *str_off, *str_len;
	size_t n_strings, strings_alloc;
	struct hmap str_index;

	struct profile_location *locs;
	size_t n_locs, locs_alloc;
	struct hmap loc_index;

	/* stacks: offsets into one array of location ids */
	uint32_t *stack_ids;
	size_t stack_ids_len, stack_ids_alloc;
	uint32_t *stack_off, *stack_len;
	size_t n_stacks, stacks_alloc;
	struct hmap stack_index;

	struct profile_thread *threads;
	size_t n_threads, threads_alloc;
	struct hmap thread_index;

	struct profile_sample *samples;
	int64_t *values;
	size_t n_samples, samples_alloc;
	struct hmap sample_index;

	uint32_t *meta;		/* pairs of string ids */
	size_t n_meta, meta_alloc;
};

/* Grows *arr (of elem bytes each) to hold at least need elements. */
struct profile *profile_new(void)
{
	struct profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (profile_intern_string(p, "") != 0) {
		profile_free(p);
		return NULL;
	}
	return p;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	free(p->arena);
	free(p->str_off);
	free(p->str_len);
	hmap_release(&p->str_index);
	free(p->locs);
	hmap_release(&p->loc_index);
	free(p->stack_ids);
	free(p->stack_off);
	free(p->stack_len);
	hmap_release(&p->stack_index);
	free(p->threads);
	hmap_release(&p->thread_index);
	free(p->samples);
	free(p->values);
	hmap_release(&p->sample_index);
	free(p->meta);
	free(p);
}

int profile_add_type(struct profile *p, const char *name, const char *unit)
{
	if (p->n_types >= PROFILE_MAX_TYPES || p->n_samples)
		return -E2BIG;
	p->type_name[p->n_types] = profile_intern_string(p, name);
	p->type_unit[p->n_types] = profile_intern_string(p, unit);
	return (int)p->n_types++;
}

size_t profile_n_types(const struct profile *p) { return p->n_types; }
const char *profile_type_name(const struct profile *p, size_t i) { return profile_string(p, p->type_name[i]); }
const char *profile_type_unit(const struct profile *p, size_t i) { return profile_string(p, p->type_unit[i]); }

struct strkey {
	const char *s;
	size_t len;
};

static int str_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct profile *p = ctx;
	const struct strkey *k = key;

	return p->str_len[id] == k->len && !memcmp(p->arena + p->str_off[id], k->s, k->len);
}

uint32_t profile_intern_stringn(struct profile *p, const char *s, size_t len)
{
	struct strkey k = { s, len };
	uint64_t h = hash_bytes(s, len, 1);
	uint32_t id = hmap_find(&p->str_index, h, &k, str_eq, p);

	if (id != UINT32_MAX)
		return id;
	size_t old = p->strings_alloc;

	if (len > UINT32_MAX / 2 || p->arena_len + len + 1 > UINT32_MAX ||
	    array_grow((void **)&p->arena, &p->arena_alloc, p->arena_len + len + 1, 1) ||
	    array_grow((void **)&p->str_off, &p->strings_alloc, p->n_strings + 1, sizeof(uint32_t)))
		return UINT32_MAX;
	if (p->strings_alloc != old) {
		/* str_len shares strings_alloc: keep it the same size. */
		uint32_t *nl = realloc(p->str_len, p->strings_alloc * sizeof(uint32_t));

		if (!nl)
			return UINT32_MAX;
		p->str_len = nl;
	}
	id = (uint32_t)p->n_strings;
	memcpy(p->arena + p->arena_len, s, len);
	p->arena[p->arena_len + len] = '\0';
	p->str_off[id] = (uint32_t)p->arena_len;
	p->str_len[id] = (uint32_t)len;
	if (hmap_insert(&p->str_index, h, id))
		return UINT32_MAX;
	p->arena_len += len + 1;
	p->n_strings++;
	return id;
}

uint32_t profile_intern_string(struct profile *p, const char *s)
{
	return profile_intern_stringn(p, s ? s : "", s ? strlen(s) : 0);
}

const char *profile_string(const struct profile *p, uint32_t id)
{
	if (id >= p->n_strings)
		return "";
	return p->arena + p->str_off[id];
}

static int loc_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct profile *p = ctx;

	return !memcmp(&p->locs[id], key, sizeof(struct profile_location));
}

uint32_t profile_intern_location(struct profile *p, const struct profile_location *in)
{
	struct profile_location loc = *in;
	uint64_t h;
	uint32_t id;

	loc.pad = 0;
	h = hash_bytes(&loc, sizeof(loc), 2);
	id = hmap_find(&p->loc_index, h, &loc, loc_eq, p);
	if (id != UINT32_MAX)
		return id;
	if (array_grow((void **)&p->locs, &p->locs_alloc, p->n_locs + 1, sizeof(loc)))
		return UINT32_MAX;
	id = (uint32_t)p->n_locs;
	p->locs[id] = loc;
	if (hmap_insert(&p->loc_index, h, id))
		return UINT32_MAX;
	p->n_locs++;
	return id;
}

size_t profile_n_locations(const struct profile *p) { return p->n_locs; }

const struct profile_location *profile_location(const struct profile *p, uint32_t id)
{
	return id < p->n_locs ? &p->locs[id] : NULL;
}

struct stackkey {
	const uint32_t *ids;
	uint32_t n;
};

static int stack_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct profile *p = ctx;
	const struct stackkey *k = key;

	return p->stack_len[id] == k->n &&
		!memcmp(p->stack_ids + p->stack_off[id], k->ids, k->n * sizeof(uint32_t));
}

uint32_t profile_intern_stack(struct profile *p, const uint32_t *locs, uint32_t n)
{
	struct stackkey k = { locs, n };
	uint64_t h = hash_bytes(locs, n * sizeof(uint32_t), 3);
	uint32_t id = hmap_find(&p->stack_index, h, &k, stack_eq, p);
	size_t alloc2;

	if (id != UINT32_MAX)
		return id;
	if (array_grow((void **)&p->stack_ids, &p->stack_ids_alloc, p->stack_ids_len + n + 1, sizeof(uint32_t)))
		return UINT32_MAX;
	alloc2 = p->stacks_alloc;
	if (array_grow((void **)&p->stack_off, &p->stacks_alloc, p->n_stacks + 1, sizeof(uint32_t)))
		return UINT32_MAX;
	if (p->stacks_alloc != alloc2) {
		uint32_t *nl = realloc(p->stack_len, p->stacks_alloc * sizeof(uint32_t));

		if (!nl)
			return UINT32_MAX;
		p->stack_len = nl;
	}
	id = (uint32_t)p->n_stacks;
	if (n)
		memcpy(p->stack_ids + p->stack_ids_len, locs, n * sizeof(uint32_t));
	p->stack_off[id] = (uint32_t)p->stack_ids_len;
	p->stack_len[id] = n;
	if (hmap_insert(&p->stack_index, h, id))
		return UINT32_MAX;
	p->stack_ids_len += n;
	p->n_stacks++;
	return id;
}

size_t profile_n_stacks(const struct profile *p) { return p->n_stacks; }

const uint32_t *profile_stack(const struct profile *p, uint32_t id, uint32_t *n)
{
	if (id >= p->n_stacks) {
		*n = 0;
		return NULL;
	}
	*n = p->stack_len[id];
	return p->stack_ids + p->stack_off[id];
}

static int thread_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct profile *p = ctx;
	const uint32_t *k = key;

	return p->threads[id].pid == k[0] && p->threads[id].tid == k[1];
}

uint32_t profile_intern_thread(struct profile *p, uint32_t pid, uint32_t tid, const char *name)
{
	uint32_t key[2] = { pid, tid };
	uint64_t h = hash_mix(((uint64_t)pid << 32) | tid);
	uint32_t id = hmap_find(&p->thread_index, h, key, thread_eq, p);

	if (id != UINT32_MAX) {
		if (name && *name && !p->threads[id].name)
			p->threads[id].name = profile_intern_string(p, name);
		return id;
	}
	if (array_grow((void **)&p->threads, &p->threads_alloc, p->n_threads + 1, sizeof(*p->threads)))
		return UINT32_MAX;
	id = (uint32_t)p->n_threads;
	p->threads[id].pid = pid;
	p->threads[id].tid = tid;
	p->threads[id].name = name ? profile_intern_string(p, name) : 0;
	p->threads[id].gil_permille = -1;
	if (hmap_insert(&p->thread_index, h, id))
		return UINT32_MAX;
	p->n_threads++;
	return id;
}

void profile_set_thread_name(struct profile *p, uint32_t thread, const char *name)
{
	if (thread < p->n_threads)
		p->threads[thread].name = profile_intern_string(p, name);
}

void profile_set_thread_gil(struct profile *p, uint32_t thread, int32_t permille)
{
	if (thread < p->n_threads)
		p->threads[thread].gil_permille = permille;
}

size_t profile_n_threads(const struct profile *p) { return p->n_threads; }

const struct profile_thread *profile_thread(const struct profile *p, uint32_t id)
{
	return id < p->n_threads ? &p->threads[id] : NULL;
}

static int sample_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct profile *p = ctx;
	const uint32_t *k = key;

	return p->samples[id].stack == k[0] && p->samples[id].thread == k[1];
}

int profile_add_sample(struct profile *p, uint32_t stack, uint32_t thread, const int64_t *values)
{
	uint32_t key[2] = { stack, thread };
	uint64_t h = hash_mix(((uint64_t)stack << 32) ^ thread ^ 0x5bd1e995ull);
	uint32_t id = hmap_find(&p->sample_index, h, key, sample_eq, p);
	size_t t, old;

	if (id == UINT32_MAX) {
		old = p->samples_alloc;
		if (array_grow((void **)&p->samples, &p->samples_alloc, p->n_samples + 1, sizeof(*p->samples)))
			return -ENOMEM;
		if (p->samples_alloc != old) {
			int64_t *nv = realloc(p->values, p->samples_alloc * (p->n_types ? p->n_types : 1) *
					      sizeof(int64_t));

			if (!nv)
				return -ENOMEM;
			p->values = nv;
		}
		id = (uint32_t)p->n_samples;
		p->samples[id].stack = stack;
		p->samples[id].thread = thread;
		memset(p->values + id * p->n_types, 0, p->n_types * sizeof(int64_t));
		if (hmap_insert(&p->sample_index, h, id))
			return -ENOMEM;
		p->n_samples++;
	}
	for (t = 0; t < p->n_types; t++)
		p->values[id * p->n_types + t] += values[t];
	return 0;
}

size_t profile_n_samples(const struct profile *p) { return p->n_samples; }

const struct profile_sample *profile_sample(const struct profile *p, size_t i)
{
	return &p->samples[i];
}

const int64_t *profile_sample_values(const struct profile *p, size_t i)
{
	return p->values + i * p->n_types;
}

int64_t profile_total(const struct profile *p, size_t t)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < p->n_samples; i++)
		sum += p->values[i * p->n_types + t];
	return sum;
}

int profile_set_meta(struct profile *p, const char *key, const char *value)
{
	uint32_t k = profile_intern_string(p, key);
	uint32_t v = profile_intern_string(p, value);
	size_t i;

	if (k == UINT32_MAX || v == UINT32_MAX)
		return -ENOMEM;
	for (i = 0; i < p->n_meta; i++)
		if (p->meta[2 * i] == k) {
			p->meta[2 * i + 1] = v;
			return 0;
		}
	if (array_grow((void **)&p->meta, &p->meta_alloc, 2 * (p->n_meta + 1), sizeof(uint32_t)))
		return -ENOMEM;
	p->meta[2 * p->n_meta] = k;
	p->meta[2 * p->n_meta + 1] = v;
	p->n_meta++;
	return 0;
}

const char *profile_process_cmdline(const struct profile *p, uint32_t pid)
{
	char key[32];

	snprintf(key, sizeof(key), "cmdline.%u", pid);
	return profile_meta(p, key);
}

const char *profile_meta(const struct profile *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n_meta; i++)
		if (!strcmp(profile_string(p, p->meta[2 * i]), key))
			return profile_string(p, p->meta[2 * i + 1]);
	return NULL;
}

size_t profile_n_meta(const struct profile *p) { return p->n_meta; }

void profile_meta_at(const struct profile *p, size_t i, const char **key, const char **value)
{
	*key = profile_string(p, p->meta[2 * i]);
	*value = profile_string(p, p->meta[2 * i + 1]);
}

static uint32_t regroup_loc(struct profile *q, const struct profile *p, uint32_t id,
			    enum profile_group g, struct strbuf *name)
{
	const struct profile_location *l = profile_location(p, id);
	const char *mod = profile_string(p, l->module);
	struct profile_location nl;

	memset(&nl, 0, sizeof(nl));
	strbuf_reset(name);
	strbuf_addstr(name, mod && *mod ? mod : "[unknown]");
	if (g == PROFILE_GROUP_MODULE_FUNCTION) {
		strbuf_addch(name, '`');
		strbuf_addstr(name, profile_string(p, l->function));
		nl.file = profile_intern_string(q, profile_string(p, l->file));
		nl.line = l->line;
		nl.inlined = l->inlined;
	}
	nl.function = profile_intern_string(q, name->buf);
	nl.module = profile_intern_string(q, mod ? mod : "");
	nl.kind = l->kind;
	if (nl.function == UINT32_MAX || nl.module == UINT32_MAX || nl.file == UINT32_MAX)
		return UINT32_MAX;
	return profile_intern_location(q, &nl);
}

struct profile *profile_regroup(const struct profile *p, enum profile_group g)
{
	struct profile *q = profile_new();
	struct strbuf name = STRBUF_INIT;
	uint32_t *map = NULL, *locs = NULL, maxn = 0;
	size_t i;

	if (!q)
		return NULL;
	for (i = 0; i < p->n_types; i++)
		if (profile_add_type(q, profile_type_name(p, i), profile_type_unit(p, i)) < 0)
			goto fail;
	for (i = 0; i < profile_n_meta(p); i++) {
		const char *k, *v;

		profile_meta_at(p, i, &k, &v);
		if (profile_set_meta(q, k, v))
			goto fail;
	}
	map = malloc((p->n_locs ? p->n_locs : 1) * sizeof(*map));
	if (!map)
		goto fail;
	for (i = 0; i < p->n_locs; i++)
		if ((map[i] = regroup_loc(q, p, (uint32_t)i, g, &name)) == UINT32_MAX)
			goto fail;
	for (i = 0; i < p->n_stacks; i++)
		if (p->stack_len[i] > maxn)
			maxn = p->stack_len[i];
	locs = malloc((maxn ? maxn : 1) * sizeof(*locs));
	if (!locs)
		goto fail;
	for (i = 0; i < p->n_samples; i++) {
		const struct profile_sample *sm = &p->samples[i];
		const struct profile_thread *t = profile_thread(p, sm->thread);
		uint32_t n, k = 0, st, th;
		const uint32_t *stk = profile_stack(p, sm->stack, &n);

		for (uint32_t j = 0; j < n; j++)
			if (g != PROFILE_GROUP_MODULE || !k || locs[k - 1] != map[stk[j]])
				locs[k++] = map[stk[j]];
		st = profile_intern_stack(q, locs, k);
		th = profile_intern_thread(q, t->pid, t->tid, profile_string(p, t->name));
		if (th != UINT32_MAX)
			profile_set_thread_gil(q, th, t->gil_permille);
		if (st == UINT32_MAX || th == UINT32_MAX ||
		    profile_add_sample(q, st, th, profile_sample_values(p, i)))
			goto fail;
	}
	free(map);
	free(locs);
	strbuf_release(&name);
	return q;
fail:
	free(map);
	free(locs);
	strbuf_release(&name);
	profile_free(q);
	return NULL;
}
