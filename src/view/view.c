/*
 * view.c - shared machinery of the renderers (view layer): the function
 * table built from profile locations, per-stack sums, name matching for
 * --lines/--callers/--callees, unit formatting and the call tree.
 */
#include "view/view.h"
#include "view/view_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "core/strdist.h"
#include "model/profile.h"
#include "core/banned.h"

void view_opts_init(struct view_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->value = 0;
	o->count_value = SIZE_MAX;
	o->sort = VIEW_SORT_SELF;
	o->depth = 1;
	o->width = 1200;
}

struct func_key {
	uint32_t name, module;
};

static int func_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct vctx *c = ctx;
	const struct func_key *k = key;

	return c->f[id].name == k->name && c->f[id].module == k->module;
}

int vctx_init(struct vctx *c, const struct profile *p, const struct view_opts *o,
	      char *err, size_t errlen)
{
	size_t nt = profile_n_types(p), i, alloc = 0;

	memset(c, 0, sizeof(*c));
	c->p = p;
	c->o = o;
	hmap_init(&c->func_index);
	if (o->value >= nt) {
		snprintf(err, errlen, "sample type %zu out of range (profile has %zu)", o->value, nt);
		return -EINVAL;
	}
	if (o->count_value != SIZE_MAX && o->count_value >= nt) {
		snprintf(err, errlen, "count type %zu out of range (profile has %zu)", o->count_value, nt);
		return -EINVAL;
	}
	c->has_count = o->count_value != SIZE_MAX;
	c->n_locs = profile_n_locations(p);
	c->n_stacks = profile_n_stacks(p);
	c->loc_func = calloc(c->n_locs ? c->n_locs : 1, sizeof(*c->loc_func));
	if (!c->loc_func)
		goto nomem;
	for (i = 0; i < c->n_locs; i++) {
		const struct profile_location *l = profile_location(p, (uint32_t)i);
		struct func_key k = { l->function, l->module };
		uint64_t h = hash_mix(((uint64_t)k.name << 32 | k.module) ^ 0x9e3779b97f4a7c15ull);
		uint32_t id = hmap_find(&c->func_index, h, &k, func_eq, c);

		if (id == UINT32_MAX) {
			if (c->n_funcs == alloc) {
				size_t na = alloc ? alloc * 2 : 64;
				struct vfunc *nf = realloc(c->f, na * sizeof(*nf));

				if (!nf)
					goto nomem;
				c->f = nf;
				alloc = na;
			}
			id = (uint32_t)c->n_funcs++;
			memset(&c->f[id], 0, sizeof(c->f[id]));
			c->f[id].name = k.name;
			c->f[id].module = k.module;
			c->f[id].kind = l->kind;
			if (hmap_insert(&c->func_index, h, id))
				goto nomem;
		}
		c->loc_func[i] = id;
	}
	c->sval = calloc(c->n_stacks ? c->n_stacks : 1, sizeof(int64_t));
	c->scnt = calloc(c->n_stacks ? c->n_stacks : 1, sizeof(int64_t));
	c->loc_val = calloc(c->n_locs ? c->n_locs : 1, sizeof(int64_t));
	c->loc_n = calloc(c->n_locs ? c->n_locs : 1, sizeof(int64_t));
	c->stamp = calloc(c->n_funcs ? c->n_funcs : 1, sizeof(uint32_t));
	if (!c->sval || !c->scnt || !c->loc_val || !c->loc_n || !c->stamp)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	vctx_release(c);
	return -ENOMEM;
}

void vctx_release(struct vctx *c)
{
	free(c->loc_func);
	free(c->f);
	hmap_release(&c->func_index);
	free(c->sval);
	free(c->scnt);
	free(c->loc_val);
	free(c->loc_n);
	free(c->stamp);
	free(c->name_rank);
	memset(c, 0, sizeof(*c));
}

const char *vctx_fname(const struct vctx *c, uint32_t f)
{
	return profile_string(c->p, c->f[f].name);
}

static int name_cmp(const void *a, const void *b, void *arg)
{
	const struct vctx *c = arg;

	return strcmp(vctx_fname(c, *(const uint32_t *)a), vctx_fname(c, *(const uint32_t *)b));
}

