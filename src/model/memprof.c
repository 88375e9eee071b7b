/*
 * memprof.c - reads a pinch mem recording into struct memprof (model
 * layer): records after a MEMW_PROC belong to that process image; every
 * size, count and stack id is checked before use.
 */
#include "memprof.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recfile.h"
#include "core/array.h"
#include "core/banned.h"

struct caps {
	size_t stacks, stacks_nr, sites, points, rss, snaps, maps;
};

static void proc_release(struct memprof_proc *p)
{
	size_t i;

	free(p->exe);
	for (i = 0; i < p->n_pycodes; i++) {
		free(p->pycodes[i].name);
		free(p->pycodes[i].file);
		free(p->pycodes[i].table);
	}
	free(p->pycodes);
	free(p->leak_entries);
	for (i = 0; i < p->n_stacks; i++)
		free(p->stack_ips[i]);
	free(p->stack_ips);
	free(p->stack_nr);
	free(p->sites);
	free(p->points);
	free(p->rss);
	for (i = 0; i < p->n_snaps; i++)
		free(p->snaps[i].e);
	free(p->snaps);
	for (i = 0; i < p->n_maps; i++) {
		free(p->maps[i].m);
		free(p->maps[i].path);
	}
	free(p->maps);
}

void memprof_free(struct memprof *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_procs; i++)
		proc_release(&m->procs[i]);
	free(m->procs);
	free(m->command);
	free(m->pythonmalloc);
	free(m);
}

static int add_stack(struct memprof_proc *p, struct caps *c, const unsigned char *d, uint32_t size)
{
	struct memw_stack s;
	size_t old;

	if (size < sizeof(s))
		return 0;
	memcpy(&s, d, sizeof(s));
	if (s.id >= MEMW_MAX_STACKS || s.nr > MEMW_MAX_DEPTH || sizeof(s) + (size_t)s.nr * 8 > size)
		return 0;
	if (s.id >= p->n_stacks) {
		old = p->n_stacks;
		if (array_grow((void **)&p->stack_ips, &c->stacks, (size_t)s.id + 1, sizeof(*p->stack_ips)) ||
		    array_grow((void **)&p->stack_nr, &c->stacks_nr, (size_t)s.id + 1, sizeof(*p->stack_nr)))
			return -ENOMEM;
		(void)old;
		memset(p->stack_ips + p->n_stacks, 0, ((size_t)s.id + 1 - p->n_stacks) * sizeof(*p->stack_ips));
		memset(p->stack_nr + p->n_stacks, 0, ((size_t)s.id + 1 - p->n_stacks) * sizeof(*p->stack_nr));
		p->n_stacks = (size_t)s.id + 1;
	}
	free(p->stack_ips[s.id]);
	p->stack_ips[s.id] = malloc(s.nr ? (size_t)s.nr * 8 : 8);
	if (!p->stack_ips[s.id])
		return -ENOMEM;
	memcpy(p->stack_ips[s.id], d + sizeof(s), (size_t)s.nr * 8);
	p->stack_nr[s.id] = s.nr;
	return 0;
}

static int leak_cmp(const void *a, const void *b)
{
	const struct memw_leak_entry *x = a, *y = b;

	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	return x->cls < y->cls ? -1 : x->cls > y->cls;
}

/* A MEMW_LEAKS record: its totals must be what its entries add up to and
 * every class in range, or the record is ignored as damaged. */
