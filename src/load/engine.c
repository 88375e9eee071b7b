/*
 * engine.c - the HTTP load engine of pinch load (load layer): per-thread
 * epoll loops over non-blocking keep-alive connections, the closed and
 * open models, request timeouts and reconnects, TLS through OpenSSL.
 * Workers record into their own histograms; the calling thread merges
 * them every tick and at the end (wrk2's design).
 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>


#include "core/clock.h"
#include "core/strbuf.h"
#include "http.h"
#include "ossl.h"
#include "scenario.h"
#include "url.h"
#include "core/banned.h"

const char *const load_err_names[LOAD_E_COUNT] = {
	"connect", "timeout", "reset", "read", "parse", "status", "unfinished",
};

#define HOUSEKEEP_NS 10000000ull	/* timeouts, ramps, stop checks */
#define DRAIN_NS 1000000000ull		/* at the end, how long answers in flight are awaited */
#define SPIN_NS 30000ull		/* wake this early and spin to the send time */
#define RECONNECT_DELAY_NS 50000000ull	/* after a failed connect */

enum conn_state { C_IDLE, C_CONNECTING, C_TLS, C_OPEN };

struct slot {
	uint64_t start;		/* intended send time (open) or send time */
	uint64_t sent;		/* actual send time */
	uint64_t seq;		/* its {seq} */
	uint32_t row;		/* its data row */
	uint16_t task;
	uint8_t head;
	uint8_t tries;		/* times sent again after a close */
	uint8_t hops;		/* redirects followed to get here */
	struct strbuf req;	/* its bytes when kept (to send again); empty: the prebuilt request */
};

struct worker;

struct conn {
	struct worker *w;
	int fd;
	enum conn_state state;
	SSL *ssl;
	uint32_t events;
	unsigned gidx;		/* global index: user number, open-model phase */
	int active;
	int close_after;	/* server said Connection: close */
	int bogus;		/* a response nobody asked for */
	int nopipe;		/* the server closes: one request at a time from now on */
	struct load_resp resp;
	struct slot ring[LOAD_MAX_PIPELINE];
	unsigned head, inflight;
	unsigned unsent;	/* the last of inflight still to be sent (again) */
	uint64_t answered;	/* responses on this connection */
	struct strbuf jar;	/* cookies: "name=value\n" lines */
	struct strbuf wbuf;
	size_t woff;
	uint64_t k;		/* open model: requests sent on this connection */
	uint64_t next_at;	/* a timed send (open model, think time), 0 none */
	uint64_t reconnect_at;
	uint64_t connect_start;
};

struct run;

struct worker {
	pthread_t th;
	struct run *run;
	unsigned id;
	uint64_t drain_until;	/* the run ended: no new requests; answers awaited until then */
	int ep, tfd;
	struct conn *conns;
	unsigned n;
	pthread_mutex_t lock;
	/* written under lock, read by the merging thread */
	struct hist ihist;
	struct load_counts c;
	/* read only after join */
	struct hist uncorr;
	struct load_task_result *tasks;
	uint64_t sent, last_send;
	uint64_t rng;
	uint64_t now;
	uint64_t armed;
	unsigned inflight;
	unsigned users_wanted;
	atomic_int finished;
	struct strbuf scratch;	/* request bodies */
	char rbuf[65536];
};

struct run {
	const struct load_config *cfg;
	const struct load_scenario *sc;
	SSL_CTX *ssl;
	uint64_t start, end;	/* end 0: no time bound */
	uint64_t budget;	/* UINT64_MAX: none */
	atomic_uint_fast64_t issued;
	atomic_uint_fast64_t seq;
	atomic_int stop;
	int open;
	int simple;		/* one constant request: prebuilt bytes */
	int keep_req;		/* keep each request's bytes (pipelining: sent again after a close) */
	atomic_uint_fast64_t row_seq;	/* data rows per request */
	int per_task;
	int ramp;
	uint64_t interval;	/* open model: ns between sends of one connection */
	double phase_ns;	/* open model: offset between connections */
	struct strbuf prebuilt;
	struct worker *workers;
	unsigned nw;
	unsigned total_conns;
	int donefd;		/* eventfd: a worker finished */
};

/* ---------- result helpers ---------- */

int load_result_init(struct load_result *r, size_t n_tasks)
{
	memset(r, 0, sizeof(*r));
	if (hist_init(&r->lat, 0) || hist_init(&r->uncorrected, 0))
		goto nomem;
	r->tasks = calloc(n_tasks ? n_tasks : 1, sizeof(*r->tasks));
	if (!r->tasks)
		goto nomem;
	r->n_tasks = n_tasks;
	for (size_t i = 0; i < n_tasks; i++)
		if (hist_init(&r->tasks[i].lat, 0))
			goto nomem;
	return 0;
nomem:
	load_result_release(r);
	return -ENOMEM;
}

int load_result_corrected(const struct load_result *r, struct hist *out)
{
	uint64_t e;

	if (r->target_rate > 0 || !r->lat.total || !r->connections || !r->duration_ns)
		return -EINVAL;
	if (hist_init(out, r->lat.max_trackable) || hist_merge(out, &r->lat))
		return -ENOMEM;
	e = (uint64_t)((double)r->duration_ns * r->connections / (double)r->lat.total);
	if (!e)
		return 0;
	for (uint32_t i = 0; i < r->lat.n_counts; i++) {
		uint64_t c = r->lat.counts[i], lo = hist_bucket_low(i), hi = hist_bucket_high(i);
		uint64_t v = lo + (hi - lo) / 2, x;

		if (!c || v <= e)
			continue;
		/* v-E, v-2E, ... >= E, added a bucket at a time */
		for (x = v - e; x >= e;) {
			uint64_t blo = hist_bucket_low(hist_index(x));
			uint64_t floor = blo > e ? blo : e;
			uint64_t m = (x - floor) / e + 1;

			hist_record_n(out, x, m * c);
			if (x < m * e)
				break;
			x -= m * e;
		}
	}
	return 0;
}

