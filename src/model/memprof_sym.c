/*
 * memprof_sym.c - a pinch mem process image turned into the shared
 * profile model (model layer): its REC_MMAP records feed the symbolizer,
 * each recorded stack becomes a leaf-first stack of locations, each site
 * one sample carrying the seven memory values.
 */
#include "memprof.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "profile.h"
#include "pylinetable.h"
#include "recfile.h"
#include "symbols.h"
#include "core/banned.h"

static const char *const type_names[MP_N_VALUES][2] = {
	{ "alloc_bytes", "bytes" }, { "alloc_count", "count" },
	{ "peak_bytes", "bytes" }, { "peak_count", "count" },
	{ "leaked_bytes", "bytes" }, { "leaked_count", "count" },
	{ "temp_count", "count" },
	{ "possibly_lost_bytes", "bytes" }, { "possibly_lost_count", "count" },
	{ "reachable_bytes", "bytes" }, { "reachable_count", "count" },
};

/* Locations of one address (inline chain, innermost first) appended to locs. */
static int add_frames(struct profile *prof, struct symbolizer *sym, struct sym_space *sp,
		      uint64_t addr, uint32_t *locs, uint32_t *n, uint32_t max)
{
	const struct sym_frame *f;
	uint32_t nf, i;

	f = sym_result(sym, sym_lookup(sym, sp, addr), &nf);
	for (i = 0; i < nf && *n < max; i++) {
		struct profile_location l;
		uint32_t id;

		memset(&l, 0, sizeof(l));
		l.function = profile_intern_string(prof, f[i].function ? f[i].function : "?");
		l.file = f[i].file ? profile_intern_string(prof, f[i].file) : 0;
		l.line = f[i].line;
		l.module = profile_intern_string(prof, f[i].module ? f[i].module : "");
		l.address = f[i].rel;
		l.kind = f[i].kind;
		l.inlined = f[i].inlined;
		id = profile_intern_location(prof, &l);
		if (id == UINT32_MAX)
			return -ENOMEM;
		locs[(*n)++] = id;
	}
	return 0;
}

/* Allocator functions, matched with fnmatch() against the name with and
 * without its parameter list: the C family, C++'s operator new/new[],
 * and the wrappers of programs and libraries people profile. */
static const char *const alloc_fns[] = {
	"malloc", "calloc", "realloc", "reallocarray", "memalign", "aligned_alloc",
	"posix_memalign", "valloc", "pvalloc", "strdup", "strndup", "__libc_*alloc*",
	"operator new", "operator new[]",
	"xmalloc", "xcalloc", "xrealloc", "xmallocz", "xmallocz_gently", "xstrdup",
	"xstrndup", "xmemdupz", "xzalloc", "xnmalloc", "xnrealloc", "xcharalloc",
	"g_malloc", "g_malloc0", "g_realloc", "g_try_malloc", "g_try_malloc0",
	"g_malloc_n", "g_malloc0_n", "g_realloc_n", "g_slice_alloc", "g_slice_alloc0",
	"g_strdup", "g_strndup", "g_memdup", "g_memdup2",
	"sqlite3Malloc", "sqlite3MallocZero", "sqlite3_malloc", "sqlite3_malloc64",
	"sqlite3Realloc", "sqlite3_realloc", "sqlite3_realloc64", "sqlite3DbMalloc*",
	"sqlite3DbRealloc", "sqlite3DbReallocOrFree", "sqlite3MemMalloc", "sqlite3MemRealloc",
	"PyMem_*", "_PyMem_*", "PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc",
	"_PyObject_Malloc", "_PyObject_Calloc", "_PyObject_Realloc",
	"av_malloc", "av_mallocz", "av_realloc", "OPENSSL_malloc", "CRYPTO_malloc",
	"CRYPTO_zalloc", "CRYPTO_realloc", "emalloc", "ecalloc", "erealloc",
};

static int name_matches(const char *pat, const char *name, size_t plen)
{
	char base[256];

	if (!fnmatch(pat, name, 0))
		return 1;
	if (!plen || plen >= sizeof(base))
		return 0;
	memcpy(base, name, plen);
	base[plen] = '\0';
	return !fnmatch(pat, base, 0);
}