int vctx_rank_names(struct vctx *c)
{
	uint32_t *ord = malloc((c->n_funcs ? c->n_funcs : 1) * sizeof(uint32_t));
	size_t i;
	uint32_t rank = 0;

	free(c->name_rank);
	c->name_rank = malloc((c->n_funcs ? c->n_funcs : 1) * sizeof(uint32_t));
	if (!ord || !c->name_rank) {
		free(ord);
		return -ENOMEM;
	}
	for (i = 0; i < c->n_funcs; i++)
		ord[i] = (uint32_t)i;
	qsort_r(ord, c->n_funcs, sizeof(uint32_t), name_cmp, c);
	for (i = 0; i < c->n_funcs; i++) {
		if (i && c->f[ord[i]].name != c->f[ord[i - 1]].name &&
		    strcmp(vctx_fname(c, ord[i]), vctx_fname(c, ord[i - 1])))
			rank++;
		c->name_rank[ord[i]] = rank;
	}
	free(ord);
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int vtree_children_by_name(const struct vctx *c, const struct vtree *t, uint32_t **firstp,
			   uint32_t **nextp)
{
	uint32_t *first = malloc(t->n * sizeof(uint32_t));
	uint32_t *next = malloc(t->n * sizeof(uint32_t));
	uint64_t *key = malloc(t->n * sizeof(uint64_t));
	size_t i;

	if (!first || !next || !key) {
		free(first);
		free(next);
		free(key);
		return -ENOMEM;
	}
	/* sort (rank, id) pairs: no callbacks into scattered nodes */
	for (i = 0; i < t->n; i++) {
		const struct vtree_node *nd = &t->nodes[i];
		uint64_t r = nd->func == UINT32_MAX ? nd->key : c->name_rank[nd->func];

		first[i] = next[i] = UINT32_MAX;
		key[i] = r << 32 | i;
	}
	qsort(key + 1, t->n - 1, sizeof(uint64_t), u64_cmp);
	for (i = t->n; i-- > 1;) {
		uint32_t id = (uint32_t)key[i], par = t->nodes[id].parent;

		next[id] = first[par];
		first[par] = id;
	}
	free(key);
	*firstp = first;
	*nextp = next;
	return 0;
}

struct loc_ord {
	uint32_t func, file, line, loc;
};

int view_line_key_cmp(uint32_t func_a, uint32_t file_a, uint32_t line_a, uint32_t func_b,
		      uint32_t file_b, uint32_t line_b)
{
	if (func_a != func_b)
		return func_a < func_b ? -1 : 1;
	if (file_a != file_b)
		return file_a < file_b ? -1 : 1;
	if (line_a != line_b)
		return line_a < line_b ? -1 : 1;
	return 0;
}

static int loc_ord_cmp(const void *a, const void *b)
{
	const struct loc_ord *x = a, *y = b;

	return view_line_key_cmp(x->func, x->file, x->line, y->func, y->file, y->line);
}

/* Picks each function's most-sampled (file, line) and its lowest line. */
static int pick_lines(struct vctx *c)
{
	struct loc_ord *ord = malloc((c->n_locs ? c->n_locs : 1) * sizeof(*ord));
	int64_t *best = calloc(c->n_funcs ? c->n_funcs : 1, sizeof(int64_t));
	size_t i, j;

	if (!ord || !best) {
		free(ord);
		free(best);
		return -ENOMEM;
	}
	for (i = 0; i < c->n_locs; i++) {
		const struct profile_location *l = profile_location(c->p, (uint32_t)i);

		ord[i] = (struct loc_ord){ c->loc_func[i], l->file, l->line, (uint32_t)i };
	}
	qsort(ord, c->n_locs, sizeof(*ord), loc_ord_cmp);
	for (i = 0; i < c->n_funcs; i++) {
		c->f[i].file = c->f[i].line = c->f[i].first_line = 0;
		best[i] = -1;
	}
	for (i = 0; i < c->n_locs; i = j) {
		int64_t v = 0, n = 0;
		struct vfunc *f = &c->f[ord[i].func];

		for (j = i; j < c->n_locs && !loc_ord_cmp(&ord[i], &ord[j]); j++) {
			v += c->loc_val[ord[j].loc];
			n += c->loc_n[ord[j].loc];
		}
		if (!v && !n)
			continue;
		if (ord[i].line && (!f->first_line || ord[i].line < f->first_line))
			f->first_line = ord[i].line;
		/* prefer a known line over an unknown one at equal weight */
		if (v > best[ord[i].func] || (v == best[ord[i].func] && !f->line && ord[i].line)) {
			best[ord[i].func] = v;
			f->file = ord[i].file;
			f->line = ord[i].line;
		}
	}
	free(ord);
	free(best);
	return 0;
}

int vctx_sum(struct vctx *c, uint32_t thread)
{
	const struct profile *p = c->p;
	size_t ns = profile_n_samples(p), i;
	uint32_t s;

	memset(c->sval, 0, (c->n_stacks ? c->n_stacks : 1) * sizeof(int64_t));
	memset(c->scnt, 0, (c->n_stacks ? c->n_stacks : 1) * sizeof(int64_t));
	memset(c->loc_val, 0, (c->n_locs ? c->n_locs : 1) * sizeof(int64_t));
	memset(c->loc_n, 0, (c->n_locs ? c->n_locs : 1) * sizeof(int64_t));
	memset(c->stamp, 0, (c->n_funcs ? c->n_funcs : 1) * sizeof(uint32_t));
	c->total = c->total_n = 0;
	for (i = 0; i < c->n_funcs; i++)
		c->f[i].self = c->f[i].total = c->f[i].self_n = c->f[i].total_n = 0;
	for (i = 0; i < ns; i++) {
		const struct profile_sample *sm = profile_sample(p, i);
		const int64_t *v = profile_sample_values(p, i);

		if (thread != UINT32_MAX && sm->thread != thread)
			continue;
		c->sval[sm->stack] += v[c->o->value];
		if (c->has_count)
			c->scnt[sm->stack] += v[c->o->count_value];
	}
	for (s = 0; s < c->n_stacks; s++) {
		int64_t v = c->sval[s], n = c->scnt[s];
		uint32_t len, k;
		const uint32_t *locs;

		if (!v && !n)
			continue;
		c->total += v;
		c->total_n += n;
		locs = profile_stack(p, s, &len);
		if (!len)
			continue;
		c->f[c->loc_func[locs[0]]].self += v;
		c->f[c->loc_func[locs[0]]].self_n += n;
		for (k = 0; k < len; k++) {
			uint32_t f = c->loc_func[locs[k]];

			if (c->stamp[f] == s + 1)
				continue;	/* recursion: once per sample */
			c->stamp[f] = s + 1;
			c->f[f].total += v;
			c->f[f].total_n += n;
			c->loc_val[locs[k]] += v;
			c->loc_n[locs[k]] += n;
		}
	}
	return pick_lines(c);
}

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return !n;
}

