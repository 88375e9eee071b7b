/*
 * hdrlog.c - writes and merges histogram logs of pinch load (load layer)
 * in HdrHistogram's interval log format: V2 compressed histograms (zlib,
 * ZigZag LEB128 counts, big-endian header) in base64 (OpenSSL's EVP block
 * coder), and the per-second CSV series.
 */
#include "hdrlog.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "core/strbuf.h"
#include "engine.h"
#include "model/hist.h"
#include "ossl.h"
#include "core/banned.h"

#define V2_COOKIE 0x1c849313u		/* V2 encoding, word size byte 0x10 */
#define V2_COMPRESSED_COOKIE 0x1c849314u
#define V2_HEADER 40
#define SIG_DIGITS 2			/* 256 sub-buckets: pinch's layout */

static FILE *create(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (!f)
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
	return f;
}

int load_hdrlog_open(struct load_hdrlog *l, const char *path, const char *target,
		     char *err, size_t errlen)
{
	struct timespec ts;
	struct tm tm;
	char when[64];

	if (!(l->f = create(path, err, errlen)))
		return -EIO;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(l->f, "#[Histogram log format version 1.3]\n"
		"#[StartTime: %lld.%03ld (seconds since epoch), %s]\n"
		"#[BaseTime: %lld.%03ld (seconds since epoch)]\n"
		"#[pinch load %s]\n"
		"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
		(long long)ts.tv_sec, ts.tv_nsec / 1000000, when, (long long)ts.tv_sec, ts.tv_nsec / 1000000, target);
	return 0;
}

static void put32(struct strbuf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			       (unsigned char)v };

	strbuf_add(b, x, 4);
}