static int add_leaks(struct memprof_proc *p, const unsigned char *d, size_t size)
{
	struct memw_leaks h;
	struct memw_leak_entry *e;
	uint64_t bytes[MEMW_LEAK_CLASSES] = { 0 }, blocks[MEMW_LEAK_CLASSES] = { 0 };

	if (size < sizeof(h))
		return 0;
	memcpy(&h, d, sizeof(h));
	if (h.n > (size - sizeof(h)) / sizeof(*e))
		return 0;
	e = malloc((h.n ? h.n : 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e, d + sizeof(h), h.n * sizeof(*e));
	for (uint32_t i = 0; i < h.n; i++) {
		if (e[i].cls < MEMW_LEAK_REACHABLE || e[i].cls >= MEMW_LEAK_CLASSES ||
		    __builtin_add_overflow(bytes[e[i].cls], e[i].bytes, &bytes[e[i].cls]) ||
		    __builtin_add_overflow(blocks[e[i].cls], e[i].blocks, &blocks[e[i].cls])) {
			free(e);
			return 0;
		}
	}
	for (int c = MEMW_LEAK_REACHABLE; c < MEMW_LEAK_CLASSES; c++)
		if (bytes[c] != h.bytes[c] || blocks[c] != h.blocks[c]) {
			free(e);
			return 0;
		}
	qsort(e, h.n, sizeof(*e), leak_cmp);
	free(p->leak_entries);
	p->leak_entries = e;
	p->n_leak_entries = h.n;
	p->leaks = h;
	p->has_leaks = 1;
	return 0;
}

void memprof_leak_class(const struct memprof_proc *p, uint32_t stack, uint32_t cls,
			uint64_t *bytes, uint64_t *blocks)
{
	struct memw_leak_entry key = { .stack = stack, .cls = cls };
	const struct memw_leak_entry *e = p->n_leak_entries ?
		bsearch(&key, p->leak_entries, p->n_leak_entries, sizeof(key), leak_cmp) : NULL;

	*bytes = e ? e->bytes : 0;
	*blocks = e ? e->blocks : 0;
}

/* A MEMW_PYCODE record; a later one for the same address replaces it. */
static int add_pycode(struct memprof_proc *p, const unsigned char *d, uint32_t size)
{
	struct memw_pycode pc;
	struct memprof_pycode *e = NULL;
	void *v;

	if (size < sizeof(pc))
		return 0;
	memcpy(&pc, d, sizeof(pc));
	if ((uint64_t)pc.name_len + pc.file_len + pc.table_len > size - sizeof(pc))
		return 0;
	for (size_t i = 0; i < p->n_pycodes && !e; i++)
		if (p->pycodes[i].code == pc.code)
			e = &p->pycodes[i];
	if (!e) {
		v = realloc(p->pycodes, (p->n_pycodes + 1) * sizeof(*p->pycodes));
		if (!v)
			return -ENOMEM;
		p->pycodes = v;
		e = &p->pycodes[p->n_pycodes++];
	} else {
		free(e->name);
		free(e->file);
		free(e->table);
	}
	memset(e, 0, sizeof(*e));
	e->code = pc.code;
	e->firstlineno = pc.firstlineno;
	e->name = strndup((const char *)d + sizeof(pc), pc.name_len);
	e->file = strndup((const char *)d + sizeof(pc) + pc.name_len, pc.file_len);
	e->table = malloc(pc.table_len ? pc.table_len : 1);
	if (!e->name || !e->file || !e->table)
		return -ENOMEM;
	memcpy(e->table, d + sizeof(pc) + pc.name_len + pc.file_len, pc.table_len);
	e->table_len = pc.table_len;
	return 0;
}

static int add_snapshot(struct memprof_proc *p, struct caps *c, const unsigned char *d, uint32_t size)
{
	struct memw_snapshot s;
	struct memprof_snapshot *o;
	const unsigned char *e;
	uint32_t i;

	if (size < sizeof(s))
		return 0;
	memcpy(&s, d, sizeof(s));
	if ((size - sizeof(s)) / sizeof(struct memw_snap_entry) < s.n)
		return 0;
	if (array_grow((void **)&p->snaps, &c->snaps, p->n_snaps + 1, sizeof(*p->snaps)))
		return -ENOMEM;
	o = &p->snaps[p->n_snaps];
	memset(o, 0, sizeof(*o));
	memcpy(o->label, s.label, sizeof(o->label));
	o->label[sizeof(o->label) - 1] = 0;
	o->time_ns = s.time_ns;
	o->heap = s.heap;
	o->e = calloc(s.n ? s.n : 1, sizeof(*o->e));
	if (!o->e)
		return -ENOMEM;
	e = d + sizeof(s);
	for (i = 0; i < s.n; i++) {
		struct memw_snap_entry w;

		memcpy(&w, e + (size_t)i * sizeof(w), sizeof(w));
		o->e[i].stack = w.stack;
		o->e[i].bytes = w.bytes;
		o->e[i].blocks = w.blocks;
		o->e[i].alloc_calls = w.alloc_calls;
	}
	o->n = s.n;
	p->n_snaps++;
	return 0;
}

static int add_map(struct memprof_proc *p, struct caps *c, const unsigned char *d, uint32_t size)
{
	struct memprof_map *m;
	size_t plen;

	if (size < sizeof(struct rec_mmap) + 1)
		return 0;
	plen = strnlen((const char *)d + sizeof(struct rec_mmap), size - sizeof(struct rec_mmap));
	if (array_grow((void **)&p->maps, &c->maps, p->n_maps + 1, sizeof(*p->maps)))
		return -ENOMEM;
	m = &p->maps[p->n_maps];
	m->m = malloc(sizeof(*m->m));
	m->path = malloc(plen + 1);
	if (!m->m || !m->path) {
		free(m->m);
		free(m->path);
		return -ENOMEM;
	}
	memcpy(m->m, d, sizeof(*m->m));
	memcpy(m->path, d + sizeof(struct rec_mmap), plen);
	m->path[plen] = 0;
	p->n_maps++;
	return 0;
}

/* A process cut short before its summary: sum what its sites say. */
static void fill_summary(struct memprof_proc *p)
{
	size_t i;

	memset(&p->sum, 0, sizeof(p->sum));
	p->sum.pid = p->info.pid;
	p->sum.ppid = p->info.ppid;
	p->sum.flags = p->info.flags;
	p->sum.exit_status = -1;
	p->sum.start_mono_ns = p->info.start_mono_ns;
	for (i = 0; i < p->n_sites; i++) {
		const struct memw_site *s = &p->sites[i];

		p->sum.alloc_calls += s->alloc_calls;
		p->sum.alloc_bytes += s->alloc_bytes;
		p->sum.free_calls += s->free_calls;
		p->sum.live_bytes += s->live_bytes;
		p->sum.live_blocks += s->live_blocks;
		p->sum.peak_bytes += s->peak_bytes;
		p->sum.peak_blocks += s->peak_blocks;
		p->sum.temp_calls += s->temp_calls;
	}
	for (i = 0; i < p->n_points; i++) {
		if (p->points[i].heap_max > p->sum.peak_bytes)
			p->sum.peak_bytes = p->points[i].heap_max;
		if (p->points[i].time_ns > p->sum.end_mono_ns)
			p->sum.end_mono_ns = p->points[i].time_ns;
	}
	if (p->sum.end_mono_ns < p->sum.start_mono_ns)
		p->sum.end_mono_ns = p->sum.start_mono_ns;
}

int memprof_read(struct memprof **out, struct rec_reader *r, char *err, size_t errlen)
{
	const struct rec_file_header *h = rec_reader_header(r);
	struct memprof *m;
	struct memprof_proc *cur = NULL;
	struct caps *caps = NULL, *cc = NULL;
	size_t pcap = 0, ccap = 0, i;
	struct rec rec;
	int rc = 0;

	*out = NULL;
	if (h->kind != REC_KIND_MEM) {
		if (h->kind == REC_KIND_CPU)
			snprintf(err, errlen, "a CPU recording, not a memory recording");
		else
			snprintf(err, errlen, "not a memory recording (kind %u)", h->kind);
		return -EMEDIUMTYPE;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->start_mono_ns = h->start_mono_ns;
	m->start_real_ns = h->start_real_ns;
	m->exit_status = -1;
	while (!rc && rec_reader_next(r, &rec) == 1) {
		const unsigned char *d = rec.data;

		switch (rec.type) {
		case REC_META: {
			const char *k = rec.data, *v;
			size_t kl = strnlen(k, rec.size), vl;

			if (kl + 1 >= rec.size)
				break;
			v = k + kl + 1;
			vl = strnlen(v, rec.size - kl - 1);
			if (!strcmp(k, "command")) {
				free(m->command);
				m->command = strndup(v, vl);
			} else if (!strcmp(k, "pythonmalloc")) {
				free(m->pythonmalloc);
				m->pythonmalloc = strndup(v, vl);
			}
			break;
		}
		case MEMW_PROC:
			if (rec.size < sizeof(struct memw_proc))
				break;
			if (array_grow((void **)&m->procs, &pcap, m->n_procs + 1, sizeof(*m->procs)) ||
			    array_grow((void **)&caps, &ccap, m->n_procs + 1, sizeof(*caps))) {
				rc = -ENOMEM;
				break;
			}
			cur = &m->procs[m->n_procs];
			cc = &caps[m->n_procs];
			memset(cur, 0, sizeof(*cur));
			memset(cc, 0, sizeof(*cc));
			m->n_procs++;
			memcpy(&cur->info, d, sizeof(cur->info));
			cur->exe = strndup((const char *)d + sizeof(cur->info), rec.size - sizeof(cur->info));
			if (!cur->exe)
				rc = -ENOMEM;
			break;
		case REC_FINISH:
			if (rec.size >= sizeof(struct rec_finish)) {
				struct rec_finish f;

				memcpy(&f, d, sizeof(f));
				m->finished = 1;
				m->exit_status = f.exit_status;
				m->term_signal = f.term_signal;
			}
			break;
		default:
			if (!cur)
				break;
			if (rec.type == REC_MMAP) {
				rc = add_map(cur, cc, d, rec.size);
			} else if (rec.type == MEMW_STACK) {
				rc = add_stack(cur, cc, d, rec.size);
			} else if (rec.type == MEMW_PYCODE) {
				rc = add_pycode(cur, d, rec.size);
			} else if (rec.type == MEMW_SNAPSHOT) {
				rc = add_snapshot(cur, cc, d, rec.size);
			} else if (rec.type == MEMW_SITE && rec.size >= sizeof(struct memw_site)) {
				if (array_grow((void **)&cur->sites, &cc->sites, cur->n_sites + 1, sizeof(*cur->sites)))
					rc = -ENOMEM;
				else
					memcpy(&cur->sites[cur->n_sites++], d, sizeof(*cur->sites));
			} else if (rec.type == MEMW_POINT && rec.size >= sizeof(struct memw_point)) {
				if (array_grow((void **)&cur->points, &cc->points, cur->n_points + 1, sizeof(*cur->points)))
					rc = -ENOMEM;
				else
					memcpy(&cur->points[cur->n_points++], d, sizeof(*cur->points));
			} else if (rec.type == MEMW_RSS && rec.size >= sizeof(struct memw_rss)) {
				if (array_grow((void **)&cur->rss, &cc->rss, cur->n_rss + 1, sizeof(*cur->rss)))
					rc = -ENOMEM;
				else
					memcpy(&cur->rss[cur->n_rss++], d, sizeof(*cur->rss));
			} else if (rec.type == MEMW_LEAKS) {
				rc = add_leaks(cur, d, rec.size);
			} else if (rec.type == MEMW_SUMMARY &&
				   rec.size >= offsetof(struct memw_summary, dropped)) {
				/* recordings from before 'dropped' have none */
				memset(&cur->sum, 0, sizeof(cur->sum));
				memcpy(&cur->sum, d, rec.size < sizeof(cur->sum) ? rec.size : sizeof(cur->sum));
				cur->has_summary = 1;
			}
			break;
		}
	}
	free(caps);
	if (rc) {
		memprof_free(m);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	m->truncated = rec_reader_truncated(r);
	for (i = 0; i < m->n_procs; i++)
		if (!m->procs[i].has_summary)
			fill_summary(&m->procs[i]);
	if (!m->n_procs) {
		memprof_free(m);
		snprintf(err, errlen, "the recording holds no process%s",
			 rec_reader_truncated(r) ? " (it is cut short)" : "");
		return -ENODATA;
	}
	*out = m;
	return 0;
}

int memprof_load(struct memprof **out, const char *path, char *err, size_t errlen)
{
	struct rec_reader *r;
	int rc;

	*out = NULL;
	rc = rec_reader_open(&r, path, err, errlen);
	if (rc)
		return rc;
	rc = memprof_read(out, r, err, errlen);
	rec_reader_close(r);
	return rc;
}

struct memprof_proc *memprof_main(struct memprof *m, uint32_t pid)
{
	struct memprof_proc *best = NULL;
	size_t i;

	if (!m->n_procs)
		return NULL;
	if (pid) {
		for (i = 0; i < m->n_procs; i++)
			if (m->procs[i].info.pid == pid)
				best = &m->procs[i];	/* the last image of that pid */
		return best;
	}
	/* The first process recorded is the launched one; take its last image. */
	for (i = 0; i < m->n_procs; i++)
		if (m->procs[i].info.pid == m->procs[0].info.pid)
			best = &m->procs[i];
	if (best->sum.alloc_calls)
		return best;
	for (i = 0; i < m->n_procs; i++)
		if (m->procs[i].sum.alloc_bytes > best->sum.alloc_bytes)
			best = &m->procs[i];
	return best;
}

const uint64_t *memprof_stack(const struct memprof_proc *p, uint32_t id, uint32_t *nr)
{
	if (id >= p->n_stacks || !p->stack_ips[id]) {
		*nr = 0;
		return NULL;
	}
	*nr = p->stack_nr[id];
	return p->stack_ips[id];
}

struct memprof_snapshot *memprof_snapshot_find(struct memprof_proc *p, const char *label)
{
	size_t i;

	for (i = 0; i < p->n_snaps; i++)
		if (!strcmp(p->snaps[i].label, label))
			return &p->snaps[i];
	return NULL;
}

/* a + sign * b and a + b, saturated: snapshot figures come from files
 * and are untrusted (a crafted recording must not overflow the sums). */
static int64_t sat_add(int64_t a, uint64_t b, int sign)
{
	int64_t r, v = b > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)b;

	if (sign < 0 ? __builtin_sub_overflow(a, v, &r) : __builtin_add_overflow(a, v, &r))
		return sign < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static uint64_t sat_uadd(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static int diff_cmp(const void *a, const void *b)
{
	const struct memprof_diff_row *x = a, *y = b;

	if (x->bytes_diff != y->bytes_diff)
		return x->bytes_diff > y->bytes_diff ? -1 : 1;
	if (x->blocks_diff != y->blocks_diff)
		return x->blocks_diff > y->blocks_diff ? -1 : 1;
	return x->group < y->group ? -1 : x->group > y->group;
}

static uint32_t group_of(uint32_t stack, const uint32_t *keys, size_t n_keys, uint32_t n_groups)
{
	uint32_t g = keys ? (stack < n_keys ? keys[stack] : UINT32_MAX) : stack;

	return g < n_groups ? g : UINT32_MAX;
}

long memprof_diff(const struct memprof_snapshot *from, const struct memprof_snapshot *to,
		  const uint32_t *keys, size_t n_keys, uint32_t n_groups,
		  struct memprof_diff_row **rows)
{
	struct memprof_diff_row *g, *out;
	uint8_t *used;
	size_t i, n = 0;

	*rows = NULL;
	g = calloc((size_t)n_groups + 1, sizeof(*g));
	used = calloc((size_t)n_groups + 1, 1);
	if (!g || !used) {
		free(g);
		free(used);
		return -ENOMEM;
	}
	for (i = 0; i < from->n; i++) {
		uint32_t k = group_of(from->e[i].stack, keys, n_keys, n_groups);

		if (k == UINT32_MAX)
			continue;
		g[k].bytes_diff = sat_add(g[k].bytes_diff, from->e[i].bytes, -1);
		g[k].blocks_diff = sat_add(g[k].blocks_diff, from->e[i].blocks, -1);
		used[k] = 1;
	}
	for (i = 0; i < to->n; i++) {
		uint32_t k = group_of(to->e[i].stack, keys, n_keys, n_groups);

		if (k == UINT32_MAX)
			continue;
		g[k].bytes_diff = sat_add(g[k].bytes_diff, to->e[i].bytes, 1);
		g[k].blocks_diff = sat_add(g[k].blocks_diff, to->e[i].blocks, 1);
		g[k].bytes = sat_uadd(g[k].bytes, to->e[i].bytes);
		g[k].blocks = sat_uadd(g[k].blocks, to->e[i].blocks);
		used[k] = 1;
	}
	for (i = 0; i < n_groups; i++) {
		if (!used[i] || (!g[i].bytes_diff && !g[i].blocks_diff))
			continue;
		g[n] = g[i];
		g[n].group = (uint32_t)i;
		n++;
	}
	free(used);
	qsort(g, n, sizeof(*g), diff_cmp);
	out = realloc(g, (n ? n : 1) * sizeof(*g));
	*rows = out ? out : g;
	return (long)n;
}
