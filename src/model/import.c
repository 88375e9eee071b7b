/*
 * import.c - folded stacks, perf script text and pprof read into the
 * profile model (model layer). See import.h.
 */
#include "model/import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/strbuf.h"
#include "model/profile.h"
#include "core/banned.h"

#define MAX_FRAMES 4096		/* frames kept per stack (the rest, outermost, dropped) */
#define MAX_PPROF (1u << 30)	/* decompressed pprof size */

const char *import_format_name(enum import_format f)
{
	switch (f) {
	case IMPORT_FOLDED: return "folded stacks";
	case IMPORT_PERF_SCRIPT: return "perf script";
	case IMPORT_PPROF: return "pprof";
	case IMPORT_PERF_DATA: return "perf.data";
	case IMPORT_PINCH: return "pinch recording";
	default: return "unknown";
	}
}

/* ---- text helpers ---- */

struct lines {
	const char *p, *end;
	size_t no;		/* number of the line last returned */
};

/* The next line without its newline (and '\r'); 0 at the end. */
static int next_line(struct lines *l, const char **s, size_t *n)
{
	const char *nl;

	if (l->p >= l->end)
		return 0;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	*s = l->p;
	*n = (size_t)((nl ? nl : l->end) - l->p);
	l->p = nl ? nl + 1 : l->end;
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	l->no++;
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A decimal count (at most 18 digits: no overflow). */
static int parse_count(const char *s, size_t n, int64_t *v)
{
	size_t i;

	if (!all_digits(s, n) || n > 18)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v * 10 + (s[i] - '0');
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* ---- detection ---- */

/* perf script's sample header: "... TIME: " with TIME digits '.' digits. */
static int header_time_token(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t b, e;

		while (i < n && is_space(s[i]))
			i++;
		b = i;
		while (i < n && !is_space(s[i]))
			i++;
		e = i;
		if (e - b >= 4 && s[e - 1] == ':') {
			const char *dot = memchr(s + b, '.', e - 1 - b);

			if (dot && all_digits(s + b, (size_t)(dot - s - b)) &&
			    all_digits(dot + 1, (size_t)(s + e - 1 - dot - 1)))
				return (int)b;
		}
	}
	return -1;
}

enum import_format import_detect(const char *buf, size_t len)
{
	struct lines l = { buf, buf + len, 0 };
	const char *s;
	size_t n, seen = 0;

	if (len >= 8 && !memcmp(buf, "PINCHREC", 8))
		return IMPORT_PINCH;
	if (len >= 8 && !memcmp(buf, "PERFILE2", 8))
		return IMPORT_PERF_DATA;
	if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b)
		return IMPORT_PPROF;
	if (len >= 2 && buf[0] == 0x0a && memchr(buf, 0, len < 4096 ? len : 4096))
		return IMPORT_PPROF;	/* raw profile.proto: sample_type first, binary */
	if (memchr(buf, 0, len < 4096 ? len : 4096))
		return IMPORT_UNKNOWN;	/* binary: not one of the text formats */
	while (next_line(&l, &s, &n) && seen < 20) {
		const char *sp;

		if (!n || s[0] == '#')
			continue;
		seen++;
		if (is_space(s[0]))
			return IMPORT_PERF_SCRIPT;	/* a frame line */
		if (header_time_token(s, n) >= 0)
			return IMPORT_PERF_SCRIPT;
		sp = s + n;
		while (sp > s && sp[-1] != ' ')
			sp--;
		if (sp > s && all_digits(sp, (size_t)(s + n - sp)))
			return IMPORT_FOLDED;
		return IMPORT_UNKNOWN;
	}
	return IMPORT_UNKNOWN;
}

/* ---- building ---- */

struct builder {
	struct profile *p;
	uint32_t *locs;
	size_t n, alloc;
	uint32_t empty, unknown_mod;
};

static int push_loc(struct builder *b, uint32_t loc)
{
	if (loc == UINT32_MAX)
		return -ENOMEM;
	if (b->n == MAX_FRAMES)
		return 0;
	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 64;
		uint32_t *nl = realloc(b->locs, na * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		b->locs = nl;
		b->alloc = na;
	}
	b->locs[b->n++] = loc;
	return 0;
}

static uint32_t make_loc(struct profile *p, const char *name, size_t nlen, const char *module,
			 size_t mlen, uint64_t addr, unsigned kind)
{
	struct profile_location l;

	memset(&l, 0, sizeof(l));
	l.function = profile_intern_stringn(p, name, nlen);
	l.module = profile_intern_stringn(p, module, mlen);
	l.address = addr;
	l.kind = (uint16_t)kind;
	if (l.function == UINT32_MAX || l.module == UINT32_MAX)
		return UINT32_MAX;
	return profile_intern_location(p, &l);
}

