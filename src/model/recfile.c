/*
 * recfile.c - writer and reader of the recording file (model layer).
 * Collectors write through rec_writer; reports read through rec_reader,
 * which never trusts a size it has not checked against the file.
 */
#include "recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/banned.h"

#define WBUF_SIZE (1u << 20)

struct rec_writer {
	int fd;
	int err;
	unsigned char *buf;
	size_t len;
	uint64_t written;
};

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rec_writer_open(struct rec_writer **out, const char *path, enum rec_kind kind)
{
	struct rec_file_header h;
	struct rec_writer *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->buf = malloc(WBUF_SIZE);
	if (!w->buf) {
		free(w);
		return -ENOMEM;
	}
	/* Recordings hold stack bytes and memory contents: owner only, also
	 * when an older file of that name was readable by others. */
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		rc = -errno;
		free(w->buf);
		free(w);
		return rc;
	}
	{
		struct stat st;

		if (!fstat(w->fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & 077))
			fchmod(w->fd, st.st_mode & 0700);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, REC_MAGIC, 8);
	h.version = REC_VERSION;
	h.header_size = sizeof(h);
	h.start_real_ns = clock_real_ns();
	h.start_mono_ns = clock_mono_ns();
	h.kind = kind;
	rc = write_all(w->fd, &h, sizeof(h));
	if (rc) {
		close(w->fd);
		free(w->buf);
		free(w);
		return rc;
	}
	w->written = sizeof(h);
	*out = w;
	return 0;
}

int rec_writer_flush(struct rec_writer *w)
{
	int rc;

	if (!w->len)
		return w->err;
	rc = write_all(w->fd, w->buf, w->len);
	if (rc && !w->err)
		w->err = rc;
	w->written += w->len;
	w->len = 0;
	return w->err;
}

int rec_writer_add(struct rec_writer *w, uint32_t type, const void *a, size_t alen,
		   const void *b, size_t blen, const void *c, size_t clen)
{
	struct rec_hdr hdr;
	size_t size = alen + blen + clen;
	size_t total = sizeof(hdr) + ((size + 7) & ~(size_t)7);
	static const unsigned char zero[8];

	if (size > REC_MAX_RECORD)
		return -E2BIG;
	if (w->len + total > WBUF_SIZE && rec_writer_flush(w))
		return w->err;
	hdr.type = type;
	hdr.size = (uint32_t)size;
	if (total > WBUF_SIZE) {
		/* A record larger than the buffer goes out in one writev-like burst. */
		int rc = write_all(w->fd, &hdr, sizeof(hdr));

		if (!rc && alen)
			rc = write_all(w->fd, a, alen);
		if (!rc && blen)
			rc = write_all(w->fd, b, blen);
		if (!rc && clen)
			rc = write_all(w->fd, c, clen);
		if (!rc)
			rc = write_all(w->fd, zero, total - sizeof(hdr) - size);
		if (rc && !w->err)
			w->err = rc;
		w->written += total;
		return w->err;
	}
	memcpy(w->buf + w->len, &hdr, sizeof(hdr));
	w->len += sizeof(hdr);
	if (alen)
		memcpy(w->buf + w->len, a, alen), w->len += alen;
	if (blen)
		memcpy(w->buf + w->len, b, blen), w->len += blen;
	if (clen)
		memcpy(w->buf + w->len, c, clen), w->len += clen;
	while (w->len & 7)
		w->buf[w->len++] = 0;
	return 0;
}

int rec_writer_meta(struct rec_writer *w, const char *key, const char *value)
{
	return rec_writer_add(w, REC_META, key, strlen(key) + 1, value, strlen(value) + 1, NULL, 0);
}

uint64_t rec_writer_bytes(const struct rec_writer *w)
{
	return w->written + w->len;
}

int rec_writer_close(struct rec_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = rec_writer_flush(w);
	if (close(w->fd) && !rc)
		rc = -errno;
	free(w->buf);
	free(w);
	return rc;
}

struct rec_reader {
	const unsigned char *data;
	size_t size;
	size_t off;
	int mapped;
	int owned;
	int truncated;
	struct rec_file_header hdr;
};

