/*
 * pyobjects.c - reads dicts, strs, ints, containers of a CPython 3.11
 * target from outside (see pyobjects.h): thread names from
 * threading._active and bounded reprs of frame locals.
 *
 * 3.11 dicts: PyDictObject{ma_keys, ma_values}; the keys object holds
 * dk_indices (1 << dk_log2_index_bytes bytes) and then dk_nentries
 * entries, {key, value} when every key is a str (dk_kind != 0) else
 * {hash, key, value}. A split dict (ma_values set) keeps its values in
 * ma_values[i], in key order. Instances of Python classes have a
 * "managed" dict (Py_TPFLAGS_MANAGED_DICT): the dict pointer sits 3
 * words before the object, and until someone asks for __dict__ only the
 * values array, 4 words before it, with the keys shared in the type's
 * ht_cached_keys.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/python/pyobjects.h"
#include "collect/python/pyoffsets.h"
#include "core/banned.h"

#define DICT_MAX_ENTRIES (1u << 16)	/* entries scanned per dict */
#define DICT_CHUNK 128			/* entries read per read */
#define SHOW_ITEMS 4			/* first items of a container shown */
#define STR_SHOW 48			/* characters of a str or bytes shown */
#define CO_VARARGS 0x4
#define CO_VARKEYWORDS 0x8
#define CO_FAST_LOCAL 0x20
#define CO_FAST_CELL 0x40
#define CO_FAST_FREE 0x80

static int rd(struct py_reader *r, uint64_t addr, void *dst, size_t len)
{
	return py_reader_read(r, addr, dst, len);
}

static int rd_ptr(struct py_reader *r, uint64_t addr, uint64_t *out)
{
	return rd(r, addr, out, 8);
}

static uint64_t type_of(struct py_reader *r, uint64_t obj)
{
	uint64_t t = 0;

	if (!obj || (obj & 7) || rd_ptr(r, obj + py_reader_offsets(r)->object_type, &t) < 0)
		return 0;
	return t;
}

/* The dict's entries and values: calls fn(ctx, key, value) for each set
 * entry until fn returns non-zero (returned) or the entries end (0). */
typedef int (*dict_fn)(void *ctx, uint64_t key, uint64_t value);

static int keys_each(struct py_reader *r, uint64_t keys, uint64_t values, dict_fn fn, void *ctx)
{
	const struct py_offsets *o = py_reader_offsets(r);
	uint8_t hdr[40], buf[DICT_CHUNK * 24];
	uint64_t nentries, vals[DICT_CHUNK];
	unsigned log2_index_bytes, kind;
	size_t esize, base;

	if (!keys || (keys & 7) || rd(r, keys, hdr, o->dictkeys_indices) < 0)
		return -EFAULT;
	log2_index_bytes = hdr[o->dictkeys_log2_index_bytes];
	kind = hdr[o->dictkeys_kind];
	memcpy(&nentries, hdr + o->dictkeys_nentries, 8);
	if (log2_index_bytes > 40 || kind > 2 || (int64_t)nentries < 0)
		return -EBADMSG;
	if (nentries > DICT_MAX_ENTRIES)
		nentries = DICT_MAX_ENTRIES;
	esize = kind ? o->dict_uentry_size : o->dict_entry_size;
	base = keys + o->dictkeys_indices + ((uint64_t)1 << log2_index_bytes);
	for (uint64_t i = 0; i < nentries; i += DICT_CHUNK) {
		size_t take = nentries - i < DICT_CHUNK ? (size_t)(nentries - i) : DICT_CHUNK;

		if (rd(r, base + i * esize, buf, take * esize) < 0)
			return -EFAULT;
		if (values && rd(r, values + i * 8, vals, take * 8) < 0)
			return -EFAULT;
		for (size_t j = 0; j < take; j++) {
			uint64_t k, v;
			int ret;

			memcpy(&k, buf + j * esize + (kind ? 0 : 8), 8);
			if (values)
				v = vals[j];
			else
				memcpy(&v, buf + j * esize + (kind ? 8 : 16), 8);
			if (!k || !v)
				continue;	/* deleted or unset */
			if ((ret = fn(ctx, k, v)))
				return ret;
		}
	}
	return 0;
}