void load_result_release(struct load_result *r)
{
	hist_release(&r->lat);
	hist_release(&r->uncorrected);
	if (r->tasks)
		for (size_t i = 0; i < r->n_tasks; i++)
			hist_release(&r->tasks[i].lat);
	free(r->tasks);
	memset(r, 0, sizeof(*r));
}

void load_counts_add(struct load_counts *dst, const struct load_counts *src)
{
	dst->requests += src->requests;
	dst->ok += src->ok;
	dst->failed += src->failed;
	dst->bytes += src->bytes;
	for (int i = 0; i < LOAD_E_COUNT; i++)
		dst->err[i] += src->err[i];
	for (int i = 0; i < LOAD_STATUS_SLOTS; i++)
		dst->status[i] += src->status[i];
	dst->resent += src->resent;
	dst->pipe_stopped += src->pipe_stopped;
	dst->redirects += src->redirects;
	for (int i = 0; i < LOAD_MAX_CHECKS; i++) {
		dst->check_pass[i] += src->check_pass[i];
		dst->check_fail[i] += src->check_fail[i];
	}
}

/* ---------- TLS ---------- */

static SSL_CTX *tls_ctx_new(const struct load_config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (ossl_load(err, errlen))
		return NULL;
	ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(err, errlen, "cannot create a TLS context: %s",
			 ERR_reason_error_string(ERR_get_error()));
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (cfg->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->cafile) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->cafile, NULL) != 1) {
			const char *why = ERR_reason_error_string(ERR_get_error());

			snprintf(err, errlen, "cannot load CA certificates from '%s': %s", cfg->cafile,
				 why ? why : "no PEM certificates in it");
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else {
		SSL_CTX_set_default_verify_paths(ctx);
	}
	return ctx;
}

static SSL *tls_new(SSL_CTX *ctx, const struct load_url *u, int fd)
{
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		return NULL;
	SSL_set_fd(ssl, fd);
	SSL_set_connect_state(ssl);
	if (!strchr(u->host, ':'))
		SSL_set_tlsext_host_name(ssl, u->host);
	SSL_set1_host(ssl, u->host);
	return ssl;
}

static void tls_describe(SSL *ssl, int rc, char *err, size_t errlen)
{
	long v = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_last_error();

	if (v != X509_V_OK)
		snprintf(err, errlen, "TLS handshake failed: certificate: %s",
			 X509_verify_cert_error_string(v));
	else if (e)
		snprintf(err, errlen, "TLS handshake failed: %s", ERR_reason_error_string(e));
	else
		snprintf(err, errlen, "TLS handshake failed (code %d)", SSL_get_error(ssl, rc));
	ERR_clear_error();
}

/* ---------- probe ---------- */

static int connect_nb(const struct load_url *u)
{
	int fd = socket(u->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&u->addr, u->addrlen) && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int load_probe(const struct load_config *cfg, char *err, size_t errlen)
{
	const struct load_url *u = cfg->url;
	int fd = connect_nb(u), rc = 0, soerr = 0;
	socklen_t sl = sizeof(soerr);
	struct pollfd pfd;
	int ms = cfg->timeout_ns ? (int)(cfg->timeout_ns / 1000000) : 5000;

	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", u->hostport, strerror(-fd));
		return fd;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, ms) != 1) {
		snprintf(err, errlen, "cannot connect to %s: timed out", u->hostport);
		rc = -ETIMEDOUT;
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr) {
		snprintf(err, errlen, "cannot connect to %s: %s", u->hostport, strerror(soerr));
		rc = -soerr;
		goto out;
	}
	if (u->https) {
		SSL_CTX *ctx = tls_ctx_new(cfg, err, errlen);
		SSL *ssl;
		uint64_t deadline = clock_mono_ns() + (uint64_t)ms * 1000000;

		if (!ctx) {
			rc = -EPROTO;
			goto out;
		}
		ssl = tls_new(ctx, u, fd);
		for (;;) {
			int r = SSL_do_handshake(ssl), e;

			if (r == 1)
				break;
			e = SSL_get_error(ssl, r);
			if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
			    clock_mono_ns() < deadline) {
				pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
				poll(&pfd, 1, 100);
				continue;
			}
			tls_describe(ssl, r, err, errlen);
			rc = -EPROTO;
			break;
		}
		SSL_free(ssl);
		SSL_CTX_free(ctx);
	}
out:
	close(fd);
	return rc;
}

/* ---------- worker: connections ---------- */

static void arm_timer(struct worker *w, uint64_t at)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t t = at > SPIN_NS ? at - SPIN_NS : 1;

	w->armed = at;
	its.it_value.tv_sec = (time_t)(t / 1000000000ull);
	its.it_value.tv_nsec = (long)(t % 1000000000ull);
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void want_at(struct worker *w, uint64_t at)
{
	if (!w->armed || at < w->armed)
		arm_timer(w, at);
}

static void set_events(struct conn *c, uint32_t ev)
{
	struct epoll_event e;

	if (c->events == ev)
		return;
	e.events = ev;
	e.data.ptr = c;
	epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &e);
	c->events = ev;
}

static int take_slot(struct run *r)
{
	if (r->budget == UINT64_MAX)
		return 1;
	if (atomic_load_explicit(&r->issued, memory_order_relaxed) >= r->budget)
		return 0;
	return atomic_fetch_add(&r->issued, 1) < r->budget;
}

static int budget_left(struct run *r)
{
	return r->budget == UINT64_MAX ||
	       atomic_load_explicit(&r->issued, memory_order_relaxed) < r->budget;
}

static void count_error(struct worker *w, int kind, int task)
{
	w->c.requests++;
	w->c.failed++;
	w->c.err[kind]++;
	if (task >= 0 && w->run->per_task) {
		w->tasks[task].requests++;
		w->tasks[task].failed++;
	}
}

static void conn_drop_fd(struct conn *c)
{
	c->state = C_IDLE;
	c->events = 0;
	c->close_after = 0;
	c->bogus = 0;
	c->answered = 0;
	strbuf_reset(&c->wbuf);
	c->woff = 0;
}

