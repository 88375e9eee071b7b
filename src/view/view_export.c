/*
 * view_export.c - exports for other viewers (view layer): pprof
 * (profile.proto, written by hand, gzip through zlib) and speedscope's
 * file format (sampled profiles over shared frames).
 */
#include "view/view.h"
#include "view/view_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "core/banned.h"

/* ---- protobuf wire format ---- */

static void pb_varint(struct strbuf *sb, uint64_t v)
{
	strbuf_add_varint(sb, v);
}

static void pb_uint(struct strbuf *sb, unsigned field, uint64_t v)
{
	if (!v)
		return;		/* proto3 default */
	pb_varint(sb, (uint64_t)field << 3);
	pb_varint(sb, v);
}

static void pb_bytes(struct strbuf *sb, unsigned field, const void *data, size_t len)
{
	pb_varint(sb, (uint64_t)field << 3 | 2);
	pb_varint(sb, len);
	strbuf_add(sb, data, len);
}

/* ---- pprof string table ---- */

struct strtab {
	struct strbuf pb;	/* the encoded string_table fields */
	struct hmap index;
	struct strbuf arena;	/* the strings, NUL-terminated, for eq */
	uint32_t *off;
	size_t n, alloc;
};

static int strtab_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct strtab *t = ctx;

	return !strcmp(t->arena.buf + t->off[id], key);
}

static int64_t strtab_id(struct strtab *t, const char *raw)
{
	struct strbuf s = STRBUF_INIT;
	uint64_t h;
	uint32_t id;

	view_add_name(&s, raw, 0);	/* pprof wants valid UTF-8 */
	h = hash_bytes(s.buf, s.len, 0x51ed270b);
	id = hmap_find(&t->index, h, s.buf, strtab_eq, t);
	if (id == UINT32_MAX) {
		if (t->n == t->alloc) {
			size_t na = t->alloc ? t->alloc * 2 : 256;
			uint32_t *o = realloc(t->off, na * sizeof(*o));

			if (!o) {
				strbuf_release(&s);
				return 0;
			}
			t->off = o;
			t->alloc = na;
		}
		id = (uint32_t)t->n++;
		t->off[id] = (uint32_t)t->arena.len;
		strbuf_add(&t->arena, s.buf, s.len + 1);
		hmap_insert(&t->index, h, id);
		pb_bytes(&t->pb, 6, s.buf, s.len);
	}
	strbuf_release(&s);
	return id;
}

static int gzip_append(struct strbuf *out, const struct strbuf *in)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (unsigned char *)in->buf;
	z.avail_in = (uInt)in->len;
	do {
		if (strbuf_grow(out, 65536)) {
			deflateEnd(&z);
			return -ENOMEM;
		}
		z.next_out = (unsigned char *)out->buf + out->len;
		z.avail_out = (uInt)(out->alloc - out->len - 1);
		rc = deflate(&z, Z_FINISH);
		strbuf_setlen(out, out->alloc - 1 - z.avail_out);
	} while (rc == Z_OK || rc == Z_BUF_ERROR);
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;
}

static int mod_eq(const void *ctx, uint32_t id, const void *key)
{
	return ((const uint32_t *)ctx)[id] == *(const uint32_t *)key;
}

