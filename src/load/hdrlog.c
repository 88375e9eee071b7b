/*
 * hdrlog.c - writes and merges histogram logs of pinch load (load layer).
 * Text lines with base64 (OpenSSL's EVP block coder) of the shared
 * histogram's compact encoding, so logs survive mail, CI artifacts and grep.
 */
#include "hdrlog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/strbuf.h"
#include "engine.h"
#include "model/hist.h"
#include "core/banned.h"

int load_hdrlog_open(struct load_hdrlog *l, const char *path, const char *target,
		     char *err, size_t errlen)
{
	l->f = fopen(path, "w");
	if (!l->f) {
		int e = errno;

		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(e));
		return -e;
	}
	fprintf(l->f, "#pinch-load-hdrlog 1\n#target %s\n", target);
	return 0;
}

void load_hdrlog_interval(struct load_hdrlog *l, uint64_t start_ns, uint64_t len_ns,
			  const struct hist *h)
{
	struct strbuf enc = STRBUF_INIT, b64 = STRBUF_INIT;
	size_t need;

	if (!l->f)
		return;
	hist_encode(h, &enc);
	need = 4 * ((enc.len + 2) / 3) + 1;
	if (!strbuf_grow(&b64, need)) {
		int n = EVP_EncodeBlock((unsigned char *)b64.buf, (const unsigned char *)enc.buf, (int)enc.len);

		strbuf_setlen(&b64, (size_t)n);
		fprintf(l->f, "I %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", start_ns / 1000000,
			len_ns / 1000000, h->total, b64.buf);
	}
	strbuf_release(&enc);
	strbuf_release(&b64);
}

int load_hdrlog_finish(struct load_hdrlog *l, const struct load_result *r)
{
	int rc = 0;

	if (!l->f)
		return 0;
	fprintf(l->f, "T duration_ns=%" PRIu64 " requests=%" PRIu64 " ok=%" PRIu64 " failed=%" PRIu64
		" bytes=%" PRIu64 " sent=%" PRIu64 " rps=%.3f target_rate=%.3f achieved_rate=%.3f"
		" threads=%u connections=%u",
		r->duration_ns, r->c.requests, r->c.ok, r->c.failed, r->c.bytes, r->sent, r->rps,
		r->target_rate, r->achieved_rate, r->threads, r->connections);
	for (int k = 0; k < LOAD_E_COUNT; k++)
		fprintf(l->f, " err.%s=%" PRIu64, load_err_names[k], r->c.err[k]);
	for (int s = 0; s < LOAD_STATUS_SLOTS; s++)
		if (r->c.status[s])
			fprintf(l->f, " status.%d=%" PRIu64, s, r->c.status[s]);
	fputc('\n', l->f);
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

static int merge_totals(struct load_result *acc, char *line, const char *name, size_t lineno,
			char *err, size_t errlen)
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
	int rc = 0, have_totals = 0, header = 0;
	uint64_t last_end_ms = 0;
	struct hist sum;

	if (hist_init(&sum, 0))
		return -ENOMEM;
	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		strbuf_reset(&line);
		strbuf_add(&line, text + pos, l);
		pos += l + 1;
		if (lineno == 1) {
			if (strcmp(line.buf, "#pinch-load-hdrlog 1")) {
				snprintf(err, errlen, "%s:1: not a pinch load histogram log", name);
				rc = -EINVAL;
			}
			header = 1;
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
			rc = merge_totals(acc, line.buf, name, lineno, err, errlen);
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
	if (!rc)
		rc = hist_merge(&acc->lat, &sum);
	hist_release(&sum);
	strbuf_release(&line);
	strbuf_release(&raw);
	return rc;
}
