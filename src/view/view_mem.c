/*
 * view_mem.c - renders a pinch mem report from the memory profile and
 * the recording's exact figures (view layer, used by cmd/mem.c): summary,
 * top sites by line or stack, leaks, the peak as a massif-like tree, the
 * timeline as a text chart or SVG, memory_profiler-like line listings,
 * snapshot diffs and the JSON form. Appends to strbufs; never prints.
 */
#include "view/view_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/memprof.h"
#include "model/profile.h"
#include "view/view.h"
#include "view/view_int.h"
#include "core/banned.h"

/* ---- helpers ----------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void add_exact(struct strbuf *sb, uint64_t bytes)
{
	strbuf_addf(sb, "%llu B (", (unsigned long long)bytes);
	strbuf_add_bytes(sb, (double)bytes);
	strbuf_addch(sb, ')');
}

/* "s" unless n is 1 (or -1): "1 block", "2 blocks" */
static const char *pl(long long n)
{
	return n == 1 || n == -1 ? "" : "s";
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* "function file:line" or "function (module)". */
/* A site: its function (shortened unless --wide), file:line or module. */
static void add_loc(const struct mem_report *r, uint32_t loc, struct strbuf *sb)
{
	const struct profile *prof = r->prof;
	const struct profile_location *l = profile_location(prof, loc);
	const char *file = profile_string(prof, l->file);

	view_short_name(sb, profile_string(prof, l->function), r->wide ? 0 : VIEW_NAME_WIDTH);
	if (l->line && file[0])
		strbuf_addf(sb, "  %s:%u", base_name(file), l->line);
	else if (profile_string(prof, l->module)[0])
		strbuf_addf(sb, "  (%s)", profile_string(prof, l->module));
}

/* Site key of a location: same function, file and line (or module). */
struct site_row {
	uint32_t loc;		/* a representative location */
	uint32_t func, file, line, module;
	uint32_t stack;		/* stack granularity: the profile stack */
	int64_t v[MP_N_VALUES];
};

static int site_key_cmp(const void *a, const void *b)
{
	const struct site_row *x = a, *y = b;
	int c = view_line_key_cmp(x->func, x->file, x->line, y->func, y->file, y->line);

	return c ? c : x->module < y->module ? -1 : x->module > y->module;
}

/* A row keyed by the location loc (a stack's leaf) of stack. */
static void row_key(const struct profile *prof, struct site_row *row, uint32_t loc, uint32_t stack)
{
	const struct profile_location *l = profile_location(prof, loc);

	row->loc = loc;
	row->func = l->function;
	row->file = l->file;
	row->line = l->line;
	row->module = l->module;
	row->stack = stack;
}

static size_t g_sort_value;	/* the value rows are sorted by (qsort has no context) */

static int site_val_cmp(const void *a, const void *b)
{
	const struct site_row *x = a, *y = b;
	int64_t vx = x->v[g_sort_value], vy = y->v[g_sort_value];

	if (vx != vy)
		return vx > vy ? -1 : 1;
	return site_key_cmp(a, b);
}

/* One row per sample (stacks) or per leaf site (lines), sorted by value. */
static struct site_row *site_rows(const struct mem_report *r, int stacks, size_t value, size_t *n_out)
{
	size_t n = profile_n_samples(r->prof), i, k = 0;
	struct site_row *rows = calloc(n ? n : 1, sizeof(*rows));

	*n_out = 0;
	if (!rows)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct profile_sample *s = profile_sample(r->prof, i);
		const int64_t *v = profile_sample_values(r->prof, i);
		uint32_t nl;
		const uint32_t *locs = profile_stack(r->prof, s->stack, &nl);

		if (!nl)
			continue;
		row_key(r->prof, &rows[k], locs[0], s->stack);
		memcpy(rows[k].v, v, sizeof(rows[k].v));
		k++;
	}
	if (!stacks && k) {
		size_t j = 0;

		qsort(rows, k, sizeof(*rows), site_key_cmp);
		for (i = 1; i < k; i++) {
			if (!site_key_cmp(&rows[j], &rows[i])) {
				for (size_t t = 0; t < MP_N_VALUES; t++)
					rows[j].v[t] += rows[i].v[t];
			} else {
				rows[++j] = rows[i];
			}
		}
		k = j + 1;
	}
	g_sort_value = value;
	qsort(rows, k, sizeof(*rows), site_val_cmp);
	*n_out = k;
	return rows;
}

/* The frame's address in its module: tells apart two calls on one line. */
static void add_addr(const struct profile *prof, uint32_t loc, struct strbuf *sb)
{
	const struct profile_location *l = profile_location(prof, loc);

	if (l->address)
		strbuf_addf(sb, "  [%s+0x%llx]", profile_string(prof, l->module), (unsigned long long)l->address);
}

/* Compares how two stacks print (function, file, line or module per
 * frame, up to max callers): equal when only the addresses differ. */
static int looks_cmp(const struct profile *prof, uint32_t a, uint32_t b, int max)
{
	uint32_t na, nb, i;
	const uint32_t *la = profile_stack(prof, a, &na), *lb = profile_stack(prof, b, &nb);

	if (na > (uint32_t)max + 1)
		na = (uint32_t)max + 1;
	if (nb > (uint32_t)max + 1)
		nb = (uint32_t)max + 1;
	for (i = 0; i < na && i < nb; i++) {
		const struct profile_location *x = profile_location(prof, la[i]), *y = profile_location(prof, lb[i]);
		struct site_row kx = { .func = x->function, .file = x->file, .line = x->line, .module = x->module };
		struct site_row ky = { .func = y->function, .file = y->file, .line = y->line, .module = y->module };
		int c = site_key_cmp(&kx, &ky);

		if (c)
			return c;
	}
	return na < nb ? -1 : na > nb;
}

static const struct profile *g_looks_prof;	/* qsort has no context */
static int g_looks_max;

static int looks_idx_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;
	int c = looks_cmp(g_looks_prof, x[0], y[0], g_looks_max);

	return c ? c : (x[1] > y[1]) - (x[1] < y[1]);
}

/* For the stacks a table shows (max callers each): 1 for those that
 * print like another one (two calls on one line), which then show each
 * frame's address. malloc'd, n entries; NULL when out of memory. */
static uint8_t *same_looking(const struct profile *prof, const uint32_t *stacks, size_t n, int max)
{
	uint8_t *same = calloc(n ? n : 1, 1);
	uint32_t (*idx)[2] = calloc(n ? n : 1, sizeof(*idx));
	size_t i;

	if (!same || !idx) {
		free(idx);
		return same;
	}
	for (i = 0; i < n; i++) {
		idx[i][0] = stacks[i];
		idx[i][1] = (uint32_t)i;
	}
	g_looks_prof = prof;
	g_looks_max = max;
	qsort(idx, n, sizeof(*idx), looks_idx_cmp);
	for (i = 1; i < n; i++)
		if (!looks_cmp(prof, idx[i - 1][0], idx[i][0], max))
			same[idx[i - 1][1]] = same[idx[i][1]] = 1;
	free(idx);
	return same;
}

