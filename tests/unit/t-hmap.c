#include <stdint.h>

#include "core/hmap.h"
#include "tap.h"

static uint64_t keys[20000];

static int eq(const void *ctx, uint32_t id, const void *key)
{
	(void)ctx;
	return keys[id] == *(const uint64_t *)key;
}

int main(void)
{
	struct hmap m;
	uint32_t i, misses = 0, wrong = 0;

	hmap_init(&m);
	is_uint(hmap_find(&m, 1, &keys[0], eq, NULL), UINT32_MAX, "empty map finds nothing");
	for (i = 0; i < 20000; i++) {
		keys[i] = (uint64_t)i * 7919 + 13;
		/* weak hash on purpose: collisions must still resolve by eq() */
		if (hmap_insert(&m, keys[i] % 4096, i))
			misses++;
	}
	is_uint(misses, 0, "20000 inserts");
	for (i = 0; i < 20000; i++)
		if (hmap_find(&m, keys[i] % 4096, &keys[i], eq, NULL) != i)
			wrong++;
	is_uint(wrong, 0, "every key found under colliding hashes");
	{
		uint64_t absent = 5;
		is_uint(hmap_find(&m, absent % 4096, &absent, eq, NULL), UINT32_MAX, "absent key not found");
	}
	ok(hash_bytes("abc", 3, 0) != hash_bytes("abd", 3, 0), "hash differs for different bytes");
	hmap_release(&m);
	return done_testing();
}
