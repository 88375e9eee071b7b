/*
 * diagnose_prof.c - see diagnose.h: the evidence an on-CPU (or wall)
 * profile gives pinch doctor. Per sample: an "[off: REASON]" leaf is
 * off-CPU time at the first program frame above it; kernel frames of the
 * page-fault path make fault time; allocator frames (pinch mem's list,
 * and glibc's malloc internals) before the first program frame make
 * allocation time, charged to that frame; the rest is the program's own
 * CPU time, charged to its first frame outside the kernel and the C
 * runtime (so memcpy's time goes to its caller), per function and line.
 */
#include "model/diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/memprof.h"
#include "model/profile.h"
#include "core/banned.h"


/* Accumulators keyed by (function, file, line) or by function. */
struct acc {
	uint32_t fn, file, line;
	double v;
};

struct accs {
	struct acc *a;
	size_t n, alloc;
};

static void acc_add(struct accs *s, uint32_t fn, uint32_t file, uint32_t line, double v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->a[i].fn == fn && s->a[i].file == file && s->a[i].line == line) {
			s->a[i].v += v;
			return;
		}
	if (s->n == s->alloc) {
		size_t na = s->alloc ? 2 * s->alloc : 64;
		struct acc *nb = realloc(s->a, na * sizeof(*nb));

		if (!nb)
			return;
		s->a = nb;
		s->alloc = na;
	}
	s->a[s->n++] = (struct acc){ fn, file, line, v };
}

static int acc_cmp(const void *x, const void *y)
{
	const struct acc *a = x, *b = y;

	return a->v > b->v ? -1 : a->v < b->v ? 1 : 0;
}

static void accs_sort(struct accs *s)
{
	if (s->n)
		qsort(s->a, s->n, sizeof(*s->a), acc_cmp);
}

static int is_runtime_module(const char *m)
{
	return !strncmp(m, "libc.so", 7) || !strncmp(m, "libc-", 5) || !strncmp(m, "libpthread", 10) ||
	       !strncmp(m, "ld-linux", 8) || !strncmp(m, "libstdc++", 9) || !strcmp(m, "[vdso]") ||
	       !strncmp(m, "libpinch-", 9);	/* pinch's own agents (db trace's rides with doctor) */
}

/* A database client library, or a language binding that drives one
 * (psycopg2 waits for the server in its own poll(), not in libpq): time
 * under it is its statements'. */
static const char *db_lib(const char *m)
{
	if (!strncmp(m, "libpq.so", 8) || !strncmp(m, "_psycopg", 8))
		return "libpq";
	if (!strncmp(m, "libsqlite3.so", 13) || !strncmp(m, "_sqlite3", 8))
		return "libsqlite3";
	return NULL;
}

/* ... or the glue between it and the program: pinch db trace's agent and
 * the interpreter's own native frames (the script's frames are above). */
static int is_db_glue(const char *m)
{
	return db_lib(m) || !strncmp(m, "libpinch-db", 11) || !strncmp(m, "python3", 7) ||
	       !strncmp(m, "libpython", 9);
}

static int is_fault_frame(const char *fn)
{
	return strstr(fn, "page_fault") || strstr(fn, "handle_mm_fault") || strstr(fn, "do_anonymous_page") ||
	       strstr(fn, "handle_pte_fault") || strstr(fn, "do_user_addr_fault");
}

/* Allocator code: what pinch mem takes for it, or the C library's
 * malloc internals (_int_free, malloc_consolidate, tcache...). */
static int is_alloc_loc(const struct profile *p, const struct profile_location *l)
{
	const char *fn = profile_string(p, l->function), *file = profile_string(p, l->file);

	if (memprof_is_alloc_frame(NULL, fn, file, profile_string(p, l->module)))
		return 1;
	if (!is_runtime_module(profile_string(p, l->module)))
		return 0;
	return strstr(file, "malloc/") || strstr(fn, "malloc") || strstr(fn, "free") || strstr(fn, "alloc") ||
	       strstr(fn, "memalign") || strstr(fn, "tcache");
}