static int dict_each(struct py_reader *r, uint64_t dict, dict_fn fn, void *ctx)
{
	const struct py_offsets *o = py_reader_offsets(r);
	const struct py_target *t = py_reader_target(r);
	uint64_t keys, values;

	if (t->dict_type && type_of(r, dict) != t->dict_type)
		return -EBADMSG;
	if (rd_ptr(r, dict + o->dict_keys, &keys) < 0 || rd_ptr(r, dict + o->dict_values, &values) < 0)
		return -EFAULT;
	return keys_each(r, keys, values, fn, ctx);
}

/* The attributes of an instance: its __dict__, managed or at tp_dictoffset. */
static int attrs_each(struct py_reader *r, uint64_t obj, dict_fn fn, void *ctx)
{
	const struct py_offsets *o = py_reader_offsets(r);
	uint64_t type = type_of(r, obj), flags, dict = 0, values = 0, keys;
	int64_t dictoffset;

	if (!type || rd_ptr(r, type + o->type_flags, &flags) < 0 ||
	    rd(r, type + o->type_dictoffset, &dictoffset, 8) < 0)
		return -EFAULT;
	if (flags & o->type_managed_dict) {
		if (rd_ptr(r, obj - 24, &dict) < 0)
			return -EFAULT;
		if (!dict) {
			if (rd_ptr(r, obj - 32, &values) < 0 || !values ||
			    rd_ptr(r, type + o->heaptype_cached_keys, &keys) < 0)
				return -EFAULT;
			return keys_each(r, keys, values, fn, ctx);
		}
	} else if (dictoffset > 0 && dictoffset < 4096) {
		if (rd_ptr(r, obj + (uint64_t)dictoffset, &dict) < 0)
			return -EFAULT;
	}
	if (!dict)
		return -ENOENT;
	return dict_each(r, dict, fn, ctx);
}

struct find {
	struct py_reader *r;
	const char *key;
	uint64_t value;
};

static int find_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct find *f = ctx;
	char s[PY_THREAD_NAME_MAX];

	if (py_reader_str(f->r, key, s, sizeof(s), sizeof(s) - 1, NULL) < 0 || strcmp(s, f->key))
		return 0;
	f->value = value;
	return 1;
}

/* The value under the str key in dict (0 when absent). */
static uint64_t dict_get(struct py_reader *r, uint64_t dict, const char *key)
{
	struct find f = { r, key, 0 };

	return dict_each(r, dict, find_cb, &f) == 1 ? f.value : 0;
}

static uint64_t attr_get(struct py_reader *r, uint64_t obj, const char *key)
{
	struct find f = { r, key, 0 };

	return attrs_each(r, obj, find_cb, &f) == 1 ? f.value : 0;
}

/* An int object's value when it fits 62 bits: 0, or -ERANGE / -EFAULT. */
static int read_long(struct py_reader *r, uint64_t obj, int64_t *v, int64_t *ndigits)
{
	const struct py_offsets *o = py_reader_offsets(r);
	int64_t size;
	uint32_t d[2] = { 0, 0 };
	uint64_t n;

	if (rd(r, obj + o->varobject_size, &size, 8) < 0)
		return -EFAULT;
	*ndigits = size < 0 ? -size : size;
	if (*ndigits > 2)
		return -ERANGE;
	if (*ndigits && rd(r, obj + o->long_digits, d, (size_t)*ndigits * 4) < 0)
		return -EFAULT;
	n = (uint64_t)(d[0] & 0x3fffffff) | (uint64_t)(d[1] & 0x3fffffff) << 30;
	*v = size < 0 ? -(int64_t)n : (int64_t)n;
	return 0;
}

struct names {
	struct py_reader *r;
	struct py_thread_name *out;
	size_t max, n;
};

static int name_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct names *nm = ctx;
	const struct py_target *t = py_reader_target(nm->r);
	struct py_thread_name *e;
	int64_t ident, nd;
	uint64_t name;

	if (nm->n >= nm->max)
		return 1;
	if ((t->long_type && type_of(nm->r, key) != t->long_type) ||
	    read_long(nm->r, key, &ident, &nd) < 0)
		return 0;
	name = attr_get(nm->r, value, "_name");
	if (!name)
		return 0;
	e = &nm->out[nm->n];
	if (py_reader_str(nm->r, name, e->name, sizeof(e->name), sizeof(e->name) - 1, NULL) < 0)
		return 0;
	e->ident = (uint64_t)ident;
	nm->n++;
	return 0;
}

