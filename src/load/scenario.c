/*
 * scenario.c - scenario files and request templates for pinch load (load
 * layer). YAML comes through libyaml's document loader, so every error can
 * name the file, line and column of the node at fault.
 */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <yaml.h>

#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "core/banned.h"

/* ---- templates ---- */

static int tmpl_push(struct load_tmpl *t, struct tmpl_part p)
{
	struct tmpl_part *n = realloc(t->parts, (t->n + 1) * sizeof(*n));

	if (!n) {
		free(p.lit);
		return -ENOMEM;
	}
	t->parts = n;
	t->parts[t->n++] = p;
	return 0;
}

static int tmpl_push_lit(struct load_tmpl *t, const char *s, size_t len)
{
	struct tmpl_part p = { .kind = TMPL_LIT, .len = len };

	if (!len)
		return 0;
	p.lit = malloc(len + 1);
	if (!p.lit)
		return -ENOMEM;
	memcpy(p.lit, s, len);
	p.lit[len] = 0;
	return tmpl_push(t, p);
}

static int parse_i64(const char *s, size_t len, int64_t *v)
{
	char buf[32], *end;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int load_tmpl_compile(struct load_tmpl *t, const char *s, size_t len, char *err, size_t errlen)
{
	return load_tmpl_compile_cols(t, s, len, NULL, 0, err, errlen);
}

static ssize_t find_col(char *const *cols, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(cols[i]) == len && !memcmp(cols[i], s, len))
			return (ssize_t)i;
	return -1;
}

int load_tmpl_compile_cols(struct load_tmpl *t, const char *s, size_t len, char *const *cols,
			   size_t ncols, char *err, size_t errlen)
{
	size_t i = 0, lit = 0;
	ssize_t col;
	int rc;

	memset(t, 0, sizeof(*t));
	t->is_const = 1;
	while (i < len) {
		const char *close, *in;
		size_t inlen;
		struct tmpl_part p = { 0 };

		if (s[i] != '{') {
			i++;
			continue;
		}
		close = memchr(s + i, '}', len - i);
		in = s + i + 1;
		inlen = close ? (size_t)(close - in) : 0;
		if (close && inlen == 3 && !memcmp(in, "seq", 3)) {
			p.kind = TMPL_SEQ;
		} else if (close && inlen == 4 && !memcmp(in, "user", 4)) {
			p.kind = TMPL_USER;
		} else if (close && inlen > 5 && !memcmp(in, "rand:", 5)) {
			const char *a = in + 5, *dots = NULL;

			for (const char *q = a; q + 1 < close; q++)
				if (q[0] == '.' && q[1] == '.') {
					dots = q;
					break;
				}
			if (!dots || parse_i64(a, (size_t)(dots - a), &p.lo) ||
			    parse_i64(dots + 2, (size_t)(close - dots - 2), &p.hi) || p.lo > p.hi) {
				snprintf(err, errlen, "bad {rand:A..B} in '%.*s'", (int)(len > 200 ? 200 : len), s);
				load_tmpl_release(t);	/* frees the parts pushed, then resets */
				return -EINVAL;
			}
			p.kind = TMPL_RAND;
		} else if (close && (col = find_col(cols, ncols, in, inlen)) >= 0) {
			p.kind = TMPL_FIELD;
			p.len = (size_t)col;
		} else {
			/* Not a placeholder (a JSON brace, say): keep it literal. */
			i++;
			continue;
		}
		if ((rc = tmpl_push_lit(t, s + lit, i - lit)) || (rc = tmpl_push(t, p)))
			goto fail;
		t->is_const = 0;
		i = (size_t)(close - s) + 1;
		lit = i;
	}
	if ((rc = tmpl_push_lit(t, s + lit, len - lit)))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "out of memory");
	load_tmpl_release(t);
	return rc;
}

void load_tmpl_release(struct load_tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->parts[i].lit);
	free(t->parts);
	memset(t, 0, sizeof(*t));
}

void load_tmpl_expand(const struct load_tmpl *t, struct strbuf *out, uint64_t *rng,
		      uint64_t seq, unsigned user)
{
	load_tmpl_expand_row(t, out, rng, seq, user, NULL);
}

void load_tmpl_expand_row(const struct load_tmpl *t, struct strbuf *out, uint64_t *rng,
			  uint64_t seq, unsigned user, char *const *row)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_part *p = &t->parts[i];

		switch (p->kind) {
		case TMPL_LIT:
			strbuf_add(out, p->lit, p->len);
			break;
		case TMPL_SEQ:
			strbuf_addf(out, "%llu", (unsigned long long)seq);
			break;
		case TMPL_USER:
			strbuf_addf(out, "%u", user);
			break;
		case TMPL_RAND: {
			uint64_t span = (uint64_t)(p->hi - p->lo) + 1;
			uint64_t r = load_rng_next(rng);

			strbuf_addf(out, "%lld", (long long)(p->lo + (int64_t)(span ? r % span : r)));
			break;
		}
		case TMPL_FIELD:
			if (row)
				strbuf_addstr(out, row[p->len]);
			break;
		}
	}
}