int memprof_is_alloc_frame(const struct memprof_sym_opts *o, const char *function,
			   const char *file, const char *module)
{
	const char *paren, *mod;
	size_t plen = 0;

	if (!function)
		return 0;
	/* "operator new(unsigned long)": the name before the parameters
	 * ("operator()" and friends aside, the first '(' after the name). */
	paren = strchr(function + (strncmp(function, "operator()", 10) ? 0 : 10), '(');
	if (paren)
		plen = (size_t)(paren - function);
	for (size_t i = 0; i < sizeof(alloc_fns) / sizeof(alloc_fns[0]); i++)
		if (name_matches(alloc_fns[i], function, plen))
			return 1;
	for (size_t i = 0; o && i < o->n_alloc_fns; i++)
		if (name_matches(o->alloc_fns[i], function, plen))
			return 1;
	/* The C++ standard library's allocation code: its headers, inlined
	 * (std::allocator_traits<...>::allocate, _M_create_node, ...), and
	 * libstdc++/libc++ themselves (basic_string::_M_create). */
	if (file && (strstr(file, "/include/c++/") || strstr(file, "/c++/v1/")))
		return 1;
	mod = module ? strrchr(module, '/') : NULL;
	mod = mod ? mod + 1 : module;
	return mod && (!strncmp(mod, "libstdc++.so", 12) || !strncmp(mod, "libc++.so", 9));
}

/* Drops the allocator frames at the top of a stack (leaf first), keeping
 * at least one frame. */
static void trim_alloc_frames(const struct profile *prof, const struct memprof_sym_opts *o,
			      uint32_t *locs, uint32_t *n)
{
	uint32_t k = 0;

	if (o && o->keep_alloc_fns)
		return;
	while (k + 1 < *n) {
		const struct profile_location *l = profile_location(prof, locs[k]);

		if (!memprof_is_alloc_frame(o, profile_string(prof, l->function),
					    l->file ? profile_string(prof, l->file) : NULL,
					    profile_string(prof, l->module)))
			break;
		k++;
	}
	if (k) {
		/* A library's constructor, called by the dynamic loader, stays
		 * the site (libstdc++'s start-up pool is its own, not
		 * call_init's). */
		const char *mod = profile_string(prof, profile_location(prof, locs[k])->module);
		const char *base = strrchr(mod, '/');

		base = base ? base + 1 : mod;
		if (!strncmp(base, "ld-linux", 8) || !strncmp(base, "ld-", 3))
			k--;
	}
	if (k) {
		memmove(locs, locs + k, (*n - k) * sizeof(*locs));
		*n -= k;
	}
}

/* 1 when a frame of the stack matches one of o's suppressions. */
static int suppressed(const struct profile *prof, const struct memprof_sym_opts *o,
		      const uint32_t *locs, uint32_t n)
{
	for (size_t i = 0; o && i < o->n_suppress; i++) {
		const char *pat = o->suppress[i];
		int obj = !strncmp(pat, "obj:", 4);

		if (obj || !strncmp(pat, "fun:", 4))
			pat += 4;
		for (uint32_t k = 0; k < n; k++) {
			const struct profile_location *l = profile_location(prof, locs[k]);

			if (obj) {
				const char *m = profile_string(prof, l->module), *b = strrchr(m, '/');

				if (!fnmatch(pat, m, 0) || !fnmatch(pat, b ? b + 1 : m, 0))
					return 1;
			} else {
				const char *f = profile_string(prof, l->function), *paren = strchr(f, '(');

				if (name_matches(pat, f, paren ? (size_t)(paren - f) : 0))
					return 1;
			}
		}
	}
	return 0;
}

static int pycode_cmp(const void *a, const void *b)
{
	const struct memprof_pycode *x = *(const struct memprof_pycode *const *)a;
	const struct memprof_pycode *y = *(const struct memprof_pycode *const *)b;

	return x->code < y->code ? -1 : x->code > y->code;
}

/* Python view of a stack with interpreter words (MEMW_PY_TAG): its
 * Python frames only, innermost first, so allocations land on the Python
 * line that made them (tracemalloc's view). 1 when the stack had any. */