static void set_meta_u64(struct profile *p, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	profile_set_meta(p, key, buf);
}

/* ---- folded stacks: "root;child;leaf COUNT" ---- */

static int import_folded(struct builder *b, const char *buf, size_t len, uint64_t *samples,
			 char *err, size_t errlen)
{
	struct lines l = { buf, buf + len, 0 };
	const char *s;
	size_t n;
	uint32_t thread = profile_intern_thread(b->p, 0, 0, "all");
	int rc;

	if (thread == UINT32_MAX || profile_add_type(b->p, "samples", "count") != 0 ||
	    profile_add_type(b->p, "samples", "count") != 1)
		return -ENOMEM;
	while (next_line(&l, &s, &n)) {
		const char *sp = s + n, *f, *end;
		int64_t v[2];
		uint32_t stack;

		if (!n || s[0] == '#')
			continue;
		while (sp > s && sp[-1] != ' ')
			sp--;
		if (sp == s || parse_count(sp, (size_t)(s + n - sp), &v[0])) {
			snprintf(err, errlen, "line %zu: not a folded stack (want 'main;f;g COUNT')", l.no);
			return -EINVAL;
		}
		v[1] = v[0];
		end = sp - 1;	/* the space */
		while (end > s && end[-1] == ' ')
			end--;
		b->n = 0;
		/* leaf first: frames from the right */
		for (f = end;;) {
			const char *a = f;

			while (a > s && a[-1] != ';')
				a--;
			if (f > a && (rc = push_loc(b, make_loc(b->p, a, (size_t)(f - a), "", 0, 0,
								   LOC_NATIVE))))
				return rc;
			if (a == s)
				break;
			f = a - 1;
		}
		if (!b->n && (rc = push_loc(b, make_loc(b->p, "[unknown]", 9, "", 0, 0, LOC_UNKNOWN))))
			return rc;
		stack = profile_intern_stack(b->p, b->locs, (uint32_t)b->n);
		if (stack == UINT32_MAX || profile_add_sample(b->p, stack, thread, v))
			return -ENOMEM;
		*samples += (uint64_t)v[0];
	}
	if (!*samples && l.no == 0) {
		snprintf(err, errlen, "no stacks: the file is empty");
		return -EINVAL;
	}
	return 0;
}

/* ---- perf script ---- */

struct ps_sample {
	uint32_t pid, tid;
	int64_t period;
	int active;
	uint64_t time_us;
};

static const char *basename_n(const char *s, size_t *n)
{
	size_t i;

	for (i = *n; i > 0; i--)
		if (s[i - 1] == '/') {
			*n -= i;
			return s + i;
		}
	return s;
}