static void conn_shut(struct conn *c)
{
	if (c->fd >= 0) {
		if (c->ssl) {
			SSL_free(c->ssl);
			c->ssl = NULL;
		}
		epoll_ctl(c->w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->w->inflight -= c->inflight;
	c->inflight = 0;
	c->unsent = 0;
	c->head = 0;
	conn_drop_fd(c);
}

/* A request that got no answer in time (a timeout, or still in flight at
 * the end): its latency is at least its age, and a server that never
 * answers must not show as fast, so that age goes into the figures. */
static void record_unanswered(struct worker *w, const struct slot *s)
{
	uint64_t age = w->now > s->start ? w->now - s->start : 0;

	hist_record(&w->ihist, age);
	if (w->run->open)
		hist_record(&w->uncorr, w->now > s->sent ? w->now - s->sent : 0);
	if (w->run->per_task)
		hist_record(&w->tasks[s->task].lat, age);
}

/* Ends a connection after a fault: every request in flight failed. */
static void conn_fail(struct conn *c, int kind)
{
	struct worker *w = c->w;

	if (c->inflight) {
		for (unsigned i = 0; i < c->inflight; i++) {
			const struct slot *s = &c->ring[(c->head + i) % LOAD_MAX_PIPELINE];

			if (kind == LOAD_E_TIMEOUT || kind == LOAD_E_UNFINISHED)
				record_unanswered(w, s);
			count_error(w, kind, s->task);
		}
	} else if (kind == LOAD_E_CONNECT || kind == LOAD_E_PARSE) {
		/* No request went out (or none was asked for), but one was
		 * meant to: it failed. A reset of an idle connection is not
		 * a failed request. */
		if (take_slot(w->run))
			count_error(w, kind, -1);
	}
	conn_shut(c);
	c->reconnect_at = w->now + (kind == LOAD_E_CONNECT ? RECONNECT_DELAY_NS : 0);
	want_at(w, c->reconnect_at ? c->reconnect_at : w->now);
}

#define MAX_TRIES 3

/* The server closed the connection (Connection: close, or a close between
 * responses) after answering on it, with requests of ours unanswered: they
 * are sent again on a new connection, as browsers and curl do, and count
 * once. A server that said Connection: close gets one request at a time on
 * this connection from now on. */
static void conn_retry(struct conn *c)
{
	struct worker *w = c->w;
	unsigned wire = c->inflight - c->unsent;

	for (unsigned i = 0; i < c->inflight; i++)
		if (c->ring[(c->head + i) % LOAD_MAX_PIPELINE].tries >= MAX_TRIES) {
			conn_fail(c, LOAD_E_READ);
			return;
		}
	for (unsigned i = 0; i < wire; i++)
		c->ring[(c->head + i) % LOAD_MAX_PIPELINE].tries++;
	w->c.resent += wire;
	if (c->close_after && w->run->cfg->pipeline > 1 && !c->nopipe) {
		c->nopipe = 1;
		w->c.pipe_stopped++;
	}
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	conn_drop_fd(c);
	c->unsent = c->inflight;
	c->reconnect_at = w->now;
	want_at(w, w->now);
}

static int conn_flush(struct conn *c)
{
	while (c->woff < c->wbuf.len) {
		ssize_t n;
		size_t left = c->wbuf.len - c->woff;

		if (c->ssl) {
			int r = SSL_write(c->ssl, c->wbuf.buf + c->woff, (int)left);

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				ERR_clear_error();
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					set_events(c, EPOLLIN | EPOLLOUT);
					return 0;
				}
				conn_fail(c, LOAD_E_RESET);
				return -1;
			}
			n = r;
		} else {
			n = write(c->fd, c->wbuf.buf + c->woff, left);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					set_events(c, EPOLLIN | EPOLLOUT);
					return 0;
				}
				if ((errno == EPIPE || errno == ECONNRESET) && c->answered && !c->resp.in_message)
					conn_retry(c);
				else
					conn_fail(c, errno == EPIPE || errno == ECONNRESET ? LOAD_E_RESET : LOAD_E_READ);
				return -1;
			}
		}
		c->woff += (size_t)n;
	}
	strbuf_reset(&c->wbuf);
	c->woff = 0;
	set_events(c, EPOLLIN);
	return 0;
}

static char *const *data_row(const struct run *r, uint32_t row)
{
	const struct load_data *d = &r->sc->data;

	return d->n_cols ? d->cells + (size_t)row * d->n_cols : NULL;
}

/* Appends one request to b: the task's, or (path, method) for a redirect;
 * with_body 0 drops the body (a redirect turned into a GET). */
static void build_request(struct conn *c, size_t ti, uint64_t seq, uint32_t row, const char *path,
			  size_t plen, const char *method, int with_body, struct strbuf *b)
{
	struct worker *w = c->w;
	struct run *r = w->run;
	const struct load_task *t = &r->sc->tasks[ti];
	const struct load_url *u = r->cfg->url;
	char *const *fields = data_row(r, row);

	strbuf_addf(b, "%s ", method ? method : t->method);
	if (path)
		strbuf_add(b, path, plen);
	else
		load_tmpl_expand_row(&t->path, b, &w->rng, seq, c->gidx, fields);
	strbuf_addstr(b, " HTTP/1.1\r\n");
	if (!t->user_host)
		strbuf_addf(b, "Host: %s\r\n", u->hostport);
	if (t->hdr.is_const)
		strbuf_addstr(b, t->headers);
	else
		load_tmpl_expand_row(&t->hdr, b, &w->rng, seq, c->gidx, fields);
	if (r->sc->cookies && !t->user_cookie && c->jar.len) {
		/* "a=1\nb=2\n" -> "Cookie: a=1; b=2" */
		strbuf_addstr(b, "Cookie: ");
		for (size_t i = 0; i < c->jar.len; i++) {
			if (c->jar.buf[i] != '\n')
				strbuf_addch(b, c->jar.buf[i]);
			else if (i + 1 < c->jar.len)
				strbuf_addstr(b, "; ");
		}
		strbuf_addstr(b, "\r\n");
	}
	if (t->has_body && with_body) {
		strbuf_reset(&w->scratch);
		load_tmpl_expand_row(&t->body, &w->scratch, &w->rng, seq, c->gidx, fields);
		strbuf_addf(b, "Content-Length: %zu\r\n\r\n", w->scratch.len);
		strbuf_add(b, w->scratch.buf, w->scratch.len);
	} else {
		strbuf_addstr(b, "\r\n");
	}
}