static int reader_init(struct rec_reader *r, char *err, size_t errlen)
{
	if (r->size == 0) {
		snprintf(err, errlen, "the file is empty");
		return -ENODATA;
	}
	if (r->size < 8 || memcmp(r->data, REC_MAGIC, 8)) {
		snprintf(err, errlen, "not a pinch recording (bad magic)");
		return -EPROTO;
	}
	if (r->size < sizeof(struct rec_file_header)) {
		snprintf(err, errlen, "the header is cut short (%zu bytes)", r->size);
		return -EPROTO;
	}
	memcpy(&r->hdr, r->data, sizeof(r->hdr));
	if (r->hdr.version > REC_VERSION) {
		snprintf(err, errlen, "recording format version %u is newer than this pinch reads (%u)",
			 r->hdr.version, REC_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (r->hdr.version == 0 || r->hdr.header_size < sizeof(r->hdr) ||
	    r->hdr.header_size > r->size || (r->hdr.header_size & 7)) {
		snprintf(err, errlen, "corrupt header");
		return -EPROTO;
	}
	r->off = r->hdr.header_size;
	return 0;
}

int rec_reader_open_mem(struct rec_reader **out, const void *data, size_t len, char *err,
			size_t errlen)
{
	struct rec_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	/* Keep an aligned copy: records are read in place as structs. */
	r->data = malloc(len ? len : 1);
	if (!r->data) {
		free(r);
		return -ENOMEM;
	}
	if (len)
		memcpy((void *)r->data, data, len);
	r->owned = 1;
	r->size = len;
	rc = reader_init(r, err, errlen);
	if (rc) {
		rec_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int rec_reader_open(struct rec_reader **out, const char *path, char *err, size_t errlen)
{
	struct rec_reader *r;
	struct stat st;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "not a regular file");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->size = (size_t)st.st_size;
	if (r->size) {
		void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m == MAP_FAILED) {
			rc = -errno;
			snprintf(err, errlen, "cannot map the file: %s", strerror(errno));
			close(fd);
			free(r);
			return rc;
		}
		r->data = m;
		r->mapped = 1;
	}
	close(fd);
	rc = reader_init(r, err, errlen);
	if (rc) {
		rec_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

const struct rec_file_header *rec_reader_header(const struct rec_reader *r)
{
	return &r->hdr;
}

int rec_reader_next(struct rec_reader *r, struct rec *out)
{
	struct rec_hdr h;
	size_t padded;

	if (r->off >= r->size)
		return 0;
	if (r->size - r->off < sizeof(h)) {
		r->truncated = 1;
		return 0;
	}
	memcpy(&h, r->data + r->off, sizeof(h));
	padded = ((size_t)h.size + 7) & ~(size_t)7;
	if (h.size > REC_MAX_RECORD || h.type == 0 || padded > r->size - r->off - sizeof(h)) {
		r->truncated = 1;
		return 0;
	}
	out->type = h.type;
	out->size = h.size;
	out->data = r->data + r->off + sizeof(h);
	r->off += sizeof(h) + padded;
	return 1;
}

int rec_reader_truncated(const struct rec_reader *r) { return r->truncated; }
uint64_t rec_reader_offset(const struct rec_reader *r) { return r->off; }
uint64_t rec_reader_size(const struct rec_reader *r) { return r->size; }

void rec_reader_rewind(struct rec_reader *r)
{
	r->off = r->hdr.header_size;
	r->truncated = 0;
}

void rec_reader_close(struct rec_reader *r)
{
	if (!r)
		return;
	if (r->mapped)
		munmap((void *)r->data, r->size);
	if (r->owned)
		free((void *)r->data);
	free(r);
}

int rec_sample_parse(const struct rec *rec, struct rec_sample_view *v)
{
	const unsigned char *p = rec->data;
	size_t need;

	memset(v, 0, sizeof(*v));
	if ((rec->type != REC_SAMPLE && rec->type != REC_OFFCPU) ||
	    rec->size < sizeof(struct rec_sample))
		return -EINVAL;
	v->s = (const struct rec_sample *)p;
	if (v->s->flags & REC_SAMPLE_REGS)
		v->nr_regs = (uint32_t)__builtin_popcountll(v->s->regs_mask);
	need = sizeof(struct rec_sample) + (size_t)v->s->nr_ips * 8 + (size_t)v->nr_regs * 8;
	if (v->s->flags & REC_SAMPLE_STACK)
		need += v->s->stack_size;
	if (need > rec->size || v->s->nr_kernel > v->s->nr_ips)
		return -EINVAL;
	v->ips = (const uint64_t *)(p + sizeof(struct rec_sample));
	v->regs = v->nr_regs ? v->ips + v->s->nr_ips : NULL;
	v->stack = (v->s->flags & REC_SAMPLE_STACK) && v->s->stack_size ?
		(const uint8_t *)(v->ips + v->s->nr_ips + v->nr_regs) : NULL;
	return 0;
}
