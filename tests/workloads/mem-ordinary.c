/*
 * mem-ordinary.c - the ordinary benchmark workload (b): sorts 4 M
 * integers and fills a 400 k-key chained hash table, then frees it all.
 */
#include <stdint.h>
#include <stdlib.h>

struct node {
	uint64_t key, value;
	struct node *next;
};

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(void)
{
	const size_t n = 4000000, keys = 400000, buckets = 1 << 19;
	uint64_t s = 88172645463325252ull, sum = 0;
	uint32_t *v = malloc(n * sizeof(*v));
	struct node **tab = calloc(buckets, sizeof(*tab));

	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)rng(&s);
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < keys; i++) {
		uint64_t k = rng(&s);
		struct node *e = malloc(sizeof(*e));

		e->key = k;
		e->value = i;
		e->next = tab[k & (buckets - 1)];
		tab[k & (buckets - 1)] = e;
	}
	for (size_t i = 0; i < keys; i++) {
		uint64_t k = rng(&s);

		for (struct node *e = tab[k & (buckets - 1)]; e; e = e->next)
			sum += e->key == k;
	}
	for (size_t b = 0; b < buckets; b++)
		for (struct node *e = tab[b], *nx; e; e = nx) {
			nx = e->next;
			free(e);
		}
	free(tab);
	free(v);
	return (int)(sum & 1) && v[0] > v[n - 1];
}