static uint32_t pick_row(struct conn *c)
{
	struct run *r = c->w->run;
	const struct load_data *d = &r->sc->data;

	if (!d->n_rows)
		return 0;
	if (d->per_request)
		return (uint32_t)(atomic_fetch_add_explicit(&r->row_seq, 1, memory_order_relaxed) % d->n_rows);
	return (uint32_t)(c->gidx % d->n_rows);
}

/* Sends what may go now; arms the timer for what must wait. */
static void conn_fill(struct conn *c)
{
	struct worker *w = c->w;
	struct run *r = w->run;
	unsigned depth = c->nopipe ? 1 : r->cfg->pipeline;
	int sent = 0;

	if (c->state != C_OPEN || w->drain_until)
		return;
	/* Requests owed first: sent again after a close, or redirected. */
	while (c->unsent && c->inflight - c->unsent < depth) {
		struct slot *s = &c->ring[(c->head + c->inflight - c->unsent) % LOAD_MAX_PIPELINE];

		if (s->req.len)
			strbuf_add(&c->wbuf, s->req.buf, s->req.len);
		else
			strbuf_add(&c->wbuf, r->prebuilt.buf, r->prebuilt.len);
		s->sent = w->now;
		c->unsent--;
		sent = 1;
	}
	if (c->unsent)
		goto flush;
	if (!c->active || (!budget_left(r) && !c->inflight)) {
		if (!c->inflight)
			conn_shut(c);
		goto flush;
	}
	while (c->inflight < depth) {
		uint64_t start;
		size_t ti = 0, before = c->wbuf.len;
		struct slot *s;

		if (r->open) {
			start = r->start + (uint64_t)(c->gidx * r->phase_ns) + c->k * r->interval;
			if (start > w->now) {
				c->next_at = start;
				want_at(w, start);
				break;
			}
		} else {
			if (c->next_at > w->now) {
				want_at(w, c->next_at);
				break;
			}
			start = w->now;
		}
		if (!take_slot(r))
			break;
		c->next_at = 0;
		s = &c->ring[(c->head + c->inflight) % LOAD_MAX_PIPELINE];
		s->seq = 0;
		s->row = 0;
		strbuf_reset(&s->req);
		if (r->simple) {
			strbuf_add(&c->wbuf, r->prebuilt.buf, r->prebuilt.len);
		} else {
			ti = load_scenario_pick(r->sc, load_rng_next(&w->rng));
			s->seq = atomic_fetch_add_explicit(&r->seq, 1, memory_order_relaxed);
			s->row = pick_row(c);
			build_request(c, ti, s->seq, s->row, NULL, 0, NULL, 1, &c->wbuf);
			if (r->keep_req)
				strbuf_add(&s->req, c->wbuf.buf + before, c->wbuf.len - before);
		}
		s->start = start;
		s->sent = w->now;
		s->task = (uint16_t)ti;
		s->head = r->sc->tasks[ti].method[0] == 'H' && !strcmp(r->sc->tasks[ti].method, "HEAD");
		s->tries = 0;
		s->hops = 0;
		c->inflight++;
		w->inflight++;
		c->k++;
		w->sent++;
		sent = 1;
	}
flush:
	if (sent) {
		w->last_send = w->now;
		conn_flush(c);
	}
}

static void conn_open(struct conn *c)
{
	c->state = C_OPEN;
	load_resp_reset(&c->resp);
	set_events(c, EPOLLIN);
	conn_fill(c);
}

static void conn_handshake(struct conn *c)
{
	int r = SSL_do_handshake(c->ssl), e;

	if (r == 1) {
		conn_open(c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ)
		set_events(c, EPOLLIN);
	else if (e == SSL_ERROR_WANT_WRITE)
		set_events(c, EPOLLOUT);
	else
		conn_fail(c, LOAD_E_CONNECT);
}

static void conn_connect(struct conn *c)
{
	struct worker *w = c->w;
	const struct load_url *u = w->run->cfg->url;
	struct epoll_event e;
	int fd = connect_nb(u);

	c->reconnect_at = 0;
	c->connect_start = w->now;
	if (fd < 0) {
		conn_fail(c, LOAD_E_CONNECT);
		return;
	}
	c->fd = fd;
	c->state = C_CONNECTING;
	c->events = EPOLLOUT;
	e.events = EPOLLOUT;
	e.data.ptr = c;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &e);
}

/* Set-Cookie: "name=value; Path=/; Max-Age=0" into the jar: set, replace
 * or (an empty value, Max-Age=0 or less) delete. */
static void jar_set(struct strbuf *jar, const char *v, size_t len)
{
	const char *eq = memchr(v, '=', len), *semi = memchr(v, ';', len);
	size_t nlen, vlen;
	int del = 0;

	if (!eq || (semi && semi < eq) || eq == v)
		return;
	nlen = (size_t)(eq - v);
	vlen = (size_t)((semi ? semi : v + len) - eq - 1);
	if (!vlen)
		del = 1;
	for (const char *a = semi; a && a < v + len; a = memchr(a + 1, ';', (size_t)(v + len - a - 1))) {
		const char *p = a + 1;

		while (p < v + len && *p == ' ')
			p++;
		if ((size_t)(v + len - p) > 8 && !strncasecmp(p, "max-age=", 8) && (p[8] == '0' || p[8] == '-'))
			del = 1;
	}
	for (size_t i = 0; i < nlen + vlen + 1; i++)
		if ((unsigned char)v[i] < ' ' || v[i] == '\n')
			return;
	/* Drop the old line of this name. */
	for (size_t off = 0; off < jar->len;) {
		char *nl = memchr(jar->buf + off, '\n', jar->len - off);
		size_t l = (size_t)(nl - (jar->buf + off)) + 1;

		if (l > nlen && jar->buf[off + nlen] == '=' && !memcmp(jar->buf + off, v, nlen)) {
			memmove(jar->buf + off, jar->buf + off + l, jar->len - off - l);
			strbuf_setlen(jar, jar->len - l);
			break;
		}
		off += l;
	}
	if (!del) {
		strbuf_add(jar, v, nlen + 1 + vlen);
		strbuf_addch(jar, '\n');
	}
}