/* Does the libc function fn enter the blocking syscall sys? ("__libc_read"
 * and read, usleep and clock_nanosleep, ...) */
static int wrapper_of(const char *fn, const char *sys)
{
	static const char *const aliases[][6] = {
		{ "clock_nanosleep", "clock_nanosleep", "nanosleep", "usleep", "sleep", NULL },
		{ "nanosleep", "nanosleep", "usleep", "sleep", NULL },
		{ "futex", "futex", "pthread_mutex_lock", "pthread_cond_wait", "pthread_cond_timedwait", "sem_wait" },
		{ "epoll_wait", "epoll_wait", "epoll_pwait", NULL },
		{ "pread64", "pread", NULL },
		{ "pwrite64", "pwrite", NULL },
	};
	const char *s = fn;

	while (*s == '_')
		s++;
	if (!strncmp(s, "libc_", 5))
		s += 5;
	else if (!strncmp(s, "GI_", 3))
		s += 3;
	while (*s == '_')
		s++;
	if (!strcmp(s, sys))
		return 1;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(aliases[i][0], sys))
			continue;
		for (size_t k = 1; k < 6 && aliases[i][k]; k++)
			if (!strcmp(s, aliases[i][k]) || (!strcmp(sys, "futex") && strstr(s, aliases[i][k])))
				return 1;
	}
	if (!strcmp(sys, "futex") && strstr(s, "futex"))
		return 1;
	return 0;
}

static void site_from(const struct profile *p, const struct acc *a, double total, struct doc_site *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->function, sizeof(s->function), "%s", profile_string(p, a->fn));
	snprintf(s->file, sizeof(s->file), "%s", profile_string(p, a->file));
	s->line = a->line;
	s->value = a->v;
	s->share = total > 0 ? a->v / total : 0;
}

/* The first frame (from index i on) in the program: not the kernel, not
 * the C runtime, not an off-CPU marker; -1 when none. */
static int first_program_frame(const struct profile *p, const uint32_t *st, uint32_t n, uint32_t i)
{
	for (; i < n; i++) {
		const struct profile_location *l = profile_location(p, st[i]);
		const char *fn = profile_string(p, l->function);

		if (l->kind == LOC_KERNEL || is_runtime_module(profile_string(p, l->module)) ||
		    !strncmp(fn, "[off: ", 6))
			continue;
		return (int)i;
	}
	return -1;
}

struct cpu_facts {
	struct accs self_fn, self_line, alloc_callers, fault_sites, sql_sites;
	double pq_ns, sqlite_ns;
	char sql_reason[16][16];	/* off-CPU reasons inside the statements */
	double sql_reason_ns[16];
	int nsql_reason;
	struct accs off[16];	/* per reason: program call sites */
	char off_reason[16][16];
	double off_ns[16];
	int noff;
};

static void cpu_facts_release(struct cpu_facts *c)
{
	free(c->self_fn.a);
	free(c->self_line.a);
	free(c->alloc_callers.a);
	free(c->fault_sites.a);
	free(c->sql_sites.a);
	for (int i = 0; i < 16; i++)
		free(c->off[i].a);
}

/* "[off: REASON]" -> REASON (at most 15 bytes) */
static void off_reason(const char *leaf_fn, char reason[16])
{
	size_t len = strcspn(leaf_fn + 6, "]");

	snprintf(reason, 16, "%.*s", (int)(len < 15 ? len : 15), leaf_fn + 6);
}

static int off_slot(struct cpu_facts *c, const char *reason)
{
	int i;

	for (i = 0; i < c->noff; i++)
		if (!strcmp(c->off_reason[i], reason))
			return i;
	if (c->noff >= 16)
		return -1;
	snprintf(c->off_reason[c->noff], sizeof(c->off_reason[0]), "%s", reason);
	return c->noff++;
}