/* Appends up to max names of candidate functions (cand[i] != 0) to err. */
static void list_names(const struct vctx *c, const unsigned char *cand, size_t max,
		       struct strbuf *sb)
{
	size_t i, shown = 0, total = 0;

	for (i = 0; i < c->n_funcs; i++) {
		if (!cand[i])
			continue;
		if (total++ >= max)
			continue;
		strbuf_addstr(sb, shown++ ? ", " : "");
		view_add_name(sb, vctx_fname(c, (uint32_t)i), 0);
	}
	if (total > shown)
		strbuf_addf(sb, " and %zu more", total - shown);
}

int vctx_match(const struct vctx *c, const char *want, char *err, size_t errlen)
{
	size_t i, n_sub = 0, n_close = 0;
	long exact = -1, sub = -1;
	unsigned char *cand;
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (!want || !*want) {
		snprintf(err, errlen, "no function given");
		return -EINVAL;
	}
	for (i = 0; i < c->n_funcs; i++) {
		if (!c->f[i].total && !c->f[i].total_n)
			continue;
		if (!strcmp(vctx_fname(c, (uint32_t)i), want) &&
		    (exact < 0 || c->f[i].total > c->f[exact].total))
			exact = (long)i;
	}
	if (exact >= 0)
		return (int)exact;
	cand = calloc(c->n_funcs ? c->n_funcs : 1, 1);
	if (!cand) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < c->n_funcs; i++) {
		if (!c->f[i].total && !c->f[i].total_n)
			continue;
		if (strstr(vctx_fname(c, (uint32_t)i), want)) {
			cand[i] = 1;
			n_sub++;
			sub = (long)i;
		}
	}
	if (n_sub == 1) {
		free(cand);
		return (int)sub;
	}
	if (n_sub > 1) {
		strbuf_addf(&sb, "'%s' matches %zu functions: ", want, n_sub);
		list_names(c, cand, 8, &sb);
		rc = -EINVAL;
	} else {
		size_t wl = strlen(want), lim = wl / 3 > 2 ? wl / 3 : 2;

		for (i = 0; i < c->n_funcs; i++) {
			const char *name = vctx_fname(c, (uint32_t)i);

			if (!c->f[i].total && !c->f[i].total_n)
				continue;
			if (contains_ci(name, want) || str_distance(name, want, 1) <= lim) {
				cand[i] = 1;
				n_close++;
			}
		}
		strbuf_addf(&sb, "no function matches '%s'", want);
		if (n_close) {
			strbuf_addstr(&sb, " (close: ");
			list_names(c, cand, 5, &sb);
			strbuf_addch(&sb, ')');
		}
		rc = -ENOENT;
	}
	snprintf(err, errlen, "%s", sb.buf);
	strbuf_release(&sb);
	free(cand);
	return rc;
}