/* same_looking() for the rows of a table holding value. */
static uint8_t *rows_same_looking(const struct mem_report *r, const struct site_row *rows, size_t n,
				  size_t value, int max)
{
	uint32_t *stacks = calloc(n ? n : 1, sizeof(*stacks));
	uint8_t *same, *out = calloc(n ? n : 1, 1);
	size_t i, k = 0;

	if (!stacks || !out) {
		free(stacks);
		free(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (rows[i].v[value])
			stacks[k++] = rows[i].stack;
	same = same_looking(r->prof, stacks, k, max);
	for (i = 0, k = 0; same && i < n; i++)
		if (rows[i].v[value])
			out[i] = same[k++];
	free(same);
	free(stacks);
	return out;
}

static void add_callers(const struct mem_report *r, uint32_t stack, int max, const char *indent, int addr,
			struct strbuf *out)
{
	uint32_t nl, i;
	const uint32_t *locs = profile_stack(r->prof, stack, &nl);

	for (i = 1; i < nl && (int)i <= max; i++) {
		strbuf_addf(out, "%s<- ", indent);
		add_loc(r, locs[i], out);
		if (addr)
			add_addr(r->prof, locs[i], out);
		strbuf_addch(out, '\n');
	}
	if ((int)nl > max + 1)
		strbuf_addf(out, "%s<- ... %u more frames\n", indent, nl - 1 - (uint32_t)max);
}

/* A figure, or null when the recording does not tell it. */
static void json_known(struct json_writer *w, const char *key, uint64_t v, int known)
{
	json_key(w, key);
	if (known)
		json_uint(w, v);
	else
		json_null(w);
}

/* ---- summary ----------------------------------------------------------- */

static void add_blocks(struct strbuf *out, uint64_t bytes, uint64_t blocks)
{
	add_exact(out, bytes);
	strbuf_addf(out, " in %llu block%s", (unsigned long long)blocks, blocks == 1 ? "" : "s");
}

/* memcheck's classes of what was in use at exit, when the agent scanned;
 * otherwise what was in use, said to be unclassified. */
static void add_leak_summary(const struct mem_report *r, struct strbuf *out)
{
	const struct memw_summary *s = &r->p->sum;
	const struct memw_leaks *l = &r->p->leaks;

	if (!r->p->has_leaks) {
		strbuf_addstr(out, "  leaked       ");
		add_blocks(out, s->live_bytes, s->live_blocks);
		strbuf_addstr(out, " (in use at exit; not told apart from still reachable: ");
		strbuf_addstr(out, s->flags & MEMW_F_EXITED ? "the leak scan was off)\n" :
			      "the process did not end through exit())\n");
		return;
	}
	if (!r->suppress_file && !l->blocks[MEMW_LEAK_DEFINITE] && !l->blocks[MEMW_LEAK_INDIRECT]) {
		strbuf_addstr(out, "  leaked       0 B: nothing was lost\n");
	} else {
	strbuf_addstr(out, "  leaked       ");
	if (r->suppress_file) {
		/* what the suppressions left; the classes are before them */
		add_blocks(out, (uint64_t)profile_total(r->prof, MP_LEAK_BYTES),
			   (uint64_t)profile_total(r->prof, MP_LEAK_COUNT));
		strbuf_addstr(out, ", after --suppress left out ");
		add_blocks(out, r->suppressed_bytes, r->suppressed_blocks);
		strbuf_addf(out, " (%s)\n  before it    ", r->suppress_file);
		add_blocks(out, l->bytes[MEMW_LEAK_DEFINITE] + l->bytes[MEMW_LEAK_INDIRECT],
			   l->blocks[MEMW_LEAK_DEFINITE] + l->blocks[MEMW_LEAK_INDIRECT]);
	} else {
		add_blocks(out, l->bytes[MEMW_LEAK_DEFINITE] + l->bytes[MEMW_LEAK_INDIRECT],
			   l->blocks[MEMW_LEAK_DEFINITE] + l->blocks[MEMW_LEAK_INDIRECT]);
	}
	strbuf_addf(out, ": definitely lost %llu B (%llu), indirectly %llu B (%llu)\n",
		    (unsigned long long)l->bytes[MEMW_LEAK_DEFINITE],
		    (unsigned long long)l->blocks[MEMW_LEAK_DEFINITE],
		    (unsigned long long)l->bytes[MEMW_LEAK_INDIRECT],
		    (unsigned long long)l->blocks[MEMW_LEAK_INDIRECT]);
	}
	if (l->blocks[MEMW_LEAK_POSSIBLE]) {
		strbuf_addstr(out, "  possibly     ");
		add_blocks(out, l->bytes[MEMW_LEAK_POSSIBLE], l->blocks[MEMW_LEAK_POSSIBLE]);
		strbuf_addstr(out, " lost (only a pointer into the middle reaches them)\n");
	}
	if (!l->blocks[MEMW_LEAK_REACHABLE]) {
		strbuf_addstr(out, "  reachable    0 B: nothing else was in use at exit\n");
		return;
	}
	strbuf_addstr(out, "  reachable    ");
	add_blocks(out, l->bytes[MEMW_LEAK_REACHABLE], l->blocks[MEMW_LEAK_REACHABLE]);
	strbuf_addstr(out, " still pointed to at exit (not leaks)\n");
}

/* A recording cut before the process's final figures: what the records
 * that survived allow (sums over the sites written, the timeline's
 * highest bucket) as lower bounds, and unknown for the rest, never 0. */
static void add_cut_summary(const struct mem_report *r, struct strbuf *out)
{
	const struct memw_summary *s = &r->p->sum;
	const char *exe = r->p->exe && r->p->exe[0] ? r->p->exe : "?";
	int sites = r->p->n_sites > 0;

	strbuf_addf(out, "Memory of %s (pid %u), cut short: the recording ends before the process's final figures",
		    base_name(exe), s->pid);
	if (s->flags & MEMW_F_FORKED)
		strbuf_addf(out, ", forked from %u", s->ppid);
	strbuf_addstr(out, "\n  allocated    ");
	if (sites) {
		strbuf_addstr(out, "at least ");
		add_exact(out, s->alloc_bytes);
		strbuf_addf(out, " in %llu calls (the %zu sites recorded before the cut)\n",
			    (unsigned long long)s->alloc_calls, r->p->n_sites);
	} else {
		strbuf_addstr(out, "unknown (no site was recorded before the cut)\n");
	}
	strbuf_addstr(out, "  peak heap    ");
	if (s->peak_bytes) {
		strbuf_addstr(out, "at least ");
		add_exact(out, s->peak_bytes);
		strbuf_addstr(out, r->p->n_points ? " (the timeline's highest bucket)\n" : "\n");
	} else {
		strbuf_addstr(out, "unknown\n");
	}
	if (r->p->has_leaks) {
		add_leak_summary(r, out);	/* the agent's scan at exit came through */
		return;
	}
	strbuf_addstr(out, "  leaked       ");
	if (sites) {
		strbuf_addstr(out, "at least ");
		add_blocks(out, s->live_bytes, s->live_blocks);
		strbuf_addstr(out, " in use when recorded (not classified)\n");
	} else {
		strbuf_addstr(out, "unknown\n");
	}
	if (s->unknown_frees)
		strbuf_addf(out, "  note: %llu frees of blocks allocated before the agent started\n",
			    (unsigned long long)s->unknown_frees);
}

void mem_report_summary(const struct mem_report *r, struct strbuf *out)
{
	const struct memw_summary *s = &r->p->sum;
	uint64_t dur = s->end_mono_ns > s->start_mono_ns ? s->end_mono_ns - s->start_mono_ns : 0;
	const char *exe = r->p->exe && r->p->exe[0] ? r->p->exe : "?";

	if (!r->p->has_summary) {
		add_cut_summary(r, out);
		return;
	}
	strbuf_addf(out, "Memory of %s (pid %u), %.3f s", base_name(exe), s->pid, secs(dur));
	if (s->flags & MEMW_F_SALVAGED)
		strbuf_addstr(out, ", cut short: pinch was killed (salvaged; exit unknown)");
	else if (s->term_signal)
		strbuf_addf(out, ", killed by signal %d", s->term_signal);
	else if (s->exit_status >= 0)
		strbuf_addf(out, ", exit status %d", s->exit_status);
	if (s->flags & MEMW_F_FORKED)
		strbuf_addf(out, ", forked from %u", s->ppid);
	strbuf_addstr(out, "\n  allocated    ");
	add_exact(out, s->alloc_bytes);
	strbuf_addf(out, " in %llu call%s", (unsigned long long)s->alloc_calls, pl((long long)s->alloc_calls));
	if (dur) {
		strbuf_addstr(out, " (");
		strbuf_add_bytes(out, (double)s->alloc_bytes / secs(dur));
		strbuf_addf(out, "/s, %.0f calls/s)", (double)s->alloc_calls / secs(dur));
	}
	strbuf_addstr(out, "\n  peak heap    ");
	add_exact(out, s->peak_bytes);
	strbuf_addf(out, " in %llu block%s at %.3f s\n", (unsigned long long)s->peak_blocks, pl((long long)s->peak_blocks),
		    s->peak_time_ns > s->start_mono_ns ? secs(s->peak_time_ns - s->start_mono_ns) : 0.0);
	add_leak_summary(r, out);
	strbuf_addf(out, "  temporary    %llu call%s (%.1f %% of calls: freed with no allocation between)\n",
		    (unsigned long long)s->temp_calls, pl((long long)s->temp_calls),
		    s->alloc_calls ? 100.0 * (double)s->temp_calls / (double)s->alloc_calls : 0.0);
	if (s->rss_max) {
		strbuf_addstr(out, "  peak RSS     ");
		add_exact(out, s->rss_max);
		strbuf_addch(out, '\n');
	}
	mem_report_pythonmalloc(r, out);
	if (s->unknown_frees)
		strbuf_addf(out, "  note: %llu free%s of blocks allocated before the agent started\n",
			    (unsigned long long)s->unknown_frees, pl((long long)s->unknown_frees));
	if (s->flags & MEMW_F_STACKS_FULL)
		strbuf_addf(out, "  note: more than %u distinct stacks; the rest are counted as [unknown stack]\n",
			    MEMW_MAX_STACKS);
	if (s->dropped)
		strbuf_addf(out, "  note: %llu allocation event%s could not be booked (a signal handler's queue was full); the figures miss %s\n",
			    (unsigned long long)s->dropped, pl((long long)s->dropped), s->dropped == 1 ? "it" : "them");
	if (s->flags & MEMW_F_DROPPED)
		strbuf_addstr(out, "  note: the agent's stream could not grow (disk full?): timeline and stacks are incomplete\n");
}

/* Python: whose allocator the objects came from, and what that hides. */
void mem_report_pythonmalloc(const struct mem_report *r, struct strbuf *out)
{
	const char *pm = r->m->pythonmalloc, *v;

	if (!(r->p->sum.flags & MEMW_F_PYTHON) || !pm || !(v = strchr(pm, ':')))
		return;
	v++;
	if (!strncmp(pm, "pinch:", 6)) {
		strbuf_addstr(out, "  note: PYTHONMALLOC=malloc was set by pinch: every Python object is its own malloc call "
				   "(pymalloc is off, so small objects show at their sites); set PYTHONMALLOC to choose\n");
	} else if (!strcmp(v, "malloc") || !strcmp(v, "malloc_debug")) {
		strbuf_addf(out, "  note: PYTHONMALLOC=%s (yours): every Python object is its own malloc call\n", v);
	} else {
		strbuf_addf(out, "  note: PYTHONMALLOC=%s (yours): Python objects of 512 B or less come from pymalloc's "
				 "arenas (mmap'd, 1 MiB each), not malloc: they are not counted here (--mmap shows the "
				 "arenas, not the objects); only larger objects and other malloc calls are. Unset "
				 "PYTHONMALLOC to see them all\n", v);
	}
}

void mem_report_others(const struct mem_report *r, struct strbuf *out)
{
	size_t i, n = 0;

	for (i = 0; i < r->m->n_procs; i++) {
		const struct memprof_proc *p = &r->m->procs[i];

		if (p == r->p || (!p->sum.alloc_calls && !p->sum.live_blocks))
			continue;
		if (!n++)
			strbuf_addstr(out, "\nOther processes (pinch mem report --pid PID)\n");
		strbuf_addf(out, "  pid %-7u %-20s peak %llu B, leaked %llu B in %llu block%s%s%s\n",
			    p->info.pid, base_name(p->exe ? p->exe : "?"),
			    (unsigned long long)p->sum.peak_bytes, (unsigned long long)p->sum.live_bytes,
			    (unsigned long long)p->sum.live_blocks, pl((long long)p->sum.live_blocks),
			    p->sum.flags & MEMW_F_FORKED ? " (fork child)" : "",
			    p->sum.flags & MEMW_F_EXECED ? " (replaced by exec)" : "");
	}
}

/* ---- tables ------------------------------------------------------------ */

void mem_report_top(const struct mem_report *r, int by_count, struct strbuf *out)
{
	size_t n, i, value = by_count ? MP_ALLOC_COUNT : MP_ALLOC_BYTES;
	struct site_row *rows = site_rows(r, r->stacks, value, &n);
	int64_t total = profile_total(r->prof, value);
	int shown = 0;
	uint8_t *same = NULL;

	if (!rows)
		return;
	if (r->stacks)
		same = rows_same_looking(r, rows, n, value, 8);
	strbuf_addf(out, "\nTop allocation sites by %s (%s)\n", by_count ? "count" : "bytes",
		    r->stacks ? "stack" : "line");
	if (!by_count && !r->keep_alloc_fns)
		strbuf_addstr(out, "  a site is the first caller of malloc, operator new and the other allocators (--keep-alloc-fns shows them)\n");
	strbuf_addf(out, "  %14s %6s %10s %10s  %s\n", "bytes", "%", "calls", "temporary", "site");
	for (i = 0; i < n && (!r->limit || shown < r->limit); i++) {
		if (!rows[i].v[value])
			continue;
		strbuf_addf(out, "  %14lld %5.1f%% %10lld %10lld  ", (long long)rows[i].v[MP_ALLOC_BYTES],
			    total ? 100.0 * (double)rows[i].v[value] / (double)total : 0.0,
			    (long long)rows[i].v[MP_ALLOC_COUNT], (long long)rows[i].v[MP_TEMP_COUNT]);
		add_loc(r, rows[i].loc, out);
		if (same && same[i])
			add_addr(r->prof, rows[i].loc, out);
		strbuf_addch(out, '\n');
		if (r->stacks)
			add_callers(r, rows[i].stack, 8, "                                               ",
				    same && same[i], out);
		shown++;
	}
	free(same);
	free(rows);
}

/* What a known runtime pool is, from its site's stack: memory a library
 * keeps for the whole run on purpose. NULL for anything else. */
static const char *known_pool(const struct mem_report *r, uint32_t stack)
{
	uint32_t nl;
	const uint32_t *locs = profile_stack(r->prof, stack, &nl);

	for (uint32_t k = 0; k < nl; k++) {
		const struct profile_location *l = profile_location(r->prof, locs[k]);
		const char *fn = profile_string(r->prof, l->function);
		const char *mod = base_name(profile_string(r->prof, l->module));

		if (!strcmp(fn, "_IO_file_doallocate"))
			return "a stdio buffer (glibc keeps it for the stream)";
		if (!strncmp(mod, "libstdc++.so", 12) && k + 1 < nl &&
		    !strcmp(profile_string(r->prof, profile_location(r->prof, locs[k + 1])->function), "call_init"))
			return "libstdc++'s emergency exception-handling pool";
		if (!strncmp(fn, "_dl_", 4) || !strcmp(fn, "call_init"))
			return "the dynamic loader's";
		if (!strncmp(fn, "_nl_", 4) || !strcmp(fn, "read_alias_file") || !strcmp(fn, "setlocale"))
			return "glibc's locale data";
	}
	return NULL;
}

static void leak_table(const struct mem_report *r, int bytes_v, int count_v, const char *title,
		       int limit, int frames, struct strbuf *out)
{
	size_t n, i;
	struct site_row *rows = site_rows(r, 1, bytes_v, &n);
	int shown = 0;
	uint8_t *same;

	if (!rows)
		return;
	same = rows_same_looking(r, rows, n, bytes_v, frames ? frames : 1);
	strbuf_addf(out, "\n%s\n", title);
	if (!n || !rows[0].v[bytes_v])
		strbuf_addstr(out, "  none\n");
	else
		strbuf_addf(out, "  %14s %8s  %s\n", "bytes", "blocks", "site");
	for (i = 0; i < n && rows[i].v[bytes_v] && (!limit || shown < limit); i++) {
		const char *pool = bytes_v == MP_REACHABLE_BYTES ? known_pool(r, rows[i].stack) : NULL;

		strbuf_addf(out, "  %14lld %8lld  ", (long long)rows[i].v[bytes_v],
			    (long long)rows[i].v[count_v]);
		add_loc(r, rows[i].loc, out);
		if (same && same[i])
			add_addr(r->prof, rows[i].loc, out);
		if (pool)
			strbuf_addf(out, "  [%s]", pool);
		strbuf_addch(out, '\n');
		if (frames)
			add_callers(r, rows[i].stack, frames, "                              ",
				    same && same[i], out);
		shown++;
	}
	if (i < n && rows[i].v[bytes_v])
		strbuf_addf(out, "  ... %zu more (-n 0 lists all)\n", n - i);
	free(same);
	free(rows);
}

void mem_report_leaks(const struct mem_report *r, struct strbuf *out)
{
	if (!r->p->has_leaks) {
		leak_table(r, MP_LEAK_BYTES, MP_LEAK_COUNT,
			   "Leaks (in use at exit, not classified), biggest first", r->limit, 6, out);
		return;
	}
	leak_table(r, MP_LEAK_BYTES, MP_LEAK_COUNT,
		   "Leaks (definitely and indirectly lost), biggest first", r->limit, 6, out);
	if (r->p->leaks.blocks[MEMW_LEAK_POSSIBLE])
		leak_table(r, MP_POSSIBLE_BYTES, MP_POSSIBLE_COUNT,
			   "Possibly lost (only a pointer into the middle reaches them)", r->limit, 3, out);
	if (r->p->leaks.blocks[MEMW_LEAK_REACHABLE])
		leak_table(r, MP_REACHABLE_BYTES, MP_REACHABLE_COUNT,
			   "Still reachable at exit (not leaks), biggest first", r->limit && r->limit < 5 ? r->limit : 5, 0, out);
}

/* ---- the peak tree ----------------------------------------------------- */

struct tnode {
	uint32_t loc;
	int64_t v;
	uint32_t child, next;	/* 0 = none (node 0 is the root) */
};

struct tree {
	struct tnode *n;
	size_t len, cap;
};

static uint32_t tree_child(struct tree *t, uint32_t parent, uint32_t loc)
{
	uint32_t c;

	for (c = t->n[parent].child; c; c = t->n[c].next)
		if (t->n[c].loc == loc)
			return c;
	if (t->len == t->cap) {
		size_t nc = t->cap * 2;
		struct tnode *nn = realloc(t->n, nc * sizeof(*nn));

		if (!nn)
			return 0;
		t->n = nn;
		t->cap = nc;
	}
	c = (uint32_t)t->len++;
	t->n[c].loc = loc;
	t->n[c].v = 0;
	t->n[c].child = 0;
	t->n[c].next = t->n[parent].child;
	t->n[parent].child = c;
	return c;
}

static void tree_print(const struct mem_report *r, struct tree *t, uint32_t node, int64_t total,
		       struct strbuf *prefix, int depth, struct strbuf *out)
{
	uint32_t kids[256], c;
	size_t nk = 0, i, j;
	int64_t below = 0;
	size_t nbelow = 0;

	for (c = t->n[node].child; c && nk < 256; c = t->n[c].next)
		kids[nk++] = c;
	for (i = 1; i < nk; i++)
		for (j = i; j > 0 && t->n[kids[j]].v > t->n[kids[j - 1]].v; j--) {
			uint32_t x = kids[j];

			kids[j] = kids[j - 1];
			kids[j - 1] = x;
		}
	for (i = 0; i < nk; i++) {
		struct tnode *k = &t->n[kids[i]];
		size_t plen = prefix->len;

		if (!k->v)
			continue;
		if ((double)k->v < 0.01 * (double)total || depth >= 12) {
			below += k->v;
			nbelow++;
			continue;
		}
		strbuf_addf(out, "%s->%.2f%% (%lld B) ", prefix->buf, 100.0 * (double)k->v / (double)total,
			    (long long)k->v);
		add_loc(r, k->loc, out);
		strbuf_addch(out, '\n');
		strbuf_addstr(prefix, i + 1 < nk ? "| " : "  ");
		tree_print(r, t, kids[i], total, prefix, depth + 1, out);
		strbuf_setlen(prefix, plen);
	}
	if (nbelow)
		strbuf_addf(out, "%s->%.2f%% (%lld B) in %zu place%s, all below the 1%% threshold\n", prefix->buf,
			    100.0 * (double)below / (double)total, (long long)below, nbelow, nbelow == 1 ? "" : "s");
}

void mem_report_peak(const struct mem_report *r, struct strbuf *out)
{
	struct tree t = { NULL, 1, 64 };
	struct strbuf prefix = STRBUF_INIT;
	int64_t total = profile_total(r->prof, MP_PEAK_BYTES);
	size_t i, ns = profile_n_samples(r->prof);
	const struct memw_summary *s = &r->p->sum;

	strbuf_addf(out, "\nPeak: %llu B in %llu block%s at %.3f s, by allocation site and callers\n",
		    (unsigned long long)s->peak_bytes, (unsigned long long)s->peak_blocks, pl((long long)s->peak_blocks),
		    s->peak_time_ns > s->start_mono_ns ? secs(s->peak_time_ns - s->start_mono_ns) : 0.0);
	if (!total) {
		strbuf_addstr(out, "  (nothing in use at the peak)\n");
		return;
	}
	t.n = calloc(t.cap, sizeof(*t.n));
	if (!t.n)
		return;
	for (i = 0; i < ns; i++) {
		const struct profile_sample *sm = profile_sample(r->prof, i);
		int64_t v = profile_sample_values(r->prof, i)[MP_PEAK_BYTES];
		uint32_t nl, k, node = 0;
		const uint32_t *locs = profile_stack(r->prof, sm->stack, &nl);

		if (!v)
			continue;
		t.n[0].v += v;
		for (k = 0; k < nl; k++) {
			node = tree_child(&t, node, locs[k]);
			if (!node)
				break;
			t.n[node].v += v;
		}
	}
	strbuf_addf(out, "100.00%% (%lld B) heap in use at the peak\n", (long long)total);
	tree_print(r, &t, 0, total, &prefix, 0, out);
	strbuf_release(&prefix);
	free(t.n);
}

/* ---- timeline ---------------------------------------------------------- */

struct series {
	double *heap, *rss;
	int w;
	uint64_t t0, t1;
	double max;
};

static int series_build(const struct mem_report *r, int w, struct series *s)
{
	const struct memprof_proc *p = r->p;
	uint64_t span;
	double last = 0;
	int *seen;
	size_t i;
	int c;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->t0 = p->sum.start_mono_ns;
	s->t1 = p->sum.end_mono_ns > s->t0 ? p->sum.end_mono_ns : s->t0 + 1;
	for (i = 0; i < p->n_points; i++)
		if (p->points[i].time_ns > s->t1)
			s->t1 = p->points[i].time_ns;
	span = s->t1 - s->t0;
	if (!span)
		span = 1;
	s->heap = calloc((size_t)w, sizeof(double));
	s->rss = calloc((size_t)w, sizeof(double));
	seen = calloc((size_t)w, sizeof(int));
	if (!s->heap || !s->rss || !seen) {
		free(seen);
		return -ENOMEM;
	}
#define COL(t) ((t) <= s->t0 ? 0 : (int)(((double)((t) - s->t0) / (double)span) * w))
	/* Each bucket covers [its start, the next one's start): every column
	 * it overlaps shows its maximum, and a column is the most of the
	 * buckets it overlaps, so the chart draws the buckets as they are:
	 * no column between two buckets falls to a level neither had. */
	for (i = 0; i < p->n_points; i++) {
		uint64_t b0 = p->points[i].time_ns, b1 = i + 1 < p->n_points ? p->points[i + 1].time_ns : s->t1;
		int c0 = COL(b0), c1 = b1 > b0 ? COL(b1 - 1) : c0;

		if (c0 >= w)
			c0 = w - 1;
		if (c1 >= w)
			c1 = w - 1;
		for (c = c0; c <= c1; c++) {
			if ((double)p->points[i].heap_max > s->heap[c])
				s->heap[c] = (double)p->points[i].heap_max;
			seen[c] = 1;
		}
		/* a bucket's RSS was read when it closed */
		if ((double)p->points[i].rss > s->rss[c1])
			s->rss[c1] = (double)p->points[i].rss;
		if ((double)p->points[i].heap_max > last)
			last = (double)p->points[i].heap_max;
	}
	for (i = 0; i < p->n_rss; i++) {
		c = COL(p->rss[i].time_ns);
		if (c >= w)
			c = w - 1;
		if ((double)p->rss[i].rss > s->rss[c])
			s->rss[c] = (double)p->rss[i].rss;
	}
	/* the peak shows even when no bucket recorded it (a cut stream) */
	if ((double)p->sum.peak_bytes > last) {
		c = COL(p->sum.peak_time_ns);
		if (c >= w)
			c = w - 1;
		s->heap[c] = (double)p->sum.peak_bytes;
	}
	for (c = 0; c < w; c++) {
		if (s->heap[c] > s->max)
			s->max = s->heap[c];
		if (s->rss[c] > s->max)
			s->max = s->rss[c];
	}
#undef COL
	free(seen);
	return 0;
}

static void series_release(struct series *s)
{
	free(s->heap);
	free(s->rss);
}

void mem_report_timeline(const struct mem_report *r, int width, int height, struct strbuf *out)
{
	struct series s;
	int row, c;

	if (series_build(r, width, &s))
		return;
	strbuf_addstr(out, "\nMemory over time (# heap in use, the most in each column; o RSS)\n");
	if (s.max <= 0) {
		strbuf_addstr(out, "  (no allocations)\n");
		series_release(&s);
		return;
	}
	for (row = height; row >= 1; row--) {
		double lo = s.max * (row - 1) / height, hi = s.max * row / height;
		struct strbuf lab = STRBUF_INIT;

		if (row == height || row == (height + 1) / 2 || row == 1)
			strbuf_add_bytes(&lab, row == 1 ? 0 : hi);
		strbuf_addf(out, "%10s |", lab.buf);
		strbuf_release(&lab);
		for (c = 0; c < width; c++) {
			int heap = s.heap[c] > lo;
			int rss = s.rss[c] > lo && s.rss[c] <= hi;

			strbuf_addch(out, rss && !heap ? 'o' : heap ? (rss ? 'O' : '#') : ' ');
		}
		strbuf_addch(out, '\n');
	}
	strbuf_addf(out, "%10s +", "");
	strbuf_addchars(out, '-', (size_t)width);
	strbuf_addf(out, "\n%10s  0 s%*s%.3f s\n", "", width - 8, "", secs(s.t1 - s.t0));
	series_release(&s);
}

void mem_report_timeline_svg(const struct mem_report *r, struct strbuf *out)
{
	const int W = 900, H = 360, L = 90, R = 20, T = 40, B = 40, N = 400;
	struct series s;
	double pw = W - L - R, ph = H - T - B;
	int c, k;
	const char *exe = r->p->exe ? base_name(r->p->exe) : "?";

	if (series_build(r, N, &s))
		return;
	if (s.max <= 0)
		s.max = 1;
	strbuf_addf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		    "viewBox=\"0 0 %d %d\" font-family=\"Verdana, sans-serif\" font-size=\"12\" "
		    "data-scale-bytes=\"%.0f\" data-plot=\"%d %d %.0f %.0f\">\n"
		    "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n", W, H, W, H, s.max, L, T, pw, ph);
	strbuf_addstr(out, "<text x=\"90\" y=\"22\" font-size=\"15\">Memory over time: ");
	json_quote(out, exe, strlen(exe));	/* quoted and escaped; fine inside text */
	strbuf_addf(out, " (pid %u), peak %llu B</text>\n", r->p->sum.pid,
		    (unsigned long long)r->p->sum.peak_bytes);
	for (k = 0; k <= 4; k++) {
		double y = T + ph - ph * k / 4;
		struct strbuf lab = STRBUF_INIT;

		strbuf_add_bytes(&lab, s.max * k / 4);
		strbuf_addf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>"
			    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			    L, y, W - R, y, L - 6, y + 4, lab.buf);
		strbuf_release(&lab);
	}
	strbuf_addf(out, "<text x=\"%d\" y=\"%d\">0 s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f s</text>\n",
		    L, H - 18, W - R, H - 18, secs(s.t1 - s.t0));
	/* heap: a filled step area, each column its maximum */
	strbuf_addf(out, "<path id=\"heap\" fill=\"#e8743b\" fill-opacity=\"0.6\" stroke=\"#c0501a\" d=\"M%d %.1f", L, T + ph);
	for (c = 0; c < N; c++) {
		double x0 = L + pw * c / N, x1 = L + pw * (c + 1) / N, y = T + ph - ph * s.heap[c] / s.max;

		strbuf_addf(out, " L%.1f %.1f L%.1f %.1f", x0, y, x1, y);
	}
	strbuf_addf(out, " L%d %.1f Z\"><title>heap in use</title></path>\n", W - R, T + ph);
	strbuf_addstr(out, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
	for (c = 0, k = 0; c < N; c++) {
		if (s.rss[c] <= 0)
			continue;
		strbuf_addf(out, "%s%.1f,%.1f", k++ ? " " : "", L + pw * (c + 0.5) / N, T + ph - ph * s.rss[c] / s.max);
	}
	strbuf_addstr(out, "\"><title>RSS</title></polyline>\n");
	strbuf_addf(out, "<rect x=\"%d\" y=\"28\" width=\"10\" height=\"10\" fill=\"#e8743b\"/>"
		    "<text x=\"%d\" y=\"37\">heap in use (max per column)</text>"
		    "<rect x=\"%d\" y=\"28\" width=\"10\" height=\"10\" fill=\"#1f77b4\"/>"
		    "<text x=\"%d\" y=\"37\">RSS</text>\n", W - 330, W - 316, W - 110, W - 96);
	strbuf_addstr(out, "</svg>\n");
	series_release(&s);
}

/* ---- --lines FUNC ------------------------------------------------------ */

struct lline {
	uint32_t line;
	int64_t bytes, calls, net;
};

static int lline_cmp(const void *a, const void *b)
{
	const struct lline *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* Reads a source file named by DWARF: as given, then (for a path relative
 * to an unknown compilation directory) from the executable's directory and
 * its parents, then the basename in the current directory. */
static int find_source(const char *path, const char *exe, struct strbuf *src)
{
	struct strbuf dir = STRBUF_INIT, try = STRBUF_INIT;
	int rc = -ENOENT, up;

	if (strbuf_read_file(src, path, 64u << 20) >= 0)
		return 0;
	strbuf_reset(src);
	if (path[0] != '/' && exe && exe[0] == '/') {
		strbuf_addstr(&dir, exe);
		for (up = 0; up < 6 && rc; up++) {
			char *slash = strrchr(dir.buf, '/');

			if (!slash || slash == dir.buf)
				break;
			strbuf_setlen(&dir, (size_t)(slash - dir.buf));
			strbuf_reset(&try);
			strbuf_addf(&try, "%s/%s", dir.buf, path);
			if (strbuf_read_file(src, try.buf, 64u << 20) >= 0)
				rc = 0;
			else
				strbuf_reset(src);
		}
	}
	if (rc && strbuf_read_file(src, base_name(path), 64u << 20) >= 0)
		rc = 0;
	if (rc)
		strbuf_reset(src);
	strbuf_release(&dir);
	strbuf_release(&try);
	return rc;
}

/* name is func, or func with a C++ parameter list and/or qualifiers
 * ("fill_map" is "ns::fill_map(std::map<…>&)"). */
static int func_matches(const char *name, const char *func)
{
	size_t fl = strlen(func);
	const char *paren = strchr(name, '(');
	size_t nl = paren ? (size_t)(paren - name) : strlen(name);

	if (!strcmp(name, func))
		return 1;
	if (nl < fl || strncmp(name + nl - fl, func, fl))
		return 0;
	return nl == fl || (nl > fl + 1 && name[nl - fl - 1] == ':' && name[nl - fl - 2] == ':');
}

int mem_report_lines(const struct mem_report *r, const char *func, struct strbuf *out,
		     char *err, size_t errlen)
{
	size_t i, ns = profile_n_samples(r->prof), n = 0, cap = 0;
	struct lline *ll = NULL;
	uint32_t file = 0, fname = 0;
	struct strbuf src = STRBUF_INIT;
	int64_t tb = 0, tc = 0, tn = 0;

	for (i = 0; i < ns; i++) {
		const struct profile_sample *sm = profile_sample(r->prof, i);
		const int64_t *v = profile_sample_values(r->prof, i);
		uint32_t nl, k;
		const uint32_t *locs = profile_stack(r->prof, sm->stack, &nl);

		for (k = 0; k < nl; k++) {
			const struct profile_location *l = profile_location(r->prof, locs[k]);
			size_t j;

			if (!func_matches(profile_string(r->prof, l->function), func) ||
			    (fname && l->function != fname))
				continue;
			if (!fname) {
				fname = l->function;
				file = l->file;
			}
			for (j = 0; j < n && ll[j].line != l->line; j++)
				;
			if (j == n) {
				if (n == cap) {
					size_t nc = cap ? cap * 2 : 32;
					struct lline *nn = realloc(ll, nc * sizeof(*nn));

					if (!nn) {
						free(ll);
						return -ENOMEM;
					}
					ll = nn;
					cap = nc;
				}
				memset(&ll[n], 0, sizeof(ll[n]));
				ll[n++].line = l->line;
			}
			ll[j].bytes += v[MP_ALLOC_BYTES];
			ll[j].calls += v[MP_ALLOC_COUNT];
			ll[j].net += v[MP_LEAK_BYTES];
			tb += v[MP_ALLOC_BYTES];
			tc += v[MP_ALLOC_COUNT];
			tn += v[MP_LEAK_BYTES];
			break;	/* the innermost frame of func only */
		}
	}
	if (!n) {
		snprintf(err, errlen, "no allocation stack goes through a function named '%s'", func);
		free(ll);
		return -ENOENT;
	}
	qsort(ll, n, sizeof(*ll), lline_cmp);
	{
		const char *path = profile_string(r->prof, file);
		char **lines = NULL;
		size_t nlines = 0, lo, hi, ln, j = 0;

		strbuf_addf(out, "\nLines of %s (%s): bytes allocated, calls and net bytes (still in use at exit)\n",
			    func, path[0] ? path : "source unknown");
		strbuf_addf(out, "  total %lld B in %lld call%s, net %lld B\n", (long long)tb, (long long)tc,
			    pl((long long)tc), (long long)tn);
		if (path[0] && find_source(path, r->p->exe, &src) == 0) {
			char *p = src.buf;

			for (ln = 0; p && *p; ln++) {
				char *nl2 = strchr(p, '\n');

				if (nlines % 256 == 0) {
					char **nn = realloc(lines, (nlines + 256) * sizeof(*lines));

					if (!nn)
						break;
					lines = nn;
				}
				lines[nlines++] = p;
				if (nl2)
					*nl2 = 0;
				p = nl2 ? nl2 + 1 : NULL;
			}
		} else if (path[0]) {
			strbuf_addf(out, "  note: source file '%s' not found; lines listed without text\n", path);
		}
		strbuf_addf(out, "  %6s %14s %10s %14s  %s\n", "line", "allocated", "calls", "net", "source");
		lo = ll[0].line > 2 ? ll[0].line - 2 : 1;
		hi = ll[n - 1].line + 2;
		if (!lines)
			lo = hi = 0;
		for (ln = lo; lines && ln <= hi && ln <= nlines; ln++) {
			while (j < n && ll[j].line < ln)
				j++;
			if (j < n && ll[j].line == ln)
				strbuf_addf(out, "  %6zu %14lld %10lld %14lld  ", ln, (long long)ll[j].bytes,
					    (long long)ll[j].calls, (long long)ll[j].net);
			else
				strbuf_addf(out, "  %6zu %14s %10s %14s  ", ln, "", "", "");
			strbuf_add_utf8_sanitized(out, lines[ln - 1], strlen(lines[ln - 1]));
			strbuf_addch(out, '\n');
		}
		if (!lines)
			for (j = 0; j < n; j++)
				strbuf_addf(out, "  %6u %14lld %10lld %14lld\n", ll[j].line, (long long)ll[j].bytes,
					    (long long)ll[j].calls, (long long)ll[j].net);
		free(lines);
	}
	strbuf_release(&src);
	free(ll);
	return 0;
}

/* ---- snapshot diff ----------------------------------------------------- */

static void list_labels(const struct memprof_proc *p, char *err, size_t errlen, const char *missing)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < p->n_snaps; i++)
		strbuf_addf(&sb, "%s'%s'", i ? ", " : "", p->snaps[i].label);
	snprintf(err, errlen, "no snapshot labelled '%s'; the recording has %s", missing,
		 p->n_snaps ? sb.buf : "none");
	strbuf_release(&sb);
}