/* ---- data feeders (CSV) ---- */

void load_data_release(struct load_data *d)
{
	for (size_t i = 0; i < d->n_cols; i++)
		free(d->cols[i]);
	for (size_t i = 0; i < d->n_rows * d->n_cols; i++)
		free(d->cells[i]);
	free(d->cols);
	free(d->cells);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

/* One CSV record from *pos: fields into fields (strdup'd). Returns the
 * number of fields, 0 at the end, -EINVAL for a bad quote, -ENOMEM. */
static int csv_record(const char *t, size_t len, size_t *pos, size_t *line, char ***fields,
		      size_t *cap)
{
	struct strbuf f = STRBUF_INIT;
	size_t i = *pos;
	int n = 0;

	if (i >= len)
		return 0;
	for (;;) {
		int quoted = 0;

		strbuf_reset(&f);
		if (i < len && t[i] == '"') {
			quoted = 1;
			for (i++;; i++) {
				if (i >= len)
					goto bad;
				if (t[i] == '"') {
					if (i + 1 < len && t[i + 1] == '"') {
						strbuf_addch(&f, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				if (t[i] == '\n')
					(*line)++;
				strbuf_addch(&f, t[i]);
			}
		}
		while (i < len && t[i] != ',' && t[i] != '\n' && !(t[i] == '\r' && i + 1 < len && t[i + 1] == '\n')) {
			if (quoted || t[i] == '"')
				goto bad;
			strbuf_addch(&f, t[i++]);
		}
		if ((size_t)n == *cap) {
			char **nf = realloc(*fields, (*cap * 2 + 4) * sizeof(*nf));

			if (!nf)
				goto nomem;
			*fields = nf;
			*cap = *cap * 2 + 4;
		}
		if (!((*fields)[n++] = strbuf_detach(&f, NULL)))
			goto nomem;
		if (i < len && t[i] == ',') {
			i++;
			continue;
		}
		if (i < len && t[i] == '\r')
			i++;
		if (i < len)
			i++;
		(*line)++;
		*pos = i;
		return n;
	}
bad:
	strbuf_release(&f);
	while (n)
		free((*fields)[--n]);
	return -EINVAL;
nomem:
	strbuf_release(&f);
	while (n)
		free((*fields)[--n]);
	return -ENOMEM;
}

static int valid_ident(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

int load_data_parse(struct load_data *d, const char *name, const char *text, size_t len,
		    char *err, size_t errlen)
{
	char **fields = NULL;
	size_t cap = 0, pos = 0, line = 1, rows_cap = 0;
	int n, rc = 0;

	while ((n = csv_record(text, len, &pos, &line, &fields, &cap)) > 0) {
		size_t at = line - 1;

		if (n == 1 && !*fields[0]) {	/* an empty line */
			free(fields[0]);
			continue;
		}
		if (!d->n_cols) {
			for (int i = 0; i < n && !rc; i++) {
				if (!valid_ident(fields[i]) || !strcmp(fields[i], "seq") ||
				    !strcmp(fields[i], "user") || !strcmp(fields[i], "rand")) {
					snprintf(err, errlen, "%s:%zu: column name '%s' must be an identifier "
						 "(letters, digits, _), not seq, user or rand", name, at, fields[i]);
					rc = -EINVAL;
				}
				for (int j = 0; j < i && !rc; j++)
					if (!strcmp(fields[i], fields[j])) {
						snprintf(err, errlen, "%s:%zu: column '%s' twice", name, at, fields[i]);
						rc = -EINVAL;
					}
			}
			if (rc) {
				for (int i = 0; i < n; i++)
					free(fields[i]);
				break;
			}
			d->cols = malloc((size_t)n * sizeof(*d->cols));
			if (!d->cols) {
				for (int i = 0; i < n; i++)
					free(fields[i]);
				rc = -ENOMEM;
				break;
			}
			memcpy(d->cols, fields, (size_t)n * sizeof(*fields));
			d->n_cols = (size_t)n;
			continue;
		}
		if ((size_t)n != d->n_cols) {
			snprintf(err, errlen, "%s:%zu: %d field%s, the header line has %zu", name, at, n,
				 n == 1 ? "" : "s", d->n_cols);
			for (int i = 0; i < n; i++)
				free(fields[i]);
			rc = -EINVAL;
			break;
		}
		if (d->n_rows == rows_cap) {
			char **nc;

			if (rows_cap >= (1u << 24) / d->n_cols) {
				snprintf(err, errlen, "%s:%zu: too many rows", name, at);
				for (int i = 0; i < n; i++)
					free(fields[i]);
				rc = -EINVAL;
				break;
			}
			nc = realloc(d->cells, (rows_cap * 2 + 16) * d->n_cols * sizeof(*nc));
			if (!nc) {
				for (int i = 0; i < n; i++)
					free(fields[i]);
				rc = -ENOMEM;
				break;
			}
			d->cells = nc;
			rows_cap = rows_cap * 2 + 16;
		}
		memcpy(d->cells + d->n_rows * d->n_cols, fields, (size_t)n * sizeof(*fields));
		d->n_rows++;
	}
	free(fields);
	if (!rc && n < 0) {
		snprintf(err, errlen, "%s:%zu: %s", name, line,
			 n == -ENOMEM ? "out of memory" : "bad quoting (want \"a \"\"quoted\"\" field\")");
		rc = n == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (!rc && !d->n_rows) {
		snprintf(err, errlen, "%s: no data rows (the first line names the columns)", name);
		rc = -EINVAL;
	}
	return rc;
}

/* ---- scenario ---- */

void load_scenario_init(struct load_scenario *s)
{
	memset(s, 0, sizeof(*s));
}

static void task_release(struct load_task *t)
{
	free(t->name);
	free(t->method);
	free(t->headers);
	load_tmpl_release(&t->path);
	load_tmpl_release(&t->hdr);
	load_tmpl_release(&t->body);
}

void load_scenario_release(struct load_scenario *s)
{
	for (size_t i = 0; i < s->n_checks; i++)
		load_check_release(&s->checks[i]);
	load_data_release(&s->data);
	for (size_t i = 0; i < s->n_tasks; i++)
		task_release(&s->tasks[i]);
	free(s->tasks);
	free(s->stages);
	free(s->base_url);
	for (size_t i = 0; i < s->n_thresholds; i++)
		free(s->thresholds[i]);
	memset(s, 0, sizeof(*s));
}

static int valid_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *s))
			return 0;
	return 1;
}

static int valid_header_value(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' && *s != '\t')
			return 0;
	return 1;
}

/* Has the header block a line "name:" (case-insensitive)? */
static int has_header(const char *hdrs, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = hdrs; *l;) {
		if (!strncasecmp(l, name, n) && l[n] == ':')
			return 1;
		l = strstr(l, "\r\n");
		if (!l)
			break;
		l += 2;
	}
	return 0;
}

/* The user's headers, then pinch's defaults they do not replace (a user
 * header wins over pinch's of the same name, as with wrk and curl). */
static char *with_defaults(const char *hdrs, int *user_host)
{
	struct strbuf sb = STRBUF_INIT;

	*user_host = has_header(hdrs, "Host");
	strbuf_addstr(&sb, hdrs);
	if (!has_header(hdrs, "User-Agent"))
		strbuf_addstr(&sb, "User-Agent: pinch/" PINCH_VERSION "\r\n");
	return strbuf_detach(&sb, NULL);
}

int load_scenario_add_task(struct load_scenario *s, const char *name, const char *method,
			   const char *path, const char *headers, const char *body, size_t body_len,
			   unsigned weight, char *err, size_t errlen)
{
	struct load_task *n, *t;
	int rc;

	if (!valid_token(method)) {
		snprintf(err, errlen, "bad method '%s'", method);
		return -EINVAL;
	}
	if (path[0] != '/') {
		snprintf(err, errlen, "path '%s' must start with '/'", path);
		return -EINVAL;
	}
	for (const char *q = path; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f) {
			snprintf(err, errlen, "bad character in path '%s'", path);
			return -EINVAL;
		}
	if (!weight) {
		snprintf(err, errlen, "task '%s' has weight 0", name);
		return -EINVAL;
	}
	n = realloc(s->tasks, (s->n_tasks + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->tasks = n;
	t = &s->tasks[s->n_tasks];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	t->method = strdup(method);
	t->headers = with_defaults(headers ? headers : "", &t->user_host);
	t->weight = weight;
	t->redirects = -1;
	if (!t->name || !t->method || !t->headers) {
		task_release(t);
		return -ENOMEM;
	}
	t->user_cookie = has_header(t->headers, "Cookie");
	if ((rc = load_tmpl_compile_cols(&t->path, path, strlen(path), s->data.cols, s->data.n_cols, err,
					 errlen)) ||
	    (rc = load_tmpl_compile_cols(&t->hdr, t->headers, strlen(t->headers), s->data.cols,
					 s->data.n_cols, err, errlen))) {
		task_release(t);
		return rc;
	}
	if (body) {
		t->has_body = 1;
		if ((rc = load_tmpl_compile_cols(&t->body, body, body_len, s->data.cols, s->data.n_cols, err,
						 errlen))) {
			task_release(t);
			return rc;
		}
	}
	s->n_tasks++;
	s->total_weight += weight;
	return 0;
}

int load_scenario_add_check(struct load_scenario *s, enum load_check_kind kind, const char *spec,
			    const char *name, int task, char *err, size_t errlen)
{
	if (s->n_checks == LOAD_MAX_CHECKS) {
		snprintf(err, errlen, "more than %d checks", LOAD_MAX_CHECKS);
		return -EINVAL;
	}
	if (load_check_compile(&s->checks[s->n_checks], kind, spec, name, task, err, errlen))
		return -EINVAL;
	for (size_t i = 0; i < s->n_checks; i++)
		if (!strcmp(s->checks[i].name, s->checks[s->n_checks].name)) {
			snprintf(err, errlen, "two checks named '%s' (give one a 'name')", s->checks[i].name);
			load_check_release(&s->checks[s->n_checks]);
			return -EINVAL;
		}
	s->n_checks++;
	return 0;
}

size_t load_scenario_pick(const struct load_scenario *s, uint64_t r)
{
	unsigned w;

	if (s->n_tasks <= 1)
		return 0;
	w = (unsigned)(r % s->total_weight);
	for (size_t i = 0; i < s->n_tasks; i++) {
		if (w < s->tasks[i].weight)
			return i;
		w -= s->tasks[i].weight;
	}
	return s->n_tasks - 1;
}

uint64_t load_scenario_stages_ns(const struct load_scenario *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n_stages; i++)
		t += s->stages[i].duration_ns;
	return t;
}

unsigned load_scenario_users_at(const struct load_scenario *s, uint64_t t_ns, unsigned all)
{
	if (s->n_stages) {
		unsigned from = 0;

		for (size_t i = 0; i < s->n_stages; i++) {
			const struct load_stage *st = &s->stages[i];

			if (t_ns < st->duration_ns) {
				double f = (double)t_ns / (double)st->duration_ns;

				return (unsigned)lround(from + f * ((double)st->users - from));
			}
			t_ns -= st->duration_ns;
			from = st->users;
		}
		return s->stages[s->n_stages - 1].users;
	}
	if (s->spawn_rate > 0) {
		double u = 1 + floor((double)t_ns / 1e9 * s->spawn_rate);

		return u >= all ? all : (unsigned)u;
	}
	return all;
}

/* ---- YAML ---- */

struct yctx {
	yaml_document_t *doc;
	const char *name;
	char *err;
	size_t errlen;
};

static __attribute__((format(printf, 3, 4)))
int yerr(struct yctx *c, yaml_node_t *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%zu:%zu: %s", c->name,
		 n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, msg);
	return -EINVAL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* YAML's null: ~, null, Null, NULL or nothing, unquoted. */
static int is_null(yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

/* A key given twice in one mapping is an error (libyaml keeps both). */
static int check_dups(struct yctx *c, yaml_node_t *n, int depth)
{
	if (!n || depth > 64)
		return 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
			if (check_dups(c, yaml_document_get_node(c->doc, *i), depth + 1))
				return -EINVAL;
	} else if (n->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *a, *b;

		for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
			yaml_node_t *ka = yaml_document_get_node(c->doc, a->key);
			const char *sa = scalar(ka);

			for (b = n->data.mapping.pairs.start; sa && b < a; b++) {
				yaml_node_t *kb = yaml_document_get_node(c->doc, b->key);

				if (scalar(kb) && !strcmp(scalar(kb), sa))
					return yerr(c, ka, "duplicate key '%s' (first at line %zu)", sa,
						    kb->start_mark.line + 1);
			}
			if (check_dups(c, yaml_document_get_node(c->doc, a->value), depth + 1))
				return -EINVAL;
		}
	}
	return 0;
}

static int get_str(struct yctx *c, yaml_node_t *n, const char *key, const char **out)
{
	if (!(*out = scalar(n)))
		return yerr(c, n, "'%s' must be a string", key);
	return 0;
}

static int get_uint(struct yctx *c, yaml_node_t *n, const char *key, uint64_t max, uint64_t *out)
{
	const char *s = scalar(n);
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return yerr(c, n, "'%s' must be a positive integer", key);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !v || v > max)
		return yerr(c, n, "'%s' must be a positive integer up to %llu, not '%s'", key,
			    (unsigned long long)max, s);
	*out = v;
	return 0;
}

static int get_double(struct yctx *c, yaml_node_t *n, const char *key, double *out)
{
	const char *s = scalar(n);
	char *end;
	double v;

	if (!s || !*s)
		return yerr(c, n, "'%s' must be a number", key);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > 1e9)
		return yerr(c, n, "'%s' must be a positive number, not '%s'", key, s);
	*out = v;
	return 0;
}