int view_pprof(const struct profile *p, const struct view_opts *o, struct strbuf *out,
	       char *err, size_t errlen)
{
	struct vctx c;
	struct strtab st;
	struct strbuf body = STRBUF_INIT, msg = STRBUF_INIT, sub = STRBUF_INIT;
	size_t nt = profile_n_types(p), i, t;
	uint32_t *mod_map = NULL, *mod_of = NULL;
	struct hmap mods;
	size_t n_mods = 0;
	int rc;

	rc = vctx_init(&c, p, o, err, errlen);
	if (rc)
		return rc;
	/* the functions' files (their most-sampled line's) */
	if (vctx_sum(&c, UINT32_MAX)) {
		snprintf(err, errlen, "out of memory");
		vctx_release(&c);
		return -ENOMEM;
	}
	hmap_init(&mods);
	memset(&st, 0, sizeof(st));
	strbuf_init(&st.pb, 0);
	strbuf_init(&st.arena, 0);
	hmap_init(&st.index);
	strtab_id(&st, "");
	/* sample types */
	for (t = 0; t < nt; t++) {
		strbuf_reset(&msg);
		pb_uint(&msg, 1, (uint64_t)strtab_id(&st, profile_type_name(p, t)));
		pb_uint(&msg, 2, (uint64_t)strtab_id(&st, profile_type_unit(p, t)));
		pb_bytes(&body, 1, msg.buf, msg.len);
	}
	/* samples, leaf first like ours; thread labels */
	for (i = 0; i < profile_n_samples(p); i++) {
		const struct profile_sample *sm = profile_sample(p, i);
		const struct profile_thread *th = profile_thread(p, sm->thread);
		const int64_t *v = profile_sample_values(p, i);
		const uint32_t *locs;
		uint32_t len, k;

		locs = profile_stack(p, sm->stack, &len);
		strbuf_reset(&msg);
		strbuf_reset(&sub);
		for (k = 0; k < len; k++)
			pb_varint(&sub, (uint64_t)locs[k] + 1);
		if (sub.len)
			pb_bytes(&msg, 1, sub.buf, sub.len);
		strbuf_reset(&sub);
		for (t = 0; t < nt; t++)
			pb_varint(&sub, (uint64_t)v[t]);
		pb_bytes(&msg, 2, sub.buf, sub.len);
		strbuf_reset(&sub);
		pb_uint(&sub, 1, (uint64_t)strtab_id(&st, "thread"));
		pb_uint(&sub, 2, (uint64_t)strtab_id(&st, profile_string(p, th->name)));
		pb_bytes(&msg, 3, sub.buf, sub.len);
		strbuf_reset(&sub);
		pb_uint(&sub, 1, (uint64_t)strtab_id(&st, "tid"));
		pb_uint(&sub, 3, th->tid);
		pb_bytes(&msg, 3, sub.buf, sub.len);
		pb_bytes(&body, 2, msg.buf, msg.len);
	}
	/* mappings: one per module name (ids from 1) */
	mod_map = calloc(c.n_funcs ? c.n_funcs : 1, sizeof(*mod_map));
	mod_of = calloc(c.n_funcs ? c.n_funcs : 1, sizeof(*mod_of));
	if (!mod_map || !mod_of) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c.n_funcs; i++) {
		uint32_t m = c.f[i].module, id;
		uint64_t h = hash_mix(m + 0x2545f4914f6cdd1dull);

		id = hmap_find(&mods, h, &m, mod_eq, mod_of);
		if (id != UINT32_MAX) {
			mod_map[i] = id + 1;
			continue;
		}
		id = (uint32_t)n_mods++;
		mod_of[id] = m;
		hmap_insert(&mods, h, id);
		mod_map[i] = id + 1;
		strbuf_reset(&msg);
		pb_uint(&msg, 1, id + 1);
		pb_uint(&msg, 5, (uint64_t)strtab_id(&st, profile_string(p, m)));
		pb_uint(&msg, 7, 1);	/* has_functions */
		pb_uint(&msg, 8, 1);	/* has_filenames */
		pb_uint(&msg, 9, 1);	/* has_line_numbers */
		pb_bytes(&body, 3, msg.buf, msg.len);
	}
	/* locations (id = ours + 1), one line each; inlined frames are their own */
	for (i = 0; i < c.n_locs; i++) {
		const struct profile_location *l = profile_location(p, (uint32_t)i);

		strbuf_reset(&msg);
		strbuf_reset(&sub);
		pb_uint(&msg, 1, i + 1);
		pb_uint(&msg, 2, mod_map[c.loc_func[i]]);
		pb_uint(&msg, 3, l->address);
		pb_uint(&sub, 1, (uint64_t)c.loc_func[i] + 1);
		pb_uint(&sub, 2, l->line);
		pb_bytes(&msg, 4, sub.buf, sub.len);
		pb_bytes(&body, 4, msg.buf, msg.len);
	}
	/* functions (id = ours + 1); system_name = name, so pprof keeps them apart */
	for (i = 0; i < c.n_funcs; i++) {
		int64_t name = strtab_id(&st, vctx_fname(&c, (uint32_t)i));

		strbuf_reset(&msg);
		pb_uint(&msg, 1, i + 1);
		pb_uint(&msg, 2, (uint64_t)name);
		pb_uint(&msg, 3, (uint64_t)name);
		pb_uint(&msg, 4, (uint64_t)strtab_id(&st, profile_string(p, c.f[i].file)));
		pb_bytes(&body, 5, msg.buf, msg.len);
	}
	{
		const char *cmd = profile_meta(p, "command");

		if (cmd && *cmd) {
			strbuf_reset(&msg);
			pb_varint(&msg, (uint64_t)13 << 3);
			pb_varint(&msg, (uint64_t)strtab_id(&st, cmd));
			strbuf_add(&body, msg.buf, msg.len);
		}
	}
	pb_uint(&body, 14, (uint64_t)strtab_id(&st, profile_type_name(p, o->value)));
	/* the string table last: it is complete only now (field order is free) */
	strbuf_add(&body, st.pb.buf, st.pb.len);
	rc = gzip_append(out, &body);
