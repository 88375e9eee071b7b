/*
 * t-pymerge.c - Python frames merged into native stacks: the Python view
 * (Python frames plus an extension's native leaf) and the native view
 * (each _PyEval_EvalFrameDefault replaced by its Python frames up to the
 * next entry frame), threads without Python, malformed records.
 */
#include <string.h>

#include "model/profile.h"
#include "model/pymerge.h"
#include "model/recfile.h"
#include "tap.h"
#include "core/banned.h"

static struct profile *p;

static uint32_t native(const char *fn, const char *mod, int inlined)
{
	struct profile_location l = {
		.function = profile_intern_string(p, fn),
		.module = profile_intern_string(p, mod),
		.kind = LOC_NATIVE,
		.inlined = (uint16_t)inlined,
	};

	return profile_intern_location(p, &l);
}

static void string_rec(struct pymerge *m, uint32_t id, const char *s)
{
	uint8_t buf[128];
	struct rec r = { REC_STRING, (uint32_t)(4 + strlen(s)), buf };

	memcpy(buf, &id, 4);
	memcpy(buf + 4, s, strlen(s));
	is_int(pymerge_on_string(m, &r), 0, "string %u", id);
}

/* frames: function string ids, leaf first; entries: entry flags. */
static void stack_rec(struct pymerge *m, uint32_t tid, const uint32_t *fns, const int *entry,
		      uint16_t n)
{
	uint8_t buf[512];
	struct rec_symstack ss = { .tid = tid, .nr = n, .lang = 1, .time_ns = 1 };
	struct rec r = { REC_SYMSTACK, (uint32_t)(sizeof(ss) + n * sizeof(struct rec_symframe)), buf };

	memcpy(buf, &ss, sizeof(ss));
	for (uint16_t i = 0; i < n; i++) {
		struct rec_symframe f = { fns[i], 1, 10 + i, entry[i] ? REC_SYMFRAME_ENTRY : 0 };

		memcpy(buf + sizeof(ss) + i * sizeof(f), &f, sizeof(f));
	}
	is_int(pymerge_on_symstack(m, &r), 0, "symstack of %u (%u frames)", tid, n);
}

static const char *names(const uint32_t *locs, uint32_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ";" : "",
				      profile_string(p, profile_location(p, locs[i])->function));
	return buf;
}

int main(void)
{
	struct pymerge *py, *nat;
	char buf[512];
	uint32_t locs[32], n;
	/* leaf first: deflate (libz) <- zlib_compress (ext) <- cfunction (libpython, inlined
	 * into eval) <- eval <- PyEval_EvalCode <- eval <- main */
	uint32_t deflate, zc, cfn, eval, code, mn, memcpy_, sample[7];
	/* Python stack: leaf g, f (entry), <module> (entry). */
	const uint32_t fns[] = { 2, 3, 4 };
	const int entry[] = { 0, 1, 1 };

	p = profile_new();
	deflate = native("deflate", "libz.so.1", 0);
	zc = native("zlib_compress", "zlib.cpython-311-x86_64-linux-gnu.so", 0);
	cfn = native("cfunction_vectorcall", "libpython3.11.so.1.0", 1);
	eval = native("_PyEval_EvalFrameDefault", "libpython3.11.so.1.0", 0);
	code = native("PyEval_EvalCode", "libpython3.11.so.1.0", 0);
	mn = native("main", "python3.11", 0);
	memcpy_ = native("memcpy", "libc.so.6", 0);
	{
		const uint32_t s[] = { deflate, zc, cfn, eval, code, eval, mn };

		memcpy(sample, s, sizeof(s));
	}
	py = pymerge_new(p, 0);
	nat = pymerge_new(p, 1);
	string_rec(py, 1, "app.py");
	string_rec(py, 2, "g");
	string_rec(py, 3, "f");
	string_rec(py, 4, "<module>");
	string_rec(nat, 1, "app.py");
	string_rec(nat, 2, "g");
	string_rec(nat, 3, "f");
	string_rec(nat, 4, "<module>");
	stack_rec(py, 7, fns, entry, 3);
	stack_rec(nat, 7, fns, entry, 3);

	memcpy(locs, sample, sizeof(sample));
	n = 7;
	pymerge_stack(py, 7, locs, &n, 32);
	is_str(names(locs, n, buf, sizeof(buf)), "zlib_compress;g;f;<module>",
	       "python view: the extension's outermost frame, then Python");
	ok(profile_location(p, locs[1])->kind == LOC_PYTHON, "python frames are LOC_PYTHON");
	is_int(profile_location(p, locs[1])->line, 10, "line kept");

	memcpy(locs, sample, sizeof(sample));
	n = 7;
	pymerge_stack(nat, 7, locs, &n, 32);
	is_str(names(locs, n, buf, sizeof(buf)),
	       "deflate;zlib_compress;g;f;PyEval_EvalCode;<module>;main",
	       "native view: each eval frame replaced up to its entry frame");

	/* In the interpreter itself (libc under it): Python frames only. */
	locs[0] = memcpy_;
	locs[1] = eval;
	locs[2] = mn;
	n = 3;
	pymerge_stack(py, 7, locs, &n, 32);
	is_str(names(locs, n, buf, sizeof(buf)), "g;f;<module>", "interpreter time: Python frames only");

	/* libc under an extension: the extension still named. */
	locs[0] = memcpy_;
	locs[1] = zc;
	locs[2] = cfn;
	locs[3] = eval;
	locs[4] = mn;
	n = 5;
	pymerge_stack(py, 7, locs, &n, 32);
	is_str(names(locs, n, buf, sizeof(buf)), "zlib_compress;g;f;<module>", "libc under an extension");

	/* A chain cut short: leftover Python frames at the root end. */
	locs[0] = eval;
	n = 1;
	pymerge_stack(nat, 7, locs, &n, 32);
	is_str(names(locs, n, buf, sizeof(buf)), "g;f;<module>", "cut chain: the rest appended");

	/* Another thread without Python: unchanged. */
	locs[0] = deflate;
	locs[1] = mn;
	n = 2;
	pymerge_stack(py, 8, locs, &n, 32);
	is_str(names(locs, n, buf, sizeof(buf)), "deflate;main", "thread without python unchanged");

	/* An empty stack (unreadable) clears the thread's Python stack. */
	stack_rec(py, 7, fns, entry, 0);
	locs[0] = memcpy_;
	locs[1] = mn;
	n = 2;
	pymerge_stack(py, 7, locs, &n, 32);
	is_str(names(locs, n, buf, sizeof(buf)), "memcpy;main", "no python stack: native kept");

	/* Room for fewer frames than the merge makes. */
	memcpy(locs, sample, sizeof(sample));
	n = 7;
	stack_rec(nat, 7, fns, entry, 3);
	pymerge_stack(nat, 7, locs, &n, 3);
	is_uint(n, 3, "cut at max");

	{
		struct rec bad = { REC_SYMSTACK, 4, "abcd" };
		struct rec bad2 = { REC_STRING, 2, "ab" };

		ok(pymerge_on_symstack(py, &bad) < 0, "short symstack refused");
		ok(pymerge_on_string(py, &bad2) < 0, "short string refused");
	}
	is_uint(pymerge_stacks_seen(py), 2, "stacks counted");
	pymerge_free(py);
	pymerge_free(nat);
	profile_free(p);
	return done_testing();
}