/* A redirect to follow: its Location as a path on the target (a
 * relative reference, or an absolute URL of the same scheme and host).
 * Returns the path's length, 0 when it is not to be followed. */
static size_t redirect_path(const struct run *r, const struct load_resp *resp, const char **path)
{
	const struct load_url *u = r->cfg->url;
	size_t pos = 0, len;
	const char *v = load_resp_header(resp, "Location", &pos, &len);
	const char *scheme = u->https ? "https://" : "http://";
	size_t sl = strlen(scheme), hl = strlen(u->hostport);

	if (!v || !len)
		return 0;
	if (len > sl && !strncasecmp(v, scheme, sl)) {
		if (len < sl + hl || strncasecmp(v + sl, u->hostport, hl) ||
		    (len > sl + hl && v[sl + hl] != '/'))
			return 0;	/* another host: not followed */
		v += sl + hl;
		len -= sl + hl;
		if (!len) {
			*path = "/";
			return 1;
		}
	}
	if (v[0] != '/')
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return 0;
	*path = v;
	return len;
}

static void on_done(void *ctx, const struct load_resp *resp, unsigned status, uint64_t body, int keep_alive)
{
	struct conn *c = ctx;
	struct worker *w = c->w;
	struct run *r = w->run;
	const struct load_scenario *sc = r->sc;
	struct slot *s;
	uint64_t lat;
	int failed = status >= 400;
	const struct load_task *task;

	(void)body;
	if (c->inflight == c->unsent) {
		c->bogus = 1;
		return;
	}
	c->answered++;
	if (!keep_alive)
		c->close_after = 1;
	s = &c->ring[c->head];
	task = &sc->tasks[s->task];
	if (sc->cookies) {
		size_t pos = 0, len;
		const char *v;

		while ((v = load_resp_header(resp, "Set-Cookie", &pos, &len)))
			jar_set(&c->jar, v, len);
	}
	if (status >= 300 && status < 400 && status != 304 && status != 305 && status != 306) {
		int limit = task->redirects >= 0 ? task->redirects : (int)sc->redirects;
		const char *path = NULL;
		size_t plen;

		if (s->hops < limit && (plen = redirect_path(r, resp, &path))) {
			/* Follow it on this connection (or the next): the
			 * request goes on, timed from its start. */
			struct slot old = *s, *n;
			int same = status == 307 || status == 308;
			const char *method = same ? task->method : !strcmp(task->method, "HEAD") ? "HEAD" : "GET";

			c->head = (c->head + 1) % LOAD_MAX_PIPELINE;
			n = &c->ring[(c->head + c->inflight - 1) % LOAD_MAX_PIPELINE];
			if (n != s) {
				/* n's buffer is free; s keeps its own */
				struct strbuf tmp = n->req;

				n->req = s->req;
				s->req = tmp;
			}
			strbuf_reset(&n->req);
			build_request(c, old.task, old.seq, old.row, path, plen, method, same, &n->req);
			n->start = old.start;
			n->sent = w->now;
			n->seq = old.seq;
			n->row = old.row;
			n->task = old.task;
			n->head = !strcmp(method, "HEAD");
			n->tries = 0;
			n->hops = (uint8_t)(old.hops + 1);
			c->unsent++;
			w->c.redirects++;
			return;
		}
	}
	c->head = (c->head + 1) % LOAD_MAX_PIPELINE;
	c->inflight--;
	w->inflight--;
	lat = w->now > s->start ? w->now - s->start : 0;
	hist_record(&w->ihist, lat);
	if (r->open)
		hist_record(&w->uncorr, w->now > s->sent ? w->now - s->sent : 0);
	w->c.requests++;
	w->c.status[status >= 100 && status < LOAD_STATUS_SLOTS ? status : 0]++;
	if (failed) {
		w->c.failed++;
		w->c.err[LOAD_E_STATUS]++;
	} else {
		w->c.ok++;
	}
	for (size_t i = 0; i < sc->n_checks; i++) {
		const struct load_check *ck = &sc->checks[i];

		if (ck->task >= 0 && ck->task != s->task)
			continue;
		if (load_check_eval(ck, status, resp))
			w->c.check_pass[i]++;
		else
			w->c.check_fail[i]++;
	}
	if (r->per_task) {
		struct load_task_result *t = &w->tasks[s->task];

		t->requests++;
		if (failed)
			t->failed++;
		else
			t->ok++;
		hist_record(&t->lat, lat);
	}
	if (!r->open) {
		uint64_t lo = task->has_wait ? task->wait_min_ns : sc->wait_min_ns;
		uint64_t hi = task->has_wait ? task->wait_max_ns : sc->wait_max_ns;

		if (hi) {
			uint64_t span = hi - lo;

			c->next_at = w->now + lo + (span ? load_rng_next(&w->rng) % (span + 1) : 0);
		}
	}
}

static int on_head(void *ctx)
{
	struct conn *c = ctx;

	return c->inflight && c->ring[c->head].head;
}

static const struct load_resp_ops resp_ops = { .done = on_done, .is_head = on_head };

/* After bytes were parsed (or the peer closed): drop or refill. */
static void conn_after_read(struct conn *c)
{
	if (c->bogus) {
		conn_fail(c, LOAD_E_PARSE);
		return;
	}
	if (c->close_after) {
		if (c->inflight)
			conn_retry(c);
		else
			conn_shut(c);
		want_at(c->w, c->w->now);
		return;
	}
	conn_fill(c);
}

