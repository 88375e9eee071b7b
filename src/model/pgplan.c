/*
 * pgplan.c - EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) read and judged
 * (model layer); see pgplan.h.
 */
#include "pgplan.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define MAX_DEPTH 200
#define MAX_NODES 100000

static char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static double jnum(json_t *o, const char *key, int *present)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (!json_is_number(v))
		return 0;
	d = json_number_value(v);
	if (!isfinite(d) || d < 0 || d > 1e18)
		return 0;
	if (present)
		*present = 1;
	return d;
}

static int add_node(struct pgplan *p, json_t *o, int depth, size_t parent, int under_limit,
		    char *err, size_t errlen)
{
	static const char *const conds[] = { "Index Cond", "Hash Cond", "Merge Cond",
					     "Join Filter", "Recheck Cond" };
	struct pgplan_node *n;
	json_t *kids;
	size_t me, i;
	double loops;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "a plan node is not a JSON object");
		return -EINVAL;
	}
	if (depth > MAX_DEPTH || p->n_nodes >= MAX_NODES) {
		snprintf(err, errlen, "the plan is nested too deeply or too large");
		return -EINVAL;
	}
	if ((p->n_nodes & (p->n_nodes - 1)) == 0 || p->n_nodes < 16) {
		size_t cap = p->n_nodes < 16 ? 16 : p->n_nodes * 2;
		struct pgplan_node *nv = realloc(p->nodes, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		p->nodes = nv;
	}
	me = p->n_nodes++;
	n = &p->nodes[me];
	memset(n, 0, sizeof(*n));
	n->type = jstr(o, "Node Type");
	if (!n->type) {
		snprintf(err, errlen, "a plan node has no \"Node Type\"");
		return -EINVAL;
	}
	n->relation = jstr(o, "Relation Name");
	n->alias = jstr(o, "Alias");
	n->index = jstr(o, "Index Name");
	n->filter = jstr(o, "Filter");
	for (i = 0; i < sizeof(conds) / sizeof(conds[0]) && !n->cond; i++)
		n->cond = jstr(o, conds[i]);
	n->sort_method = jstr(o, "Sort Method");
	n->sort_space = jstr(o, "Sort Space Type");
	n->plan_rows = jnum(o, "Plan Rows", NULL);
	loops = jnum(o, "Actual Loops", &n->analyzed);
	n->loops = loops;
	n->rows = jnum(o, "Actual Rows", NULL) * loops;
	n->time_ms = jnum(o, "Actual Total Time", NULL) * loops;
	n->removed = jnum(o, "Rows Removed by Filter", NULL) * loops;
	n->hash_batches = jnum(o, "Hash Batches", NULL);
	n->orig_hash_batches = jnum(o, "Original Hash Batches", NULL);
	n->hit = (uint64_t)jnum(o, "Shared Hit Blocks", NULL);
	n->read = (uint64_t)jnum(o, "Shared Read Blocks", NULL);
	n->temp_read = (uint64_t)jnum(o, "Temp Read Blocks", NULL);
	n->temp_written = (uint64_t)jnum(o, "Temp Written Blocks", NULL);
	n->depth = depth;
	n->parent = parent;
	n->under_limit = under_limit;
	if (n->analyzed)
		p->analyzed = 1;
	under_limit = under_limit || !strcmp(n->type, "Limit");
	kids = json_object_get(o, "Plans");
	if (kids && !json_is_array(kids)) {
		snprintf(err, errlen, "\"Plans\" is not an array");
		return -EINVAL;
	}
	{
		double child_ms = 0;
		size_t k;
		json_t *c;

		json_array_foreach(kids, k, c) {
			size_t ci = p->n_nodes;
			int rc = add_node(p, c, depth + 1, me, under_limit, err, errlen);

			if (rc)
				return rc;
			child_ms += p->nodes[ci].time_ms;
		}
		n = &p->nodes[me];	/* the array may have moved */
		/* a Memoize answering from its cache in less than 0.0005 ms a
		 * loop prints 0: it took at least what its subtree did on the
		 * misses */
		if (!strcmp(n->type, "Memoize") && n->time_ms < child_ms)
			n->time_ms = child_ms;
		n->self_ms = n->time_ms - child_ms > 0 ? n->time_ms - child_ms : 0;
	}
	return 0;
}