out:
	if (rc)
		snprintf(err, errlen, rc == -ENOMEM ? "out of memory" : "gzip failed");
	free(mod_map);
	free(mod_of);
	hmap_release(&mods);
	free(st.off);
	hmap_release(&st.index);
	strbuf_release(&st.pb);
	strbuf_release(&st.arena);
	strbuf_release(&body);
	strbuf_release(&msg);
	strbuf_release(&sub);
	vctx_release(&c);
	return rc;
}

/* ---- speedscope ---- */

static const char *speedscope_unit(const char *unit)
{
	static const char *const ok[] = { "nanoseconds", "microseconds", "milliseconds",
					  "seconds", "bytes" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(unit, ok[i]))
			return ok[i];
	return "none";
}

static void speedscope_profile(struct vctx *c, struct json_writer *w, const char *name)
{
	uint32_t s, len, k;
	const uint32_t *locs;

	json_obj_begin(w);
	json_kstr(w, "type", "sampled");
	json_kstr(w, "name", name);
	json_kstr(w, "unit", speedscope_unit(profile_type_unit(c->p, c->o->value)));
	json_kint(w, "startValue", 0);
	json_kint(w, "endValue", c->total);
	json_key(w, "samples");
	json_arr_begin(w);
	for (s = 0; s < c->n_stacks; s++) {
		if (c->sval[s] <= 0)
			continue;
		locs = profile_stack(c->p, s, &len);
		json_arr_begin(w);
		for (k = len; k-- > 0;)	/* speedscope wants root first */
			json_uint(w, c->loc_func[locs[k]]);
		json_arr_end(w);
	}
	json_arr_end(w);
	json_key(w, "weights");
	json_arr_begin(w);
	for (s = 0; s < c->n_stacks; s++)
		if (c->sval[s] > 0)
			json_int(w, c->sval[s]);
	json_arr_end(w);
	json_obj_end(w);
}

int view_speedscope(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		    char *err, size_t errlen)
{
	struct vctx c;
	struct json_writer w;
	struct strbuf name = STRBUF_INIT;
	size_t i;
	int rc;

	rc = vctx_init(&c, p, o, err, errlen);
	if (rc)
		return rc;
	if ((rc = vctx_sum(&c, UINT32_MAX))) {
		snprintf(err, errlen, "out of memory");
		vctx_release(&c);
		return rc;
	}
	json_init(&w, out, 0);
	json_obj_begin(&w);
	json_kstr(&w, "$schema", "https://www.speedscope.app/file-format-schema.json");
	json_kstr(&w, "exporter", "pinch");
	json_kstr(&w, "name", o->title && *o->title ? o->title :
		  profile_meta(p, "command") ? profile_meta(p, "command") : "pinch profile");
	json_kint(&w, "activeProfileIndex", 0);
	json_key(&w, "shared");
	json_obj_begin(&w);
	json_key(&w, "frames");
	json_arr_begin(&w);
	for (i = 0; i < c.n_funcs; i++) {
		const struct vfunc *f = &c.f[i];

		json_obj_begin(&w);
		json_kstr(&w, "name", vctx_fname(&c, (uint32_t)i));
		if (f->file) {
			json_kstr(&w, "file", profile_string(p, f->file));
			if (f->line)
				json_kuint(&w, "line", f->line);
		} else if (f->module) {
			json_kstr(&w, "file", profile_string(p, f->module));
		}
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	json_key(&w, "profiles");
	json_arr_begin(&w);
	if (!o->by_thread) {
		strbuf_addstr(&name, profile_type_name(p, o->value));
		speedscope_profile(&c, &w, name.buf);
	} else {
		for (i = 0; i < profile_n_threads(p); i++) {
			const struct profile_thread *t = profile_thread(p, (uint32_t)i);

			if ((rc = vctx_sum(&c, (uint32_t)i)))
				break;
			if (c.total <= 0)
				continue;
			strbuf_reset(&name);
			strbuf_addf(&name, "%s (tid %u)", profile_string(p, t->name), t->tid);
			speedscope_profile(&c, &w, name.buf);
		}
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(out, '\n');
	strbuf_release(&name);
	vctx_release(&c);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}