static int add_python_frames(struct profile *prof, const struct memprof_pycode *const *codes,
			     size_t ncodes, const uint64_t *ips, uint32_t nr, uint32_t *locs,
			     uint32_t *n, uint32_t max)
{
	uint32_t python = profile_intern_string(prof, "python");
	int any = 0;

	for (uint32_t k = 0; k < nr && *n < max; k++) {
		struct memprof_pycode key, *kp = &key;
		const struct memprof_pycode *const *hit;
		struct profile_location l;
		uint32_t id;

		if (!(ips[k] & MEMW_PY_TAG))
			continue;
		any = 1;
		key.code = ips[k] & MEMW_PY_CODE_MASK;
		hit = ncodes ? bsearch(&kp, codes, ncodes, sizeof(*codes), pycode_cmp) : NULL;
		memset(&l, 0, sizeof(l));
		l.module = python;
		l.kind = LOC_PYTHON;
		if (hit) {
			int32_t line = py_linetable_line((*hit)->table, (*hit)->table_len,
							 (*hit)->firstlineno,
							 (int64_t)((ips[k] >> 47) & MEMW_PY_LASTI_MAX) * 2);

			l.function = profile_intern_string(prof, (*hit)->name);
			l.file = profile_intern_string(prof, (*hit)->file);
			l.line = line > 0 ? (uint32_t)line : 0;
		} else {
			l.function = profile_intern_string(prof, "[python]");
		}
		id = profile_intern_location(prof, &l);
		if (id == UINT32_MAX)
			return -ENOMEM;
		locs[(*n)++] = id;
	}
	return any;
}