void view_add_value(struct strbuf *sb, const char *unit, int64_t v)
{
	if (!strcmp(unit, "nanoseconds"))
		strbuf_add_duration(sb, (double)v);
	else if (!strcmp(unit, "microseconds"))
		strbuf_add_duration(sb, (double)v * 1e3);
	else if (!strcmp(unit, "milliseconds"))
		strbuf_add_duration(sb, (double)v * 1e6);
	else if (!strcmp(unit, "seconds"))
		strbuf_add_duration(sb, (double)v * 1e9);
	else if (!strcmp(unit, "bytes"))
		strbuf_add_bytes(sb, (double)v);
	else
		strbuf_addf(sb, "%lld", (long long)v);
}

const char *view_unit_label(const char *unit)
{
	if (!strcmp(unit, "nanoseconds") || !strcmp(unit, "microseconds") ||
	    !strcmp(unit, "milliseconds") || !strcmp(unit, "seconds"))
		return "Time";
	if (!strcmp(unit, "bytes"))
		return "Bytes";
	return "Value";
}

void view_add_name(struct strbuf *sb, const char *s, int nosemi)
{
	size_t start = sb->len, i;

	strbuf_add_utf8_sanitized(sb, s, strlen(s));
	if (!nosemi)
		return;
	for (i = start; i < sb->len; i++)
		if (sb->buf[i] == ';')
			sb->buf[i] = ':';
}

/* Is the '<' at s[i] part of an operator's name (operator<, operator<<,
 * operator<=, operator<=>, operator->*) rather than a template list? */
static int operator_lt(const char *s, size_t i)
{
	size_t j = i;

	while (j > 0 && (s[j - 1] == '<' || s[j - 1] == '=' || s[j - 1] == '-'))
		j--;
	return j >= 8 && !strncmp(s + j - 8, "operator", 8);
}

/* Replaces each outermost <...> with <…> (operator names kept). */
static void drop_template_args(const char *s, struct strbuf *out)
{
	int depth = 0;

	for (size_t i = 0; s[i]; i++) {
		char ch = s[i];

		if (ch == '<' && !operator_lt(s, i)) {
			if (depth++ == 0)
				strbuf_addstr(out, "<\xe2\x80\xa6");
			continue;
		}
		if (ch == '>' && depth > 0 && !(i > 0 && s[i - 1] == '-' && operator_lt(s, i))) {
			if (--depth == 0)
				strbuf_addch(out, '>');
			continue;
		}
		if (!depth)
			strbuf_addch(out, ch);
	}
}

/* The last parameter list "(...)" (outside templates; qualifiers such as
 * " const" after it stay) becomes "(…)". */
static void drop_params(struct strbuf *sb)
{
	size_t close = sb->len, open = 0, i;
	int depth = 0;

	while (close > 0 && sb->buf[close - 1] != ')')
		close--;
	if (!close)
		return;
	for (i = close; i-- > 0;) {
		if (sb->buf[i] == ')')
			depth++;
		else if (sb->buf[i] == '(' && --depth == 0) {
			open = i;
			break;
		}
	}
	if (open && close - open > 5) {
		struct strbuf t = STRBUF_INIT;

		strbuf_add(&t, sb->buf, open);
		strbuf_addstr(&t, "(\xe2\x80\xa6)");
		strbuf_addstr(&t, sb->buf + close);
		strbuf_reset(sb);
		strbuf_add(sb, t.buf, t.len);
		strbuf_release(&t);
	}
}

/* Drops a leading return type ("bool ", "__gnu_cxx::iter<…> ") of a
 * demangled template function: the last space before the parameter list
 * at the top level, unless it belongs to an operator's name. */
