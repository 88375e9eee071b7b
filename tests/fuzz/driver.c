/*
 * driver.c - a standalone driver for the fuzz targets (no libFuzzer
 * needed): replays every file of the corpus directories (or the files)
 * given as arguments, then runs seeded random mutations of them for a bounded
 * number of iterations (PINCH_FUZZ_ITERS, default 20000). Under the
 * sanitizer build this turns every parser's fuzz target into a CI test.
 * With clang, the same target links against -fsanitize=fuzzer instead.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seeds {
	struct strbuf *v;
	size_t n, alloc;
};

static void load_file(struct seeds *s, const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path, 1 << 24)) {
		fprintf(stderr, "fuzz driver: cannot read '%s'\n", path);
		return;
	}
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 16;
		s->v = realloc(s->v, s->alloc * sizeof(*s->v));
	}
	s->v[s->n++] = sb;
}

/* A corpus directory, or one input (a crash to reproduce). */
static void load_dir(struct seeds *s, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d && errno == ENOTDIR) {
		load_file(s, dir);
		return;
	}
	if (!d) {
		fprintf(stderr, "fuzz driver: cannot open corpus '%s'\n", dir);
		return;
	}
	while ((e = readdir(d))) {
		char path[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		load_file(s, path);
	}
	closedir(d);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	struct seeds s = { 0 };
	long iters = getenv("PINCH_FUZZ_ITERS") ? atol(getenv("PINCH_FUZZ_ITERS")) : 20000;
	long i;
	int a;

	for (a = 1; a < argc; a++)
		load_dir(&s, argv[a]);
	for (size_t k = 0; k < s.n; k++)
		LLVMFuzzerTestOneInput((const uint8_t *)s.v[k].buf, s.v[k].len);
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (i = 0; i < iters; i++) {
		struct strbuf m = STRBUF_INIT;
		int muts = 1 + (int)(next() % 8);

		if (s.n) {
			size_t pick = next() % s.n;

			strbuf_add(&m, s.v[pick].buf, s.v[pick].len);
		}
		while (muts--) {
			size_t pos = m.len ? next() % m.len : 0;

			switch (next() % 5) {
			case 0: if (m.len) m.buf[pos] ^= (char)(1 << (next() % 8)); break;
			case 1: if (m.len) m.buf[pos] = (char)next(); break;
			case 2: strbuf_setlen(&m, pos); break;
			case 3: { uint64_t r = next(); strbuf_add(&m, &r, next() % 8 + 1); break; }
			case 4: if (m.len >= 8) { size_t p2 = next() % (m.len - 4); uint32_t v = (uint32_t)next() % 4 == 0 ? 0xffffffffu : (uint32_t)(next() % 256); memcpy(m.buf + p2, &v, 4); } break;
			}
		}
		LLVMFuzzerTestOneInput((const uint8_t *)m.buf, m.len);
		strbuf_release(&m);
	}
	printf("fuzz driver: %zu seeds, %ld mutated inputs, no crash\n", s.n, iters);
	for (size_t k = 0; k < s.n; k++)
		strbuf_release(&s.v[k]);
	free(s.v);
	return 0;
}
