/*
 * metrics.c - libpinch's metrics registry (src/lib): registration and
 * validation under one mutex, lock-free updates into per-thread slots,
 * and the merge of those slots on read. Rendering is in format.c.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/hmap.h"
#include "core/strbuf.h"
#include "model/hist.h"
#include "core/banned.h"

#define MAX_BOUNDS 1000

static const double default_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* ---- validation ---- */

static int valid_metric_name(const char *s)
{
	const char *p;

	if (!s || !*s)
		return 0;
	for (p = s; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    *p == '_' || *p == ':';

		if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

static int valid_label_name(const char *s)
{
	const char *p;

	if (!s || !*s || (s[0] == '_' && s[1] == '_'))
		return 0;
	for (p = s; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';

		if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

size_t lib_utf8_seq(const unsigned char *p)
{
	unsigned int cp, n, i;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 1, cp = *p & 0x1f;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 2, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 3, cp = *p & 0x07;
	else
		return 0;
	for (i = 1; i <= n; i++) {	/* stops at the NUL: it is not 10xxxxxx */
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n)
		if (!(n = lib_utf8_seq(p)))
			return 0;
	return 1;
}

/* Checks a NULL-terminated name/value array; returns the pair count or
 * a negative code. */
static int check_labels(const char *const *labels, enum lib_type type)
{
	size_t n = 0, i, j;

	if (!labels)
		return 0;
	for (n = 0; labels[n]; n++)
		;
	if (n % 2)
		return lib_err(-EINVAL, "odd label array: %zu strings, want name, value pairs", n);
	for (i = 0; i < n; i += 2) {
		if (!valid_label_name(labels[i]))
			return lib_err(-EINVAL, "invalid label name '%s': must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __",
				       labels[i]);
		if (type == LIB_HISTOGRAM && !strcmp(labels[i], "le"))
			return lib_err(-EINVAL, "label name 'le' is reserved for histogram buckets");
		if (type == LIB_SUMMARY && !strcmp(labels[i], "quantile"))
			return lib_err(-EINVAL, "label name 'quantile' is reserved for summaries");
		if (!labels[i + 1] || !valid_utf8(labels[i + 1]))
			return lib_err(-EINVAL, "invalid value of label '%s': not valid UTF-8", labels[i]);
		for (j = 0; j < i; j += 2)
			if (!strcmp(labels[i], labels[j]))
				return lib_err(-EINVAL, "label '%s' given twice", labels[i]);
	}
	return (int)(n / 2);
}

/* ---- registry ---- */

/* Every live registry, for the fork handlers. */
static pthread_mutex_t regs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pinch_registry *regs;

void lib_registries_atfork(enum lib_fork_phase phase)
{
	struct pinch_registry *r;

	if (phase == LIB_FORK_PREPARE)
		pthread_mutex_lock(&regs_lock);
	for (r = regs; r; r = r->next_reg) {
		if (phase == LIB_FORK_PREPARE)
			pthread_mutex_lock(&r->lock);
		else
			pthread_mutex_unlock(&r->lock);
	}
	if (phase != LIB_FORK_PREPARE)
		pthread_mutex_unlock(&regs_lock);
}

PINCH_API int pinch_registry_new(struct pinch_registry **out)
{
	struct pinch_registry *r;

	if (!out)
		return lib_err(-EINVAL, "pinch_registry_new: NULL out");
	r = calloc(1, sizeof(*r));
	if (!r)
		return lib_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&r->lock, NULL);
	r->tail = &r->families;
	hmap_init(&r->fam_idx);
	r->series_limit = LIB_SERIES_LIMIT;
	lib_fork_init();
	pthread_mutex_lock(&regs_lock);
	r->next_reg = regs;
	regs = r;
	pthread_mutex_unlock(&regs_lock);
	*out = r;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static size_t hist_pages(const struct lib_family *f)
{
	return (f->n_counts + LIB_HIST_PAGE - 1) / LIB_HIST_PAGE;
}

static void hist_slot_free(const struct lib_family *f, struct hist_slot *hs)
{
	size_t i;

	for (i = 0; hs && i < hist_pages(f); i++)
		free(atomic_load(&hs->pages[i]));
	free(hs);
}

static void series_free(struct lib_series *s)
{
	struct lib_family *f = s->fam;
	size_t i;

	free_strv(s->label_values, f->n_labels);
	if (f->type == LIB_COUNTER) {
		for (i = 0; i < LIB_CHUNKS; i++)
			free(atomic_load(&((struct pinch_counter *)s)->chunks[i]));
	} else if (LIB_HIST_LIKE(f->type)) {
		struct pinch_histogram *h = (struct pinch_histogram *)s;

		for (i = 0; i <= LIB_SLOTS; i++)
			hist_slot_free(f, atomic_load(&h->slots[i]));
		pthread_mutex_destroy(&h->shared_lock);
	}
	free(s);
}

static void family_free(struct lib_family *f)
{
	size_t i;

	for (i = 0; i < f->n_series; i++)
		series_free(f->series[i]);
	free(f->name);
	free(f->help);
	free_strv(f->label_names, f->n_labels);
	free(f->bounds);
	free(f->bound_ticks);
	free(f->le_of_index);
	hmap_release(&f->series_idx);
	free(f->series);
	free(f);
}

PINCH_API void pinch_registry_free(struct pinch_registry *r)
{
	struct lib_family *f, *next;

	struct pinch_registry **pp;

	if (!r || r == pinch_registry_default())
		return;
	pthread_mutex_lock(&regs_lock);
	for (pp = &regs; *pp && *pp != r; pp = &(*pp)->next_reg)
		;
	if (*pp)
		*pp = r->next_reg;
	pthread_mutex_unlock(&regs_lock);
	for (f = r->families; f; f = next) {
		next = f->next;
		family_free(f);
	}
	hmap_release(&r->fam_idx);
	free(r->fams);
	free(r->graveyard);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static struct pinch_registry *default_registry;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_init(void)
{
	struct pinch_registry *r;

	if (!pinch_registry_new(&r))
		default_registry = r;
}

PINCH_API struct pinch_registry *pinch_registry_default(void)
{
	pthread_once(&default_once, default_init);
	return default_registry;
}

void lib_registry_lock(struct pinch_registry *r) { pthread_mutex_lock(&r->lock); }
void lib_registry_unlock(struct pinch_registry *r) { pthread_mutex_unlock(&r->lock); }

static uint64_t to_ticks(double v, double scale)
{
	double t = v * scale;

	if (!(t > 0))		/* negative and NaN */
		return 0;
	if (t >= 1.8e19)
		return UINT64_MAX;
	return (uint64_t)llround(t);
}

static int family_set_buckets(struct lib_family *f, const struct pinch_histogram_opts *o)
{
	const double *b = default_bounds;
	size_t n = sizeof(default_bounds) / sizeof(default_bounds[0]), i;
	uint32_t idx, j;

	f->scale = o && o->scale > 0 ? o->scale : 1e9;
	if (o && (isnan(o->scale) || o->scale < 0 || isinf(o->scale)))
		return lib_err(-EINVAL, "histogram '%s': scale must be a positive number", f->name);
	if (o && o->buckets) {
		b = o->buckets;
		n = o->n_buckets;
		if (!n)
			return lib_err(-EINVAL, "histogram '%s' has no buckets", f->name);
	}
	if (n > MAX_BOUNDS)
		return lib_err(-EINVAL, "histogram '%s': %zu buckets, at most %d", f->name, n, MAX_BOUNDS);
	for (i = 0; i < n; i++) {
		if (!isfinite(b[i]) || b[i] < 0)
			return lib_err(-EINVAL, "histogram '%s': bucket %g is not a finite number >= 0",
				       f->name, b[i]);
		if (i && b[i] <= b[i - 1])
			return lib_err(-EINVAL, "histogram '%s': buckets must be strictly increasing (%g after %g)",
				       f->name, b[i], b[i - 1]);
	}
	f->bounds = malloc(n * sizeof(*f->bounds));
	f->bound_ticks = malloc(n * sizeof(*f->bound_ticks));
	if (!f->bounds || !f->bound_ticks)
		return lib_err(-ENOMEM, "out of memory");
	memcpy(f->bounds, b, n * sizeof(*b));
	f->n_bounds = n;
	for (i = 0; i < n; i++)
		f->bound_ticks[i] = to_ticks(b[i], f->scale);
	f->max_ticks = HIST_DEFAULT_MAX;
	if (f->bound_ticks[n - 1] >= f->max_ticks / 2)
		f->max_ticks = f->bound_ticks[n - 1] > UINT64_MAX / 4 ? UINT64_MAX / 2
								     : f->bound_ticks[n - 1] * 2;
	f->n_counts = hist_buckets_for(f->max_ticks);
	f->le_of_index = malloc(f->n_counts * sizeof(*f->le_of_index));
	if (!f->le_of_index)
		return lib_err(-ENOMEM, "out of memory");
	for (idx = 0, j = 0; idx < f->n_counts; idx++) {
		uint64_t lo = hist_bucket_low(idx);

		while (j < n && f->bound_ticks[j] < lo)
			j++;
		f->le_of_index[idx] = (uint16_t)j;
	}
	return 0;
}

/* Registering an existing histogram name again (every pinch_span_begin
 * does): compare the requested buckets without building a family. */
static int same_buckets(const struct lib_family *f, const struct pinch_histogram_opts *o)
{
	const double *b = default_bounds;
	size_t n = sizeof(default_bounds) / sizeof(default_bounds[0]);
	double scale = o && o->scale > 0 ? o->scale : 1e9;

	if (o && o->buckets) {
		b = o->buckets;
		n = o->n_buckets;
	}
	return n == f->n_bounds && scale == f->scale && !memcmp(b, f->bounds, n * sizeof(double));
}

struct name_key {
	const char *s;
	size_t len;
};

static int family_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct lib_family *f = ((const struct pinch_registry *)ctx)->fams[id];
	const struct name_key *k = key;

	return !strncmp(f->name, k->s, k->len) && !f->name[k->len];
}

/* The family named by the len bytes at name: a hash lookup. */
static struct lib_family *family_find_n(struct pinch_registry *r, const char *name, size_t len)
{
	struct name_key k = { name, len };
	uint32_t id = hmap_find(&r->fam_idx, hash_bytes(name, len, 0), &k, family_eq, r);

	return id == UINT32_MAX ? NULL : r->fams[id];
}

static struct lib_family *family_find(struct pinch_registry *r, const char *name)
{
	return family_find_n(r, name, strlen(name));
}

/* Names a histogram family x exposes besides x itself. */
static const char *const hist_suffixes[] = { "_bucket", "_sum", "_count" };
#define N_SUFFIXES (sizeof(hist_suffixes) / sizeof(hist_suffixes[0]))

/* Would exposing sample name e (of the new family name) clash with a
 * reserved name or another family? -EEXIST with the message, or 0. */
static int exposed_name_free(struct pinch_registry *r, const char *name, const char *e)
{
	const struct lib_family *f;
	size_t i, el = strlen(e), sl;

	for (i = 0; i < LIB_PROCESS_METRICS; i++)
		if (!strcmp(e, lib_process_metrics[i].name))
			return lib_err(-EEXIST, "metric name '%s' is reserved: /metrics adds the process's own '%s'",
				       name, e);
	if (strcmp(e, name) && (f = family_find(r, e)))
		return lib_err(-EEXIST, "metric '%s' would expose '%s', already registered as a %s",
			       name, e, lib_type_name(f->type));
	/* OpenMetrics: a counter x_total is the family x, a counter x
	 * exposes x_total */
	if (el > 6 && !strcmp(e + el - 6, "_total") &&
	    (f = family_find_n(r, e, el - 6)) && f->type == LIB_COUNTER && strcmp(f->name, name))
		return lib_err(-EEXIST, "metric '%s' would expose '%s', a sample name of counter '%s'",
			       name, e, f->name);
	{
		struct strbuf t = STRBUF_INIT;

		strbuf_addf(&t, "%s_total", e);
		f = family_find(r, t.buf);
		strbuf_release(&t);
		if (f && f->type == LIB_COUNTER && strcmp(f->name, name))
			return lib_err(-EEXIST, "metric '%s' would expose '%s', the OpenMetrics family of counter '%s'",
				       name, e, f->name);
	}
	for (i = 0; i < N_SUFFIXES; i++) {
		sl = strlen(hist_suffixes[i]);
		if (el <= sl || strcmp(e + el - sl, hist_suffixes[i]))
			continue;
		if ((f = family_find_n(r, e, el - sl)) && strcmp(f->name, name) &&
		    LIB_HIST_LIKE(f->type))
			return lib_err(-EEXIST, "metric '%s' would expose '%s', a sample name of histogram '%s'",
				       name, e, f->name);
	}
	return 0;
}

/* A new family's names against the reserved ones and every other family's
 * sample names (x, x_bucket, x_sum, x_count for a histogram x): a clash
 * would give /metrics a second TYPE line. 0 or -EEXIST. */
static int family_name_free(struct pinch_registry *r, const char *name, enum lib_type type,
			    const char *const *labels, int n_labels,
			    const struct pinch_histogram_opts *o)
{
	struct strbuf e = STRBUF_INIT;
	size_t i;
	int rc = 0;

	if (!strcmp(name, LIB_SPAN_FAMILY) &&
	    (type != LIB_HISTOGRAM || n_labels != 1 || strcmp(labels[0], "span") || (o && o->buckets)))
		return lib_err(-EEXIST, "metric name '%s' is reserved for spans (a histogram labelled 'span')",
			       name);
	if ((rc = exposed_name_free(r, name, name)) < 0)
		return rc;
	if (type == LIB_COUNTER) {	/* OpenMetrics: x_total's family x, x's sample x_total */
		size_t nl = strlen(name);

		if (nl > 6 && !strcmp(name + nl - 6, "_total"))
			strbuf_add(&e, name, nl - 6);
		else
			strbuf_addf(&e, "%s_total", name);
		rc = exposed_name_free(r, name, e.buf);
	}
	for (i = 0; LIB_HIST_LIKE(type) && i < N_SUFFIXES && !rc; i++) {
		strbuf_reset(&e);
		strbuf_addf(&e, "%s%s", name, hist_suffixes[i]);
		rc = exposed_name_free(r, name, e.buf);
	}
	strbuf_release(&e);
	return rc;
}

static int family_new(struct pinch_registry *r, const char *name, const char *help,
		      enum lib_type type, const char *const *labels, int n_labels,
		      const struct pinch_histogram_opts *o, struct lib_family **out)
{
	struct lib_family *f = calloc(1, sizeof(*f));
	int i, rc = -ENOMEM;

	if (!f)
		return lib_err(-ENOMEM, "out of memory");
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	f->n_labels = (size_t)n_labels;
	f->label_names = calloc((size_t)n_labels + 1, sizeof(char *));
	if (!f->name || !f->help || !f->label_names)
		goto fail;
	for (i = 0; i < n_labels; i++)
		if (!(f->label_names[i] = strdup(labels[2 * i])))
			goto fail;
	if (LIB_HIST_LIKE(type) && (rc = family_set_buckets(f, o)) < 0)
		goto fail;
	hmap_init(&f->series_idx);
	rc = -ENOMEM;
	if (r->n_fams >= UINT32_MAX - 1 || ARRAY_GROW(r->fams, r->cap_fams, r->n_fams + 1) < 0 ||
	    hmap_insert(&r->fam_idx, hash_bytes(name, strlen(name), 0), (uint32_t)r->n_fams) < 0)
		goto fail;
	r->fams[r->n_fams++] = f;
	*r->tail = f;
	r->tail = &f->next;
	*out = f;
	return 0;
fail:
	family_free(f);
	return rc == -ENOMEM ? lib_err(rc, "out of memory") : rc;
}

/* Hash of a series' label values (labels: the name, value array). */
static uint64_t labels_hash(const struct lib_family *f, const char *const *labels)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i < f->n_labels; i++)	/* the NUL separates the values */
		h = hash_bytes(labels[2 * i + 1], strlen(labels[2 * i + 1]) + 1, h);
	return h;
}

static int series_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct lib_family *f = ctx;
	const struct lib_series *s = f->series[id];
	const char *const *labels = key;
	size_t i;

	for (i = 0; i < f->n_labels; i++)
		if (strcmp(s->label_values[i], labels[2 * i + 1]))
			return 0;
	return 1;
}

static struct lib_series *series_find(struct lib_family *f, const char *const *labels)
{
	uint32_t id = hmap_find(&f->series_idx, labels_hash(f, labels), labels, series_eq, f);

	return id == UINT32_MAX ? NULL : f->series[id];
}

static struct lib_series *series_new(struct lib_family *f, const char *const *labels)
{
	struct lib_series *s;
	size_t i, size = f->type == LIB_COUNTER ? sizeof(struct pinch_counter)
			: f->type == LIB_GAUGE ? sizeof(struct pinch_gauge)
			: sizeof(struct pinch_histogram);

	s = calloc(1, size);
	if (!s)
		return NULL;
	s->fam = f;
	s->label_values = calloc(f->n_labels + 1, sizeof(char *));
	if (!s->label_values)
		goto fail;
	for (i = 0; i < f->n_labels; i++)
		if (!(s->label_values[i] = strdup(labels[2 * i + 1])))
			goto fail;
	if (f->n_series >= UINT32_MAX - 1 || ARRAY_GROW(f->series, f->cap_series, f->n_series + 1) < 0 ||
	    hmap_insert(&f->series_idx, labels_hash(f, labels), (uint32_t)f->n_series) < 0)
		goto fail;
	if (LIB_HIST_LIKE(f->type))
		pthread_mutex_init(&((struct pinch_histogram *)s)->shared_lock, NULL);
	f->series[f->n_series++] = s;
	return s;
fail:
	if (LIB_HIST_LIKE(f->type))
		pthread_mutex_init(&((struct pinch_histogram *)s)->shared_lock, NULL);
	series_free(s);
	return NULL;
}

/* Counts one registration of family f sent to its overflow series, in
 * pinch_series_dropped_total{metric="<f>"}; registry locked. */
static void count_dropped(struct pinch_registry *r, const struct lib_family *f)
{
	const char *labels[] = { "metric", f->name, NULL };
	struct lib_family *d = family_find(r, LIB_DROPPED_FAMILY);
	struct lib_series *s = NULL;

	if (!d && family_new(r, LIB_DROPPED_FAMILY,
			     "Registrations of new label values past the per-family series limit, "
			     "sent to the family's overflow series.",
			     LIB_COUNTER, labels, 1, NULL, &d) < 0)
		return;
	s = series_find(d, labels);
	if (!s)
		s = series_new(d, labels);
	pinch_counter_inc((struct pinch_counter *)s);
}

/* The series that stands for every label set past r's series limit, all
 * its label values "_overflow_"; registry locked. */
static struct lib_series *series_overflow(struct pinch_registry *r, struct lib_family *f)
{
	const char **labels;
	size_t i;

	count_dropped(r, f);
	if (f->overflow)
		return f->overflow;
	labels = calloc(2 * f->n_labels + 1, sizeof(*labels));
	if (!labels)
		return NULL;
	for (i = 0; i < f->n_labels; i++) {
		labels[2 * i] = f->label_names[i];
		labels[2 * i + 1] = LIB_OVERFLOW_VALUE;
	}
	f->overflow = series_find(f, labels);
	if (!f->overflow)
		f->overflow = series_new(f, labels);
	free(labels);
	return f->overflow;
}

PINCH_API int pinch_registry_set_series_limit(struct pinch_registry *reg, size_t limit)
{
	if (!reg)
		reg = pinch_registry_default();
	if (!reg)
		return lib_err(-ENOMEM, "out of memory for the default registry");
	if (!limit)
		return lib_err(-EINVAL, "pinch_registry_set_series_limit: the limit must be at least 1");
	pthread_mutex_lock(&reg->lock);
	reg->series_limit = limit;
	pthread_mutex_unlock(&reg->lock);
	return 0;
}

int lib_registry_snapshot(struct pinch_registry *r, struct lib_series ***out, size_t *n)
{
	struct lib_series **v = NULL;
	size_t total = 0, k = 0, i, j;

	pthread_mutex_lock(&r->lock);
	r->renders++;
	for (i = 0; i < r->n_fams; i++)
		total += r->fams[i]->n_series;
	if (total && !(v = malloc(total * sizeof(*v)))) {
		r->renders--;
		pthread_mutex_unlock(&r->lock);
		return -ENOMEM;
	}
	for (i = 0; i < r->n_fams; i++)
		for (j = 0; j < r->fams[i]->n_series; j++)
			v[k++] = r->fams[i]->series[j];
	pthread_mutex_unlock(&r->lock);
	*out = v;
	*n = total;
	return 0;
}

void lib_registry_snapshot_done(struct pinch_registry *r, struct lib_series **v)
{
	struct lib_series **dead = NULL;
	size_t n = 0, i;

	free(v);
	pthread_mutex_lock(&r->lock);
	if (!--r->renders) {
		dead = r->graveyard;
		n = r->n_graveyard;
		r->graveyard = NULL;
		r->n_graveyard = r->cap_graveyard = 0;
	}
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < n; i++)
		series_free(dead[i]);
	free(dead);
}

