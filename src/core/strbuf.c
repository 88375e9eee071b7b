/*
 * strbuf.c - the one growable buffer of pinch (core layer, used by every
 * other layer for text, binary records and file contents).
 */
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = sb->cap = 0;
	sb->buf = strbuf_slopbuf;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	size_t cap = sb->cap;

	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
	sb->cap = cap;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *res;

	if (!sb->alloc) {
		res = calloc(1, 1);
		if (len)
			*len = 0;
		return res;
	}
	res = sb->buf;
	if (len)
		*len = sb->len;
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_slopbuf;
	return res;
}

int strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want, nalloc;
	char *nbuf;

	if (extra > ((size_t)-1) / 2 - sb->len)
		return -ENOMEM;
	want = sb->len + extra + 1;
	if (sb->cap && sb->len + extra > sb->cap)
		return -E2BIG;
	if (want <= sb->alloc)
		return 0;
	nalloc = sb->alloc ? sb->alloc : 64;
	while (nalloc < want)
		nalloc = nalloc / 2 * 3 + 16;
	nbuf = sb->alloc ? realloc(sb->buf, nalloc) : malloc(nalloc);
	if (!nbuf)
		return -ENOMEM;
	if (!sb->alloc)
		nbuf[0] = '\0';
	sb->buf = nbuf;
	sb->alloc = nalloc;
	return 0;
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->alloc)
		return;
	if (len > sb->alloc - 1)
		len = sb->alloc - 1;
	sb->len = len;
	sb->buf[len] = '\0';
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	int rc = strbuf_grow(sb, len);

	if (rc)
		return rc;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	return strbuf_add(sb, &ch, 1);
}

/*
 * Appends w as one word of a POSIX shell command line: as it is when it
 * holds nothing the shell would read specially, else in single quotes
 * (a quote inside as '\'').
 */
int strbuf_add_shell_word(struct strbuf *sb, const char *w)
{
	int rc = 0;

	if (*w && !w[strcspn(w, " \t\n'\"\\$`!*?[]{}()<>|&;#~")])
		return strbuf_addstr(sb, w);
	rc |= strbuf_addch(sb, '\'');
	for (; *w; w++)
		rc |= *w == '\'' ? strbuf_addstr(sb, "'\\''") : strbuf_addch(sb, *w);
	rc |= strbuf_addch(sb, '\'');
	return rc ? -ENOMEM : 0;
}

int strbuf_addchars(struct strbuf *sb, int c, size_t n)
{
	int rc = strbuf_grow(sb, n);

	if (rc)
		return rc;
	memset(sb->buf + sb->len, c, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	int rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	rc = strbuf_grow(sb, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int strbuf_add_utf8_sanitized(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int rc = 0;

	while (i < len && !rc) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (!n) {
			rc = strbuf_add(sb, "\xef\xbf\xbd", 3);
			i++;
		} else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f) && p[i] != '\t') {
			rc = strbuf_addch(sb, '?');
			i++;
		} else {
			rc = strbuf_add(sb, p + i, n);
			i += n;
		}
	}
	return rc;
}

int strbuf_write_file(const struct strbuf *sb, const char *path)
{
	FILE *f = fopen(path, "we");
	int rc = 0;

	if (!f)
		return -errno;
	if (fwrite(sb->buf, 1, sb->len, f) != sb->len)
		rc = errno ? -errno : -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

FILE *fopen_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

int strbuf_read_file(struct strbuf *sb, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;
		size_t want = 65536;

		if (max && sb->len + want > max)
			want = max > sb->len ? max - sb->len : 0;
		if (!want)
			break;
		rc = strbuf_grow(sb, want);
		if (rc)
			break;
		n = read(fd, sb->buf + sb->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
	close(fd);
	return rc;
}

int strbuf_add_bytes(struct strbuf *sb, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	double v = bytes < 0 ? -bytes : bytes;

	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	if (bytes < 0)
		v = -v;
	if (u == 0)
		return strbuf_addf(sb, "%.0f B", v);
	return strbuf_addf(sb, v >= 100 || v <= -100 ? "%.0f %s" : "%.1f %s", v, unit[u]);
}

int strbuf_add_duration(struct strbuf *sb, double ns)
{
	double a = ns < 0 ? -ns : ns;

	if (a < 1e3)
		return strbuf_addf(sb, "%.0f ns", ns);
	if (a < 1e6)
		return strbuf_addf(sb, a < 1e4 ? "%.2f us" : "%.1f us", ns / 1e3);
	if (a < 1e9)
		return strbuf_addf(sb, a < 1e7 ? "%.2f ms" : "%.1f ms", ns / 1e6);
	return strbuf_addf(sb, a < 1e10 ? "%.3f s" : "%.2f s", ns / 1e9);
}

void strbuf_rtrim(struct strbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == ' ' || sb->buf[sb->len - 1] == '\n' ||
			   sb->buf[sb->len - 1] == '\t' || sb->buf[sb->len - 1] == '\r'))
		sb->len--;
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
}

int strbuf_add_varint(struct strbuf *sb, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	return strbuf_add(sb, b, n);
}
