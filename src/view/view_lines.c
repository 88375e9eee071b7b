/*
 * view_lines.c - line_profiler-style listing of one function (view
 * layer): per source line, the samples whose innermost frame of that
 * function is on the line (inclusive of callees), with the source text
 * read from the DWARF path (or o->source_root, or the cwd).
 */
#include "view/view.h"
#include "view/view_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "core/banned.h"

#define CONTEXT 2	/* lines shown around the sampled range */
#define MAX_GAP 8	/* longer runs of unsampled lines are elided */
#define MAX_SOURCE (64u << 20)

struct lrow {
	uint32_t line;
	int64_t v, n;
};

struct source {
	struct strbuf text;
	char **line;	/* line[i] = start of line i+1 (NUL-terminated in text) */
	size_t n;
	char path[4096];
};

static int lrow_cmp(const void *a, const void *b)
{
	const struct lrow *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* A regular file we may read (never a FIFO or device named by bad debug info). */
static int readable(const char *path)
{
	struct stat st;

	return path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Finds the source: the DWARF path, then under source_root, then the cwd. */
static int source_find(const char *file, const char *root, char *out, size_t len)
{
	if (file[0] == '/' && readable(file)) {
		snprintf(out, len, "%s", file);
		return 0;
	}
	if (root && *root) {
		snprintf(out, len, "%s/%s", root, file[0] == '/' ? file + 1 : file);
		if (readable(out))
			return 0;
		snprintf(out, len, "%s/%s", root, base_name(file));
		if (readable(out))
			return 0;
	}
	if (file[0] != '/' && readable(file)) {
		snprintf(out, len, "%s", file);
		return 0;
	}
	if (readable(base_name(file))) {
		snprintf(out, len, "%s", base_name(file));
		return 0;
	}
	return -ENOENT;
}

static int source_load(struct source *s, const char *file, const char *root)
{
	size_t i, k = 0, alloc;

	strbuf_init(&s->text, 0);
	s->line = NULL;
	s->n = 0;
	if (!*file || source_find(file, root, s->path, sizeof(s->path)))
		return -ENOENT;
	if (strbuf_read_file(&s->text, s->path, MAX_SOURCE) < 0)
		return -ENOENT;
	alloc = 1;
	for (i = 0; i < s->text.len; i++)
		alloc += s->text.buf[i] == '\n';
	s->line = malloc(alloc * sizeof(char *));
	if (!s->line)
		return -ENOMEM;
	for (i = 0; i < s->text.len; i = k + 1) {
		for (k = i; k < s->text.len && s->text.buf[k] != '\n'; k++)
			;
		s->text.buf[k] = 0;	/* buf[len] is the NUL when k == len */
		if (k > i && s->text.buf[k - 1] == '\r')
			s->text.buf[k - 1] = 0;
		s->line[s->n++] = s->text.buf + i;
	}
	return 0;
}

static void source_release(struct source *s)
{
	strbuf_release(&s->text);
	free(s->line);
}

static const char *source_line(const struct source *s, uint32_t line)
{
	return line >= 1 && line <= s->n ? s->line[line - 1] : NULL;
}

/* Source text with tabs expanded to 8 columns, sanitized. */
static void add_code(struct strbuf *sb, const char *text)
{
	struct strbuf t = STRBUF_INIT;
	size_t col = 0;

	for (; *text; text++) {
		if (*text == '\t') {
			do
				strbuf_addch(&t, ' ');
			while (++col % 8);
		} else {
			strbuf_addch(&t, *text);
			if (((unsigned char)*text & 0xc0) != 0x80)
				col++;
		}
	}
	view_add_name(sb, t.buf, 0);
	strbuf_release(&t);
}

/* Is line l shown: within the range, and not inside a long unsampled gap? */
static int shown(const struct lrow *rows, size_t n, uint32_t l)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t a = rows[i].line;

		if (l + CONTEXT >= a && l <= a + CONTEXT)
			return 1;
		/* a short gap between two sampled lines stays visible */
		if (i + 1 < n && l > a && l < rows[i + 1].line && rows[i + 1].line - a <= MAX_GAP + 1)
			return 1;
	}
	return 0;
}