static void read_profile(const struct profile *p, struct doc_evidence *e, struct cpu_facts *c)
{
	size_t ns = profile_n_samples(p), i;
	int vt = profile_n_types(p) > 1 ? 1 : 0;

	for (i = 0; i < ns; i++) {
		const struct profile_sample *s = profile_sample(p, i);
		double v = (double)profile_sample_values(p, i)[vt];
		uint32_t n, k;
		const uint32_t *st = profile_stack(p, s->stack, &n);
		const struct profile_location *leaf;
		const char *leaf_fn;
		int fault = 0, f, sql, sqlite = 0;

		if (!n)
			continue;
		leaf = profile_location(p, st[0]);
		leaf_fn = profile_string(p, leaf->function);
		/* inside a database client library: the statement's time, on or
		 * off CPU, charged to the program frame that called into it */
		sql = -1;
		for (k = 0; k < n; k++) {
			const struct profile_location *l = profile_location(p, st[k]);
			const char *lib = l->kind == LOC_KERNEL || l->kind == LOC_PYTHON ? NULL :
					  db_lib(profile_string(p, l->module));

			if (lib) {
				sql = (int)k;
				sqlite = lib[3] == 's';
			}
		}
		if (sql >= 0 && strncmp(leaf_fn, "[off: preempted]", 16)) {
			uint32_t j;

			if (!strncmp(leaf_fn, "[off: ", 6)) {
				char reason[16];

				/* the recording has off-CPU samples (the reason's
				 * own time stays without the statements') */
				off_reason(leaf_fn, reason);
				off_slot(c, reason);
				e->off_cpu_ns += v;
				e->sql_off_ns += v;
				for (j = 0; j < (uint32_t)c->nsql_reason && strcmp(c->sql_reason[j], reason); j++)
					;
				if (j < 16) {
					if (j == (uint32_t)c->nsql_reason)
						memcpy(c->sql_reason[c->nsql_reason++], reason, sizeof(reason));
					c->sql_reason_ns[j] += v;
				}
			} else {
				e->on_cpu_ns += v;
				e->cpu_samples += (uint64_t)profile_sample_values(p, i)[0];
				e->cpu_sampled_ns += v;
				e->sql_cpu_ns += v;
			}
			*(sqlite ? &c->sqlite_ns : &c->pq_ns) += v;
			for (j = (uint32_t)sql + 1; j < n; j++) {
				const struct profile_location *l = profile_location(p, st[j]);

				if (l->kind == LOC_KERNEL || (l->kind != LOC_PYTHON &&
				    (is_runtime_module(profile_string(p, l->module)) ||
				     is_db_glue(profile_string(p, l->module)))))
					continue;
				acc_add(&c->sql_sites, l->function, l->file, l->line, v);
				break;
			}
			continue;
		}
		if (!strncmp(leaf_fn, "[off: ", 6)) {
			char reason[16];
			int slot;

			off_reason(leaf_fn, reason);
			slot = off_slot(c, reason);
			if (slot < 0)
				continue;
			c->off_ns[slot] += v;
			/* waiting for a CPU is the machine's, not the program's:
			 * beside the diagnosis (the run-delay note), not in it */
			if (!strcmp(reason, "preempted"))
				e->preempted_ns += v;
			else
				e->off_cpu_ns += v;
			f = first_program_frame(p, st, n, 1);
			if (f >= 0) {
				const struct profile_location *l = profile_location(p, st[f]);

				acc_add(&c->off[slot], l->function, l->file, l->line, v);
			}
			continue;
		}
		e->on_cpu_ns += v;
		e->cpu_samples += (uint64_t)profile_sample_values(p, i)[0];
		e->cpu_sampled_ns += v;
		for (k = 0; k < n; k++) {
			const struct profile_location *l = profile_location(p, st[k]);

			if (l->kind != LOC_KERNEL)
				break;
			e->kernel_sampled = 1;
			if (is_fault_frame(profile_string(p, l->function)))
				fault = 1;
		}
		if (fault) {
			e->fault_cpu_ns += v;
			f = first_program_frame(p, st, n, 0);
			if (f >= 0) {
				const struct profile_location *l = profile_location(p, st[f]);

				acc_add(&c->fault_sites, l->function, l->file, l->line, v);
			}
			continue;
		}
		/* the first user frame: allocator plumbing, or the program */
		for (; k < n; k++) {
			const struct profile_location *l = profile_location(p, st[k]);

			if (l->kind != LOC_KERNEL)
				break;
		}
		if (k < n) {
			const struct profile_location *l = profile_location(p, st[k]);
			uint32_t j;
			int alloc = 0;

			/* through the C runtime to the program: allocator code on
			 * the way makes it allocation time */
			for (j = k; j < n; j++) {
				const struct profile_location *lj = profile_location(p, st[j]);

				if (is_alloc_loc(p, lj))
					alloc = 1;
				else if (!is_runtime_module(profile_string(p, lj->module)))
					break;
			}
			if (alloc) {
				e->alloc_cpu_ns += v;
				if (j < n)
					acc_add(&c->alloc_callers, profile_location(p, st[j])->function, 0, 0, v);
				continue;
			}
			/* time in the C runtime (memcpy, a syscall wrapper)
			 * belongs to the program's call of it */
			if (is_runtime_module(profile_string(p, l->module))) {
				int f2 = first_program_frame(p, st, n, k);

				if (f2 >= 0)
					l = profile_location(p, st[f2]);
			}
			acc_add(&c->self_fn, l->function, 0, 0, v);
			acc_add(&c->self_line, l->function, l->file, l->line, v);
		}
	}
	accs_sort(&c->self_fn);
	accs_sort(&c->self_line);
	accs_sort(&c->alloc_callers);
	accs_sort(&c->fault_sites);
	{
		/* top functions without the allocator and the fault path */
		double total = 0;

		for (i = 0; i < c->self_fn.n; i++)
			total += c->self_fn.a[i].v;
		for (i = 0; i < c->self_fn.n && i < DOC_TOP; i++) {
			struct doc_site *s = &e->cpu_top[i];

			site_from(p, &c->self_fn.a[i], e->cpu_sampled_ns, s);
			/* its hottest line */
			for (size_t j = 0; j < c->self_line.n; j++) {
				if (c->self_line.a[j].fn != c->self_fn.a[i].fn)
					continue;
				snprintf(s->file, sizeof(s->file), "%s", profile_string(p, c->self_line.a[j].file));
				s->line = c->self_line.a[j].line;
				s->line_share = e->cpu_sampled_ns > 0 ? c->self_line.a[j].v / e->cpu_sampled_ns : 0;
				break;
			}
		}
		(void)total;
	}
	if (c->alloc_callers.n)
		site_from(p, &c->alloc_callers.a[0], e->alloc_cpu_ns, &e->alloc_caller);
	if (c->fault_sites.n)
		site_from(p, &c->fault_sites.a[0], e->fault_cpu_ns, &e->fault_site);
	accs_sort(&c->sql_sites);
	if (c->sql_sites.n)
		site_from(p, &c->sql_sites.a[0], e->sql_cpu_ns + e->sql_off_ns, &e->sql_site);
	for (int t = 0; t < DOC_TOP; t++) {
		int best = -1;

		for (int r = 0; r < c->nsql_reason; r++)
			if (c->sql_reason_ns[r] > 0 && (best < 0 || c->sql_reason_ns[r] > c->sql_reason_ns[best]))
				best = r;
		if (best < 0)
			break;
		memcpy(e->sql_wait[t].reason, c->sql_reason[best], sizeof(e->sql_wait[t].reason));
		e->sql_wait[t].ns = c->sql_reason_ns[best];
		c->sql_reason_ns[best] = 0;
	}
	if (c->pq_ns + c->sqlite_ns > 0)
		snprintf(e->sql_lib, sizeof(e->sql_lib), "%s", c->sqlite_ns > c->pq_ns ? "libsqlite3" : "libpq");
	if (c->noff) {
		/* the three biggest (reason, site) pairs */
		e->have_offcpu = 1;
		for (int r = 0; r < c->noff; r++)
			accs_sort(&c->off[r]);
		for (int t = 0; t < DOC_TOP; t++) {
			int best = -1;
			double bv = 0;

			for (int r = 0; r < c->noff; r++) {
				double v = c->off[r].n ? c->off[r].a[0].v : c->off_ns[r];
				int used = 0;

				for (int u = 0; u < t; u++)
					if (!strcmp(e->off_top[u].reason, c->off_reason[r]))
						used = 1;
				if (!used && v > bv) {
					bv = v;
					best = r;
				}
			}
			if (best < 0)
				break;
			snprintf(e->off_top[t].reason, sizeof(e->off_top[t].reason), "%s", c->off_reason[best]);
			if (c->off[best].n)
				site_from(p, &c->off[best].a[0], c->off_ns[best], &e->off_top[t].site);
			e->off_top[t].site.value = c->off_ns[best];
		}
	}
}