int memprof_profile(const struct memprof_proc *p, struct memprof_sym_opts *o,
		    struct profile **out, uint32_t **stack_map, struct strbuf *warnings, char *err,
		    size_t errlen)
{
	enum { MAX_LOCS = MEMW_MAX_DEPTH * 8 };
	struct symbolizer *sym = NULL;
	struct sym_space *sp;
	struct profile *prof = NULL;
	uint32_t *map = NULL, thread, locs[MAX_LOCS];
	const struct memprof_pycode **codes = NULL;
	const char *base;
	size_t i;
	int rc = -ENOMEM;

	*out = NULL;
	if (stack_map)
		*stack_map = NULL;
	prof = profile_new();
	sym = symbolizer_new();
	map = malloc((p->n_stacks + 1) * sizeof(*map));
	if (!prof || !sym || !map)
		goto fail;
	for (i = 0; i <= p->n_stacks; i++)
		map[i] = UINT32_MAX;
	for (i = 0; i < MP_N_VALUES; i++)
		if (profile_add_type(prof, type_names[i][0], type_names[i][1]) < 0)
			goto fail;
	codes = malloc((p->n_pycodes + 1) * sizeof(*codes));
	if (!codes)
		goto fail;
	for (i = 0; i < p->n_pycodes; i++)
		codes[i] = &p->pycodes[i];
	qsort(codes, p->n_pycodes, sizeof(*codes), pycode_cmp);
	for (i = 0; i < p->n_maps; i++) {
		struct rec_mmap m = *p->maps[i].m;

		m.pid = p->info.pid;
		if (symbolizer_mmap(sym, &m, p->maps[i].path))
			goto fail;
	}
	sp = symbolizer_space(sym, p->info.pid);
	base = p->exe ? strrchr(p->exe, '/') : NULL;
	base = base ? base + 1 : (p->exe ? p->exe : "?");
	thread = profile_intern_thread(prof, p->info.pid, p->info.pid, base);
	if (thread == UINT32_MAX)
		goto fail;
	for (i = 0; i < p->n_sites; i++) {
		const struct memw_site *s = &p->sites[i];
		int64_t v[MP_N_VALUES];
		uint32_t nr, n = 0, k, stack;
		int supp;
		const uint64_t *ips = memprof_stack(p, s->stack, &nr);
		int py = add_python_frames(prof, codes, p->n_pycodes, ips, nr, locs, &n, MAX_LOCS);

		if (py < 0)
			goto fail;
		for (k = 0; !py && k < nr; k++)
			if (add_frames(prof, sym, sp, ips[k], locs, &n, MAX_LOCS))
				goto fail;
		supp = suppressed(prof, o, locs, n);
		if (!py)
			trim_alloc_frames(prof, o, locs, &n);
		if (!n) {
			struct profile_location l;

			memset(&l, 0, sizeof(l));
			l.function = profile_intern_string(prof, "[unknown stack]");
			l.kind = LOC_UNKNOWN;
			locs[n++] = profile_intern_location(prof, &l);
		}
		stack = profile_intern_stack(prof, locs, n);
		if (stack == UINT32_MAX)
			goto fail;
		if (s->stack < p->n_stacks)
			map[s->stack] = stack;
		v[MP_ALLOC_BYTES] = (int64_t)s->alloc_bytes;
		v[MP_ALLOC_COUNT] = (int64_t)s->alloc_calls;
		v[MP_PEAK_BYTES] = (int64_t)s->peak_bytes;
		v[MP_PEAK_COUNT] = (int64_t)s->peak_blocks;
		v[MP_LEAK_BYTES] = (int64_t)s->live_bytes;
		v[MP_LEAK_COUNT] = (int64_t)s->live_blocks;
		v[MP_TEMP_COUNT] = (int64_t)s->temp_calls;
		v[MP_POSSIBLE_BYTES] = v[MP_POSSIBLE_COUNT] = 0;
		v[MP_REACHABLE_BYTES] = v[MP_REACHABLE_COUNT] = 0;
		if (p->has_leaks) {
			uint64_t b[MEMW_LEAK_CLASSES], c[MEMW_LEAK_CLASSES];

			for (uint32_t cls = MEMW_LEAK_REACHABLE; cls < MEMW_LEAK_CLASSES; cls++)
				memprof_leak_class(p, s->stack, cls, &b[cls], &c[cls]);
			v[MP_LEAK_BYTES] = (int64_t)(b[MEMW_LEAK_DEFINITE] + b[MEMW_LEAK_INDIRECT]);
			v[MP_LEAK_COUNT] = (int64_t)(c[MEMW_LEAK_DEFINITE] + c[MEMW_LEAK_INDIRECT]);
			v[MP_POSSIBLE_BYTES] = (int64_t)b[MEMW_LEAK_POSSIBLE];
			v[MP_POSSIBLE_COUNT] = (int64_t)c[MEMW_LEAK_POSSIBLE];
			v[MP_REACHABLE_BYTES] = (int64_t)b[MEMW_LEAK_REACHABLE];
			v[MP_REACHABLE_COUNT] = (int64_t)c[MEMW_LEAK_REACHABLE];
		}
		if (supp) {
			o->suppressed_bytes += (uint64_t)(v[MP_LEAK_BYTES] + v[MP_POSSIBLE_BYTES]);
			o->suppressed_blocks += (uint64_t)(v[MP_LEAK_COUNT] + v[MP_POSSIBLE_COUNT]);
			v[MP_LEAK_BYTES] = v[MP_LEAK_COUNT] = 0;
			v[MP_POSSIBLE_BYTES] = v[MP_POSSIBLE_COUNT] = 0;
		}
		if (profile_add_sample(prof, stack, thread, v))
			goto fail;
	}
	/* stacks only seen in snapshots still need a profile stack for diffs */
	for (i = 0; i < p->n_stacks; i++) {
		uint32_t nr, n = 0, k;
		const uint64_t *ips;

		if (map[i] != UINT32_MAX)
			continue;
		ips = memprof_stack(p, (uint32_t)i, &nr);
		{
			int py = add_python_frames(prof, codes, p->n_pycodes, ips, nr, locs, &n,
						   MAX_LOCS);

			if (py < 0)
				goto fail;
			for (k = 0; !py && k < nr; k++)
				if (add_frames(prof, sym, sp, ips[k], locs, &n, MAX_LOCS))
					goto fail;
			if (!py)
				trim_alloc_frames(prof, o, locs, &n);
		}
		if (n)
			map[i] = profile_intern_stack(prof, locs, n);
	}
	if (warnings)
		for (i = 0; i < sym_n_warnings(sym); i++)
			strbuf_addf(warnings, "%s\n", sym_warning(sym, i));
	symbolizer_free(sym);
	free(codes);
	*out = prof;
	if (stack_map)
		*stack_map = map;
	else
		free(map);
	return 0;
fail:
	snprintf(err, errlen, "out of memory while symbolizing");
	symbolizer_free(sym);
	profile_free(prof);
	free(map);
	free(codes);
	return rc;
}