/* Groups of the diff: profile stacks (--stacks) or leaf sites. keys maps a
 * recorded stack id to its group, rep a group to a location and stack. */
static int diff_groups(const struct mem_report *r, uint32_t *keys, uint32_t *rep_loc, uint32_t *rep_stack,
		       uint32_t *n_groups)
{
	size_t ns = profile_n_stacks(r->prof), i, k = 0;
	struct site_row *rows = calloc(ns + 1, sizeof(*rows));
	uint32_t *site_of = calloc(ns + 1, sizeof(*site_of));

	if (!rows || !site_of) {
		free(rows);
		free(site_of);
		return -ENOMEM;
	}
	for (i = 0; i < ns; i++) {
		uint32_t nl;
		const uint32_t *locs = profile_stack(r->prof, (uint32_t)i, &nl);

		site_of[i] = UINT32_MAX;
		if (!nl)
			continue;
		row_key(r->prof, &rows[k], locs[0], (uint32_t)i);
		k++;
	}
	qsort(rows, k, sizeof(*rows), site_key_cmp);
	*n_groups = 0;
	for (i = 0; i < k; i++) {
		uint32_t g;

		if (r->stacks) {
			g = rows[i].stack;
		} else {
			if (!i || site_key_cmp(&rows[i - 1], &rows[i]))
				(*n_groups)++;
			g = *n_groups - 1;
		}
		site_of[rows[i].stack] = g;
		rep_loc[g] = rows[i].loc;
		rep_stack[g] = rows[i].stack;
	}
	if (r->stacks)
		*n_groups = (uint32_t)ns;
	for (i = 0; i < r->p->n_stacks; i++) {
		uint32_t st = r->stack_map[i];

		keys[i] = st < ns ? site_of[st] : UINT32_MAX;
	}
	free(rows);
	free(site_of);
	return 0;
}