/* Where the program called the blocking syscall: the on-CPU samples taken
 * inside its libc wrapper (entering or leaving the call) name the caller. */
void doc_block_site(const struct profile *p, const char *sys, struct doc_site *out)
{
	struct accs a = { 0 };
	size_t i, ns = profile_n_samples(p);
	int vt = profile_n_types(p) > 1 ? 1 : 0;
	double total = 0;

	memset(out, 0, sizeof(*out));

	for (i = 0; i < ns; i++) {
		const struct profile_sample *s = profile_sample(p, i);
		uint32_t n, k;
		const uint32_t *st = profile_stack(p, s->stack, &n);

		for (k = 0; k < n; k++) {
			const struct profile_location *l = profile_location(p, st[k]);

			if (l->kind != LOC_KERNEL && wrapper_of(profile_string(p, l->function), sys)) {
				int f = first_program_frame(p, st, n, k + 1);

				if (f >= 0) {
					const struct profile_location *c = profile_location(p, st[f]);
					double v = (double)profile_sample_values(p, i)[vt];

					acc_add(&a, c->function, c->file, c->line, v);
					total += v;
				}
				break;
			}
		}
	}
	accs_sort(&a);
	if (a.n)
		site_from(p, &a.a[0], total, out);
	free(a.a);
}