static void conn_read(struct conn *c)
{
	struct worker *w = c->w;

	for (;;) {
		ssize_t n;

		if (c->ssl) {
			int r = SSL_read(c->ssl, w->rbuf, (int)sizeof(w->rbuf)), e;

			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				ERR_clear_error();
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					return;
				if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && !errno)) {
					n = 0;
				} else {
					conn_fail(c, e == SSL_ERROR_SYSCALL && errno == ECONNRESET ? LOAD_E_RESET : LOAD_E_READ);
					return;
				}
			} else {
				n = r;
			}
		} else {
			n = read(c->fd, w->rbuf, sizeof(w->rbuf));
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				if (errno == ECONNRESET && c->answered && c->inflight && !c->resp.in_message)
					conn_retry(c);	/* closed with our requests unread */
				else
					conn_fail(c, errno == ECONNRESET ? LOAD_E_RESET : LOAD_E_READ);
				return;
			}
		}
		if (n == 0) {
			int rc = load_resp_eof(&c->resp);

			if (rc == -EPROTO) {
				conn_fail(c, LOAD_E_PARSE);
			} else if (!rc && !c->bogus && c->inflight && c->answered) {
				conn_retry(c);	/* closed between responses after answering */
			} else if (rc || c->inflight || c->bogus) {
				conn_fail(c, c->bogus ? LOAD_E_PARSE : LOAD_E_READ);
			} else {
				conn_shut(c);
				want_at(w, w->now);
			}
			return;
		}
		w->c.bytes += (uint64_t)n;
		w->now = clock_mono_ns();
		if (load_resp_feed(&c->resp, w->rbuf, (size_t)n)) {
			conn_fail(c, LOAD_E_PARSE);
			return;
		}
		if (c->bogus || c->close_after) {
			conn_after_read(c);
			return;
		}
		/* Plain sockets are level-triggered: one read per wake-up;
		 * TLS may hold decrypted bytes, so drain it. */
		if (!c->ssl || !SSL_pending(c->ssl))
			break;
	}
	conn_after_read(c);
}

static void conn_event(struct conn *c, uint32_t ev)
{
	struct worker *w = c->w;

	switch (c->state) {
	case C_CONNECTING: {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr || (ev & (EPOLLERR | EPOLLHUP))) {
			conn_fail(c, LOAD_E_CONNECT);
			return;
		}
		if (w->run->cfg->url->https) {
			c->ssl = tls_new(w->run->ssl, w->run->cfg->url, c->fd);
			if (!c->ssl) {
				conn_fail(c, LOAD_E_CONNECT);
				return;
			}
			c->state = C_TLS;
			conn_handshake(c);
		} else {
			conn_open(c);
		}
		return;
	}
	case C_TLS:
		conn_handshake(c);
		return;
	case C_OPEN:
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_read(c);
		if (c->state == C_OPEN && (ev & EPOLLOUT) && c->wbuf.len)
			conn_flush(c);
		return;
	case C_IDLE:
		return;
	}
}

/* ---------- worker: loop ---------- */

static int run_stopping(struct run *r, uint64_t now)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed) ||
	       (r->cfg->stop && *r->cfg->stop) || (r->end && now >= r->end);
}

/* Timed work: timeouts, ramps, reconnects, sends whose time came. */
static void service(struct worker *w, int housekeep)
{
	struct run *r = w->run;
	uint64_t next = 0;

	if (housekeep && r->ramp) {
		uint64_t t = w->now > r->start ? w->now - r->start : 0;

		w->users_wanted = load_scenario_users_at(r->sc, t, r->total_conns);
	}
	for (unsigned i = 0; i < w->n; i++) {
		struct conn *c = &w->conns[i];

		if (housekeep) {
			c->active = c->gidx < w->users_wanted;
			if (c->state == C_OPEN && c->inflight > c->unsent && r->cfg->timeout_ns &&
			    w->now - c->ring[c->head].sent > r->cfg->timeout_ns)
				conn_fail(c, LOAD_E_TIMEOUT);
			else if ((c->state == C_CONNECTING || c->state == C_TLS) && r->cfg->timeout_ns &&
				 w->now - c->connect_start > r->cfg->timeout_ns)
				conn_fail(c, LOAD_E_CONNECT);
		}
		if (c->state == C_IDLE) {
			if ((c->active && budget_left(r)) || c->inflight) {
				if (c->reconnect_at <= w->now)
					conn_connect(c);
				else if (!next || c->reconnect_at < next)
					next = c->reconnect_at;
			}
		} else if (c->state == C_OPEN) {
			if (c->next_at && c->next_at <= w->now + SPIN_NS) {
				while (clock_mono_ns() < c->next_at)
					;
				w->now = clock_mono_ns();
				conn_fill(c);
			} else if (!c->active && !c->inflight) {
				conn_shut(c);
			}
			if (c->next_at && (!next || c->next_at < next))
				next = c->next_at;
		}
	}
	w->armed = 0;
	if (next)
		arm_timer(w, next);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	struct epoll_event evs[256];
	uint64_t next_hk = 0;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	w->now = clock_mono_ns();
	while (w->now < r->start) {
		clock_sleep_ns(r->start - w->now, NULL);
		w->now = clock_mono_ns();
	}
	for (;;) {
		int n, ms, timer = 0;

		pthread_mutex_lock(&w->lock);
		w->now = clock_mono_ns();
		if (w->now >= next_hk) {
			next_hk = w->now + HOUSEKEEP_NS;
			service(w, 1);
		}
		pthread_mutex_unlock(&w->lock);
		if (run_stopping(r, w->now) && !w->drain_until && w->inflight &&
		    !atomic_load_explicit(&r->stop, memory_order_relaxed)) {
			/* The duration is over: send nothing more, and give the
			 * requests in flight a moment to be answered. */
			uint64_t grace = r->cfg->timeout_ns && r->cfg->timeout_ns < DRAIN_NS ?
				r->cfg->timeout_ns : DRAIN_NS;

			w->drain_until = w->now + grace;
		}
		if ((run_stopping(r, w->now) && (!w->inflight || !w->drain_until ||
						 w->now >= w->drain_until)) ||
		    (!budget_left(r) && !w->inflight)) {
			/* Requests still in flight then count, as unfinished,
			 * at the age they reached. */
			pthread_mutex_lock(&w->lock);
			w->now = clock_mono_ns();
			for (unsigned i = 0; i < w->n; i++)
				if (w->conns[i].inflight)
					conn_fail(&w->conns[i], LOAD_E_UNFINISHED);
			pthread_mutex_unlock(&w->lock);
			break;
		}
		ms = (int)((next_hk - w->now) / 1000000) + 1;
		n = epoll_wait(w->ep, evs, 256, ms);
		pthread_mutex_lock(&w->lock);
		w->now = clock_mono_ns();
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr) {
				uint64_t exp;

				if (read(w->tfd, &exp, sizeof(exp)) < 0)
					(void)exp;
				timer = 1;
				continue;
			}
			conn_event(evs[i].data.ptr, evs[i].events);
		}
		if (timer)
			service(w, 0);
		pthread_mutex_unlock(&w->lock);
	}
	atomic_store(&w->finished, 1);
	{
		uint64_t one = 1;

		if (write(r->donefd, &one, sizeof(one)) < 0)
			(void)one;
	}
	return NULL;
}