int mem_report_diff(const struct mem_report *r, const char *from, const char *to, int json,
		    struct strbuf *out, char *err, size_t errlen)
{
	struct memprof_snapshot *a = memprof_snapshot_find(r->p, from);
	struct memprof_snapshot *b = memprof_snapshot_find(r->p, to);
	size_t ns = profile_n_stacks(r->prof);
	uint32_t *keys, *rep_loc, *rep_stack, n_groups = 0;
	struct memprof_diff_row *d = NULL;
	long n = 0, j;
	int64_t tb = 0, tk = 0;

	if (!a || !b) {
		list_labels(r->p, err, errlen, !a ? from : to);
		return -ENOENT;
	}
	keys = calloc(r->p->n_stacks + 1, sizeof(*keys));
	rep_loc = calloc(ns + 1, sizeof(*rep_loc));
	rep_stack = calloc(ns + 1, sizeof(*rep_stack));
	if (!keys || !rep_loc || !rep_stack || diff_groups(r, keys, rep_loc, rep_stack, &n_groups) ||
	    (n = memprof_diff(a, b, keys, r->p->n_stacks, n_groups, &d)) < 0) {
		free(keys);
		free(rep_loc);
		free(rep_stack);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (j = 0; j < n; j++) {
		tb += d[j].bytes_diff;
		tk += d[j].blocks_diff;
	}
	if (json) {
		struct json_writer w;

		json_init(&w, out, 1);
		json_obj_begin(&w);
		json_kstr(&w, "from", from);
		json_kstr(&w, "to", to);
		json_kint(&w, "bytes_diff", tb);
		json_kint(&w, "blocks_diff", tk);
		json_key(&w, "sites");
		json_arr_begin(&w);
		for (j = 0; j < n && (!r->limit || j < r->limit); j++) {
			const struct profile_location *l = profile_location(r->prof, rep_loc[d[j].group]);

			json_obj_begin(&w);
			json_kstr(&w, "function", profile_string(r->prof, l->function));
			json_kstr(&w, "file", profile_string(r->prof, l->file));
			json_kint(&w, "line", l->line);
			json_kint(&w, "bytes_diff", d[j].bytes_diff);
			json_kint(&w, "blocks_diff", d[j].blocks_diff);
			json_kint(&w, "bytes", (int64_t)d[j].bytes);
			json_kint(&w, "blocks", (int64_t)d[j].blocks);
			json_obj_end(&w);
		}
		json_arr_end(&w);
		json_obj_end(&w);
		strbuf_addch(out, '\n');
	} else {
		uint32_t *shown = calloc(n ? (size_t)n : 1, sizeof(*shown));
		uint8_t *same = NULL;
		long k = 0;

		strbuf_addf(out, "Snapshot diff '%s' (%.3f s) -> '%s' (%.3f s): %+lld B, %+lld block%s\n", from,
			    a->time_ns > r->p->sum.start_mono_ns ? secs(a->time_ns - r->p->sum.start_mono_ns) : 0.0,
			    to, b->time_ns > r->p->sum.start_mono_ns ? secs(b->time_ns - r->p->sum.start_mono_ns) : 0.0,
			    (long long)tb, (long long)tk, pl((long long)tk));
		strbuf_addf(out, "  %14s %10s %14s %10s  %s\n", "bytes diff", "blocks", "now bytes", "now blocks",
			    r->stacks ? "stack" : "site");
		if (!n)
			strbuf_addstr(out, "  (no difference)\n");
		for (j = 0; shown && j < n && (!r->limit || j < r->limit); j++)
			shown[k++] = rep_stack[d[j].group];
		if (r->stacks && shown)
			same = same_looking(r->prof, shown, (size_t)k, 8);
		for (j = 0; j < n && (!r->limit || j < r->limit); j++) {
			int addr = same && same[j];

			strbuf_addf(out, "  %+14lld %+10lld %14llu %10llu  ", (long long)d[j].bytes_diff,
				    (long long)d[j].blocks_diff, (unsigned long long)d[j].bytes,
				    (unsigned long long)d[j].blocks);
			add_loc(r, rep_loc[d[j].group], out);
			if (addr)
				add_addr(r->prof, rep_loc[d[j].group], out);
			strbuf_addch(out, '\n');
			if (r->stacks)
				add_callers(r, rep_stack[d[j].group], 8,
					    "                                                      ", addr, out);
		}
		free(same);
		free(shown);
	}
	free(d);
	free(keys);
	free(rep_loc);
	free(rep_stack);
	return 0;
}

/* ---- JSON -------------------------------------------------------------- */

static void json_loc(struct json_writer *w, const struct profile *prof, uint32_t loc)
{
	const struct profile_location *l = profile_location(prof, loc);

	json_kstr(w, "function", profile_string(prof, l->function));
	json_kstr(w, "file", profile_string(prof, l->file));
	json_kint(w, "line", l->line);
	json_kstr(w, "module", profile_string(prof, l->module));
}

static void json_stack(struct json_writer *w, const struct profile *prof, uint32_t stack)
{
	uint32_t nl, i;
	const uint32_t *locs = profile_stack(prof, stack, &nl);

	json_key(w, "stack");
	json_arr_begin(w);
	for (i = 0; i < nl; i++) {
		json_obj_begin(w);
		json_loc(w, prof, locs[i]);
		json_obj_end(w);
	}
	json_arr_end(w);
}

/* "key": [{bytes, blocks, stack}...] for the stacks holding value, biggest first. */
static void json_stacks_by(struct json_writer *w, const struct mem_report *r, const char *key,
			   size_t bytes, size_t blocks)
{
	size_t i, n;
	struct site_row *rows = site_rows(r, 1, bytes, &n);

	json_key(w, key);
	json_arr_begin(w);
	for (i = 0; rows && i < n && rows[i].v[bytes]; i++) {
		json_obj_begin(w);
		json_kint(w, "bytes", rows[i].v[bytes]);
		json_kint(w, "blocks", rows[i].v[blocks]);
		json_stack(w, r->prof, rows[i].stack);
		json_obj_end(w);
	}
	json_arr_end(w);
	free(rows);
}

void mem_report_json(const struct mem_report *r, struct strbuf *out)
{
	const struct memw_summary *s = &r->p->sum;
	struct json_writer w;
	struct site_row *rows;
	size_t n, i;
	int unknown;

	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "mem");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "command", r->m->command ? r->m->command : "");
	json_kstr(&w, "executable", r->p->exe ? r->p->exe : "");
	json_kuint(&w, "pid", s->pid);
	json_kuint(&w, "ppid", s->ppid);
	json_kbool(&w, "forked", !!(s->flags & MEMW_F_FORKED));
	json_kbool(&w, "truncated", r->m->truncated || !r->p->has_summary || (s->flags & MEMW_F_SALVAGED));
	json_kbool(&w, "salvaged", !!(s->flags & MEMW_F_SALVAGED));
	json_kint(&w, "exit_status", s->exit_status);
	json_kint(&w, "term_signal", s->term_signal);
	json_kuint(&w, "duration_ns", s->end_mono_ns > s->start_mono_ns ? s->end_mono_ns - s->start_mono_ns : 0);
	/* "exact", or for a recording cut before the final figures "lower
	 * bound" (sums over the sites that survived) or "unknown" (null) */
	json_kstr(&w, "figures", r->p->has_summary ? "exact" : r->p->n_sites ? "lower bound" : "unknown");
	unknown = !r->p->has_summary && !r->p->n_sites;
	json_known(&w, "alloc_bytes", s->alloc_bytes, !unknown);
	json_known(&w, "alloc_calls", s->alloc_calls, !unknown);
	json_known(&w, "free_calls", s->free_calls, !unknown);
	json_known(&w, "peak_bytes", s->peak_bytes, !unknown || s->peak_bytes);
	json_known(&w, "peak_blocks", s->peak_blocks, !unknown);
	json_known(&w, "peak_time_ns", s->peak_time_ns > s->start_mono_ns ? s->peak_time_ns - s->start_mono_ns : 0,
		   !unknown);
	if (r->p->has_leaks && r->suppress_file) {
		/* what --suppress left; leak_classes are before it */
		json_kuint(&w, "leaked_bytes", (uint64_t)profile_total(r->prof, MP_LEAK_BYTES));
		json_kuint(&w, "leaked_blocks", (uint64_t)profile_total(r->prof, MP_LEAK_COUNT));
	} else if (r->p->has_leaks) {
		const struct memw_leaks *l = &r->p->leaks;

		json_kuint(&w, "leaked_bytes", l->bytes[MEMW_LEAK_DEFINITE] + l->bytes[MEMW_LEAK_INDIRECT]);
		json_kuint(&w, "leaked_blocks", l->blocks[MEMW_LEAK_DEFINITE] + l->blocks[MEMW_LEAK_INDIRECT]);
	} else {
		json_known(&w, "leaked_bytes", s->live_bytes, !unknown);
		json_known(&w, "leaked_blocks", s->live_blocks, !unknown);
	}
	json_known(&w, "in_use_at_exit_bytes", s->live_bytes, !unknown);
	json_known(&w, "in_use_at_exit_blocks", s->live_blocks, !unknown);
	json_kbool(&w, "leaks_classified", r->p->has_leaks);
	if (r->suppress_file) {
		json_key(&w, "suppressed");
		json_obj_begin(&w);
		json_kstr(&w, "file", r->suppress_file);
		json_kuint(&w, "bytes", r->suppressed_bytes);
		json_kuint(&w, "blocks", r->suppressed_blocks);
		json_obj_end(&w);
	}
	if (r->p->has_leaks) {
		static const char *const cls[MEMW_LEAK_CLASSES] = {
			NULL, "still_reachable", "possibly_lost", "indirectly_lost", "definitely_lost",
		};
		const struct memw_leaks *l = &r->p->leaks;

		json_key(&w, "leak_classes");
		json_obj_begin(&w);
		for (int c = MEMW_LEAK_CLASSES - 1; c >= MEMW_LEAK_REACHABLE; c--) {
			json_key(&w, cls[c]);
			json_obj_begin(&w);
			json_kuint(&w, "bytes", l->bytes[c]);
			json_kuint(&w, "blocks", l->blocks[c]);
			json_obj_end(&w);
		}
		json_kuint(&w, "scan_ns", l->scan_ns);
		json_kuint(&w, "scanned_bytes", l->root_bytes + l->block_bytes);
		json_obj_end(&w);
	}
	json_known(&w, "temporary_calls", s->temp_calls, !unknown);
	json_kuint(&w, "rss_max", s->rss_max);
	json_kuint(&w, "unknown_frees", s->unknown_frees);
	json_kuint(&w, "dropped_events", s->dropped);
	if ((s->flags & MEMW_F_PYTHON) && r->m->pythonmalloc && strchr(r->m->pythonmalloc, ':')) {
		json_key(&w, "pythonmalloc");
		json_obj_begin(&w);
		json_kstr(&w, "value", strchr(r->m->pythonmalloc, ':') + 1);
		json_kstr(&w, "set_by", !strncmp(r->m->pythonmalloc, "pinch:", 6) ? "pinch" : "user");
		json_obj_end(&w);
	}

	rows = site_rows(r, r->stacks, MP_ALLOC_BYTES, &n);
	json_key(&w, "sites");
	json_arr_begin(&w);
	for (i = 0; rows && i < n && (!r->limit || (int)i < r->limit); i++) {
		json_obj_begin(&w);
		json_loc(&w, r->prof, rows[i].loc);
		json_kint(&w, "alloc_bytes", rows[i].v[MP_ALLOC_BYTES]);
		json_kint(&w, "alloc_calls", rows[i].v[MP_ALLOC_COUNT]);
		json_kint(&w, "temporary_calls", rows[i].v[MP_TEMP_COUNT]);
		json_kint(&w, "peak_bytes", rows[i].v[MP_PEAK_BYTES]);
		json_kint(&w, "leaked_bytes", rows[i].v[MP_LEAK_BYTES]);
		json_kint(&w, "leaked_blocks", rows[i].v[MP_LEAK_COUNT]);
		json_kint(&w, "possibly_lost_bytes", rows[i].v[MP_POSSIBLE_BYTES]);
		json_kint(&w, "reachable_bytes", rows[i].v[MP_REACHABLE_BYTES]);
		json_kint(&w, "in_use_at_exit_bytes", rows[i].v[MP_LEAK_BYTES] +
			  rows[i].v[MP_POSSIBLE_BYTES] + rows[i].v[MP_REACHABLE_BYTES]);
		json_kint(&w, "in_use_at_exit_blocks", rows[i].v[MP_LEAK_COUNT] +
			  rows[i].v[MP_POSSIBLE_COUNT] + rows[i].v[MP_REACHABLE_COUNT]);
		if (r->stacks)
			json_stack(&w, r->prof, rows[i].stack);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	free(rows);

	json_stacks_by(&w, r, "leaks", MP_LEAK_BYTES, MP_LEAK_COUNT);
	json_stacks_by(&w, r, "possibly_lost", MP_POSSIBLE_BYTES, MP_POSSIBLE_COUNT);
	json_stacks_by(&w, r, "still_reachable", MP_REACHABLE_BYTES, MP_REACHABLE_COUNT);
	json_stacks_by(&w, r, "peak", MP_PEAK_BYTES, MP_PEAK_COUNT);

	json_key(&w, "timeline");
	json_arr_begin(&w);
	for (i = 0; i < r->p->n_points; i++) {
		const struct memw_point *pt = &r->p->points[i];

		json_obj_begin(&w);
		json_kuint(&w, "t_ns", pt->time_ns > s->start_mono_ns ? pt->time_ns - s->start_mono_ns : 0);
		json_kuint(&w, "heap_max", pt->heap_max);
		json_kuint(&w, "heap_end", pt->heap_end);
		json_kuint(&w, "rss", pt->rss);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_key(&w, "snapshots");
	json_arr_begin(&w);
	for (i = 0; i < r->p->n_snaps; i++) {
		json_obj_begin(&w);
		json_kstr(&w, "label", r->p->snaps[i].label);
		json_kuint(&w, "heap", r->p->snaps[i].heap);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(out, '\n');
}