static int get_duration(struct yctx *c, yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *s = scalar(n);

	if (!s || opt_parse_duration(s, out) || !*out)
		return yerr(c, n, "'%s' must be a positive duration such as 10s or 250ms", key);
	return 0;
}

static int get_wait(struct yctx *c, yaml_node_t *n, uint64_t *lo, uint64_t *hi)
{
	const char *s = scalar(n), *dots;
	char a[64];

	if (!s)
		return yerr(c, n, "'wait' must be a duration or a range such as 1s..5s");
	dots = strstr(s, "..");
	if (!dots) {
		if (opt_parse_duration(s, lo))
			return yerr(c, n, "bad 'wait' '%s'", s);
		*hi = *lo;
		return 0;
	}
	if ((size_t)(dots - s) >= sizeof(a))
		return yerr(c, n, "bad 'wait' '%s'", s);
	memcpy(a, s, (size_t)(dots - s));
	a[dots - s] = 0;
	if (opt_parse_duration(a, lo) || opt_parse_duration(dots + 2, hi) || *lo > *hi)
		return yerr(c, n, "bad 'wait' '%s': want MIN..MAX such as 1s..5s", s);
	return 0;
}

/* The iterators are named after the loop variables so loops can nest. */
#define FOR_PAIRS(c, map, k, v)                                                          \
	for (yaml_node_pair_t *k##_p = (map)->data.mapping.pairs.start;                  \
	     k##_p < (map)->data.mapping.pairs.top &&                                     \
	     ((k) = yaml_document_get_node((c)->doc, k##_p->key),                         \
	      (v) = yaml_document_get_node((c)->doc, k##_p->value), 1);                   \
	     k##_p++)

#define FOR_ITEMS(c, seq, v)                                                             \
	for (yaml_node_item_t *v##_i = (seq)->data.sequence.items.start;                 \
	     v##_i < (seq)->data.sequence.items.top &&                                    \
	     ((v) = yaml_document_get_node((c)->doc, *v##_i), 1);                         \
	     v##_i++)

static int add_headers(struct yctx *c, yaml_node_t *map, struct strbuf *out)
{
	yaml_node_t *k, *v;

	if (map->type != YAML_MAPPING_NODE)
		return yerr(c, map, "'headers' must be a mapping of name: value");
	FOR_PAIRS(c, map, k, v) {
		const char *ks = scalar(k), *vs = scalar(v);

		if (!ks || !valid_token(ks))
			return yerr(c, k, "bad header name");
		if (is_null(v))
			continue;	/* "Name: ~" sends no such header */
		if (!vs || !valid_header_value(vs))
			return yerr(c, v, "bad value for header '%s'", ks);
		strbuf_addf(out, "%s: %s\r\n", ks, vs);
	}
	return 0;
}

/* A plain YAML scalar that reads as a JSON literal is written as one. */
static void json_scalar(struct json_writer *w, yaml_node_t *n)
{
	const char *s = scalar(n);
	char *end;

	if (is_null(n)) {
		json_null(w);
		return;
	}
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *s) {
		if (!strcmp(s, "true") || !strcmp(s, "false")) {
			json_bool(w, s[0] == 't');
			return;
		}
		if (is_null(n)) {
			json_null(w);
			return;
		}
		if (isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))) {
			long long i;
			double d;

			errno = 0;
			i = strtoll(s, &end, 10);
			if (!*end && !errno) {
				json_int(w, i);
				return;
			}
			d = strtod(s, &end);
			if (!*end && isfinite(d)) {
				json_double(w, d);
				return;
			}
		}
	}
	json_str(w, s);
}

static int to_json(struct yctx *c, yaml_node_t *n, struct json_writer *w, int depth)
{
	yaml_node_t *k, *v;

	if (depth > 32)
		return yerr(c, n, "'json' nests too deep");
	switch (n->type) {
	case YAML_SCALAR_NODE:
		json_scalar(w, n);
		return 0;
	case YAML_SEQUENCE_NODE:
		json_arr_begin(w);
		FOR_ITEMS(c, n, v) {
			if (to_json(c, v, w, depth + 1))
				return -EINVAL;
		}
		json_arr_end(w);
		return 0;
	case YAML_MAPPING_NODE:
		json_obj_begin(w);
		FOR_PAIRS(c, n, k, v) {
			if (!scalar(k))
				return yerr(c, k, "a 'json' key must be a string");
			json_key(w, scalar(k));
			if (to_json(c, v, w, depth + 1))
				return -EINVAL;
		}
		json_obj_end(w);
		return 0;
	default:
		return yerr(c, n, "bad 'json' value");
	}
}

/* checks: [{status: 200}, {name: has items, body: '"items"'}, {header: "Content-Type: json"}] */
static int parse_checks(struct yctx *c, struct load_scenario *s, yaml_node_t *list, int task)
{
	yaml_node_t *item, *k, *v;
	char msg[300];

	if (list->type != YAML_SEQUENCE_NODE)
		return yerr(c, list, "'checks' must be a list such as [{status: 200}, {body: REGEX}]");
	FOR_ITEMS(c, list, item) {
		const char *name = NULL, *spec = NULL;
		enum load_check_kind kind = LOAD_CHECK_STATUS;
		yaml_node_t *what = NULL;

		if (item->type != YAML_MAPPING_NODE)
			return yerr(c, item, "a check is a mapping: {status: 200}, {body: REGEX} or {header: 'Name: REGEX'}");
		FOR_PAIRS(c, item, k, v) {
			const char *key = scalar(k);
			int kk = !key ? -1 : !strcmp(key, "status") ? LOAD_CHECK_STATUS :
				 !strcmp(key, "body") ? LOAD_CHECK_BODY : !strcmp(key, "header") ? LOAD_CHECK_HEADER : -1;

			if (key && !strcmp(key, "name")) {
				if (get_str(c, v, key, &name))
					return -EINVAL;
				continue;
			}
			if (kk < 0)
				return yerr(c, k, "unknown check key '%s' (name, status, body, header)", key ? key : "");
			if (what)
				return yerr(c, k, "a check tests one thing: status, body or header");
			if (get_str(c, v, key, &spec))
				return -EINVAL;
			kind = (enum load_check_kind)kk;
			what = v;
		}
		if (!what)
			return yerr(c, item, "a check needs status, body or header");
		if (load_scenario_add_check(s, kind, spec, name, task, msg, sizeof(msg)))
			return yerr(c, what, "%s", msg);
	}
	return 0;
}

static int parse_thresholds(struct yctx *c, struct load_scenario *s, yaml_node_t *v, int task)
{
	yaml_node_t *item;

	if (v->type != YAML_SEQUENCE_NODE)
		return yerr(c, v, "'thresholds' must be a list such as [\"p99<200ms\"]");
	FOR_ITEMS(c, v, item) {
		if (!scalar(item) || is_null(item))
			return yerr(c, item, "a threshold must be a string");
		if (s->n_thresholds == LOAD_MAX_THRESHOLDS)
			return yerr(c, item, "more than %d thresholds", LOAD_MAX_THRESHOLDS);
		if (!(s->thresholds[s->n_thresholds] = strdup(scalar(item))))
			return -ENOMEM;
		s->thr_task[s->n_thresholds] = task;
		s->thr_line[s->n_thresholds] = item->start_mark.line + 1;
		s->thr_col[s->n_thresholds] = item->start_mark.column + 1;
		s->n_thresholds++;
	}
	return 0;
}

static int get_redirects(struct yctx *c, yaml_node_t *v, unsigned *out)
{
	const char *str = scalar(v);
	uint64_t u;

	if (str && (!strcmp(str, "0") || !strcmp(str, "false"))) {
		*out = 0;
		return 0;
	}
	if (str && !strcmp(str, "true")) {
		*out = 5;
		return 0;
	}
	if (get_uint(c, v, "follow_redirects", LOAD_MAX_REDIRECTS, &u))
		return -EINVAL;
	*out = (unsigned)u;
	return 0;
}

static int get_bool(struct yctx *c, yaml_node_t *v, const char *key, int *out)
{
	const char *str = scalar(v);

	if (str && (!strcmp(str, "true") || !strcmp(str, "yes") || !strcmp(str, "on")))
		*out = 1;
	else if (str && (!strcmp(str, "false") || !strcmp(str, "no") || !strcmp(str, "off")))
		*out = 0;
	else
		return yerr(c, v, "'%s' must be true or false", key);
	return 0;
}

static int parse_task(struct yctx *c, struct load_scenario *s, yaml_node_t *tn,
		      const struct strbuf *global_headers)
{
	const char *name = NULL, *method = NULL, *path = NULL, *body = NULL;
	uint64_t weight = 1, wmin = 0, wmax = 0;
	unsigned redirects = 0;
	int has_wait = 0, has_redirects = 0;
	struct strbuf hdr = STRBUF_INIT, json = STRBUF_INIT;
	yaml_node_t *k, *v, *path_node = tn, *checks = NULL, *thresholds = NULL, *body_node = NULL;
	char msg[300];
	int rc = 0;

	if (tn->type != YAML_MAPPING_NODE)
		return yerr(c, tn, "a task must be a mapping with at least 'path'");
	strbuf_add(&hdr, global_headers->buf, global_headers->len);
	FOR_PAIRS(c, tn, k, v) {
		const char *key = scalar(k);

		if (key && is_null(v))
			continue;	/* "key: ~" is the key not given */
		if (!key)
			rc = yerr(c, k, "a task key must be a string");
		else if ((!strcmp(key, "body") || !strcmp(key, "json")) && body_node)
			rc = yerr(c, k, "a task has 'body' or 'json', not both (the other is at line %zu)",
				  body_node->start_mark.line + 1);
		else if (!strcmp(key, "checks"))
			checks = v;
		else if (!strcmp(key, "thresholds"))
			thresholds = v;
		else if (!strcmp(key, "wait")) {
			rc = get_wait(c, v, &wmin, &wmax);
			has_wait = 1;
		} else if (!strcmp(key, "follow_redirects")) {
			rc = get_redirects(c, v, &redirects);
			has_redirects = 1;
		} else if (!strcmp(key, "name"))
			rc = get_str(c, v, key, &name);
		else if (!strcmp(key, "method"))
			rc = get_str(c, v, key, &method);
		else if (!strcmp(key, "path")) {
			rc = get_str(c, v, key, &path);
			path_node = v;
		} else if (!strcmp(key, "weight")) {
			rc = get_uint(c, v, key, 1000000, &weight);
		} else if (!strcmp(key, "headers")) {
			rc = add_headers(c, v, &hdr);
		} else if (!strcmp(key, "body")) {
			rc = get_str(c, v, key, &body);
			body_node = k;
		} else if (!strcmp(key, "json")) {
			struct json_writer w;

			json_init(&w, &json, 0);
			if (!(rc = to_json(c, v, &w, 0))) {
				body = json.buf;
				strbuf_addstr(&hdr, "Content-Type: application/json\r\n");
			}
			body_node = k;
		} else {
			rc = yerr(c, k, "unknown task key '%s' (name, weight, method, path, headers, body, json, "
				  "checks, thresholds, wait, follow_redirects)", key);
		}
		if (rc)
			goto out;
	}
	if (!path) {
		rc = yerr(c, tn, "task has no 'path'");
		goto out;
	}
	if (!method)
		method = body ? "POST" : "GET";
	if (!name)
		name = path;
	if (load_scenario_add_task(s, name, method, path, hdr.buf, body, body ? strlen(body) : 0,
				   (unsigned)weight, msg, sizeof(msg))) {
		rc = yerr(c, path_node, "%s", msg);
		goto out;
	}
	{
		struct load_task *t = &s->tasks[s->n_tasks - 1];
		int ti = (int)s->n_tasks - 1;

		t->has_wait = has_wait;
		t->wait_min_ns = wmin;
		t->wait_max_ns = wmax;
		if (has_redirects)
			t->redirects = (int)redirects;
		if (checks && (rc = parse_checks(c, s, checks, ti)))
			goto out;
		if (thresholds && (rc = parse_thresholds(c, s, thresholds, ti)))
			goto out;
	}
out:
	strbuf_release(&hdr);
	strbuf_release(&json);
	return rc;
}

/* data: users.csv (a row per user) or {file: users.csv, per: request}.
 * The file is read relative to the scenario's directory. */
static int parse_data(struct yctx *c, struct load_scenario *s, yaml_node_t *v)
{
	const char *file = NULL, *per = "user";
	yaml_node_t *k, *x, *file_node = v;
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	const char *slash;
	char msg[400];
	int rc;

	if (scalar(v)) {
		file = scalar(v);
	} else if (v->type == YAML_MAPPING_NODE) {
		FOR_PAIRS(c, v, k, x) {
			const char *key = scalar(k);

			if (key && !strcmp(key, "file")) {
				if (get_str(c, x, key, &file))
					return -EINVAL;
				file_node = x;
			} else if (key && !strcmp(key, "per")) {
				if (get_str(c, x, key, &per))
					return -EINVAL;
				if (strcmp(per, "user") && strcmp(per, "request"))
					return yerr(c, x, "'per' must be user or request, not '%s'", per);
			} else {
				return yerr(c, k, "unknown data key (file, per)");
			}
		}
	}
	if (!file || !*file)
		return yerr(c, v, "'data' must be a CSV file name or {file: NAME, per: user|request}");
	if (s->no_files)
		return yerr(c, file_node, "data files are not read here");
	slash = strrchr(c->name, '/');
	if (file[0] != '/' && slash)
		strbuf_add(&path, c->name, (size_t)(slash - c->name + 1));
	strbuf_addstr(&path, file);
	if (strbuf_read_file(&text, path.buf, 1u << 28)) {
		rc = yerr(c, file_node, "cannot read data file '%s': %s", path.buf, strerror(errno));
		goto out;
	}
	load_data_release(&s->data);
	if ((rc = load_data_parse(&s->data, path.buf, text.buf, text.len, msg, sizeof(msg)))) {
		rc = yerr(c, file_node, "%s", msg);
		goto out;
	}
	s->data.file = strdup(file);
	s->data.per_request = !strcmp(per, "request");
out:
	strbuf_release(&path);
	strbuf_release(&text);
	return rc;
}

static int parse_root(struct yctx *c, struct load_scenario *s, yaml_node_t *root)
{
	yaml_node_t *k, *v, *tasks = NULL, *item, *checks = NULL;
	struct strbuf gh = STRBUF_INIT;
	int rc = 0;

	if (!root || root->type != YAML_MAPPING_NODE)
		return yerr(c, root, "a scenario must be a mapping with 'tasks'");
	if (check_dups(c, root, 0))
		return -EINVAL;
	/* Headers first: they apply to every task wherever they appear. */
	FOR_PAIRS(c, root, k, v) {
		if (scalar(k) && !strcmp(scalar(k), "headers") && !is_null(v) && (rc = add_headers(c, v, &gh)))
			goto out;
	}
	FOR_PAIRS(c, root, k, v) {
		const char *key = scalar(k), *str;
		uint64_t u;

		if (key && is_null(v) && strcmp(key, "tasks"))
			continue;	/* "key: ~" is the key not given */
		if (!key) {
			rc = yerr(c, k, "a key must be a string");
		} else if (!strcmp(key, "url")) {
			if (!(rc = get_str(c, v, key, &str))) {
				free(s->base_url);
				s->base_url = strdup(str);
			}
		} else if (!strcmp(key, "users")) {
			if (!(rc = get_uint(c, v, key, 100000, &u)))
				s->users = (unsigned)u;
		} else if (!strcmp(key, "spawn_rate")) {
			rc = get_double(c, v, key, &s->spawn_rate);
		} else if (!strcmp(key, "rate")) {
			rc = get_double(c, v, key, &s->rate);
		} else if (!strcmp(key, "duration")) {
			rc = get_duration(c, v, key, &s->duration_ns);
		} else if (!strcmp(key, "requests")) {
			rc = get_uint(c, v, key, UINT64_MAX / 2, &s->requests);
		} else if (!strcmp(key, "wait")) {
			rc = get_wait(c, v, &s->wait_min_ns, &s->wait_max_ns);
		} else if (!strcmp(key, "headers")) {
			rc = 0;
		} else if (!strcmp(key, "thresholds")) {
			rc = parse_thresholds(c, s, v, -1);
		} else if (!strcmp(key, "checks")) {
			checks = v;
		} else if (!strcmp(key, "data")) {
			rc = parse_data(c, s, v);
		} else if (!strcmp(key, "cookies")) {
			rc = get_bool(c, v, key, &s->cookies);
		} else if (!strcmp(key, "follow_redirects")) {
			rc = get_redirects(c, v, &s->redirects);
		} else if (!strcmp(key, "stages")) {
			if (v->type != YAML_SEQUENCE_NODE) {
				rc = yerr(c, v, "'stages' must be a list of {duration, users}");
			} else {
				FOR_ITEMS(c, v, item) {
					struct load_stage st = { 0, 0 }, *ns;
					yaml_node_t *sk, *sv;
					int have_users = 0;

					if (item->type != YAML_MAPPING_NODE) {
						rc = yerr(c, item, "a stage must be a mapping {duration, users}");
						break;
					}
					FOR_PAIRS(c, item, sk, sv) {
						const char *sks = scalar(sk);

						if (sks && !strcmp(sks, "duration")) {
							rc = get_duration(c, sv, sks, &st.duration_ns);
						} else if (sks && !strcmp(sks, "users")) {
							/* 0 is allowed here: ramp down. */
							const char *us = scalar(sv);

							if (us && !strcmp(us, "0")) {
								st.users = 0;
							} else if (!(rc = get_uint(c, sv, sks, 100000, &u))) {
								st.users = (unsigned)u;
							}
							have_users = 1;
						} else {
							rc = yerr(c, sk, "unknown stage key (duration, users)");
						}
						if (rc)
							break;
					}
					if (!rc && (!st.duration_ns || !have_users))
						rc = yerr(c, item, "a stage needs 'duration' and 'users'");
					if (rc)
						break;
					ns = realloc(s->stages, (s->n_stages + 1) * sizeof(*ns));
					if (!ns) {
						rc = -ENOMEM;
						break;
					}
					s->stages = ns;
					s->stages[s->n_stages++] = st;
				}
			}
		} else if (!strcmp(key, "tasks")) {
			tasks = v;
		} else {
			rc = yerr(c, k, "unknown key '%s' (url, users, spawn_rate, stages, wait, duration, requests, "
				  "rate, headers, tasks, thresholds, checks, data, cookies, follow_redirects)", key);
		}
		if (rc)
			goto out;
	}
	/* Run-wide checks come first in the report, whatever the order. */
	if (checks && (rc = parse_checks(c, s, checks, -1)))
		goto out;
	if (!tasks) {
		rc = yerr(c, root, "no 'tasks' in the scenario");
		goto out;
	}
	if (tasks->type != YAML_SEQUENCE_NODE || tasks->data.sequence.items.start == tasks->data.sequence.items.top) {
		rc = yerr(c, tasks, "'tasks' must be a non-empty list");
		goto out;
	}
	FOR_ITEMS(c, tasks, item) {
		if ((rc = parse_task(c, s, item, &gh)))
			goto out;
	}
out:
	strbuf_release(&gh);
	return rc;
}

int load_scenario_parse(struct load_scenario *s, const char *name, const char *text, size_t len,
			char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yctx c = { .doc = &doc, .name = name, .err = err, .errlen = errlen };
	int rc;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", name, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	rc = parse_root(&c, s, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}