/* ---------- run ---------- */

static int need_headers(const struct load_scenario *sc)
{
	for (size_t i = 0; i < sc->n_checks; i++)
		if (sc->checks[i].kind == LOAD_CHECK_HEADER)
			return 1;
	for (size_t i = 0; i < sc->n_tasks; i++)
		if (sc->tasks[i].redirects > 0)
			return 1;
	return 0;
}

static int need_body(const struct load_scenario *sc)
{
	for (size_t i = 0; i < sc->n_checks; i++)
		if (sc->checks[i].kind == LOAD_CHECK_BODY)
			return 1;
	return 0;
}

static int worker_init(struct worker *w, struct run *r, unsigned id, unsigned nconns,
		       unsigned first_gidx_step)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

	w->run = r;
	w->id = id;
	w->n = nconns;
	w->rng = (r->cfg->seed ? r->cfg->seed : 0x2545f4914f6cdd1dull) * (id + 1) * 0x9e3779b97f4a7c15ull;
	if (!w->rng)
		w->rng = 1;
	pthread_mutex_init(&w->lock, NULL);
	strbuf_init(&w->scratch, 0);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->ep < 0 || w->tfd < 0)
		return -errno;
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &e);
	if (hist_init(&w->ihist, 0) || hist_init(&w->uncorr, 0))
		return -ENOMEM;
	w->tasks = calloc(r->sc->n_tasks, sizeof(*w->tasks));
	w->conns = calloc(nconns, sizeof(*w->conns));
	if (!w->tasks || !w->conns)
		return -ENOMEM;
	for (size_t i = 0; i < r->sc->n_tasks; i++)
		if (r->per_task && hist_init(&w->tasks[i].lat, 0))
			return -ENOMEM;
	for (unsigned i = 0; i < nconns; i++) {
		struct conn *c = &w->conns[i];

		c->w = w;
		c->fd = -1;
		c->gidx = id + i * first_gidx_step;
		load_resp_init(&c->resp, &resp_ops, c);
		c->resp.keep_headers = r->sc->cookies || r->sc->redirects || need_headers(r->sc);
		c->resp.keep_body = need_body(r->sc);
		strbuf_init(&c->wbuf, 256);
		strbuf_init(&c->jar, 0);
		for (unsigned k = 0; k < LOAD_MAX_PIPELINE; k++)
			strbuf_init(&c->ring[k].req, 0);
	}
	w->users_wanted = r->ramp ? 0 : r->total_conns;
	return 0;
}

static void worker_release(struct worker *w)
{
	if (w->conns) {
		for (unsigned i = 0; i < w->n; i++) {
			struct conn *c = &w->conns[i];

			conn_shut(c);
			strbuf_release(&c->wbuf);
			strbuf_release(&c->jar);
			load_resp_release(&c->resp);
			for (unsigned k = 0; k < LOAD_MAX_PIPELINE; k++)
				strbuf_release(&c->ring[k].req);
		}
		free(w->conns);
	}
	if (w->tasks) {
		for (size_t i = 0; i < w->run->sc->n_tasks; i++)
			hist_release(&w->tasks[i].lat);
		free(w->tasks);
	}
	hist_release(&w->ihist);
	hist_release(&w->uncorr);
	strbuf_release(&w->scratch);
	if (w->ep >= 0)
		close(w->ep);
	if (w->tfd >= 0)
		close(w->tfd);
	pthread_mutex_destroy(&w->lock);
}

/* Moves every worker's interval histogram into into and total. */
static void gather(struct run *r, struct hist *into, struct hist *total, struct load_counts *sum)
{
	memset(sum, 0, sizeof(*sum));
	hist_reset(into);
	for (unsigned i = 0; i < r->nw; i++) {
		struct worker *w = &r->workers[i];

		pthread_mutex_lock(&w->lock);
		hist_merge(into, &w->ihist);
		hist_reset(&w->ihist);
		load_counts_add(sum, &w->c);
		pthread_mutex_unlock(&w->lock);
	}
	hist_merge(total, into);
}