static void drop_return_type(struct strbuf *sb)
{
	size_t cut = 0, tok = 0;
	int depth = 0;

	for (size_t i = 0; i < sb->len; i++) {
		char ch = sb->buf[i];

		if (ch == '<' || ch == '(' || ch == '[') {
			if (!depth && ch == '(' && !(i >= 8 && !strncmp(sb->buf + i - 8, "operator", 8)))
				break;	/* the parameter list */
			depth++;
		} else if ((ch == '>' || ch == ')' || ch == ']') && depth) {
			depth--;
		} else if (ch == ' ' && !depth) {
			if (memmem(sb->buf + tok, i - tok, "operator", 8))
				break;	/* "operator< <…>", "operator unsigned long" */
			cut = i + 1;
			tok = i + 1;
		}
	}
	if (cut && cut < sb->len) {
		memmove(sb->buf, sb->buf + cut, sb->len - cut);
		strbuf_setlen(sb, sb->len - cut);
	}
}

void view_short_name(struct strbuf *out, const char *name, size_t width)
{
	struct strbuf t = STRBUF_INIT;
	size_t cut = 0;
	int depth = 0;

	if (!width || view_utf8_width(name) <= width) {
		strbuf_addstr(out, name);
		return;
	}
	/* 1. template arguments, 2. a return type, 3. parameters, 4. leading
	 * qualifiers; the
	 * function's own name stays whole (pprof and perf shorten alike). */
	drop_template_args(name, &t);
	if (view_utf8_width(t.buf) > width)
		drop_return_type(&t);
	if (view_utf8_width(t.buf) > width)
		drop_params(&t);
	for (size_t i = 0; view_utf8_width(t.buf + cut) > width && t.buf[i]; i++) {
		if (t.buf[i] == '(' || t.buf[i] == '<')
			depth++;
		else if ((t.buf[i] == ')' || t.buf[i] == '>') && depth)
			depth--;
		else if (!depth && t.buf[i] == ':' && t.buf[i + 1] == ':')
			cut = i + 2;
	}
	if (cut)
		strbuf_addstr(out, "\xe2\x80\xa6::");
	strbuf_addstr(out, t.buf + cut);
	strbuf_release(&t);
}

void view_add_count(struct strbuf *sb, long long n, const char *noun)
{
	size_t len = strlen(noun);

	/* "1 sample", "2 samples": a plural type name loses its s for one */
	if ((n == 1 || n == -1) && len > 1 && noun[len - 1] == 's')
		strbuf_addf(sb, "%lld %.*s", n, (int)len - 1, noun);
	else
		strbuf_addf(sb, "%lld %s", n, noun);
}

size_t view_utf8_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void view_add_col(struct strbuf *sb, const char *s, size_t width, int right)
{
	size_t w = view_utf8_width(s);

	if (w > width) {
		/* keep width-1 code points, then an ellipsis */
		size_t cps = 0, i;

		for (i = 0; s[i]; i++) {
			if (((unsigned char)s[i] & 0xc0) != 0x80) {
				if (cps == width - 1)
					break;
				cps++;
			}
		}
		strbuf_add(sb, s, i);
		strbuf_addstr(sb, "\xe2\x80\xa6");
		return;
	}
	if (right)
		strbuf_addchars(sb, ' ', width - w);
	strbuf_addstr(sb, s);
	if (!right)
		strbuf_addchars(sb, ' ', width - w);
}

double view_pct(int64_t v, int64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

const char *view_kind_name(unsigned kind)
{
	switch (kind) {
	case LOC_NATIVE: return "native";
	case LOC_PYTHON: return "python";
	case LOC_KERNEL: return "kernel";
	default: return "unknown";
	}
}

void view_json_types(const struct vctx *c, struct json_writer *w)
{
	json_key(w, "type");
	json_obj_begin(w);
	json_kstr(w, "name", profile_type_name(c->p, c->o->value));
	json_kstr(w, "unit", profile_type_unit(c->p, c->o->value));
	json_obj_end(w);
	json_key(w, "count_type");
	if (c->has_count) {
		json_obj_begin(w);
		json_kstr(w, "name", profile_type_name(c->p, c->o->count_value));
		json_kstr(w, "unit", profile_type_unit(c->p, c->o->count_value));
		json_obj_end(w);
	} else {
		json_null(w);
	}
}

/* ---- call tree ---- */

struct node_key {
	uint32_t parent, key;
};

static int node_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct vtree *t = ctx;
	const struct node_key *k = key;

	return t->nodes[id].parent == k->parent && t->nodes[id].key == k->key;
}