static void put64(struct strbuf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

/* ZigZag, then LEB128 with at most 9 bytes (the 9th holds 8 bits). */
static void put_zz(struct strbuf *b, int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	int i;

	for (i = 0; i < 8 && u >= 0x80; i++) {
		strbuf_addch(b, (int)((u & 0x7f) | 0x80));
		u >>= 7;
	}
	strbuf_addch(b, (int)(u & 0xff));
}

int load_hdr_encode(const struct hist *h, struct strbuf *b64)
{
	struct strbuf raw = STRBUF_INIT, out = STRBUF_INIT;
	uint32_t limit = h->total ? hist_index(h->max) + 1 : 1;
	uLongf zlen;
	uint64_t ratio = 0x3ff0000000000000ull;	/* 1.0 as a big-endian double */
	int rc = -ENOMEM;

	if (limit > h->n_counts)
		limit = h->n_counts;
	put32(&raw, V2_COOKIE);
	put32(&raw, 0);		/* payload length, set below */
	put32(&raw, 0);		/* normalizing index offset */
	put32(&raw, SIG_DIGITS);
	put64(&raw, 1);		/* lowest discernible value */
	put64(&raw, h->max_trackable);
	put64(&raw, ratio);
	for (uint32_t i = 0; i < limit;) {
		uint64_t c = h->counts[i++];
		int64_t zeros = 1;

		if (!c) {
			while (i < limit && !h->counts[i]) {
				zeros++;
				i++;
			}
		}
		put_zz(&raw, !c && zeros > 1 ? -zeros : (int64_t)(c > INT64_MAX ? INT64_MAX : c));
	}
	{
		uint32_t plen = (uint32_t)(raw.len - V2_HEADER);

		raw.buf[4] = (char)(plen >> 24);
		raw.buf[5] = (char)(plen >> 16);
		raw.buf[6] = (char)(plen >> 8);
		raw.buf[7] = (char)plen;
	}
	zlen = compressBound(raw.len);
	if (strbuf_grow(&out, 8 + zlen))
		goto out;
	if (compress2((Bytef *)out.buf + 8, &zlen, (const Bytef *)raw.buf, raw.len, Z_BEST_COMPRESSION) != Z_OK)
		goto out;
	/* The header goes in place (strbuf_add would end it with a NUL over
	 * the first compressed byte). */
	for (int i = 0; i < 4; i++) {
		out.buf[i] = (char)(V2_COMPRESSED_COOKIE >> (24 - 8 * i));
		out.buf[4 + i] = (char)((uint32_t)zlen >> (24 - 8 * i));
	}
	strbuf_setlen(&out, 8 + zlen);
	if (ossl_load(NULL, 0) || strbuf_grow(b64, 4 * ((out.len + 2) / 3) + 1))
		goto out;
	strbuf_setlen(b64, b64->len + (size_t)EVP_EncodeBlock((unsigned char *)b64->buf + b64->len,
							       (const unsigned char *)out.buf, (int)out.len));
	rc = 0;
out:
	strbuf_release(&raw);
	strbuf_release(&out);
	return rc;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

int load_hdr_decode(struct hist *h, const char *b64, size_t len, char *err, size_t errlen)
{
	struct strbuf bin = STRBUF_INIT, raw = STRBUF_INIT;
	const unsigned char *p, *end;
	uLongf rlen;
	uint64_t zlen, highest, idx = 0;
	size_t pad = 0;
	int n, rc = -EINVAL;

	memset(h, 0, sizeof(*h));
	if (!len || len % 4 || len > (1u << 26)) {
		snprintf(err, errlen, "bad base64 length");
		return -EINVAL;
	}
	if (b64[len - 1] == '=')
		pad = 1 + (b64[len - 2] == '=');
	if (ossl_load(err, errlen))
		return -ENOSYS;
	if (strbuf_grow(&bin, len / 4 * 3 + 1))
		goto nomem;
	n = EVP_DecodeBlock((unsigned char *)bin.buf, (const unsigned char *)b64, (int)len);
	if (n < 0 || (size_t)n < pad + 8) {
		snprintf(err, errlen, "bad base64");
		goto out;
	}
	strbuf_setlen(&bin, (size_t)n - pad);
	p = (const unsigned char *)bin.buf;
	if ((get32(p) & ~0xf0u) != (V2_COMPRESSED_COOKIE & ~0xf0u)) {
		snprintf(err, errlen, "not a V2 compressed histogram (cookie 0x%08x)", get32(p));
		goto out;
	}
	zlen = get32(p + 4);
	if (zlen > bin.len - 8) {
		snprintf(err, errlen, "compressed length %" PRIu64 " past the end", zlen);
		goto out;
	}
	rlen = 1u << 24;
	if (strbuf_grow(&raw, rlen))
		goto nomem;
	if (uncompress((Bytef *)raw.buf, &rlen, p + 8, (uLong)zlen) != Z_OK || rlen < V2_HEADER) {
		snprintf(err, errlen, "bad compressed histogram");
		goto out;
	}
	p = (const unsigned char *)raw.buf;
	if ((get32(p) & ~0xf0u) != (V2_COOKIE & ~0xf0u) || get32(p + 8) != 0 ||
	    get32(p + 12) != SIG_DIGITS || get64(p + 16) != 1) {
		snprintf(err, errlen, "a histogram of another layout (pinch writes 2 significant digits, lowest 1)");
		goto out;
	}
	highest = get64(p + 24);
	if (highest < 2 || highest > (1ull << 62) || get32(p + 4) > rlen - V2_HEADER) {
		snprintf(err, errlen, "bad histogram header");
		goto out;
	}
	if (hist_init(h, highest))
		goto nomem;
	end = p + V2_HEADER + get32(p + 4);
	p += V2_HEADER;
	while (p < end) {
		uint64_t u = 0;
		int64_t v;
		int i;

		for (i = 0; i < 9 && p < end; i++) {
			unsigned b = *p++;

			if (i == 8) {
				u |= (uint64_t)b << 56;
				break;
			}
			u |= (uint64_t)(b & 0x7f) << (7 * i);
			if (!(b & 0x80))
				break;
		}
		v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
		if (v < 0) {
			if ((uint64_t)-v > h->n_counts)
				goto range;
			idx += (uint64_t)-v;
			continue;
		}
		if (idx >= h->n_counts)
			goto range;
		if (v) {
			uint64_t lo = hist_bucket_low((uint32_t)idx), hi = hist_bucket_high((uint32_t)idx);

			hist_record_n(h, lo + (hi - lo) / 2, (uint64_t)v);
		}
		idx++;
	}
	rc = 0;
	goto out;
range:
	snprintf(err, errlen, "counts past the histogram's range");
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
out:
	if (rc)
		hist_release(h);
	strbuf_release(&bin);
	strbuf_release(&raw);
	return rc;
}

void load_hdrlog_interval(struct load_hdrlog *l, uint64_t start_ns, uint64_t len_ns,
			  const struct hist *h)
{
	struct strbuf b64 = STRBUF_INIT;

	if (!l->f)
		return;
	if (!load_hdr_encode(h, &b64))
		fprintf(l->f, "%.3f,%.3f,%.3f,%s\n", (double)start_ns / 1e9, (double)len_ns / 1e9,
			(double)(h->total ? h->max : 0) / 1e6, b64.buf);
	strbuf_release(&b64);
}

int load_hdrlog_finish(struct load_hdrlog *l, const struct load_result *r)
{
	if (!l->f)
		return 0;
	fprintf(l->f, "#[pinch totals duration_ns=%" PRIu64 " requests=%" PRIu64 " ok=%" PRIu64 " failed=%" PRIu64
		" bytes=%" PRIu64 " sent=%" PRIu64 " rps=%.3f target_rate=%.3f achieved_rate=%.3f"
		" threads=%u connections=%u",
		r->duration_ns, r->c.requests, r->c.ok, r->c.failed, r->c.bytes, r->sent, r->rps,
		r->target_rate, r->achieved_rate, r->threads, r->connections);
	/* What the histograms lose: the exact extremes and sums. */
	if (r->lat.total)
		fprintf(l->f, " lat.min=%" PRIu64 " lat.max=%" PRIu64 " lat.sum=%.17g lat.sumsq=%.17g", r->lat.min,
			r->lat.max, r->lat.sum, r->lat.sumsq);
	for (int k = 0; k < LOAD_E_COUNT; k++)
		fprintf(l->f, " err.%s=%" PRIu64, load_err_names[k], r->c.err[k]);
	for (int s = 0; s < LOAD_STATUS_SLOTS; s++)
		if (r->c.status[s])
			fprintf(l->f, " status.%d=%" PRIu64, s, r->c.status[s]);
	fputs("]\n", l->f);
	return load_csv_finish(l);
}

int load_csv_open(struct load_hdrlog *l, const char *path, char *err, size_t errlen)
{
	if (!(l->f = create(path, err, errlen)))
		return -EIO;
	fputs("second,requests,errors,p50_ms,p90_ms,p99_ms\n", l->f);
	return 0;
}

void load_csv_row(struct load_hdrlog *l, uint64_t end_ns, uint64_t requests, uint64_t errors,
		  const struct hist *h)
{
	if (!l->f)
		return;
	fprintf(l->f, "%.3f,%" PRIu64 ",%" PRIu64 ",%.3f,%.3f,%.3f\n", (double)end_ns / 1e9, requests, errors,
		(double)hist_percentile(h, 50) / 1e6, (double)hist_percentile(h, 90) / 1e6,
		(double)hist_percentile(h, 99) / 1e6);
}

/* Closes either file: 0, or -EIO when a write or the close failed. */
int load_csv_finish(struct load_hdrlog *l)
{
	int rc = 0;

	if (!l->f)
		return 0;
	if (ferror(l->f))
		rc = -EIO;
	if (fclose(l->f))
		rc = -EIO;
	l->f = NULL;
	return rc;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -EINVAL : 0;
}

struct exact {
	int have;
	uint64_t min, max;
	double sum, sumsq;
};

static int merge_totals(struct load_result *acc, char *line, const char *name, size_t lineno,
			struct exact *x, char *err, size_t errlen)
{
	struct load_result t;
	char *save = NULL, *tok;
	uint64_t dur = 0;

	memset(&t, 0, sizeof(t));
	for (tok = strtok_r(line + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		const char *k = tok, *v;
		uint64_t u = 0;
		double d;
		char *end;

		if (!eq)
			goto bad;
		*eq = 0;
		v = eq + 1;
		if (!strcmp(k, "lat.sum") || !strcmp(k, "lat.sumsq")) {
			d = strtod(v, &end);
			if (end == v || *end || !isfinite(d) || d < 0)
				goto bad;
			*(k[7] ? &x->sumsq : &x->sum) = d;
			x->have |= k[7] ? 4 : 8;
			continue;
		}
		if (!strcmp(k, "lat.min") || !strcmp(k, "lat.max")) {
			if (parse_u64(v, &u))
				goto bad;
			*(k[5] == 'i' ? &x->min : &x->max) = u;
			x->have |= k[5] == 'i' ? 1 : 2;
			continue;
		}
		if (!strcmp(k, "rps") || !strcmp(k, "target_rate") || !strcmp(k, "achieved_rate")) {
			d = strtod(v, &end);
			if (end == v || *end || d < 0 || d > 1e12)
				goto bad;
			if (k[0] == 'r')
				t.rps = d;
			else if (k[0] == 't')
				t.target_rate = d;
			else
				t.achieved_rate = d;
			continue;
		}
		if (parse_u64(v, &u))
			goto bad;
		if (!strcmp(k, "duration_ns"))
			dur = u;
		else if (!strcmp(k, "requests"))
			t.c.requests = u;
		else if (!strcmp(k, "ok"))
			t.c.ok = u;
		else if (!strcmp(k, "failed"))
			t.c.failed = u;
		else if (!strcmp(k, "bytes"))
			t.c.bytes = u;
		else if (!strcmp(k, "sent"))
			t.sent = u;
		else if (!strcmp(k, "threads"))
			t.threads = (unsigned)u;
		else if (!strcmp(k, "connections"))
			t.connections = (unsigned)u;
		else if (!strncmp(k, "err.", 4)) {
			int found = 0;

			for (int e = 0; e < LOAD_E_COUNT; e++)
				if (!strcmp(k + 4, load_err_names[e])) {
					t.c.err[e] = u;
					found = 1;
				}
			if (!found)
				goto bad;
		} else if (!strncmp(k, "status.", 7)) {
			uint64_t s;

			if (parse_u64(k + 7, &s) || s >= LOAD_STATUS_SLOTS)
				goto bad;
			t.c.status[s] = u;
		}
		/* Unknown keys are from a newer pinch: skip them. */
	}
	load_counts_add(&acc->c, &t.c);
	acc->sent += t.sent;
	acc->rps += t.rps;
	acc->target_rate += t.target_rate;
	acc->achieved_rate += t.achieved_rate;
	acc->threads += t.threads;
	acc->connections += t.connections;
	if (dur > acc->duration_ns)
		acc->duration_ns = dur;
	return 0;
bad:
	snprintf(err, errlen, "%s:%zu: bad totals line", name, lineno);
	return -EINVAL;
}

int load_hdrlog_merge(struct load_result *acc, const char *name, const char *text, size_t len,
		      char *err, size_t errlen)
{
	struct strbuf line = STRBUF_INIT, raw = STRBUF_INIT;
	size_t pos = 0, lineno = 0;
	int rc = 0, have_totals = 0, header = 0, old = 0;
	uint64_t last_end_ms = 0;
	struct hist sum;
	struct exact x = { 0, 0, 0, 0, 0 };

	if (hist_init(&sum, 0))
		return -ENOMEM;
	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		strbuf_reset(&line);
		strbuf_add(&line, text + pos, l);
		pos += l + 1;
		if (line.len && line.buf[line.len - 1] == '\r')
			strbuf_setlen(&line, line.len - 1);
		if (lineno == 1) {
			old = !strcmp(line.buf, "#pinch-load-hdrlog 1");
			if (!old && strncmp(line.buf, "#[", 2) && line.buf[0] != '"') {
				snprintf(err, errlen, "%s:1: not a histogram log (HdrHistogram's or pinch load's)", name);
				rc = -EINVAL;
			}
			header = 1;
			if (old)
				continue;
		}
		if (!old) {
			/* HdrHistogram's interval log. */
			char *f[4], *save = NULL, *q;
			struct hist h;
			double start, ilen;
			char msg[200];

			if (!strncmp(line.buf, "#[pinch totals ", 15)) {
				struct strbuf t = STRBUF_INIT;

				strbuf_addstr(&t, "T ");
				strbuf_addstr(&t, line.buf + 15);
				strbuf_rtrim(&t);
				if (t.len && t.buf[t.len - 1] == ']')
					strbuf_setlen(&t, t.len - 1);
				rc = merge_totals(acc, t.buf, name, lineno, &x, err, errlen);
				strbuf_release(&t);
				have_totals = 1;
				continue;
			}
			if (!line.len || line.buf[0] == '#' || line.buf[0] == '"')
				continue;
			q = line.buf;
			if (!strncmp(q, "Tag=", 4))
				q += strcspn(q, ",") + (q[strcspn(q, ",")] ? 1 : 0);
			for (int i = 0; i < 4; i++)
				f[i] = strtok_r(i ? NULL : q, ",", &save);
			if (!f[3] || strtok_r(NULL, ",", &save) || sscanf(f[0], "%lf", &start) != 1 ||
			    sscanf(f[1], "%lf", &ilen) != 1 || !(start >= 0 && start < 1e12) || !(ilen >= 0 && ilen < 1e9)) {
				snprintf(err, errlen, "%s:%zu: bad interval line", name, lineno);
				rc = -EINVAL;
				break;
			}
			if (load_hdr_decode(&h, f[3], strlen(f[3]), msg, sizeof(msg))) {
				snprintf(err, errlen, "%s:%zu: %s", name, lineno, msg);
				rc = -EINVAL;
				break;
			}
			rc = hist_merge(&sum, &h);
			hist_release(&h);
			if ((uint64_t)((start + ilen) * 1000) > last_end_ms)
				last_end_ms = (uint64_t)((start + ilen) * 1000);
			continue;
		}
		if (!line.len || line.buf[0] == '#')
			continue;
		if (line.buf[0] == 'I' && line.buf[1] == ' ') {
			uint64_t start, ilen, count;
			char b64[4];
			int consumed = 0;
			struct hist h;
			size_t blen, pad = 0;
			int n;

			if (sscanf(line.buf, "I %" SCNu64 " %" SCNu64 " %" SCNu64 " %n%3c", &start, &ilen, &count,
				   &consumed, b64) != 4 || !consumed) {
				snprintf(err, errlen, "%s:%zu: bad interval line", name, lineno);
				rc = -EINVAL;
				break;
			}
			blen = line.len - (size_t)consumed;
			if (blen % 4 || blen > (1u << 26)) {
				snprintf(err, errlen, "%s:%zu: bad base64 length", name, lineno);
				rc = -EINVAL;
				break;
			}
			if (blen && line.buf[line.len - 1] == '=')
				pad = 1 + (blen > 1 && line.buf[line.len - 2] == '=');
			strbuf_reset(&raw);
			if (ossl_load(err, errlen)) {
				rc = -ENOSYS;
				break;
			}
			if (strbuf_grow(&raw, blen / 4 * 3 + 1)) {
				rc = -ENOMEM;
				break;
			}
			n = EVP_DecodeBlock((unsigned char *)raw.buf, (const unsigned char *)line.buf + consumed,
					    (int)blen);
			if (n < 0 || (size_t)n < pad) {
				snprintf(err, errlen, "%s:%zu: bad base64", name, lineno);
				rc = -EINVAL;
				break;
			}
			strbuf_setlen(&raw, (size_t)n - pad);
			if (hist_decode(&h, raw.buf, raw.len)) {
				snprintf(err, errlen, "%s:%zu: bad histogram", name, lineno);
				rc = -EINVAL;
				break;
			}
			if (h.total != count) {
				snprintf(err, errlen, "%s:%zu: histogram holds %" PRIu64 " values, the line says %" PRIu64,
					 name, lineno, h.total, count);
				hist_release(&h);
				rc = -EINVAL;
				break;
			}
			rc = hist_merge(&sum, &h);
			hist_release(&h);
			if (start + ilen > last_end_ms)
				last_end_ms = start + ilen;
			continue;
		}
		if (line.buf[0] == 'T' && line.buf[1] == ' ') {
			rc = merge_totals(acc, line.buf, name, lineno, &x, err, errlen);
			have_totals = 1;
			continue;
		}
		snprintf(err, errlen, "%s:%zu: unknown line", name, lineno);
		rc = -EINVAL;
	}
	if (!rc && !header) {
		snprintf(err, errlen, "%s: empty file", name);
		rc = -EINVAL;
	}
	if (!rc && !have_totals) {
		/* A run cut short: what its intervals hold. */
		double secs = (double)last_end_ms / 1e3;

		acc->c.requests += sum.total;
		acc->c.ok += sum.total;
		if (last_end_ms * 1000000 > acc->duration_ns)
			acc->duration_ns = last_end_ms * 1000000;
		if (secs > 0)
			acc->rps += (double)sum.total / secs;
	}
	if (!rc && x.have == 15 && sum.total && x.min <= x.max) {
		/* The exact figures of the run, where the buckets hold
		 * midpoints. */
		sum.min = x.min;
		sum.max = x.max;
		sum.sum = x.sum;
		sum.sumsq = x.sumsq;
	}
	if (!rc)
		rc = hist_merge(&acc->lat, &sum);
	hist_release(&sum);
	strbuf_release(&line);
	strbuf_release(&raw);
	return rc;
}