int load_run(const struct load_config *cfg, struct load_result *res, load_tick_fn tick,
	     void *ctx, char *err, size_t errlen)
{
	struct run r;
	struct hist ih;
	struct load_counts sum;
	unsigned nw = cfg->threads, started = 0;
	uint64_t next_tick, prev_tick, prev_errors = 0, end_ns;
	int rc = 0;
	const struct load_task *t0 = &cfg->sc->tasks[0];

	memset(&r, 0, sizeof(r));
	r.donefd = -1;
	if (load_result_init(res, cfg->sc->n_tasks) || hist_init(&ih, 0)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (nw > cfg->connections)
		nw = cfg->connections;
	r.cfg = cfg;
	r.sc = cfg->sc;
	r.budget = cfg->requests ? cfg->requests : UINT64_MAX;
	r.open = cfg->rate > 0;
	r.total_conns = cfg->connections;
	r.per_task = cfg->sc->n_tasks > 1;
	/* The open model's pace is its rate: users and ramps do not apply
	 * (an idle user's due requests would pile up as false latency). */
	r.ramp = !r.open && (cfg->sc->n_stages || cfg->sc->spawn_rate > 0);
	r.simple = cfg->sc->n_tasks == 1 && t0->path.is_const && t0->hdr.is_const && !cfg->sc->cookies &&
		   (!t0->has_body || t0->body.is_const);
	r.keep_req = cfg->pipeline > 1 && !r.simple;
	if (r.open) {
		r.interval = (uint64_t)(1e9 * cfg->connections / cfg->rate);
		r.phase_ns = 1e9 / cfg->rate;
	}
	strbuf_init(&r.prebuilt, 256);
	if (r.simple) {
		struct conn tmp;
		struct worker wtmp;

		memset(&tmp, 0, sizeof(tmp));
		memset(&wtmp, 0, sizeof(wtmp));
		wtmp.run = &r;
		strbuf_init(&wtmp.scratch, 0);
		tmp.w = &wtmp;
		strbuf_init(&tmp.jar, 0);
		build_request(&tmp, 0, 0, 0, NULL, 0, NULL, 1, &r.prebuilt);
		strbuf_release(&wtmp.scratch);
	}
	if (cfg->url->https && !(r.ssl = tls_ctx_new(cfg, err, errlen))) {
		rc = -EPROTO;
		goto out;
	}
	r.donefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r.donefd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create an eventfd: %s", strerror(errno));
		goto out;
	}
	r.workers = calloc(nw, sizeof(*r.workers));
	if (!r.workers) {
		rc = -ENOMEM;
		goto out;
	}
	r.nw = nw;
	for (unsigned i = 0; i < nw; i++) {
		unsigned n = cfg->connections / nw + (i < cfg->connections % nw);

		r.workers[i].ep = r.workers[i].tfd = -1;
		if ((rc = worker_init(&r.workers[i], &r, i, n, nw))) {
			snprintf(err, errlen, "cannot set up worker %u: %s", i, strerror(-rc));
			r.nw = i + 1;
			goto out;
		}
	}
	r.start = clock_mono_ns() + 2000000;
	r.end = cfg->duration_ns ? r.start + cfg->duration_ns : 0;
	for (; started < nw; started++) {
		if ((rc = -pthread_create(&r.workers[started].th, NULL, worker_main, &r.workers[started]))) {
			snprintf(err, errlen, "cannot start a thread: %s", strerror(-rc));
			atomic_store(&r.stop, 1);
			break;
		}
	}
	prev_tick = r.start;
	next_tick = r.start + cfg->tick_ns;
	for (;;) {
		unsigned done = 0;
		uint64_t now = clock_mono_ns();

		for (unsigned i = 0; i < started; i++)
			done += (unsigned)atomic_load(&r.workers[i].finished);
		if (done == started)
			break;
		if (tick && now >= next_tick) {
			struct load_tick tk;

			gather(&r, &ih, &res->lat, &sum);
			tk.elapsed_ns = now - r.start;
			tk.interval_ns = now - prev_tick;
			tk.interval = &ih;
			tk.total = &sum;
			tk.interval_errors = sum.failed - prev_errors;
			prev_errors = sum.failed;
			tick(ctx, &tk);
			prev_tick = now;
			next_tick += cfg->tick_ns;
			if (next_tick < now)
				next_tick = now + cfg->tick_ns;
		}
		{
			/* Sleep to the next tick, or until a worker ends. */
			struct pollfd pfd = { .fd = r.donefd, .events = POLLIN };
			uint64_t wait = next_tick > now ? next_tick - now : 0;
			uint64_t v;

			if (!tick || wait > 100000000)
				wait = 100000000;
			if (poll(&pfd, 1, (int)(wait / 1000000) + 1) > 0 && read(r.donefd, &v, sizeof(v)) < 0)
				(void)v;
		}
	}
	end_ns = clock_mono_ns();
	for (unsigned i = 0; i < started; i++)
		pthread_join(r.workers[i].th, NULL);
	gather(&r, &ih, &res->lat, &sum);
	if (tick && ih.total) {
		struct load_tick tk = {
			.elapsed_ns = end_ns - r.start, .interval_ns = end_ns - prev_tick,
			.interval = &ih, .total = &sum, .interval_errors = sum.failed - prev_errors,
		};

		tick(ctx, &tk);
	}
	res->c = sum;
	{
		uint64_t last = 0;

		for (unsigned i = 0; i < r.nw; i++) {
			struct worker *w = &r.workers[i];

			hist_merge(&res->uncorrected, &w->uncorr);
			res->sent += w->sent;
			if (w->last_send > last)
				last = w->last_send;
			if (r.per_task)
				for (size_t k = 0; k < res->n_tasks; k++) {
					res->tasks[k].requests += w->tasks[k].requests;
					res->tasks[k].ok += w->tasks[k].ok;
					res->tasks[k].failed += w->tasks[k].failed;
					hist_merge(&res->tasks[k].lat, &w->tasks[k].lat);
				}
		}
		if (r.end && end_ns > r.end)
			end_ns = r.end;
		res->duration_ns = end_ns > r.start ? end_ns - r.start : 1;
		res->rps = (double)res->c.requests * 1e9 / (double)res->duration_ns;
		res->target_rate = cfg->rate;
		if (r.open && res->sent) {
			/* Sends per second up to the last one, plus one gap. */
			double span = (double)(last - r.start) + 1e9 / cfg->rate;

			res->achieved_rate = (double)res->sent * 1e9 / span;
		}
	}
	if (!r.per_task && res->n_tasks == 1) {
		res->tasks[0].requests = res->c.requests;
		res->tasks[0].ok = res->c.ok;
		res->tasks[0].failed = res->c.failed;
		hist_merge(&res->tasks[0].lat, &res->lat);
	}
	res->threads = nw;
	res->connections = cfg->connections;
	res->pipeline = cfg->pipeline;
	res->interrupted = cfg->stop && *cfg->stop;
out:
	if (r.workers)
		for (unsigned i = 0; i < r.nw; i++)
			worker_release(&r.workers[i]);
	free(r.workers);
	if (r.ssl)
		SSL_CTX_free(r.ssl);
	if (r.donefd >= 0)
		close(r.donefd);
	strbuf_release(&r.prebuilt);
	hist_release(&ih);
	return rc;
}
