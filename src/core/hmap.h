/*
 * hmap.h - an open-addressing hash index from 64-bit hashes to dense ids
 * (0..n-1). The caller owns the items, stored in its own arrays by id; the
 * index only remembers hash -> id and asks the caller's eq() to confirm.
 * This keeps interning tables (strings, locations, stacks) compact.
 */
#ifndef PINCH_CORE_HMAP_H
#define PINCH_CORE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap {
	uint64_t *hashes;
	uint32_t *ids;		/* id + 1; 0 marks an empty slot */
	uint32_t cap;		/* power of two */
	uint32_t count;
};

/* eq(ctx, id, key): nonzero when item id equals the key being looked up. */
typedef int (*hmap_eq_fn)(const void *ctx, uint32_t id, const void *key);

void hmap_init(struct hmap *m);
void hmap_release(struct hmap *m);
/* Returns the id stored for key, or UINT32_MAX. */
uint32_t hmap_find(const struct hmap *m, uint64_t hash, const void *key, hmap_eq_fn eq,
		   const void *ctx);
/* Stores hash -> id (the caller checked it is absent). 0 or -ENOMEM. */
int hmap_insert(struct hmap *m, uint64_t hash, uint32_t id);

/* 64-bit hash of bytes (FNV-1a folded with a final mix). */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);
static inline uint64_t hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

#endif
