/*
 * sqlnorm.c - SQL normalization (see sqlnorm.h). One pass, no allocation.
 */
#include "sqlnorm.h"

#include <string.h>

static int ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

static int digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int hexdigit(unsigned char c)
{
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

struct out {
	char *p;
	size_t n, cap;
	int full;
	int pending_space;
};

static void put(struct out *o, char c)
{
	if (o->full)
		return;
	if (o->pending_space) {
		o->pending_space = 0;
		if (o->n > 0)
			put(o, ' ');
		if (o->full)
			return;
	}
	if (o->n + 1 >= o->cap) {
		o->full = 1;
		return;
	}
	o->p[o->n++] = c;
}

/* End of a quoted run starting at i (the opening quote q); backslash
 * escapes when bs. Returns the index after the closing quote (or len). */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q, int bs)
{
	for (i++; i < len; i++) {
		if (bs && s[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i++;
				continue;
			}
			return i + 1;
		}
	}
	return len;
}

size_t sqlnorm(const char *sql, size_t len, char *out, size_t cap)
{
	struct out o = { out, 0, cap, 0, 0 };
	size_t i = 0;
	unsigned char prev = 0;	/* last significant input char written */

	if (!cap)
		return 0;
	{
		const char *nul = memchr(sql, 0, len);

		if (nul)
			len = (size_t)(nul - sql);
	}
	while (i < len && !o.full) {
		unsigned char c = (unsigned char)sql[i];

		if (space(c)) {
			o.pending_space = 1;
			prev = ' ';
			i++;
			continue;
		}
		if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
			o.pending_space = 1;
			prev = ' ';
			continue;
		}
		if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
			int depth = 1;

			for (i += 2; i < len && depth; i++) {
				if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
					depth--;
					i++;
				} else if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
					depth++;
					i++;
				}
			}
			o.pending_space = 1;
			prev = ' ';
			continue;
		}
		if (c == '\'') {
			int bs = prev == 'E' || prev == 'e';

			/* E'...', X'...', B'...', N'...': the prefix letter was a
			 * literal marker written just before: replace it too */
			if ((prev == 'E' || prev == 'e' || prev == 'X' || prev == 'x' || prev == 'B' ||
			     prev == 'b' || prev == 'N' || prev == 'n') && o.n > 0 &&
			    !o.pending_space && (o.n == 1 || !ident_char((unsigned char)out[o.n - 2])))
				o.n--;
			i = skip_quoted(sql, len, i, '\'', bs);
			put(&o, '?');
			prev = '?';
			continue;
		}
		if (c == '"' || c == '`') {
			size_t e = skip_quoted(sql, len, i, (char)c, 0);

			for (; i < e; i++)
				put(&o, sql[i]);
			prev = c;
			continue;
		}
		if (c == '$' && !ident_char(prev)) {
			size_t j = i + 1;

			if (j < len && digit((unsigned char)sql[j])) {	/* $1 */
				while (j < len && digit((unsigned char)sql[j]))
					j++;
				i = j;
				put(&o, '?');
				prev = '?';
				continue;
			}
			while (j < len && ident_char((unsigned char)sql[j]) && sql[j] != '$')
				j++;
			if (j < len && sql[j] == '$') {	/* $tag$ body $tag$ */
				size_t tl = j - i + 1, k;

				for (k = j + 1; k + tl <= len; k++)
					if (!memcmp(sql + k, sql + i, tl))
						break;
				i = k + tl <= len ? k + tl : len;
				put(&o, '?');
				prev = '?';
				continue;
			}
		}
		if ((c == '?' || c == ':' || c == '@') && !ident_char(prev) && prev != ':') {
			size_t j = i + 1;

			if (c == '?') {
				while (j < len && digit((unsigned char)sql[j]))
					j++;
				i = j;
				put(&o, '?');
				prev = '?';
				continue;
			}
			/* :name / @name, but not :: casts or := */
			if (j < len && ((sql[j] >= 'a' && sql[j] <= 'z') || (sql[j] >= 'A' && sql[j] <= 'Z') ||
					sql[j] == '_')) {
				while (j < len && ident_char((unsigned char)sql[j]))
					j++;
				i = j;
				put(&o, '?');
				prev = '?';
				continue;
			}
		}
		if ((digit(c) || (c == '.' && i + 1 < len && digit((unsigned char)sql[i + 1]))) &&
		    !ident_char(prev)) {
			size_t j = i;

			if (c == '0' && j + 1 < len && (sql[j + 1] == 'x' || sql[j + 1] == 'X') &&
			    j + 2 < len && hexdigit((unsigned char)sql[j + 2])) {
				for (j += 2; j < len && hexdigit((unsigned char)sql[j]); j++)
					;
			} else {
				while (j < len && digit((unsigned char)sql[j]))
					j++;
				if (j < len && sql[j] == '.')
					for (j++; j < len && digit((unsigned char)sql[j]); j++)
						;
				if (j < len && (sql[j] == 'e' || sql[j] == 'E')) {
					size_t k = j + 1;

					if (k < len && (sql[k] == '+' || sql[k] == '-'))
						k++;
					if (k < len && digit((unsigned char)sql[k])) {
						for (j = k; j < len && digit((unsigned char)sql[j]); j++)
							;
					}
				}
			}
			i = j;
			put(&o, '?');
			prev = '?';
			continue;
		}
		put(&o, (char)c);
		prev = c;
		i++;
	}
	if (o.full) {
		size_t n = cap - 1 >= 3 ? cap - 4 : 0;

		/* never end inside a UTF-8 sequence */
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;
		o.n = n;
		while (o.n < cap - 1 && o.n < n + 3)
			out[o.n++] = '.';
	}
	out[o.n] = 0;
	return o.n;
}
