/*
 * hmap.c - hash index for interning tables (core layer); linear probing,
 * grows at 70 % load.
 */
#include "hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void hmap_init(struct hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void hmap_release(struct hmap *m)
{
	free(m->hashes);
	free(m->ids);
	hmap_init(m);
}

uint32_t hmap_find(const struct hmap *m, uint64_t hash, const void *key, hmap_eq_fn eq,
		   const void *ctx)
{
	uint32_t i;

	if (!m->cap)
		return UINT32_MAX;
	for (i = (uint32_t)hash & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->ids[i])
			return UINT32_MAX;
		if (m->hashes[i] == hash && eq(ctx, m->ids[i] - 1, key))
			return m->ids[i] - 1;
	}
}

static void put(uint64_t *hashes, uint32_t *ids, uint32_t cap, uint64_t hash, uint32_t idp1)
{
	uint32_t i;

	for (i = (uint32_t)hash & (cap - 1); ids[i]; i = (i + 1) & (cap - 1))
		;
	hashes[i] = hash;
	ids[i] = idp1;
}

int hmap_insert(struct hmap *m, uint64_t hash, uint32_t id)
{
	if ((uint64_t)(m->count + 1) * 10 > (uint64_t)m->cap * 7) {
		uint32_t ncap = m->cap ? m->cap * 2 : 64, i;
		uint64_t *nh = calloc(ncap, sizeof(*nh));
		uint32_t *ni = calloc(ncap, sizeof(*ni));

		if (!nh || !ni) {
			free(nh);
			free(ni);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->ids[i])
				put(nh, ni, ncap, m->hashes[i], m->ids[i]);
		free(m->hashes);
		free(m->ids);
		m->hashes = nh;
		m->ids = ni;
		m->cap = ncap;
	}
	put(m->hashes, m->ids, m->cap, hash, id + 1);
	m->count++;
	return 0;
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return hash_mix(h ^ len);
}
