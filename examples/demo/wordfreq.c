/*
 * wordfreq.c - the demo workload for `make demo`: generates a large text
 * from a fixed vocabulary, then counts word frequencies with a chained
 * hash table and prints the top 10. Its bottleneck is deliberate and
 * easy to see in `pinch report`: hash_word() is a slow byte-at-a-time
 * hash, called once per word; lookup() is the runner-up.
 *
 * usage: wordfreq [MEGABYTES]   (default 40)
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

struct entry {
	struct entry *next;
	char *word;
	long count;
};

static struct entry *table[BUCKETS];

static const char *const vocab[] = {
	"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "profiler",
	"sample", "stack", "frame", "pointer", "kernel", "thread", "signal", "buffer",
	"function", "hot", "path", "latency", "throughput", "cache", "memory",
	"performance", "bottleneck", "measure", "optimize", "verify", "baseline",
};

/* Deliberately slow: re-mixes the whole state for every byte. */
__attribute__((noinline)) static uint64_t hash_word(const char *w, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)w[i];
		for (int r = 0; r < 8; r++)
			h = (h << 5 | h >> 59) * 1099511628211ull + 0x9e3779b97f4a7c15ull;
	}
	return h;
}

__attribute__((noinline)) static struct entry *lookup(const char *w, size_t len)
{
	uint64_t h = hash_word(w, len);
	struct entry **slot = &table[h % BUCKETS], *e;

	for (e = *slot; e; e = e->next)
		if (!strncmp(e->word, w, len) && e->word[len] == '\0')
			return e;
	e = calloc(1, sizeof(*e));
	e->word = strndup(w, len);
	e->next = *slot;
	*slot = e;
	return e;
}

__attribute__((noinline)) static char *generate(size_t bytes)
{
	char *text = malloc(bytes + 32);
	size_t n = 0;
	uint64_t x = 42;

	while (n < bytes) {
		const char *w;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		w = vocab[(x >> 33) % (sizeof(vocab) / sizeof(vocab[0]))];
		n += (size_t)snprintf(text + n, 32, "%s ", w);
	}
	text[n] = '\0';
	return text;
}

__attribute__((noinline)) static void count_words(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *start;

		while (*p && !isalpha((unsigned char)*p))
			p++;
		start = p;
		while (isalpha((unsigned char)*p))
			p++;
		if (p > start)
			lookup(start, (size_t)(p - start))->count++;
	}
}

static int by_count(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;

	return (y->count > x->count) - (y->count < x->count);
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 40, n = 0, i;
	struct entry *all[256], *e;
	char *text = generate(mb << 20);

	count_words(text);
	for (i = 0; i < BUCKETS; i++)
		for (e = table[i]; e && n < 256; e = e->next)
			all[n++] = e;
	qsort(all, n, sizeof(all[0]), by_count);
	for (i = 0; i < n && i < 10; i++)
		printf("%8ld %s\n", all[i]->count, all[i]->word);
	free(text);
	return 0;
}