void doc_read_profile(const struct profile *p, struct doc_evidence *e)
{
	struct cpu_facts c;

	memset(&c, 0, sizeof(c));
	read_profile(p, e, &c);
	cpu_facts_release(&c);
}

void doc_read_mem_profile(const struct profile *prof, struct doc_evidence *e)
{
	struct accs a = { 0 };

	e->have_mem = 1;
	e->alloc_calls = (uint64_t)profile_total(prof, MP_ALLOC_COUNT);
	e->alloc_bytes = (uint64_t)profile_total(prof, MP_ALLOC_BYTES);
	for (size_t i = 0; i < profile_n_samples(prof); i++) {
		const struct profile_sample *s = profile_sample(prof, i);
		uint32_t nf;
		const uint32_t *st = profile_stack(prof, s->stack, &nf);
		const struct profile_location *l;

		if (!nf)
			continue;
		l = profile_location(prof, st[0]);
		acc_add(&a, l->function, l->file, l->line, (double)profile_sample_values(prof, i)[MP_ALLOC_COUNT]);
	}
	accs_sort(&a);
	for (size_t i = 0; i < a.n && i < DOC_TOP; i++)
		site_from(prof, &a.a[i], (double)e->alloc_calls, &e->mem_top[i]);
	free(a.a);
}