static int add_finding(struct pgplan *p, enum pgplan_finding_kind kind, size_t node, double ms,
		       const char *sql, const char *fmt, ...)
{
	struct pgplan_finding *f, *nv;
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nv = realloc(p->findings, (p->n_findings + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->findings = nv;
	f = &p->findings[p->n_findings];
	f->kind = kind;
	f->node = node;
	f->time_ms = ms;
	f->text = strdup(buf);
	f->sql = sql ? strdup(sql) : NULL;
	if (!f->text || (sql && !f->sql)) {
		free(f->text);
		free(f->sql);
		return -ENOMEM;
	}
	p->n_findings++;
	return 0;
}

static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * "((customer_id = 42) AND (created_at > '2024-01-01'::date))": the
 * identifiers right before a comparison operator whose other side is a
 * constant. Equalities first, then ranges; each column once.
 */
int pgplan_filter_columns(const char *filter, char *out, size_t cap)
{
	char eq[8][64], rng[8][64];
	int neq = 0, nrng = 0, n = 0;
	size_t len = filter ? strlen(filter) : 0, i, o = 0;

	if (cap)
		out[0] = 0;
	for (i = 0; i < len; i++) {
		size_t s, e, j;
		int is_eq;
		char col[64];

		if (!ident_char(filter[i]) || (i && (ident_char(filter[i - 1]) || filter[i - 1] == '.' ||
						      filter[i - 1] == '\'' || filter[i - 1] == ':')))
			continue;
		s = i;
		for (e = i; e < len && ident_char(filter[e]); e++)
			;
		i = e - 1;
		if (filter[s] >= '0' && filter[s] <= '9')
			continue;
		if (e - s >= sizeof(col))
			continue;
		j = e;
		/* a cast of the column: col::text = ..., or (col)::text = ... */
		if (j + 2 < len && filter[j] == ')' && filter[j + 1] == ':' && filter[j + 2] == ':' &&
		    s > 0 && filter[s - 1] == '(')
			j++;
		while (j + 1 < len && filter[j] == ':' && filter[j + 1] == ':') {
			for (j += 2; j < len && (ident_char(filter[j]) || filter[j] == ' '); j++)
				if (filter[j] == ' ' && j + 1 < len && !ident_char(filter[j + 1]))
					break;
		}
		if (j >= len || filter[j] != ' ')
			continue;
		j++;
		if (!strncmp(filter + j, "= ", 2))
			is_eq = 1;
		else if (!strncmp(filter + j, "< ", 2) || !strncmp(filter + j, "> ", 2) ||
			 !strncmp(filter + j, "<= ", 3) || !strncmp(filter + j, ">= ", 3) ||
			 !strncmp(filter + j, "~~ ", 3))
			is_eq = 0;
		else
			continue;
		/* the other side must be a constant: a quote, digit, '-' or '$',
		 * maybe in parentheses before a cast ((5)::numeric) */
		j += is_eq ? 2 : (filter[j + 1] == ' ' ? 2 : 3);
		if (j < len && filter[j] == '(')
			j++;
		if (j >= len || !(filter[j] == '\'' || filter[j] == '$' || filter[j] == '-' ||
				  (filter[j] >= '0' && filter[j] <= '9')))
			continue;
		memcpy(col, filter + s, e - s);
		col[e - s] = 0;
		{
			int dup = 0;

			for (int k = 0; k < neq; k++)
				dup |= !strcmp(eq[k], col);
			for (int k = 0; k < nrng; k++)
				dup |= !strcmp(rng[k], col);
			if (dup)
				continue;
		}
		if (is_eq && neq < 8)
			memcpy(eq[neq++], col, sizeof(col));
		else if (!is_eq && nrng < 8)
			memcpy(rng[nrng++], col, sizeof(col));
	}
	for (int k = 0; k < neq + nrng; k++) {
		const char *c = k < neq ? eq[k] : rng[k - neq];
		int w = snprintf(out + o, cap > o ? cap - o : 0, "%s%s", n ? ", " : "", c);

		if (w < 0 || (size_t)w >= (cap > o ? cap - o : 0))
			break;
		o += (size_t)w;
		n++;
	}
	return n;
}

static const char *node_name(const struct pgplan_node *n, char *buf, size_t cap)
{
	if (n->relation)
		snprintf(buf, cap, "%s on %s", n->type, n->relation);
	else
		snprintf(buf, cap, "%s", n->type);
	return buf;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct pgplan_finding *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms > y->time_ms ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static int judge(struct pgplan *p)
{
	char name[300];
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n_nodes && !rc; i++) {
		const struct pgplan_node *n = &p->nodes[i];
		double est = n->plan_rows * (n->loops > 0 ? n->loops : 1), act = n->rows;

		if (!n->analyzed || n->loops <= 0)
			continue;	/* never executed */
		node_name(n, name, sizeof(name));
		if (strstr(n->type, "Seq Scan") && n->removed >= 1000 && n->removed >= 9 * n->rows) {
			char cols[256], sql[600];
			int nc = pgplan_filter_columns(n->filter, cols, sizeof(cols));

			if (nc && n->relation)
				snprintf(sql, sizeof(sql), "CREATE INDEX ON %s (%s);", n->relation, cols);
			rc = add_finding(p, PGF_SEQ_FILTER, i, n->time_ms, nc && n->relation ? sql : NULL,
					 "%s read %.0f rows to return %.0f: the filter %s removed %.1f%% of them; "
					 "an index %s would find the rows directly",
					 name, n->rows + n->removed, n->rows, n->filter ? n->filter : "",
					 100.0 * n->removed / (n->rows + n->removed),
					 nc ? "on the filtered columns" : "matching the filter");
			if (rc)
				break;
		}
		if (fmax(est, act) >= 100 && !(n->under_limit && act < est)) {
			double lo = fmax(fmin(est, act), 1), hi = fmax(est, act);

			if (hi / lo > 10) {
				rc = add_finding(p, PGF_MISESTIMATE, i, n->time_ms, NULL,
						 "%s: the planner expected %.0f rows, got %.0f (%.0fx %s); "
						 "ANALYZE the table, or raise its statistics target",
						 name, est, act, hi / lo, act > est ? "more" : "fewer");
				if (rc)
					break;
			}
		}
		if ((n->sort_space && !strcmp(n->sort_space, "Disk")) ||
		    (n->sort_method && strstr(n->sort_method, "external"))) {
			rc = add_finding(p, PGF_SPILL, i, n->time_ms, NULL,
					 "%s spilled to disk (%s): raise work_mem for this query, or "
					 "let an index provide the order",
					 name, n->sort_method ? n->sort_method : "external");
		} else if (!strcmp(n->type, "Hash") && (n->hash_batches > 1 || n->orig_hash_batches > 1)) {
			rc = add_finding(p, PGF_SPILL, i, n->time_ms, NULL,
					 "%s used %.0f batches (spilled to disk): raise work_mem for this query",
					 name, fmax(n->hash_batches, n->orig_hash_batches));
		}
		if (rc)
			break;
		if (!strcmp(n->type, "Nested Loop")) {
			/* the inner side: the second child */
			size_t k, seen = 0;

			for (k = i + 1; k < p->n_nodes && p->nodes[k].depth > n->depth; k++) {
				if (p->nodes[k].parent != i || ++seen != 2)
					continue;
				/* behind a Memoize the inner side runs only on a cache
				 * miss: count its subtree's loops */
				if (!strcmp(p->nodes[k].type, "Memoize") && k + 1 < p->n_nodes &&
				    p->nodes[k + 1].parent == k)
					k++;
				if (p->nodes[k].loops >= 1000) {
					char inner[300];

					node_name(&p->nodes[k], inner, sizeof(inner));
					rc = add_finding(p, PGF_NESTED_LOOPS, i, n->time_ms, NULL,
							 "Nested Loop ran its inner side (%s%s) %.0f times, %.3f ms in all: "
							 "a hash or merge join, or an index for the inner side, may be cheaper",
							 inner, p->nodes[k].parent != i ? ", on Memoize cache misses" : "",
							 p->nodes[k].loops, p->nodes[k].time_ms);
				}
				break;
			}
		}
	}
	for (i = 0; i < p->n_triggers && !rc; i++) {
		const struct pgplan_trigger *t = &p->triggers[i];
		int fk = t->name && !strncmp(t->name, "RI_ConstraintTrigger", 20);

		rc = add_finding(p, PGF_TRIGGER, SIZE_MAX, t->time_ms, NULL,
				 "trigger %s on %s took %.3f ms over %.0f calls, outside the plan above%s",
				 t->name ? t->name : "?", t->relation ? t->relation : "?", t->time_ms,
				 t->calls,
				 fk ? ": a foreign key check; without an index on the referencing "
				      "column every check scans the referencing table" : "");
	}
	if (!rc && p->n_findings)
		qsort(p->findings, p->n_findings, sizeof(*p->findings), finding_cmp);
	return rc;
}

int pgplan_parse(struct pgplan *p, const char *buf, size_t len, char *err, size_t errlen)
{
	json_t *root, *top, *plan, *trig;
	json_error_t je;
	size_t skip = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	while (skip < len && buf[skip] != '[' && buf[skip] != '{')
		skip++;
	if (skip == len) {
		snprintf(err, errlen, "no JSON plan found (EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output expected)");
		return -EINVAL;
	}
	root = json_loadb(buf + skip, len - skip, JSON_DISABLE_EOF_CHECK, &je);
	if (!root) {
		snprintf(err, errlen, "not valid JSON: %s (line %d)", je.text, je.line);
		return -EINVAL;
	}
	top = json_is_array(root) ? json_array_get(root, 0) : root;
	plan = json_is_object(top) ? json_object_get(top, "Plan") : NULL;
	if (!plan) {
		snprintf(err, errlen, "no \"Plan\" in the JSON: is it EXPLAIN (FORMAT JSON) output?");
		json_decref(root);
		return -EINVAL;
	}
	rc = add_node(p, plan, 0, SIZE_MAX, 0, err, errlen);
	if (!rc) {
		p->planning_ms = jnum(top, "Planning Time", NULL);
		p->execution_ms = jnum(top, "Execution Time", NULL);
		trig = json_object_get(top, "Triggers");
		if (json_is_array(trig) && json_array_size(trig)) {
			size_t k;
			json_t *t;

			p->triggers = calloc(json_array_size(trig), sizeof(*p->triggers));
			if (!p->triggers)
				rc = -ENOMEM;
			json_array_foreach(trig, k, t) {
				struct pgplan_trigger *pt;

				if (rc || !json_is_object(t))
					continue;
				pt = &p->triggers[p->n_triggers++];
				pt->name = jstr(t, "Trigger Name");
				pt->relation = jstr(t, "Relation");
				pt->time_ms = jnum(t, "Time", NULL);
				pt->calls = jnum(t, "Calls", NULL);
			}
		}
	}
	json_decref(root);
	if (!rc)
		rc = judge(p);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		pgplan_release(p);
	}
	return rc;
}

void pgplan_release(struct pgplan *p)
{
	size_t i;

	for (i = 0; i < p->n_nodes; i++) {
		struct pgplan_node *n = &p->nodes[i];

		free(n->type);
		free(n->relation);
		free(n->alias);
		free(n->index);
		free(n->filter);
		free(n->cond);
		free(n->sort_method);
		free(n->sort_space);
	}
	free(p->nodes);
	for (i = 0; i < p->n_triggers; i++) {
		free(p->triggers[i].name);
		free(p->triggers[i].relation);
	}
	free(p->triggers);
	for (i = 0; i < p->n_findings; i++) {
		free(p->findings[i].text);
		free(p->findings[i].sql);
	}
	free(p->findings);
	memset(p, 0, sizeof(*p));
}