int py_thread_names(struct py_reader *r, uint64_t interp, struct py_thread_name *out, size_t max,
		    size_t *n)
{
	const struct py_offsets *o = py_reader_offsets(r);
	struct names nm = { r, out, max, 0 };
	uint64_t modules, threading, mdict, active;
	int ret;

	*n = 0;
	if ((ret = rd_ptr(r, interp + o->interp_modules, &modules)) < 0)
		return ret;
	if (!modules)
		return 0;
	threading = dict_get(r, modules, "threading");
	if (!threading)
		return 0;	/* never imported: no names to find */
	if ((ret = rd_ptr(r, threading + o->module_dict, &mdict)) < 0)
		return ret;
	active = dict_get(r, mdict, "_active");
	if (!active)
		return -ENOENT;
	ret = dict_each(r, active, name_cb, &nm);
	*n = nm.n;
	return ret < 0 ? ret : 0;
}

/* ---- reprs ------------------------------------------------------------------ */

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *w, const char *s)
{
	size_t n = strlen(s);

	if (w->len + 1 >= w->cap)
		return;
	if (n > w->cap - 1 - w->len)
		n = w->cap - 1 - w->len;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putf(struct out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *w, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(w, tmp);
}

static void type_name(struct py_reader *r, uint64_t type, char *out, size_t cap)
{
	uint64_t name;
	size_t i;

	snprintf(out, cap, "?");
	if (!type || rd_ptr(r, type + py_reader_offsets(r)->type_name, &name) < 0 || !name ||
	    rd(r, name, out, cap - 1) < 0) {
		/* a name that ends near the end of its mapping */
		for (size_t want = cap / 2; name && want >= 8; want /= 2)
			if (rd(r, name, out, want) == 0) {
				out[want] = '\0';
				break;
			}
	}
	out[cap - 1] = '\0';
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			break;
	out[i] = '\0';
	if (!i)
		snprintf(out, cap, "?");
}

static void repr_str(struct py_reader *r, uint64_t obj, struct out *w)
{
	char s[STR_SHOW * 4 + 1], esc[STR_SHOW * 8 + 1];
	uint64_t len = 0;
	size_t e = 0;

	if (py_reader_str(r, obj, s, sizeof(s), STR_SHOW, &len) < 0) {
		putf(w, "<str at 0x%" PRIx64 ">", obj);
		return;
	}
	for (size_t i = 0; s[i] && e + 3 < sizeof(esc); i++) {
		if (s[i] == '\'' || s[i] == '\\')
			esc[e++] = '\\';
		esc[e++] = s[i];
	}
	esc[e] = '\0';
	putf(w, "'%s'", esc);
	if (len > STR_SHOW)
		putf(w, "... (len %" PRIu64 ")", len);
}

static void repr_bytes(struct py_reader *r, uint64_t obj, struct out *w)
{
	const struct py_offsets *o = py_reader_offsets(r);
	uint8_t b[STR_SHOW];
	int64_t len;
	size_t show;

	if (rd(r, obj + o->varobject_size, &len, 8) < 0 || len < 0) {
		putf(w, "<bytes at 0x%" PRIx64 ">", obj);
		return;
	}
	show = len < STR_SHOW ? (size_t)len : STR_SHOW;
	if (show && rd(r, obj + o->bytes_data, b, show) < 0) {
		putf(w, "<bytes at 0x%" PRIx64 ">", obj);
		return;
	}
	put(w, "b'");
	for (size_t i = 0; i < show; i++) {
		if (b[i] == '\'' || b[i] == '\\')
			putf(w, "\\%c", b[i]);
		else if (b[i] >= 0x20 && b[i] < 0x7f)
			putf(w, "%c", b[i]);
		else
			putf(w, "\\x%02x", b[i]);
	}
	put(w, "'");
	if ((uint64_t)len > STR_SHOW)
		putf(w, "... (len %" PRId64 ")", len);
}

static void repr_float(double d, struct out *w)
{
	char s[40];

	if (isnan(d) || isinf(d)) {
		put(w, isnan(d) ? "nan" : d < 0 ? "-inf" : "inf");
		return;
	}
	/* The shortest text that reads back as d, as Python's repr. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	put(w, s);
	if (!strpbrk(s, ".en"))
		put(w, ".0");
}

static void repr_obj(struct py_reader *r, uint64_t obj, struct out *w, int depth);

static void repr_seq(struct py_reader *r, uint64_t obj, struct out *w, int depth, int tuple)
{
	const struct py_offsets *o = py_reader_offsets(r);
	uint64_t items[SHOW_ITEMS], base = obj + (tuple ? o->tuple_items : 0);
	int64_t len;
	size_t show;

	if (rd(r, obj + o->varobject_size, &len, 8) < 0 || len < 0 ||
	    (!tuple && rd_ptr(r, obj + o->list_items, &base) < 0)) {
		putf(w, "<%s at 0x%" PRIx64 ">", tuple ? "tuple" : "list", obj);
		return;
	}
	if (depth > 0) {
		putf(w, "<%s of %" PRId64 ">", tuple ? "tuple" : "list", len);
		return;
	}
	show = len < SHOW_ITEMS ? (size_t)len : SHOW_ITEMS;
	put(w, tuple ? "(" : "[");
	if (show && rd(r, base, items, show * 8) < 0) {
		put(w, "?");
		show = 0;
	}
	for (size_t i = 0; i < show; i++) {
		if (i)
			put(w, ", ");
		repr_obj(r, items[i], w, depth + 1);
	}
	if ((size_t)len > show)
		put(w, ", ...");
	else if (tuple && len == 1)
		put(w, ",");
	put(w, tuple ? ")" : "]");
	if ((size_t)len > show)
		putf(w, " (len %" PRId64 ")", len);
}

struct dict_repr {
	struct py_reader *r;
	struct out *w;
	int depth;
	size_t shown;
};

static int dict_repr_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct dict_repr *d = ctx;

	if (d->shown == SHOW_ITEMS)
		return 1;
	if (d->shown++)
		put(d->w, ", ");
	repr_obj(d->r, key, d->w, d->depth + 1);
	put(d->w, ": ");
	repr_obj(d->r, value, d->w, d->depth + 1);
	return 0;
}

static void repr_dict(struct py_reader *r, uint64_t obj, struct out *w, int depth)
{
	struct dict_repr d = { r, w, depth, 0 };
	int64_t used;

	if (rd(r, obj + py_reader_offsets(r)->dict_used, &used, 8) < 0 || used < 0) {
		putf(w, "<dict at 0x%" PRIx64 ">", obj);
		return;
	}
	if (depth > 0) {
		putf(w, "<dict of %" PRId64 ">", used);
		return;
	}
	put(w, "{");
	if (dict_each(r, obj, dict_repr_cb, &d) < 0)
		put(w, "?");
	if ((size_t)used > d.shown)
		put(w, ", ...");
	put(w, "}");
	if ((size_t)used > d.shown)
		putf(w, " (len %" PRId64 ")", used);
}

static void repr_obj(struct py_reader *r, uint64_t obj, struct out *w, int depth)
{
	const struct py_target *t = py_reader_target(r);
	uint64_t type;
	char tn[64];

	if (!obj) {
		put(w, "<NULL>");
		return;
	}
	if (t->none_obj && obj == t->none_obj) {
		put(w, "None");
		return;
	}
	if (t->true_obj && obj == t->true_obj) {
		put(w, "True");
		return;
	}
	if (t->false_obj && obj == t->false_obj) {
		put(w, "False");
		return;
	}
	type = type_of(r, obj);
	if (!type) {
		putf(w, "<unreadable at 0x%" PRIx64 ">", obj);
		return;
	}
	if (type == t->unicode_type) {
		repr_str(r, obj, w);
	} else if (type == t->bytes_type) {
		repr_bytes(r, obj, w);
	} else if (type == t->long_type) {
		int64_t v, nd;

		if (read_long(r, obj, &v, &nd) == 0)
			putf(w, "%" PRId64, v);
		else
			putf(w, "<int of %" PRId64 " bits at 0x%" PRIx64 ">", nd * 30, obj);
	} else if (type == t->float_type) {
		double d;

		if (rd(r, obj + py_reader_offsets(r)->float_value, &d, 8) == 0)
			repr_float(d, w);
		else
			putf(w, "<float at 0x%" PRIx64 ">", obj);
	} else if (type == t->tuple_type || type == t->list_type) {
		repr_seq(r, obj, w, depth, type == t->tuple_type);
	} else if (type == t->dict_type) {
		repr_dict(r, obj, w, depth);
	} else {
		type_name(r, type, tn, sizeof(tn));
		putf(w, "<%s at 0x%" PRIx64 ">", tn, obj);
	}
}

void py_repr(struct py_reader *r, uint64_t obj, char *out, size_t cap)
{
	struct out w = { out, cap, 0 };

	if (!cap)
		return;
	out[0] = '\0';
	repr_obj(r, obj, &w, 0);
}

/* ---- frame locals ------------------------------------------------------------- */

int py_frame_locals(struct py_reader *r, const struct py_frame *f, struct py_local *out,
		    size_t max, size_t *n)
{
	const struct py_offsets *o = py_reader_offsets(r);
	const struct py_target *t = py_reader_target(r);
	uint8_t code[128], kinds[PY_LOCALS_MAX];
	int32_t nlocalsplus, argcount, kwonly, flags;
	uint64_t names, kindsobj, vals[PY_LOCALS_MAX];
	size_t nshow, nargs;
	int ret;

	*n = 0;
	if (!f->addr || !f->code)
		return -EFAULT;
	if ((ret = rd(r, f->code, code, o->code_localspluskinds + 8)) < 0)
		return ret;
	memcpy(&nlocalsplus, code + o->code_nlocalsplus, 4);
	memcpy(&argcount, code + o->code_argcount, 4);
	memcpy(&kwonly, code + o->code_kwonlyargcount, 4);
	memcpy(&flags, code + o->code_flags, 4);
	memcpy(&names, code + o->code_localsplusnames, 8);
	memcpy(&kindsobj, code + o->code_localspluskinds, 8);
	if (nlocalsplus < 0 || nlocalsplus > 1 << 16 || argcount < 0 || kwonly < 0)
		return -EBADMSG;
	nargs = (size_t)argcount + (size_t)kwonly + !!(flags & CO_VARARGS) +
		!!(flags & CO_VARKEYWORDS);
	nshow = (size_t)nlocalsplus < PY_LOCALS_MAX ? (size_t)nlocalsplus : PY_LOCALS_MAX;
	if (!nshow)
		return 0;
	if ((ret = rd(r, kindsobj + o->bytes_data, kinds, nshow)) < 0 ||
	    (ret = rd(r, f->addr + o->frame_localsplus, vals, nshow * 8)) < 0)
		return ret;
	for (size_t i = 0; i < nshow && *n < max; i++) {
		struct py_local *l = &out[*n];
		uint64_t name, v = vals[i];

		if (!v)
			continue;	/* not set yet */
		/* A cell variable holds its value in a cell once the frame runs. */
		if ((kinds[i] & (CO_FAST_CELL | CO_FAST_FREE)) && t->cell_type &&
		    type_of(r, v) == t->cell_type) {
			if (rd_ptr(r, v + o->cell_ref, &v) < 0 || !v)
				continue;
		}
		if (rd_ptr(r, names + o->tuple_items + i * 8, &name) < 0 ||
		    py_reader_str(r, name, l->name, sizeof(l->name), sizeof(l->name) - 1, NULL) < 0)
			snprintf(l->name, sizeof(l->name), "?");
		py_repr(r, v, l->repr, sizeof(l->repr));
		l->is_arg = i < nargs;
		(*n)++;
	}
	return 0;
}

int py_gil_state(struct py_reader *r, int *locked, uint64_t *holder)
{
	const struct py_offsets *o = py_reader_offsets(r);
	const struct py_target *t = py_reader_target(r);
	int32_t l = 0;
	int ret;

	*locked = 0;
	*holder = 0;
	if ((ret = rd(r, t->runtime + o->runtime_gil_locked, &l, 4)) < 0)
		return ret;
	*locked = l != 0;
	return rd_ptr(r, t->runtime + o->runtime_gil_tstate, holder);
}