int vtree_init(struct vtree *t)
{
	memset(t, 0, sizeof(*t));
	hmap_init(&t->index);
	t->alloc = 1024;
	t->nodes = calloc(t->alloc, sizeof(*t->nodes));
	if (!t->nodes)
		return -ENOMEM;
	t->n = 1;
	t->nodes[0].parent = UINT32_MAX;
	t->nodes[0].key = UINT32_MAX;
	t->nodes[0].func = UINT32_MAX;
	return 0;
}

void vtree_release(struct vtree *t)
{
	free(t->nodes);
	hmap_release(&t->index);
	memset(t, 0, sizeof(*t));
}

uint32_t vtree_child(struct vtree *t, uint32_t parent, uint32_t key, uint32_t func)
{
	struct node_key k = { parent, key };
	uint64_t h = hash_mix(((uint64_t)parent << 32 | key) + 0x632be59bd9b4e019ull);
	uint32_t id = hmap_find(&t->index, h, &k, node_eq, t);

	if (id != UINT32_MAX)
		return id;
	if (t->n == t->alloc) {
		struct vtree_node *nn = realloc(t->nodes, t->alloc * 2 * sizeof(*nn));

		if (!nn)
			return UINT32_MAX;
		t->nodes = nn;
		t->alloc *= 2;
	}
	id = (uint32_t)t->n;
	memset(&t->nodes[id], 0, sizeof(t->nodes[id]));
	t->nodes[id].parent = parent;
	t->nodes[id].key = key;
	t->nodes[id].func = func;
	t->nodes[id].depth = t->nodes[parent].depth + 1;
	if (hmap_insert(&t->index, h, id))
		return UINT32_MAX;
	t->n++;
	return id;
}

void vtree_add(struct vtree *t, uint32_t node, int64_t v, int64_t n)
{
	t->nodes[node].self += v;
	t->nodes[node].self_n += n;
	for (; node != UINT32_MAX; node = t->nodes[node].parent) {
		t->nodes[node].value += v;
		t->nodes[node].n += n;
	}
}

struct sort_ctx {
	const struct vtree *t;
	int (*cmp)(const void *ctx, const struct vtree_node *a, const struct vtree_node *b);
	const void *ctx;
};

static int sort_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *s = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return s->cmp(s->ctx, &s->t->nodes[x], &s->t->nodes[y]);
}

int vtree_children(const struct vtree *t, uint32_t **firstp, uint32_t **nextp,
		   int (*cmp)(const void *ctx, const struct vtree_node *a, const struct vtree_node *b),
		   const void *ctx)
{
	uint32_t *first = malloc(t->n * sizeof(uint32_t));
	uint32_t *next = malloc(t->n * sizeof(uint32_t));
	uint32_t *ord = malloc(t->n * sizeof(uint32_t));
	struct sort_ctx sc = { t, cmp, ctx };
	size_t i;

	if (!first || !next || !ord) {
		free(first);
		free(next);
		free(ord);
		return -ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		first[i] = next[i] = UINT32_MAX;
		ord[i] = (uint32_t)i;
	}
	/* sort all non-root nodes; then link back to front so lists come out sorted */
	qsort_r(ord + 1, t->n - 1, sizeof(uint32_t), sort_cmp, &sc);
	for (i = t->n; i-- > 1;) {
		uint32_t id = ord[i], par = t->nodes[id].parent;

		next[id] = first[par];
		first[par] = id;
	}
	free(ord);
	*firstp = first;
	*nextp = next;
	return 0;
}

int vctx_tree(const struct vctx *c, struct vtree *t, int key_by_name, int by_thread)
{
	const struct profile *p = c->p;
	size_t ns = profile_n_samples(p), i;
	int rc = vtree_init(t);

	if (rc)
		return rc;
	for (i = 0; i < ns; i++) {
		const struct profile_sample *sm = profile_sample(p, i);
		const int64_t *v = profile_sample_values(p, i);
		int64_t val = v[c->o->value], n = c->has_count ? v[c->o->count_value] : 0;
		uint32_t node = 0, len, k;
		const uint32_t *locs;

		if (!val && !n)
			continue;
		if (by_thread)
			node = vtree_child(t, 0, sm->thread, UINT32_MAX);
		locs = profile_stack(p, sm->stack, &len);
		for (k = len; k-- > 0 && node != UINT32_MAX;) {
			uint32_t f = c->loc_func[locs[k]];

			node = vtree_child(t, node, key_by_name ? c->f[f].name : f, f);
		}
		if (node == UINT32_MAX) {
			vtree_release(t);
			return -ENOMEM;
		}
		vtree_add(t, node, val, n);
	}
	return 0;
}