/* "\t addr sym+0xoff (dso)" */
static int ps_frame(struct builder *b, const char *s, size_t n, size_t lineno, char *err,
		    size_t errlen)
{
	size_t i = 0, ab, ae, sb, se, db = 0, de = 0;
	const char *mod;
	size_t mlen;
	unsigned kind = LOC_NATIVE;
	uint64_t addr = 0;
	struct strbuf name = STRBUF_INIT;
	uint32_t loc;

	while (i < n && is_space(s[i]))
		i++;
	ab = i;
	while (i < n && !is_space(s[i]))
		i++;
	ae = i;
	if (!is_hex(s + ab, ae - ab)) {
		snprintf(err, errlen, "line %zu: a frame line starts with its address in hex", lineno);
		return -EINVAL;
	}
	for (size_t k = ab; k < ae && k < ab + 16; k++)
		addr = addr * 16 + (uint64_t)(s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
	while (i < n && is_space(s[i]))
		i++;
	sb = i;
	se = n;
	while (se > sb && is_space(s[se - 1]))
		se--;
	if (se > sb && s[se - 1] == ')') {
		size_t k = se - 1;

		while (k > sb && !(s[k] == '(' && is_space(s[k - 1])))
			k--;
		if (s[k] == '(' && k > sb) {
			db = k + 1;
			de = se - 1;
			se = k;
			while (se > sb && is_space(s[se - 1]))
				se--;
		} else if (s[k] == '(' && k == sb) {
			db = k + 1;	/* no symbol, only "(dso)" */
			de = se - 1;
			se = sb;
		}
	}
	/* sym+0xoff: the offset goes */
	for (size_t k = se; k > sb + 1; k--)
		if (s[k - 1] == 'x' && s[k - 2] == '0' && k >= sb + 3 && s[k - 3] == '+' &&
		    is_hex(s + k, se - k)) {
			se = k - 3;
			break;
		}
	mlen = de - db;
	mod = s + db;
	if (mlen >= 7 && !memcmp(mod, "[kernel", 7)) {
		kind = LOC_KERNEL;
		mod = "[kernel]";
		mlen = 8;
		strbuf_addstr(&name, "[k] ");
	} else {
		mod = basename_n(mod, &mlen);
	}
	if (se == sb || (se - sb == 9 && !memcmp(s + sb, "[unknown]", 9))) {
		kind = kind == LOC_KERNEL ? kind : LOC_UNKNOWN;
		strbuf_add(&name, mod, mlen);
		strbuf_addf(&name, "+0x%llx", (unsigned long long)addr);
	} else {
		strbuf_add(&name, s + sb, se - sb);
	}
	loc = make_loc(b->p, name.buf, name.len, mod, mlen, addr, kind);
	strbuf_release(&name);
	return push_loc(b, loc);
}

static int ps_flush(struct builder *b, struct ps_sample *cur, uint32_t thread, uint64_t *samples)
{
	int64_t v[2];
	uint32_t stack;
	int rc;

	if (!cur->active)
		return 0;
	cur->active = 0;
	if (!b->n && (rc = push_loc(b, make_loc(b->p, "[unknown]", 9, "", 0, 0, LOC_UNKNOWN))))
		return rc;
	stack = profile_intern_stack(b->p, b->locs, (uint32_t)b->n);
	v[0] = 1;
	v[1] = cur->period;
	if (stack == UINT32_MAX || profile_add_sample(b->p, stack, thread, v))
		return -ENOMEM;
	(*samples)++;
	return 0;
}

static int import_perf_script(struct builder *b, const char *buf, size_t len, uint64_t *samples,
			      char *err, size_t errlen)
{
	struct lines l = { buf, buf + len, 0 };
	struct ps_sample cur = { 0 };
	struct strbuf event = STRBUF_INIT, comm = STRBUF_INIT;
	uint64_t first_us = UINT64_MAX, last_us = 0;
	uint32_t thread = 0;
	const char *s;
	size_t n;
	int rc = 0, typed = 0;

	while (!rc && next_line(&l, &s, &n)) {
		size_t i, tb, te, k, cb, ce, pb;
		int t;

		if (!n) {
			rc = ps_flush(b, &cur, thread, samples);
			continue;
		}
		if (s[0] == '#' && !cur.active)
			continue;
		if (is_space(s[0])) {
			size_t k2 = 0;

			while (k2 < n && is_space(s[k2]))
				k2++;
			if (k2 == n)
				continue;
			if (!cur.active) {
				snprintf(err, errlen, "line %zu: a frame line before any sample header", l.no);
				rc = -EINVAL;
				break;
			}
			rc = ps_frame(b, s, n, l.no, err, errlen);
			continue;
		}
		/* a sample header: COMM PID[/TID] [CPU] TIME: [PERIOD] EVENT: */
		if ((rc = ps_flush(b, &cur, thread, samples)))
			break;
		t = header_time_token(s, n);
		if (t < 0) {
			snprintf(err, errlen, "line %zu: not a perf script sample header "
				 "(want 'COMM PID/TID TIME: PERIOD EVENT:')", l.no);
			rc = -EINVAL;
			break;
		}
		tb = (size_t)t;
		te = tb;
		while (te < n && !is_space(s[te]))
			te++;
		/* time in microseconds */
		{
			uint64_t sec = 0, us = 0;
			size_t d = 0;

			for (k = tb; k < te && s[k] != '.'; k++)
				sec = sec * 10 + (uint64_t)(s[k] - '0');
			for (k++; k < te - 1 && d < 6; k++, d++)
				us = us * 10 + (uint64_t)(s[k] - '0');
			for (; d < 6; d++)
				us *= 10;
			if (sec < 10000000000ull) {
				cur.time_us = sec * 1000000 + us;
				if (cur.time_us < first_us)
					first_us = cur.time_us;
				if (cur.time_us > last_us)
					last_us = cur.time_us;
			}
		}
		/* backwards before the time: [CPU], PID[/TID], COMM */
		ce = tb;
		while (ce > 0 && is_space(s[ce - 1]))
			ce--;
		cb = ce;
		while (cb > 0 && !is_space(s[cb - 1]))
			cb--;
		if (ce > cb && s[cb] == '[' && s[ce - 1] == ']') {
			ce = cb;
			while (ce > 0 && is_space(s[ce - 1]))
				ce--;
			cb = ce;
			while (cb > 0 && !is_space(s[cb - 1]))
				cb--;
		}
		{
			const char *slash = memchr(s + cb, '/', ce - cb);
			int64_t pid = 0, tid = 0;

			if (slash ? parse_count(s + cb, (size_t)(slash - s - cb), &pid) ||
				    parse_count(slash + 1, (size_t)(s + ce - slash - 1), &tid) :
				    parse_count(s + cb, ce - cb, &tid)) {
				snprintf(err, errlen, "line %zu: no thread id before the time", l.no);
				rc = -EINVAL;
				break;
			}
			cur.pid = (uint32_t)(slash ? pid : tid);
			cur.tid = (uint32_t)tid;
		}
		k = cb;
		while (k > 0 && is_space(s[k - 1]))
			k--;
		strbuf_reset(&comm);
		strbuf_add(&comm, s, k);
		/* after the time: [PERIOD] EVENT: */
		i = te;
		while (i < n && is_space(s[i]))
			i++;
		pb = i;
		while (i < n && !is_space(s[i]))
			i++;
		cur.period = 1;
		if (all_digits(s + pb, i - pb)) {
			if (parse_count(s + pb, i - pb, &cur.period))
				cur.period = INT64_MAX / 4;
			while (i < n && is_space(s[i]))
				i++;
			pb = i;
			while (i < n && !is_space(s[i]))
				i++;
		}
		{
			size_t el = i - pb, c = 0;

			while (c < el && s[pb + c] != ':')
				c++;	/* "cpu-clock:pppH:" -> "cpu-clock" */
			if (!typed) {
				const char *ev = s + pb;
				int ns = (c == 9 && !memcmp(ev, "cpu-clock", 9)) ||
					 (c == 10 && !memcmp(ev, "task-clock", 10));

				strbuf_add(&event, ev, c);
				if (profile_add_type(b->p, "samples", "count") != 0 ||
				    profile_add_type(b->p, ns ? "cpu" : event.len ? event.buf : "events",
						     ns ? "nanoseconds" : "count") != 1) {
					rc = -ENOMEM;
					break;
				}
				profile_set_meta(b->p, "event", event.len ? event.buf : "?");
				profile_set_meta(b->p, "command", comm.buf);
				typed = 1;
			} else if (c != event.len || memcmp(s + pb, event.buf, c)) {
				snprintf(err, errlen, "line %zu: a second event '%.*s' (the first was '%s'): "
					 "pick one with perf script --event", l.no, (int)(c > 64 ? 64 : c),
					 s + pb, event.buf);
				rc = -EINVAL;
				break;
			}
		}
		thread = profile_intern_thread(b->p, cur.pid, cur.tid, comm.buf);
		if (thread == UINT32_MAX) {
			rc = -ENOMEM;
			break;
		}
		profile_set_thread_name(b->p, thread, comm.buf);
		b->n = 0;
		cur.active = 1;
	}
	if (!rc)
		rc = ps_flush(b, &cur, thread, samples);
	if (!rc && !typed) {
		snprintf(err, errlen, "no samples: not perf script output, or an empty one");
		rc = -EINVAL;
	}
	if (!rc && last_us >= first_us && first_us != UINT64_MAX)
		set_meta_u64(b->p, "duration_ns", (last_us - first_us) * 1000);
	strbuf_release(&event);
	strbuf_release(&comm);
	return rc;
}

/* ---- pprof ---- */

struct pb {
	const uint8_t *p, *end, *base;
};

static int pb_varint(struct pb *b, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (b->p < b->end && shift < 64) {
		uint8_t c = *b->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* The next field: number, wire type; for LEN fields *sub is the payload. */
static int pb_field(struct pb *b, uint32_t *field, int *wt, uint64_t *v, struct pb *sub)
{
	uint64_t key;

	if (pb_varint(b, &key))
		return -1;
	*field = (uint32_t)(key >> 3);
	*wt = (int)(key & 7);
	switch (*wt) {
	case 0:
		return pb_varint(b, v);
	case 1:
		if (b->end - b->p < 8)
			return -1;
		b->p += 8;
		return 0;
	case 5:
		if (b->end - b->p < 4)
			return -1;
		b->p += 4;
		return 0;
	case 2:
		if (pb_varint(b, v) || *v > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + *v;
		sub->base = b->base;
		b->p += *v;
		return 0;
	default:
		return -1;
	}
}

/* Appends the varints of a packed or single field to an array. */
struct u64s {
	uint64_t *v;
	size_t n, alloc;
};

static int u64s_push(struct u64s *a, uint64_t v)
{
	if (a->n == a->alloc) {
		size_t na = a->alloc ? a->alloc * 2 : 16;
		uint64_t *nv = realloc(a->v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		a->v = nv;
		a->alloc = na;
	}
	a->v[a->n++] = v;
	return 0;
}

static int pb_repeated(int wt, uint64_t v, struct pb *sub, struct u64s *a)
{
	if (wt == 0)
		return u64s_push(a, v);
	if (wt != 2)
		return -1;
	while (sub->p < sub->end) {
		uint64_t x;

		if (pb_varint(sub, &x) || u64s_push(a, x))
			return -1;
	}
	return 0;
}

struct pp_loc {
	uint64_t id, mapping, addr;
	size_t first_line, n_lines;	/* into lines (function id, line) pairs */
};

struct pp_func {
	uint64_t id, name, file;
};

struct pp_map {
	uint64_t id, file;
};

struct pprof {
	struct pb strings;	/* the whole message, strings read by index */
	const char **str;
	uint32_t *str_len;
	size_t n_str, alloc_str;
	struct pp_loc *loc;
	size_t n_loc, alloc_loc;
	struct pp_func *fn;
	size_t n_fn, alloc_fn;
	struct pp_map *map;
	size_t n_map, alloc_map;
	struct u64s lines;	/* function id, line, ... */
	struct u64s types;	/* type string, unit string, ... */
	uint64_t default_type;
};

#define GROW(arr, n, alloc)                                                      \
	((n) < (alloc) ? 0 : grow_array((void **)&(arr), &(alloc), sizeof(*(arr))))

static int grow_array(void **arr, size_t *alloc, size_t size)
{
	size_t na = *alloc ? *alloc * 2 : 64;
	void *nv = realloc(*arr, na * size);

	if (!nv)
		return -ENOMEM;
	*arr = nv;
	*alloc = na;
	return 0;
}

static int cmp_loc(const void *a, const void *b)
{
	const struct pp_loc *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_fn(const void *a, const void *b)
{
	const struct pp_func *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_map(const void *a, const void *b)
{
	const struct pp_map *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const char *pp_str(const struct pprof *pp, uint64_t i, size_t *len)
{
	if (i >= pp->n_str) {
		*len = 0;
		return "";
	}
	*len = pp->str_len[i];
	return pp->str[i];
}

static int gunzip(const char *buf, size_t len, struct strbuf *out)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return -ENOMEM;
	z.next_in = (unsigned char *)buf;
	z.avail_in = (uInt)(len > 0xffffffffu ? 0xffffffffu : len);
	do {
		if (out->len > MAX_PPROF || strbuf_grow(out, 1 << 16)) {
			inflateEnd(&z);
			return -EFBIG;
		}
		z.next_out = (unsigned char *)out->buf + out->len;
		z.avail_out = (uInt)(out->alloc - out->len - 1);
		rc = inflate(&z, Z_NO_FLUSH);
		strbuf_setlen(out, out->alloc - 1 - z.avail_out);
	} while (rc == Z_OK);
	inflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EINVAL;
}

#define PP_ERR(...) do { snprintf(err, errlen, __VA_ARGS__); rc = -EINVAL; goto out; } while (0)

static int import_pprof(struct builder *b, const char *buf, size_t len, uint64_t *samples,
			char *err, size_t errlen)
{
	struct strbuf raw = STRBUF_INIT;
	struct pprof pp;
	struct pb top, sub, s2, s3;
	uint32_t field;
	int wt, rc = 0;
	uint64_t v;
	size_t nt, value_idx = 0, count_idx = SIZE_MAX, i;
	size_t order[PROFILE_MAX_TYPES];
	struct u64s slocs = { 0 }, svals = { 0 };

	memset(&pp, 0, sizeof(pp));
	if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
		rc = gunzip(buf, len, &raw);
		if (rc) {
			snprintf(err, errlen, rc == -EFBIG ? "pprof: more than 1 GiB uncompressed" :
				 "pprof: the gzip stream is corrupt or cut short");
			rc = -EINVAL;
			goto out;
		}
		buf = raw.buf;
		len = raw.len;
	}
	top.p = top.base = (const uint8_t *)buf;
	top.end = top.p + len;
	/* pass 1: strings, types, functions, locations, mappings */
	while (top.p < top.end) {
		size_t at = (size_t)(top.p - top.base);

		if (pb_field(&top, &field, &wt, &v, &sub))
			PP_ERR("byte %zu: not a profile.proto (bad field)", at);
		if (field == 6 && wt == 2) {
			if (pp.n_str == pp.alloc_str) {
				size_t na = pp.alloc_str ? pp.alloc_str * 2 : 256;
				const char **ns = realloc(pp.str, na * sizeof(*ns));
				uint32_t *nl;

				if (ns)
					pp.str = ns;
				nl = ns ? realloc(pp.str_len, na * sizeof(*nl)) : NULL;
				if (!nl) {
					rc = -ENOMEM;
					goto out;
				}
				pp.str_len = nl;
				pp.alloc_str = na;
			}
			pp.str[pp.n_str] = (const char *)sub.p;
			pp.str_len[pp.n_str++] = (uint32_t)(sub.end - sub.p);
		} else if (field == 1 && wt == 2) {
			uint64_t t = 0, u = 0;

			while (sub.p < sub.end) {
				if (pb_field(&sub, &field, &wt, &v, &s2))
					PP_ERR("byte %zu: bad sample_type", at);
				if (field == 1 && wt == 0)
					t = v;
				else if (field == 2 && wt == 0)
					u = v;
			}
			if (u64s_push(&pp.types, t) || u64s_push(&pp.types, u)) {
				rc = -ENOMEM;
				goto out;
			}
		} else if (field == 3 && wt == 2) {
			struct pp_map m = { 0, 0 };

			while (sub.p < sub.end) {
				if (pb_field(&sub, &field, &wt, &v, &s2))
					PP_ERR("byte %zu: bad mapping", at);
				if (field == 1 && wt == 0)
					m.id = v;
				else if (field == 5 && wt == 0)
					m.file = v;
			}
			if (GROW(pp.map, pp.n_map, pp.alloc_map)) {
				rc = -ENOMEM;
				goto out;
			}
			pp.map[pp.n_map++] = m;
		} else if (field == 4 && wt == 2) {
			struct pp_loc l;

			memset(&l, 0, sizeof(l));
			l.first_line = pp.lines.n / 2;
			while (sub.p < sub.end) {
				if (pb_field(&sub, &field, &wt, &v, &s2))
					PP_ERR("byte %zu: bad location", at);
				if (field == 1 && wt == 0)
					l.id = v;
				else if (field == 2 && wt == 0)
					l.mapping = v;
				else if (field == 3 && wt == 0)
					l.addr = v;
				else if (field == 4 && wt == 2) {
					uint64_t fid = 0, line = 0;

					while (s2.p < s2.end) {
						if (pb_field(&s2, &field, &wt, &v, &s3))
							PP_ERR("byte %zu: bad line", at);
						if (field == 1 && wt == 0)
							fid = v;
						else if (field == 2 && wt == 0)
							line = v;
					}
					if (u64s_push(&pp.lines, fid) || u64s_push(&pp.lines, line)) {
						rc = -ENOMEM;
						goto out;
					}
					l.n_lines++;
				}
			}
			if (GROW(pp.loc, pp.n_loc, pp.alloc_loc)) {
				rc = -ENOMEM;
				goto out;
			}
			pp.loc[pp.n_loc++] = l;
		} else if (field == 5 && wt == 2) {
			struct pp_func f = { 0, 0, 0 };

			while (sub.p < sub.end) {
				if (pb_field(&sub, &field, &wt, &v, &s2))
					PP_ERR("byte %zu: bad function", at);
				if (field == 1 && wt == 0)
					f.id = v;
				else if (field == 2 && wt == 0)
					f.name = v;
				else if (field == 4 && wt == 0)
					f.file = v;
			}
			if (GROW(pp.fn, pp.n_fn, pp.alloc_fn)) {
				rc = -ENOMEM;
				goto out;
			}
			pp.fn[pp.n_fn++] = f;
		} else if (field == 14 && wt == 0) {
			pp.default_type = v;
		}
	}
	nt = pp.types.n / 2;
	if (!nt)
		PP_ERR("pprof: no sample types (not a profile.proto?)");
	if (pp.n_loc)
		qsort(pp.loc, pp.n_loc, sizeof(*pp.loc), cmp_loc);
	if (pp.n_fn)
		qsort(pp.fn, pp.n_fn, sizeof(*pp.fn), cmp_fn);
	if (pp.n_map)
		qsort(pp.map, pp.n_map, sizeof(*pp.map), cmp_map);
	/* types: a count type first, the shown one second, the rest after */
	value_idx = nt - 1;
	for (i = 0; i < nt; i++) {
		size_t l1;
		const char *u = pp_str(&pp, pp.types.v[2 * i + 1], &l1);

		if (pp.default_type && pp.types.v[2 * i] == pp.default_type)
			value_idx = i;
		if (count_idx == SIZE_MAX && l1 == 5 && !memcmp(u, "count", 5))
			count_idx = i;
	}
	{
		/* "leaked_bytes" counts with "leaked_count" */
		size_t vl, l1;
		const char *vn = pp_str(&pp, pp.types.v[2 * value_idx], &vl);

		for (i = 0; vl > 6 && !memcmp(vn + vl - 6, "_bytes", 6) && i < nt; i++) {
			const char *n = pp_str(&pp, pp.types.v[2 * i], &l1);

			if (l1 == vl && !memcmp(n, vn, vl - 6) && !memcmp(n + vl - 6, "_count", 6))
				count_idx = i;
		}
	}
	if (count_idx == value_idx)
		count_idx = SIZE_MAX;
	{
		size_t no = 0;
		struct strbuf tn = STRBUF_INIT, tu = STRBUF_INIT;

		if (count_idx != SIZE_MAX)
			order[no++] = count_idx;
		else
			order[no++] = SIZE_MAX;	/* synthesized: 1 per sample record */
		order[no++] = value_idx;
		for (i = 0; i < nt && no < PROFILE_MAX_TYPES; i++)
			if (i != value_idx && i != count_idx)
				order[no++] = i;
		for (i = 0; i < no; i++) {
			size_t l1, l2;
			const char *name = "samples", *unit = "count";

			strbuf_reset(&tn);
			strbuf_reset(&tu);
			if (order[i] != SIZE_MAX) {
				name = pp_str(&pp, pp.types.v[2 * order[i]], &l1);
				unit = pp_str(&pp, pp.types.v[2 * order[i] + 1], &l2);
				strbuf_add(&tn, name, l1);
				strbuf_add(&tu, unit, l2);
			} else {
				strbuf_addstr(&tn, name);
				strbuf_addstr(&tu, unit);
			}
			if (profile_add_type(b->p, tn.len ? tn.buf : "value", tu.len ? tu.buf : "count") < 0) {
				strbuf_release(&tn);
				strbuf_release(&tu);
				rc = -ENOMEM;
				goto out;
			}
		}
		nt = no;
		strbuf_release(&tn);
		strbuf_release(&tu);
	}
	/* pass 2: samples */
	top.p = top.base;
	while (top.p < top.end) {
		size_t at = (size_t)(top.p - top.base);
		int64_t vals[PROFILE_MAX_TYPES];
		uint64_t tid = 0;
		const char *tname = NULL;
		size_t tlen = 0;
		uint32_t thread, stack;

		if (pb_field(&top, &field, &wt, &v, &sub))
			PP_ERR("byte %zu: not a profile.proto (bad field)", at);
		if (field != 2 || wt != 2)
			continue;
		slocs.n = svals.n = 0;
		while (sub.p < sub.end) {
			if (pb_field(&sub, &field, &wt, &v, &s2))
				PP_ERR("byte %zu: bad sample", at);
			if (field == 1) {
				if (pb_repeated(wt, v, &s2, &slocs))
					PP_ERR("byte %zu: bad sample locations", at);
			} else if (field == 2) {
				if (pb_repeated(wt, v, &s2, &svals))
					PP_ERR("byte %zu: bad sample values", at);
			} else if (field == 3 && wt == 2) {
				uint64_t key = 0, str = 0, num = 0;

				while (s2.p < s2.end) {
					if (pb_field(&s2, &field, &wt, &v, &s3))
						PP_ERR("byte %zu: bad label", at);
					if (field == 1 && wt == 0)
						key = v;
					else if (field == 2 && wt == 0)
						str = v;
					else if (field == 3 && wt == 0)
						num = v;
				}
				{
					size_t kl;
					const char *k = pp_str(&pp, key, &kl);

					if (kl == 3 && !memcmp(k, "tid", 3))
						tid = num;
					else if (kl == 6 && !memcmp(k, "thread", 6))
						tname = pp_str(&pp, str, &tlen);
				}
			}
		}
		if (svals.n != pp.types.n / 2)
			PP_ERR("byte %zu: a sample has %zu values for %zu sample types", at, svals.n,
			       pp.types.n / 2);
		for (i = 0; i < nt; i++)
			vals[i] = order[i] == SIZE_MAX ? 1 : (int64_t)svals.v[order[i]];
		b->n = 0;
		for (i = 0; i < slocs.n; i++) {
			struct pp_loc key, *l;

			key.id = slocs.v[i];
			l = pp.n_loc ? bsearch(&key, pp.loc, pp.n_loc, sizeof(*pp.loc), cmp_loc) : NULL;
			if (!l)
				PP_ERR("byte %zu: a sample names location %llu, which is not there", at,
				       (unsigned long long)slocs.v[i]);
			{
				struct pp_map mk, *m;
				size_t ml = 0;
				const char *mod = "";

				mk.id = l->mapping;
				m = l->mapping && pp.n_map ? bsearch(&mk, pp.map, pp.n_map, sizeof(*pp.map), cmp_map) : NULL;
				if (m) {
					mod = pp_str(&pp, m->file, &ml);
					mod = basename_n(mod, &ml);
				}
				if (!l->n_lines) {
					struct strbuf nm = STRBUF_INIT;
					uint32_t loc;

					strbuf_add(&nm, mod, ml);
					strbuf_addf(&nm, "+0x%llx", (unsigned long long)l->addr);
					loc = make_loc(b->p, nm.buf, nm.len, mod, ml, l->addr, LOC_UNKNOWN);
					strbuf_release(&nm);
					if ((rc = push_loc(b, loc)))
						goto out;
				}
				for (size_t k = 0; k < l->n_lines; k++) {
					struct pp_func fk, *f;
					struct profile_location pl;
					size_t nl = 0, fl = 0;
					const char *nm = "?", *fn = "";

					fk.id = pp.lines.v[2 * (l->first_line + k)];
					f = pp.n_fn ? bsearch(&fk, pp.fn, pp.n_fn, sizeof(*pp.fn), cmp_fn) : NULL;
					if (f) {
						nm = pp_str(&pp, f->name, &nl);
						fn = pp_str(&pp, f->file, &fl);
					}
					memset(&pl, 0, sizeof(pl));
					pl.function = profile_intern_stringn(b->p, nm, nl);
					pl.file = profile_intern_stringn(b->p, fn, fl);
					pl.module = profile_intern_stringn(b->p, mod, ml);
					pl.line = (uint32_t)pp.lines.v[2 * (l->first_line + k) + 1];
					pl.address = l->addr;
					pl.inlined = k + 1 < l->n_lines;
					pl.kind = LOC_NATIVE;
					if (pl.function == UINT32_MAX || pl.file == UINT32_MAX ||
					    pl.module == UINT32_MAX) {
						rc = -ENOMEM;
						goto out;
					}
					if ((rc = push_loc(b, profile_intern_location(b->p, &pl))))
						goto out;
				}
			}
		}
		if (!b->n && (rc = push_loc(b, make_loc(b->p, "[unknown]", 9, "", 0, 0, LOC_UNKNOWN))))
			goto out;
		{
			struct strbuf tn = STRBUF_INIT;

			strbuf_add(&tn, tname ? tname : "all", tname ? tlen : 3);
			thread = profile_intern_thread(b->p, 0, (uint32_t)tid, tn.buf);
			strbuf_release(&tn);
		}
		stack = profile_intern_stack(b->p, b->locs, (uint32_t)b->n);
		if (thread == UINT32_MAX || stack == UINT32_MAX ||
		    profile_add_sample(b->p, stack, thread, vals)) {
			rc = -ENOMEM;
			goto out;
		}
		*samples += count_idx != SIZE_MAX ? (uint64_t)(vals[0] > 0 ? vals[0] : 0) : 1;
	}
out:
	free(slocs.v);
	free(svals.v);
	free(pp.str);
	free(pp.str_len);
	free(pp.loc);
	free(pp.fn);
	free(pp.map);
	free(pp.lines.v);
	free(pp.types.v);
	strbuf_release(&raw);
	return rc;
}

int import_profile(enum import_format f, const char *buf, size_t len, struct profile **out,
		   uint64_t *samples, char *err, size_t errlen)
{
	struct builder b;
	int rc;

	memset(&b, 0, sizeof(b));
	*out = NULL;
	*samples = 0;
	b.p = profile_new();
	if (!b.p)
		return -ENOMEM;
	switch (f) {
	case IMPORT_FOLDED:
		rc = import_folded(&b, buf, len, samples, err, errlen);
		break;
	case IMPORT_PERF_SCRIPT:
		rc = import_perf_script(&b, buf, len, samples, err, errlen);
		break;
	case IMPORT_PPROF:
		rc = import_pprof(&b, buf, len, samples, err, errlen);
		break;
	default:
		snprintf(err, errlen, "not a format pinch imports");
		rc = -EINVAL;
	}
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(b.locs);
	if (rc) {
		profile_free(b.p);
		return rc;
	}
	profile_set_meta(b.p, "import", import_format_name(f));
	set_meta_u64(b.p, "samples", *samples);
	*out = b.p;
	return 0;
}