int view_lines(const struct profile *p, const struct view_opts *o, struct strbuf *out,
	       char *err, size_t errlen)
{
	struct vctx c;
	struct source src;
	struct lrow *rows = NULL;
	struct json_writer w;
	struct strbuf cell = STRBUF_INIT;
	const char *unit, *file, *label;
	size_t n = 0, i, loaded = 0;
	int64_t other_v = 0, other_n = 0, nol_v = 0, nol_n = 0, hot_v = -1;
	uint32_t hot = 0, lo, hi, l, file_id;
	size_t wtime = 4, wcnt = 7;
	int rc, fi;

	memset(&src, 0, sizeof(src));
	strbuf_init(&src.text, 0);
	rc = vctx_init(&c, p, o, err, errlen);
	if (rc)
		return rc;
	if ((rc = vctx_sum(&c, UINT32_MAX))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fi = vctx_match(&c, o->func, err, errlen);
	if (fi < 0) {
		rc = fi;
		goto out;
	}
	file_id = c.f[fi].file;
	file = profile_string(p, file_id);
	unit = profile_type_unit(p, o->value);
	label = view_unit_label(unit);
	rows = malloc((c.n_locs ? c.n_locs : 1) * sizeof(*rows));
	if (!rows) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < c.n_locs; i++) {
		const struct profile_location *loc = profile_location(p, (uint32_t)i);

		if (c.loc_func[i] != (uint32_t)fi || (!c.loc_val[i] && !c.loc_n[i]))
			continue;
		if (loc->file != file_id) {
			other_v += c.loc_val[i];
			other_n += c.loc_n[i];
		} else if (!loc->line) {
			nol_v += c.loc_val[i];
			nol_n += c.loc_n[i];
		} else {
			rows[n++] = (struct lrow){ loc->line, c.loc_val[i], c.loc_n[i] };
		}
	}
	/* merge locations (addresses) on the same line */
	qsort(rows, n, sizeof(*rows), lrow_cmp);
	{
		size_t k = 0;

		for (i = 0; i < n; i++) {
			if (k && rows[k - 1].line == rows[i].line) {
				rows[k - 1].v += rows[i].v;
				rows[k - 1].n += rows[i].n;
			} else {
				rows[k++] = rows[i];
			}
		}
		n = k;
	}
	for (i = 0; i < n; i++) {
		if (rows[i].v > hot_v) {
			hot_v = rows[i].v;
			hot = rows[i].line;
		}
		strbuf_reset(&cell);
		view_add_value(&cell, unit, rows[i].v);
		if (cell.len > wtime)
			wtime = cell.len;
	}
	if (*file && n)
		loaded = source_load(&src, file, o->source_root) == 0;
	lo = n ? (rows[0].line > CONTEXT ? rows[0].line - CONTEXT : 1) : 0;
	hi = n ? rows[n - 1].line + CONTEXT : 0;
	if (loaded && hi > src.n)
		hi = src.n > rows[n - 1].line ? (uint32_t)src.n : rows[n - 1].line;

	if (o->json) {
		json_init(&w, out, 1);
		json_obj_begin(&w);
		json_kstr(&w, "view", "lines");
		view_json_types(&c, &w);
		json_kstr(&w, "function", vctx_fname(&c, (uint32_t)fi));
		json_kstr(&w, "module", profile_string(p, c.f[fi].module));
		json_kstr(&w, "file", file);
		json_key(&w, "source");
		if (loaded)
			json_str(&w, src.path);
		else
			json_null(&w);
		json_kuint(&w, "first_line", n ? rows[0].line : 0);
		json_kint(&w, "total", c.f[fi].total);
		if (c.has_count)
			json_kint(&w, "total_count", c.f[fi].total_n);
		json_kdouble(&w, "total_pct", view_pct(c.f[fi].total, c.total));
		json_kuint(&w, "hottest_line", hot);
		json_kint(&w, "other_files", other_v);
		json_kint(&w, "no_line", nol_v);
		json_key(&w, "lines");
		json_arr_begin(&w);
		for (l = lo, i = 0; n && l <= hi; l++) {
			const char *text = loaded ? source_line(&src, l) : NULL;
			int64_t v = 0, cn = 0;

			while (i < n && rows[i].line < l)
				i++;
			if (i < n && rows[i].line == l) {
				v = rows[i].v;
				cn = rows[i].n;
			} else if (!shown(rows, n, l)) {
				continue;
			}
			json_obj_begin(&w);
			json_kuint(&w, "line", l);
			json_kint(&w, "value", v);
			if (c.has_count)
				json_kint(&w, "count", cn);
			json_kdouble(&w, "pct", view_pct(v, c.f[fi].total));
			json_key(&w, "text");
			if (text)
				json_str(&w, text);
			else
				json_null(&w);
			json_obj_end(&w);
		}
		json_arr_end(&w);
		json_obj_end(&w);
		strbuf_addch(out, '\n');
		goto out;
	}

	strbuf_addstr(out, "Function: ");
	view_add_name(out, vctx_fname(&c, (uint32_t)fi), 0);
	if (*file) {
		strbuf_addstr(out, " at ");
		view_add_name(out, file, 0);
		if (n)
			strbuf_addf(out, ":%u", rows[0].line);
	} else {
		strbuf_addstr(out, " in ");
		view_add_name(out, profile_string(p, c.f[fi].module), 0);
	}
	strbuf_addf(out, "\nTotal %s: ", !strcmp(label, "Time") ? "time" :
		    !strcmp(label, "Bytes") ? "bytes" : "value");
	view_add_value(out, unit, c.f[fi].total);
	if (c.has_count) {
		strbuf_addstr(out, " (");
		view_add_count(out, (long long)c.f[fi].total_n, profile_type_name(p, o->count_value));
		strbuf_addch(out, ')');
	}
	strbuf_addf(out, ", %.1f %% of all\n", view_pct(c.f[fi].total, c.total));
	if (loaded && strcmp(src.path, file)) {
		strbuf_addstr(out, "Source: ");
		view_add_name(out, src.path, 0);
		strbuf_addch(out, '\n');
	}
	strbuf_addch(out, '\n');
	if (!n) {
		strbuf_addstr(out, "no line information for this function\n");
	} else {
		int gap = 0;

		strbuf_addstr(out, "  Line #  ");
		if (c.has_count) {
			view_add_col(out, "Samples", wcnt, 1);
			strbuf_addstr(out, "  ");
		}
		view_add_col(out, label, wtime, 1);
		strbuf_addstr(out, "  % ");
		strbuf_addstr(out, label);
		strbuf_addstr(out, "  Line Contents\n");
		for (l = lo, i = 0; l <= hi; l++) {
			const char *text = loaded ? source_line(&src, l) : NULL;
			int sampled;

			while (i < n && rows[i].line < l)
				i++;
			sampled = i < n && rows[i].line == l;
			if (!sampled && !loaded)
				continue;
			if (!sampled && !shown(rows, n, l)) {
				if (!gap)
					strbuf_addstr(out, "     ...\n");
				gap = 1;
				continue;
			}
			gap = 0;
			if (o->color && l == hot)
				strbuf_addstr(out, "\033[31m");
			strbuf_addf(out, "%c %6u  ", l == hot ? '>' : ' ', l);
			if (sampled) {
				if (c.has_count) {
					strbuf_reset(&cell);
					strbuf_addf(&cell, "%lld", (long long)rows[i].n);
					view_add_col(out, cell.buf, wcnt, 1);
					strbuf_addstr(out, "  ");
				}
				strbuf_reset(&cell);
				view_add_value(&cell, unit, rows[i].v);
				view_add_col(out, cell.buf, wtime, 1);
				strbuf_addf(out, "  %*.1f  ", (int)strlen(label) + 2,
					    view_pct(rows[i].v, c.f[fi].total));
			} else {
				strbuf_addchars(out, ' ', (c.has_count ? wcnt + 2 : 0) + wtime + 2 +
						strlen(label) + 4);
			}
			if (text)
				add_code(out, text);
			strbuf_rtrim(out);
			if (o->color && l == hot)
				strbuf_addstr(out, "\033[0m");
			strbuf_addch(out, '\n');
		}
	}
	if (nol_v || nol_n) {
		strbuf_addstr(out, "without line information: ");
		view_add_value(out, unit, nol_v);
		strbuf_addf(out, " (%.1f %%)\n", view_pct(nol_v, c.f[fi].total));
	}
	if (other_v || other_n) {
		strbuf_addstr(out, "in other files (inlined): ");
		view_add_value(out, unit, other_v);
		strbuf_addf(out, " (%.1f %%)\n", view_pct(other_v, c.f[fi].total));
	}
	if (n && !loaded) {
		strbuf_addstr(out, "source not found: ");
		view_add_name(out, *file ? file : "(no file name in debug info)", 0);
		strbuf_addch(out, '\n');
	}
	rc = 0;
out:
	strbuf_release(&cell);
	source_release(&src);
	free(rows);
	vctx_release(&c);
	return rc;
}
