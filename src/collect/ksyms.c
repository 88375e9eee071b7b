/*
 * ksyms.c - the kernel addresses of a recording's samples, resolved once
 * at its end against /proc/kallsyms into REC_KSYM records (collect layer;
 * see ksyms.h). Only text symbols count; an address past the last one is
 * left unnamed rather than given a far-away name.
 */
#include "collect/ksyms.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/hmap.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

struct ksyms {
	uint64_t *addrs;
	size_t n, alloc;
	struct hmap idx;
};

struct ksym {
	uint64_t start;
	const char *name;	/* into the kallsyms text, NUL-terminated in place */
};

struct ksyms *ksyms_new(void)
{
	struct ksyms *k = calloc(1, sizeof(*k));

	if (k)
		hmap_init(&k->idx);
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->addrs);
	hmap_release(&k->idx);
	free(k);
}

static int addr_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct ksyms *k = ctx;

	return k->addrs[id] == *(const uint64_t *)key;
}

int ksyms_add(struct ksyms *k, uint64_t addr)
{
	uint64_t h = hash_mix(addr);

	if (hmap_find(&k->idx, h, &addr, addr_eq, k) != UINT32_MAX)
		return 0;
	if (ARRAY_GROW(k->addrs, k->alloc, k->n + 1))
		return -ENOMEM;
	if (hmap_insert(&k->idx, h, (uint32_t)k->n))
		return -ENOMEM;
	k->addrs[k->n++] = addr;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The text symbols of kallsyms (text: the file, cut into names in place),
 * sorted; *nonzero tells whether any address was shown (kptr_restrict
 * prints zeros). One read and no allocation per symbol: this runs while
 * the target waits for pinch to finish. */
static struct ksym *parse_kallsyms(struct strbuf *text, size_t *n, int *nonzero)
{
	struct ksym *v = NULL;
	size_t alloc = 0;
	char *p = text->buf, *end = text->buf + text->len;

	*n = 0;
	*nonzero = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *q, *name;
		uint64_t a;
		char type;

		if (!nl)
			nl = end;
		*nl = '\0';
		a = strtoull(p, &q, 16);
		if (q > p && q + 3 < nl && q[0] == ' ' && q[2] == ' ') {
			type = q[1];
			name = q + 3;
			name[strcspn(name, " \t")] = '\0';	/* drop "[module]" */
			if (a)
				*nonzero = 1;
			if (type == 't' || type == 'T' || type == 'w' || type == 'W') {
				if (ARRAY_GROW(v, alloc, *n + 1))
					break;
				v[*n].start = a;
				v[*n].name = name;
				(*n)++;
			}
		}
		p = nl + 1;
	}
	if (v)
		qsort(v, *n, sizeof(*v), by_start);
	return v;
}

static const struct ksym *find(const struct ksym *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo - 1: the last symbol starting at or before addr; the very last
	 * symbol of the table has no known end, so it names nothing. */
	return lo && lo < n ? &v[lo - 1] : NULL;
}

int ksyms_write(struct ksyms *k, const char *kallsyms_path, struct rec_writer *w, int *hidden)
{
	struct strbuf text = STRBUF_INIT;
	struct ksym *v = NULL;
	size_t n = 0;
	int nonzero = 0, rc = 0;

	if (k->n && !strbuf_read_file(&text, kallsyms_path, 256u << 20))
		v = parse_kallsyms(&text, &n, &nonzero);
	*hidden = k->n && !nonzero;
	for (size_t i = 0; !rc && i < k->n; i++) {
		const struct ksym *s = nonzero ? find(v, n, k->addrs[i]) : NULL;
		struct rec_ksym r = { k->addrs[i], s ? k->addrs[i] - s->start : 0 };
		const char *name = s ? s->name : "";

		rc = rec_writer_add(w, REC_KSYM, &r, sizeof(r), name, strlen(name) + 1, NULL, 0);
	}
	free(v);
	strbuf_release(&text);
	return rc;
}