PINCH_API int pinch_series_remove(struct pinch_registry *reg, const char *name,
				  const char *const *labels)
{
	struct lib_family *f;
	struct lib_series *s;
	size_t i, k;
	int rc = 0, n;

	if (!reg)
		reg = pinch_registry_default();
	if (!reg)
		return lib_err(-ENOMEM, "out of memory for the default registry");
	if (!name)
		return lib_err(-EINVAL, "pinch_series_remove: NULL name");
	if (!strcmp(name, LIB_SPAN_FAMILY))
		return lib_err(-EPERM, "the spans' series cannot be removed (call sites cache them)");
	n = check_labels(labels, LIB_COUNTER);
	if (n < 0)
		return n;
	pthread_mutex_lock(&reg->lock);
	f = family_find(reg, name);
	if (!f || f->n_labels != (size_t)n) {
		rc = lib_err(-ENOENT, "no metric '%s' with %d labels", name, n);
		goto out;
	}
	for (i = 0; i < f->n_labels; i++)
		if (strcmp(f->label_names[i], labels[2 * i])) {
			rc = lib_err(-ENOENT, "metric '%s' has label '%s', not '%s'", name,
				     f->label_names[i], labels[2 * i]);
			goto out;
		}
	s = series_find(f, labels);
	if (!s) {
		rc = lib_err(-ENOENT, "metric '%s' has no series with these label values", name);
		goto out;
	}
	/* out of the array (creation order kept) and the index, rebuilt */
	for (k = 0; f->series[k] != s; k++)
		;
	memmove(&f->series[k], &f->series[k + 1], (f->n_series - k - 1) * sizeof(*f->series));
	f->n_series--;
	hmap_release(&f->series_idx);
	hmap_init(&f->series_idx);
	for (k = 0; k < f->n_series; k++) {
		const char **lv = calloc(2 * f->n_labels + 1, sizeof(*lv));

		for (i = 0; lv && i < f->n_labels; i++) {
			lv[2 * i] = f->label_names[i];
			lv[2 * i + 1] = f->series[k]->label_values[i];
		}
		if (!lv || hmap_insert(&f->series_idx, labels_hash(f, lv), (uint32_t)k) < 0)
			rc = -ENOMEM;	/* lookups of later series miss: new ones get made */
		free(lv);
	}
	if (f->overflow == s)
		f->overflow = NULL;
	/* a render may be reading it: free it after the last one */
	if (reg->renders && ARRAY_GROW(reg->graveyard, reg->cap_graveyard, reg->n_graveyard + 1) == 0)
		reg->graveyard[reg->n_graveyard++] = s;
	else if (!reg->renders)
		series_free(s);
	/* else: out of memory for the graveyard; leak it rather than free
	 * what a render reads */
	if (rc == -ENOMEM)
		rc = lib_err(rc, "out of memory while re-indexing '%s'", name);
out:
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

/* The one registration path. create_only: -EEXIST on an existing series. */
static int metric_register(struct pinch_registry *r, const char *name, const char *help,
			   enum lib_type type, const char *const *labels,
			   const struct pinch_histogram_opts *o, int create_only,
			   struct lib_series **out)
{
	struct lib_family *f;
	struct lib_series *s;
	int n, rc = 0;
	size_t i;

	if (!r)
		r = pinch_registry_default();
	if (!out)
		return lib_err(-EINVAL, "registering '%s': NULL out", name ? name : "(null)");
	if (!r)
		return lib_err(-ENOMEM, "out of memory for the default registry");
	*out = NULL;
	if (!name || !valid_metric_name(name))
		return lib_err(-EINVAL, "invalid metric name '%s': must match [a-zA-Z_:][a-zA-Z0-9_:]*",
			       name ? name : "(null)");
	if (help && !valid_utf8(help))
		return lib_err(-EINVAL, "help of '%s' is not valid UTF-8", name);
	if (!strcmp(name, LIB_DROPPED_FAMILY))
		return lib_err(-EEXIST, "metric name '%s' is reserved: it counts series past the limit", name);
	n = check_labels(labels, type);
	if (n < 0)
		return n;
	pthread_mutex_lock(&r->lock);
	f = family_find(r, name);
	if (f) {
		if (f->type != type) {
			rc = lib_err(-EEXIST, "metric '%s' is already registered as a %s", name, lib_type_name(f->type));
			goto out;
		}
		if (f->n_labels != (size_t)n) {
			rc = lib_err(-EEXIST, "metric '%s' is already registered with %zu labels", name, f->n_labels);
			goto out;
		}
		for (i = 0; i < f->n_labels; i++)
			if (strcmp(f->label_names[i], labels[2 * i])) {
				rc = lib_err(-EEXIST, "metric '%s' is already registered with label '%s' in place of '%s'",
					     name, f->label_names[i], labels[2 * i]);
				goto out;
			}
		if (LIB_HIST_LIKE(type) && !same_buckets(f, o)) {
			rc = lib_err(-EEXIST, "histogram '%s' is already registered with other buckets", name);
			goto out;
		}
		rc = 0;
		s = series_find(f, labels);
		if (s) {
			if (create_only)
				rc = lib_err(-EEXIST, "metric '%s' is already registered with these labels", name);
			else
				*out = s;
			goto out;
		}
	} else if ((rc = family_name_free(r, name, type, labels, n, o)) < 0 ||
		   (rc = family_new(r, name, help, type, labels, n, o, &f)) < 0) {
		goto out;
	}
	if (f->n_labels && f->n_series >= r->series_limit)
		s = series_overflow(r, f);
	else
		s = series_new(f, labels);
	if (!s)
		rc = lib_err(-ENOMEM, "out of memory");
	*out = s;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

#define REGISTER(type, T, create_only, opts) do { \
	struct lib_series *s_ = NULL; \
	int rc_ = metric_register(reg, name, help, T, labels, opts, create_only, \
				  out ? &s_ : NULL); \
	if (out) \
		*out = (type *)s_; \
	return rc_; \
} while (0)

PINCH_API int pinch_counter_new(struct pinch_registry *reg, const char *name, const char *help,
				const char *const *labels, struct pinch_counter **out)
{
	REGISTER(struct pinch_counter, LIB_COUNTER, 1, NULL);
}

PINCH_API int pinch_counter_get(struct pinch_registry *reg, const char *name, const char *help,
				const char *const *labels, struct pinch_counter **out)
{
	REGISTER(struct pinch_counter, LIB_COUNTER, 0, NULL);
}

PINCH_API int pinch_gauge_new(struct pinch_registry *reg, const char *name, const char *help,
			      const char *const *labels, struct pinch_gauge **out)
{
	REGISTER(struct pinch_gauge, LIB_GAUGE, 1, NULL);
}

PINCH_API int pinch_gauge_get(struct pinch_registry *reg, const char *name, const char *help,
			      const char *const *labels, struct pinch_gauge **out)
{
	REGISTER(struct pinch_gauge, LIB_GAUGE, 0, NULL);
}

PINCH_API int pinch_histogram_new(struct pinch_registry *reg, const char *name, const char *help,
				  const char *const *labels, const struct pinch_histogram_opts *opts,
				  struct pinch_histogram **out)
{
	REGISTER(struct pinch_histogram, LIB_HISTOGRAM, 1, opts);
}

PINCH_API int pinch_histogram_get(struct pinch_registry *reg, const char *name, const char *help,
				  const char *const *labels, const struct pinch_histogram_opts *opts,
				  struct pinch_histogram **out)
{
	REGISTER(struct pinch_histogram, LIB_HISTOGRAM, 0, opts);
}

PINCH_API int pinch_summary_new(struct pinch_registry *reg, const char *name, const char *help,
				const char *const *labels, const struct pinch_histogram_opts *opts,
				struct pinch_histogram **out)
{
	REGISTER(struct pinch_histogram, LIB_SUMMARY, 1, opts);
}

PINCH_API int pinch_summary_get(struct pinch_registry *reg, const char *name, const char *help,
				const char *const *labels, const struct pinch_histogram_opts *opts,
				struct pinch_histogram **out)
{
	REGISTER(struct pinch_histogram, LIB_SUMMARY, 0, opts);
}

/* ---- updates: the hot path ---- */

/* Single-writer add: no lock prefix, still an atomic store for readers. */
static inline void own_add(_Atomic uint64_t *p, uint64_t n)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Allocates chunk k of c's shards on first use; two threads of the same
 * chunk may race here, and the loser frees its copy. */
static __attribute__((noinline)) struct counter_shard *counter_chunk(struct pinch_counter *c, int k)
{
	struct counter_shard *ch = aligned_alloc(LIB_CACHELINE, LIB_CHUNK * sizeof(*ch)), *old = NULL;

	if (!ch)
		return NULL;
	memset(ch, 0, LIB_CHUNK * sizeof(*ch));
	if (atomic_compare_exchange_strong_explicit(&c->chunks[k], &old, ch, memory_order_acq_rel,
						    memory_order_acquire))
		return ch;
	free(ch);
	return old;
}

PINCH_API void pinch_counter_add(struct pinch_counter *c, uint64_t n)
{
	struct counter_shard *ch;
	int s;

	if (__builtin_expect(!c, 0))
		return;
	s = lib_slot();
	ch = atomic_load_explicit(&c->chunks[s / LIB_CHUNK], memory_order_acquire);
	if (__builtin_expect(!ch, 0) && !(ch = counter_chunk(c, s / LIB_CHUNK)))
		return;		/* out of memory: the value is lost */
	if (__builtin_expect(s == LIB_SLOT_SHARED, 0))
		atomic_fetch_add_explicit(&ch[s % LIB_CHUNK].v, n, memory_order_relaxed);
	else
		own_add(&ch[s % LIB_CHUNK].v, n);
}

PINCH_API void pinch_counter_inc(struct pinch_counter *c)
{
	pinch_counter_add(c, 1);
}

static inline uint64_t dbits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

static inline double bitsd(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

PINCH_API void pinch_gauge_set(struct pinch_gauge *g, double v)
{
	if (g)
		atomic_store_explicit(&g->bits, dbits(v), memory_order_relaxed);
}

PINCH_API void pinch_gauge_add(struct pinch_gauge *g, double delta)
{
	uint64_t old;

	if (!g)
		return;
	old = atomic_load_explicit(&g->bits, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&g->bits, &old, dbits(bitsd(old) + delta),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

static struct hist_slot *hist_slot_new(const struct lib_family *f)
{
	size_t size = sizeof(struct hist_slot) + hist_pages(f) * sizeof(void *);
	struct hist_slot *hs = aligned_alloc(LIB_CACHELINE,
		(size + (f->n_bounds + 1) * sizeof(uint64_t) + LIB_CACHELINE - 1) / LIB_CACHELINE * LIB_CACHELINE);

	if (!hs)
		return NULL;
	memset(hs, 0, size + (f->n_bounds + 1) * sizeof(uint64_t));
	hs->le = (_Atomic uint64_t *)((char *)hs + size);
	atomic_init(&hs->min, UINT64_MAX);
	return hs;
}

static void hist_slot_record(const struct lib_family *f, struct hist_slot *hs, uint64_t t)
{
	_Atomic uint64_t *page;
	uint32_t idx, j;

	if (__builtin_expect(t > f->max_ticks, 0)) {
		own_add(&hs->clamped, 1);
		t = f->max_ticks;
	}
	idx = hist_index(t);
	page = atomic_load_explicit(&hs->pages[idx / LIB_HIST_PAGE], memory_order_relaxed);
	if (__builtin_expect(!page, 0)) {
		if (!(page = calloc(LIB_HIST_PAGE, sizeof(*page))))
			return;		/* out of memory: the value is lost */
		atomic_store_explicit(&hs->pages[idx / LIB_HIST_PAGE], page, memory_order_release);
	}
	own_add(&page[idx % LIB_HIST_PAGE], 1);
	j = f->le_of_index[idx];
	while (j < f->n_bounds && t > f->bound_ticks[j])
		j++;
	own_add(&hs->le[j], 1);
	own_add(&hs->count, 1);
	atomic_store_explicit(&hs->sum_bits,
		dbits(bitsd(atomic_load_explicit(&hs->sum_bits, memory_order_relaxed)) + (double)t),
		memory_order_relaxed);
	atomic_store_explicit(&hs->sumsq_bits,
		dbits(bitsd(atomic_load_explicit(&hs->sumsq_bits, memory_order_relaxed)) + (double)t * (double)t),
		memory_order_relaxed);
	if (t < atomic_load_explicit(&hs->min, memory_order_relaxed))
		atomic_store_explicit(&hs->min, t, memory_order_relaxed);
	if (t > atomic_load_explicit(&hs->max, memory_order_relaxed))
		atomic_store_explicit(&hs->max, t, memory_order_relaxed);
}

static void histogram_record(struct pinch_histogram *h, uint64_t t)
{
	const struct lib_family *f = h->s.fam;
	int s = lib_slot();
	struct hist_slot *hs = atomic_load_explicit(&h->slots[s], memory_order_acquire);

	if (__builtin_expect(s == LIB_SLOT_SHARED, 0)) {
		pthread_mutex_lock(&h->shared_lock);
		/* again under the lock: another sharing thread may have
		 * allocated it since (replacing it would lose its values) */
		hs = atomic_load_explicit(&h->slots[s], memory_order_acquire);
		if (!hs && (hs = hist_slot_new(f)))
			atomic_store_explicit(&h->slots[s], hs, memory_order_release);
		if (hs)
			hist_slot_record(f, hs, t);
		pthread_mutex_unlock(&h->shared_lock);
		return;
	}
	if (__builtin_expect(!hs, 0)) {
		hs = hist_slot_new(f);
		if (!hs)
			return;		/* out of memory: the value is lost */
		atomic_store_explicit(&h->slots[s], hs, memory_order_release);
	}
	hist_slot_record(f, hs, t);
}

PINCH_API void pinch_histogram_observe(struct pinch_histogram *h, double v)
{
	if (__builtin_expect(!h, 0))
		return;
	histogram_record(h, to_ticks(v, h->s.fam->scale));
}

PINCH_API void pinch_histogram_observe_ns(struct pinch_histogram *h, uint64_t ns)
{
	const struct lib_family *f;

	if (__builtin_expect(!h, 0))
		return;
	f = h->s.fam;
	histogram_record(h, f->scale == 1e9 ? ns : to_ticks((double)ns * 1e-9, f->scale));
}

/* ---- reads ---- */

PINCH_API uint64_t pinch_counter_value(const struct pinch_counter *c)
{
	uint64_t sum = 0;
	int i, j;

	if (!c)
		return 0;
	for (i = 0; i < LIB_CHUNKS; i++) {
		const struct counter_shard *ch = atomic_load_explicit(&c->chunks[i], memory_order_acquire);

		for (j = 0; ch && j < LIB_CHUNK; j++)
			sum += atomic_load_explicit(&ch[j].v, memory_order_relaxed);
	}
	return sum;
}

PINCH_API double pinch_gauge_value(const struct pinch_gauge *g)
{
	double (*fn)(void *);

	if (!g)
		return 0;
	fn = __atomic_load_n(&g->fn, __ATOMIC_ACQUIRE);
	if (fn)
		return fn(g->arg);
	return bitsd(atomic_load_explicit(&g->bits, memory_order_relaxed));
}

PINCH_API int pinch_gauge_func_new(struct pinch_registry *reg, const char *name, const char *help,
				   const char *const *labels, double (*fn)(void *arg), void *arg,
				   struct pinch_gauge **out)
{
	struct pinch_gauge *g = NULL;
	int rc;

	if (!fn) {
		if (out)
			*out = NULL;
		return lib_err(-EINVAL, "pinch_gauge_func_new '%s': NULL function", name ? name : "(null)");
	}
	rc = pinch_gauge_new(reg, name, help, labels, out ? &g : NULL);
	if (rc < 0)
		return rc;
	g->arg = arg;
	__atomic_store_n(&g->fn, fn, __ATOMIC_RELEASE);	/* arg before fn */
	*out = g;
	return 0;
}

int lib_histogram_merge(const struct pinch_histogram *h, struct hist *dst, uint64_t *le)
{
	const struct lib_family *f = h->s.fam;
	uint32_t i;
	size_t j;
	int s;

	if (hist_init(dst, f->max_ticks) < 0)
		return -ENOMEM;
	if (le)
		memset(le, 0, (f->n_bounds + 1) * sizeof(*le));
	for (s = 0; s <= LIB_SLOTS; s++) {
		struct hist_slot *hs = atomic_load_explicit(&((struct pinch_histogram *)h)->slots[s],
							    memory_order_acquire);
		uint64_t mn, mx, n = 0;

		if (!hs)
			continue;
		for (i = 0; i < f->n_counts && i < dst->n_counts; i++) {
			const _Atomic uint64_t *page = atomic_load_explicit(&hs->pages[i / LIB_HIST_PAGE],
									   memory_order_acquire);
			uint64_t c;

			if (!page) {
				i += LIB_HIST_PAGE - 1 - i % LIB_HIST_PAGE;
				continue;
			}
			c = atomic_load_explicit(&page[i % LIB_HIST_PAGE], memory_order_relaxed);
			dst->counts[i] += c;
			n += c;
		}
		if (le)
			for (j = 0; j <= f->n_bounds; j++)
				le[j] += atomic_load_explicit(&hs->le[j], memory_order_relaxed);
		/* n, not hs->count, so total always equals the bucket sum. */
		dst->total += n;
		dst->sum += bitsd(atomic_load_explicit(&hs->sum_bits, memory_order_relaxed));
		dst->sumsq += bitsd(atomic_load_explicit(&hs->sumsq_bits, memory_order_relaxed));
		dst->clamped += atomic_load_explicit(&hs->clamped, memory_order_relaxed);
		mn = atomic_load_explicit(&hs->min, memory_order_relaxed);
		mx = atomic_load_explicit(&hs->max, memory_order_relaxed);
		if (n && mn < dst->min)
			dst->min = mn;
		if (n && mx > dst->max)
			dst->max = mx;
	}
	return 0;
}

PINCH_API void pinch_histogram_read(const struct pinch_histogram *h, struct pinch_histogram_summary *out)
{
	struct hist m;
	double sc;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!h || lib_histogram_merge(h, &m, NULL) < 0)
		return;
	sc = h->s.fam->scale;
	out->count = m.total;
	out->sum = m.sum / sc;
	if (m.total) {
		out->avg = hist_mean(&m) / sc;
		out->min = (double)m.min / sc;
		out->max = (double)m.max / sc;
		out->p50 = (double)hist_percentile(&m, 50) / sc;
		out->p95 = (double)hist_percentile(&m, 95) / sc;
		out->p99 = (double)hist_percentile(&m, 99) / sc;
	}
	hist_release(&m);
}
