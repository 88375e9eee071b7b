/*
 * cpu.c - the perf_event CPU sampler and the driver of the fallback agent
 * (collect layer). cmd/record.c calls cpu_record(); records go through
 * rec_writer (model) in timestamp order.
 *
 * perf mode: one cpu-clock event per CPU for the task (inherit=1, so new
 * threads and forked children are followed; an inherited event with
 * cpu=-1 cannot be mmapped). Each CPU has a ring buffer; every round
 * (a watermark wake-up or 50 ms) drains all rings into a pending queue,
 * and writes out, sorted, the records older than the previous round's
 * start: anything that old has been written to its ring by now.
 */
#include "cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "agent/cpu/wire.h"
#include "agentstream.h"
#include "buildid.h"
#include "collect/ksyms.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "collect/python/pysampler.h"
#include "model/recfile.h"
#include "procmaps.h"
#include "core/banned.h"

#define ROUND_NS (50ull * 1000000ull)	/* drain and flush at least this often */

/* ---- pending records, merged by time ---------------------------------- */

struct pending {
	uint64_t time;
	uint64_t seq;		/* arrival order: keeps equal times stable */
	size_t off;		/* payload offset in the arena */
	uint32_t len;
	uint32_t type;
};

struct queue {
	unsigned char *arena;
	size_t alen, acap;
	struct pending *v;
	size_t n, cap;
	uint64_t seq;
};

static int queue_push(struct queue *q, uint32_t type, uint64_t time, const void *a, size_t alen,
		      const void *b, size_t blen, const void *c, size_t clen)
{
	size_t len = alen + blen + clen;
	struct pending *p;

	if (q->alen + len > q->acap) {
		size_t nc = q->acap ? q->acap : (1u << 20);
		unsigned char *na;

		while (nc < q->alen + len)
			nc *= 2;
		na = realloc(q->arena, nc);
		if (!na)
			return -ENOMEM;
		q->arena = na;
		q->acap = nc;
	}
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 4096;
		struct pending *nv = realloc(q->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		q->v = nv;
		q->cap = nc;
	}
	p = &q->v[q->n++];
	p->time = time;
	p->seq = q->seq++;
	p->off = q->alen;
	p->len = (uint32_t)len;
	p->type = type;
	if (alen)
		memcpy(q->arena + q->alen, a, alen), q->alen += alen;
	if (blen)
		memcpy(q->arena + q->alen, b, blen), q->alen += blen;
	if (clen)
		memcpy(q->arena + q->alen, c, clen), q->alen += clen;
	return 0;
}

static int pending_cmp(const void *x, const void *y)
{
	const struct pending *a = x, *b = y;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Writes every pending record with time <= horizon, in time order, and
 * keeps the rest (compacting the arena). */
static int queue_flush(struct queue *q, struct rec_writer *w, uint64_t horizon)
{
	size_t i, keep = 0, newlen = 0;
	int rc = 0;

	if (!q->n)
		return 0;
	qsort(q->v, q->n, sizeof(*q->v), pending_cmp);
	for (i = 0; i < q->n && q->v[i].time <= horizon; i++) {
		rc = rec_writer_add(w, q->v[i].type, q->arena + q->v[i].off, q->v[i].len, NULL, 0,
				    NULL, 0);
		if (rc)
			return rc;
	}
	if (i == q->n) {
		q->n = 0;
		q->alen = 0;
		return 0;
	}
	/* Keep the tail: move its bytes down (offsets only grow by sort
	 * order of time, not of offset, so copy through a scratch buffer). */
	{
		size_t rest = q->n - i, bytes = 0;
		unsigned char *scratch;

		for (keep = i; keep < q->n; keep++)
			bytes += q->v[keep].len;
		scratch = malloc(bytes ? bytes : 1);
		if (!scratch)
			return -ENOMEM;
		for (keep = i; keep < q->n; keep++) {
			memcpy(scratch + newlen, q->arena + q->v[keep].off, q->v[keep].len);
			q->v[keep].off = newlen;
			newlen += q->v[keep].len;
		}
		memcpy(q->arena, scratch, newlen);
		free(scratch);
		memmove(q->v, q->v + i, rest * sizeof(*q->v));
		q->n = rest;
		q->alen = newlen;
	}
	return rc;
}

static void queue_release(struct queue *q)
{
	free(q->arena);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

/* ---- the sampler state ------------------------------------------------- */

struct ring {
	int fd;			/* the event whose buffer this is */
	int polled;		/* 0 after POLLHUP: drained by timer only */
	struct perf_event_mmap_page *page;
	unsigned char *data;
	size_t map_size, data_size;
};

struct sampler {
	const struct cpu_record_config *cfg;
	struct rec_writer *w;
	struct buildid_cache *bids;
	struct queue q;
	int ncpu;
	struct ring *rings;
	int *fds;		/* every event fd (attach mode opens one per thread per CPU) */
	size_t nfds, fdcap;
	unsigned char *tmp;	/* a record that wraps around the ring end */
	uint64_t samples, lost;
	uint32_t stack_size;
	uint64_t regs_mask;
	uint64_t last_round;	/* start of the previous round */
	int sigfd;
	struct rlimit nofile_old;	/* RLIMIT_NOFILE before we raised it */
	int nofile_raised;
	struct py_sampler *py;	/* Python stacks (cfg->python), or NULL */
	int kernel;		/* sampling kernel stacks too (dropped if refused) */
	struct ksyms *ksyms;	/* kernel addresses seen, named at the end */
};

static long sys_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
				unsigned long flags)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, group, flags);
}

static int sys_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static void fill_attr(struct perf_event_attr *a, const struct sampler *s, int launch,
		      size_t data_size)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = s->cfg->task_clock ? PERF_COUNT_SW_TASK_CLOCK : PERF_COUNT_SW_CPU_CLOCK;
	a->freq = 1;
	a->sample_freq = s->cfg->freq;
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			 PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
			 PERF_SAMPLE_STACK_USER;
	a->sample_regs_user = s->regs_mask;
	a->sample_stack_user = s->stack_size;
	a->disabled = launch ? 1 : 0;
	a->enable_on_exec = launch ? 1 : 0;
	a->inherit = 1;
	a->exclude_kernel = !s->kernel;
	a->exclude_hv = 1;
	a->exclude_callchain_kernel = !s->kernel;
	a->mmap = 1;
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(data_size / 4);
}

static int add_fd(struct sampler *s, int fd)
{
	if (s->nfds == s->fdcap) {
		size_t nc = s->fdcap ? s->fdcap * 2 : 16;
		int *nv = realloc(s->fds, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->fds = nv;
		s->fdcap = nc;
	}
	s->fds[s->nfds++] = fd;
	return 0;
}

/* Data pages per CPU: enough for about half a second of samples at the
 * requested rate, so a slow disk round never loses any. */
static size_t ring_pages(const struct sampler *s)
{
	size_t per_sample = 128 + 8 * 64 + 8 * 24 + s->stack_size;
	size_t want = per_sample * s->cfg->freq / 2;
	size_t pages = 16, pg = (size_t)sysconf(_SC_PAGESIZE);

	while (pages * pg < want && pages < 4096)
		pages *= 2;
	return pages;
}

/* Opens one event for (pid, cpu); the first one per CPU gets the ring,
 * later ones (attach: other threads) write into it. Returns 0 or -errno. */
static int open_event(struct sampler *s, pid_t pid, int cpu, int launch)
{
	struct perf_event_attr a;
	struct ring *r = &s->rings[cpu];
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = r->page ? r->data_size / pg : ring_pages(s);
	int fd, rc;

	fill_attr(&a, s, launch, pages * pg);
	fd = (int)sys_perf_event_open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && s->kernel && !s->nfds && (errno == EACCES || errno == EPERM)) {
		/* Kernel samples need root, CAP_PERFMON or perf_event_paranoid
		 * <= 1: without them, user space only (the header says so). */
		s->kernel = 0;
		fill_attr(&a, s, launch, pages * pg);
		fd = (int)sys_perf_event_open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	rc = add_fd(s, fd);
	if (rc) {
		close(fd);
		return rc;
	}
	if (r->page) {
		if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) < 0)
			return -errno;
		return 0;
	}
	for (;;) {
		void *m = mmap(NULL, (pages + 1) * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (m != MAP_FAILED) {
			r->page = m;
			r->data = (unsigned char *)m + pg;
			r->map_size = (pages + 1) * pg;
			r->data_size = pages * pg;
			r->fd = fd;
			r->polled = 1;
			break;
		}
		/* Over the locked-memory allowance: try a smaller ring. */
		if ((errno != EPERM && errno != ENOMEM) || pages <= 8)
			return -errno;
		pages /= 2;
		close(fd);
		s->nfds--;
		fill_attr(&a, s, launch, pages * pg);
		fd = (int)sys_perf_event_open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			return -errno;
		rc = add_fd(s, fd);
		if (rc) {
			close(fd);
			return rc;
		}
	}
	return 0;
}

/* ---- converting perf records --------------------------------------------- */

/* The sample_id_all trailer for our sample_type: pid, tid, time, cpu, res. */
struct id_trailer {
	uint32_t pid, tid;
	uint64_t time;
	uint32_t cpu, res;
};

static uint64_t trailer_time(const unsigned char *rec, size_t size)
{
	struct id_trailer t;

	if (size < sizeof(struct perf_event_header) + sizeof(t))
		return 0;
	memcpy(&t, rec + size - sizeof(t), sizeof(t));
	return t.time;
}

static int convert_sample(struct sampler *s, const unsigned char *p, size_t size)
{
	const unsigned char *end = p + size;
	struct rec_sample rs;
	uint64_t ip, nr, abi, ssize = 0, dyn = 0, ips[PERF_MAX_STACK_DEPTH + 64];
	const unsigned char *regs = NULL, *stack = NULL;
	uint32_t nregs = 0, n = 0;
	uint64_t i;

#define TAKE(dst, bytes)                                       \
	do {                                                   \
		if ((size_t)(end - p) < (bytes))               \
			goto bad;                              \
		memcpy((dst), p, (bytes));                     \
		p += (bytes);                                  \
	} while (0)

	memset(&rs, 0, sizeof(rs));
	p += sizeof(struct perf_event_header);
	TAKE(&ip, 8);
	TAKE(&rs.pid, 4);
	TAKE(&rs.tid, 4);
	TAKE(&rs.time_ns, 8);
	TAKE(&rs.cpu, 4);
	p += 4;
	TAKE(&rs.period, 8);
	TAKE(&nr, 8);
	if (nr > (uint64_t)(end - p) / 8)
		goto bad;
	{
		/* perf's chain: [KERNEL, k..., USER, u...]; kernel frames first. */
		int in_kernel = 0;

		for (i = 0; i < nr; i++) {
			uint64_t v;

			memcpy(&v, p + i * 8, 8);
			if (v >= (uint64_t)PERF_CONTEXT_MAX) {
				in_kernel = v == (uint64_t)PERF_CONTEXT_KERNEL;
				continue;
			}
			if (in_kernel && !s->kernel)
				continue;
			if (n < sizeof(ips) / sizeof(ips[0])) {
				if (in_kernel) {
					if (n != rs.nr_kernel)
						continue;	/* kernel frames only lead */
					rs.nr_kernel++;
					if (s->ksyms && ksyms_add(s->ksyms, v))
						return -ENOMEM;
				}
				ips[n++] = v;
			}
		}
	}
	p += nr * 8;
	if (!n)
		ips[n++] = ip;
	TAKE(&abi, 8);
	if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
		nregs = (uint32_t)__builtin_popcountll(s->regs_mask);
		if ((size_t)(end - p) < nregs * 8u)
			goto bad;
		regs = p;
		p += nregs * 8u;
	}
	TAKE(&ssize, 8);
	if (ssize) {
		if (ssize > (uint64_t)(end - p))
			goto bad;
		stack = p;
		p += ssize;
		TAKE(&dyn, 8);
		if (dyn > ssize)
			dyn = ssize;
	}
#undef TAKE
	rs.nr_ips = (uint16_t)n;
	if (regs) {
		rs.flags |= REC_SAMPLE_REGS;
		rs.regs_mask = s->regs_mask;
	}
	if (dyn) {
		rs.flags |= REC_SAMPLE_STACK;
		rs.stack_size = (uint32_t)dyn;
	}
	s->samples++;
	{
		/* One contiguous payload: header, ips, regs, stack. */
		int rc = queue_push(&s->q, REC_SAMPLE, rs.time_ns, &rs, sizeof(rs), ips, n * 8u,
				    regs, nregs * 8u);

		if (rc || !dyn)
			return rc;
		/* Append the stack bytes to the same pending record. */
		{
			struct pending *pd = &s->q.v[s->q.n - 1];

			if (s->q.alen + dyn > s->q.acap) {
				size_t nc = s->q.acap * 2;
				unsigned char *na;

				while (nc < s->q.alen + dyn)
					nc *= 2;
				na = realloc(s->q.arena, nc);
				if (!na)
					return -ENOMEM;
				s->q.arena = na;
				s->q.acap = nc;
			}
			memcpy(s->q.arena + s->q.alen, stack, dyn);
			s->q.alen += dyn;
			pd->len += (uint32_t)dyn;
		}
	}
	return 0;
bad:
	return 0;	/* a malformed sample is skipped, never fatal */
}

static int convert_mmap2(struct sampler *s, const unsigned char *rec, size_t size)
{
	struct {
		struct perf_event_header h;
		uint32_t pid, tid;
		uint64_t addr, len, pgoff;
		uint8_t id_or_dev[24];
		uint32_t prot, flags;
	} m;
	struct rec_mmap rm;
	const char *path;
	size_t plen, room;
	int rc;

	if (size < sizeof(m) + sizeof(struct id_trailer))
		return 0;
	memcpy(&m, rec, sizeof(m));
	if (!(m.prot & PROT_EXEC))
		return 0;
	path = (const char *)rec + sizeof(m);
	room = size - sizeof(m) - sizeof(struct id_trailer);
	plen = strnlen(path, room);
	if (plen == room)
		return 0;
	memset(&rm, 0, sizeof(rm));
	rm.pid = m.pid;
	rm.prot = m.prot;
	rm.start = m.addr;
	rm.len = m.len;
	rm.pgoff = m.pgoff;
	rm.time_ns = trailer_time(rec, size);
	rc = buildid_cache_get(s->bids, path, rm.build_id);
	rm.build_id_len = rc > 0 ? (uint8_t)rc : 0;
	return queue_push(&s->q, REC_MMAP, rm.time_ns, &rm, sizeof(rm), path, plen + 1, NULL, 0);
}

static int convert_comm(struct sampler *s, const unsigned char *rec, size_t size)
{
	struct rec_comm rc;
	const char *name;
	size_t room, nlen;
	uint32_t ids[2];

	if (size < sizeof(struct perf_event_header) + 8 + sizeof(struct id_trailer))
		return 0;
	memcpy(ids, rec + sizeof(struct perf_event_header), 8);
	name = (const char *)rec + sizeof(struct perf_event_header) + 8;
	room = size - sizeof(struct perf_event_header) - 8 - sizeof(struct id_trailer);
	nlen = strnlen(name, room);
	if (nlen == room)
		return 0;
	rc.pid = ids[0];
	rc.tid = ids[1];
	rc.time_ns = trailer_time(rec, size);
	return queue_push(&s->q, REC_COMM, rc.time_ns, &rc, sizeof(rc), name, nlen + 1, NULL, 0);
}

static int convert_task(struct sampler *s, const unsigned char *rec, size_t size, uint32_t type)
{
	struct rec_task t;

	if (size < sizeof(struct perf_event_header) + sizeof(t))
		return 0;
	memcpy(&t, rec + sizeof(struct perf_event_header), sizeof(t));
	return queue_push(&s->q, type, t.time_ns, &t, sizeof(t), NULL, 0, NULL, 0);
}

static int convert_lost(struct sampler *s, const unsigned char *rec, size_t size, int has_id)
{
	struct rec_lost l = { 0, 0 };
	size_t off = sizeof(struct perf_event_header) + (has_id ? 8 : 0);

	if (size < off + 8)
		return 0;
	memcpy(&l.lost, rec + off, 8);
	s->lost += l.lost;
	return queue_push(&s->q, REC_LOST, trailer_time(rec, size), &l, sizeof(l), NULL, 0, NULL,
			  0);
}

static int convert(struct sampler *s, const unsigned char *rec, size_t size)
{
	const struct perf_event_header *h = (const void *)rec;

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		return convert_sample(s, rec, size);
	case PERF_RECORD_MMAP2:
		return convert_mmap2(s, rec, size);
	case PERF_RECORD_COMM:
		return convert_comm(s, rec, size);
	case PERF_RECORD_FORK:
		return convert_task(s, rec, size, REC_FORK);
	case PERF_RECORD_EXIT:
		return convert_task(s, rec, size, REC_EXIT);
	case PERF_RECORD_LOST:
		return convert_lost(s, rec, size, 1);
	case PERF_RECORD_LOST_SAMPLES:
		return convert_lost(s, rec, size, 0);
	default:
		return 0;	/* MMAP (we asked for MMAP2), THROTTLE, ... */
	}
}

/* Reads everything available in one ring. */
static int ring_drain(struct sampler *s, struct ring *r)
{
	uint64_t head, tail;
	int rc = 0;

	if (!r->page)
		return 0;
	head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
	tail = r->page->data_tail;
	while (tail < head) {
		size_t off = (size_t)(tail % r->data_size);
		struct perf_event_header h;
		const unsigned char *rec;

		if (r->data_size - off >= sizeof(h)) {
			memcpy(&h, r->data + off, sizeof(h));
		} else {
			size_t first = r->data_size - off;

			memcpy(&h, r->data + off, first);
			memcpy((unsigned char *)&h + first, r->data, sizeof(h) - first);
		}
		if (h.size < sizeof(h) || h.size > head - tail)
			break;	/* cannot happen with a sane kernel; stop rather than spin */
		if (off + h.size <= r->data_size) {
			rec = r->data + off;
		} else {
			size_t first = r->data_size - off;

			memcpy(s->tmp, r->data + off, first);
			memcpy(s->tmp + first, r->data, h.size - first);
			rec = s->tmp;
		}
		rc = convert(s, rec, h.size);
		if (rc)
			break;
		tail += h.size;
	}
	__atomic_store_n(&r->page->data_tail, tail, __ATOMIC_RELEASE);
	return rc;
}

static int py_emit(void *ctx, uint32_t type, uint64_t time, const void *data, size_t len)
{
	struct sampler *s = ctx;

	return queue_push(&s->q, type, time, data, len, NULL, 0, NULL, 0);
}

/* Starts the Python stack reader on pid (cfg->python); a failure to
 * start only costs the Python frames. */
static void py_start(struct sampler *s, pid_t pid)
{
	struct py_sampler_config pc = { .pid = pid, .freq = s->cfg->freq, .idle = s->cfg->idle };

	if (s->cfg->python && !s->py && py_sampler_start(&s->py, &pc) < 0)
		s->py = NULL;
}

/* Stops the Python reader (its records go out with the final round). */
static void py_finish(struct sampler *s, struct cpu_record_result *res)
{
	struct py_sampler_status st;

	if (!s->py)
		return;
	py_sampler_stop(s->py);
	py_sampler_status(s->py, &st);
	res->python_state = (int)st.state;
	res->python_stacks = st.stacks;
	res->python_unreadable = st.unreadable;
	res->python_read_us = st.ticks ? (double)st.read_ns / 1e3 / (double)st.ticks : 0;
	snprintf(res->python, sizeof(res->python), "%s", st.message);
}

/* One round: drain all rings, write what is old enough, flush the file. */
static int sampler_round(struct sampler *s, int final)
{
	uint64_t now = clock_mono_ns();
	int i, rc = 0;

	for (i = 0; i < s->ncpu && !rc; i++)
		rc = ring_drain(s, &s->rings[i]);
	if (!rc && s->py)
		rc = py_sampler_drain(s->py, py_emit, s);
	if (!rc)
		rc = queue_flush(&s->q, s->w, final ? UINT64_MAX : s->last_round);
	s->last_round = now;
	if (!rc)
		rc = rec_writer_flush(s->w);
	return rc;
}

static void sampler_release(struct sampler *s)
{
	size_t i;
	int c;

	for (c = 0; s->rings && c < s->ncpu; c++)
		if (s->rings[c].page)
			munmap(s->rings[c].page, s->rings[c].map_size);
	for (i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	free(s->fds);
	free(s->rings);
	free(s->tmp);
	py_sampler_free(s->py);
	s->py = NULL;
	queue_release(&s->q);
	buildid_cache_free(s->bids);
	ksyms_free(s->ksyms);
	s->ksyms = NULL;
	s->rings = NULL;
	s->fds = NULL;
	s->tmp = NULL;
	s->bids = NULL;
	s->nfds = 0;
}

static int sampler_init(struct sampler *s, const struct cpu_record_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->sigfd = -1;
	s->ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (s->ncpu < 1)
		s->ncpu = 1;
	s->stack_size = cfg->stack_size ? cfg->stack_size :
		cfg->call_graph == CPU_CG_DWARF ? CPU_STACK_DWARF_DEFAULT : CPU_STACK_FP_DEFAULT;
	s->regs_mask = cfg->call_graph == CPU_CG_DWARF ? PCW_REGS_ALL : PCW_REGS_FP;
	s->rings = calloc((size_t)s->ncpu, sizeof(*s->rings));
	s->tmp = malloc(1u << 16);
	s->bids = buildid_cache_new();
	s->kernel = !cfg->user_only;
	s->ksyms = s->kernel ? ksyms_new() : NULL;
	if (!s->rings || !s->tmp || !s->bids || (s->kernel && !s->ksyms)) {
		sampler_release(s);
		return -ENOMEM;
	}
	return 0;
}

/* ---- synthesized records (attach mode) ----------------------------------- */

static int synth_comm(struct sampler *s, pid_t pid, pid_t tid, uint64_t now)
{
	struct strbuf sb = STRBUF_INIT;
	struct rec_comm c;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	if (strbuf_read_file(&sb, path, 256)) {
		strbuf_release(&sb);
		return 0;	/* the thread ended meanwhile */
	}
	strbuf_rtrim(&sb);
	c.pid = (uint32_t)pid;
	c.tid = (uint32_t)tid;
	c.time_ns = now;
	rc = queue_push(&s->q, REC_COMM, now, &c, sizeof(c), sb.buf, sb.len + 1, NULL, 0);
	strbuf_release(&sb);
	return rc;
}

/* MMAP records for pid's current mappings. *unreadable is set when
 * /proc/PID/maps itself could not be read (rc is then that error). */
static int synth_maps(struct sampler *s, pid_t pid, uint64_t now, int *unreadable)
{
	struct procmaps m = PROCMAPS_INIT;
	size_t i;
	int rc = procmaps_read(&m, pid, 1);

	if (unreadable)
		*unreadable = rc != 0;

	for (i = 0; !rc && i < m.n; i++) {
		struct rec_mmap rm;
		int b;

		memset(&rm, 0, sizeof(rm));
		rm.pid = (uint32_t)pid;
		rm.prot = m.v[i].prot;
		rm.start = m.v[i].start;
		rm.len = m.v[i].end - m.v[i].start;
		rm.pgoff = m.v[i].pgoff;
		rm.time_ns = now;
		b = buildid_cache_get(s->bids, m.v[i].path, rm.build_id);
		rm.build_id_len = b > 0 ? (uint8_t)b : 0;
		rc = queue_push(&s->q, REC_MMAP, now, &rm, sizeof(rm), m.v[i].path,
				strlen(m.v[i].path) + 1, NULL, 0);
	}
	procmaps_release(&m);
	return rc;
}

/* ---- signals and the wait loop ------------------------------------------ */

static int block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct target {
	pid_t pid;
	int pidfd;		/* readable when the target has exited */
	int launched;
	int gone;
	int status;		/* waitpid status when launched */
	struct rusage ru;	/* launched: the command's CPU (wait4), with waited-for children */
	uint64_t cpu0_user_ns, cpu0_sys_ns;	/* attached: the process's CPU when we started */
};

/*
 * Polls rings, signals and the target until the target is gone, the
 * duration ends or (attached) a stop signal arrives. round() runs after
 * each wake-up. Returns 0 or the first error of round().
 */
static int wait_loop(struct sampler *s, struct target *t, uint64_t deadline,
		     int (*round)(struct sampler *, int))
{
	struct pollfd *pfd;
	int n = s->ncpu + 2, i, rc = 0, stop = 0;

	pfd = calloc((size_t)n, sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	pfd[0].fd = s->sigfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = t->pidfd;
	pfd[1].events = POLLIN;
	for (i = 0; i < s->ncpu; i++) {
		pfd[2 + i].fd = s->rings && s->rings[i].page ? s->rings[i].fd : -1;
		pfd[2 + i].events = POLLIN;
	}
	while (!stop && !rc) {
		uint64_t now = clock_mono_ns();
		int timeout = (int)(ROUND_NS / 1000000ull);

		if (deadline) {
			if (now >= deadline)
				break;
			if (deadline - now < ROUND_NS)
				timeout = (int)((deadline - now + 999999) / 1000000);
		}
		if (t->pidfd < 0 && t->launched) {
			/* No pidfd: poll the child with waitpid(WNOHANG). */
			if (wait4(t->pid, &t->status, WNOHANG, &t->ru) == t->pid) {
				t->gone = 1;
				break;
			}
			if (timeout > 10)
				timeout = 10;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				int sig = (int)si.ssi_signo;

				if (!t->launched) {
					stop = 1;	/* attached: any of them ends the recording */
				} else if (sig == SIGTERM || sig == SIGHUP) {
					kill(t->pid, sig);	/* forward; we stop when it is gone */
				}
				/* launched + SIGINT/SIGQUIT: the child got it from the terminal */
			}
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			if (t->launched)
				wait4(t->pid, &t->status, 0, &t->ru);
			t->gone = 1;
			stop = 1;
		}
		for (i = 0; i < s->ncpu; i++)
			if (pfd[2 + i].revents & (POLLHUP | POLLERR))
				pfd[2 + i].fd = -1;	/* drained by the timer from now on */
		rc = round(s, 0);
	}
	free(pfd);
	return rc;
}

static void finish_status(const struct target *t, struct cpu_record_result *res,
			  struct rec_finish *f)
{
	res->exit_status = -1;
	res->term_signal = 0;
	if (t->launched && t->gone) {
		if (WIFEXITED(t->status))
			res->exit_status = WEXITSTATUS(t->status);
		else if (WIFSIGNALED(t->status))
			res->term_signal = WTERMSIG(t->status);
	}
	f->exit_status = res->exit_status;
	f->term_signal = res->term_signal;
}

static int write_finish(struct rec_writer *w, struct rec_finish *f);

/* User and system CPU of a whole process (all its threads) from
 * /proc/PID/stat; -errno when it is gone. */
static int proc_cpu_ns(pid_t pid, uint64_t *user_ns, uint64_t *sys_ns)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	const char *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	rc = strbuf_read_file(&sb, path, 4096);
	/* after the ")" closing comm: state ppid pgrp session tty tpgid flags
	 * minflt cminflt majflt cmajflt utime stime */
	p = rc ? NULL : strrchr(sb.buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2) {
		strbuf_release(&sb);
		return rc ? rc : -EINVAL;
	}
	strbuf_release(&sb);
	if (hz <= 0)
		hz = 100;
	*user_ns = ut * (1000000000ull / (unsigned long long)hz);
	*sys_ns = st * (1000000000ull / (unsigned long long)hz);
	return 0;
}

static int meta_u64(struct rec_writer *w, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return rec_writer_meta(w, key, buf);
}

/* What the samples cover: whether kernel stacks were sampled, the
 * target's own user and system CPU time to compare them with, and the
 * names of the kernel addresses sampled. */
static int write_coverage(struct sampler *s, const struct target *t)
{
	uint64_t user = 0, sys = 0;
	int have = 0, hidden = 0, rc;

	if (t->launched && t->gone) {
		user = (uint64_t)t->ru.ru_utime.tv_sec * 1000000000ull + (uint64_t)t->ru.ru_utime.tv_usec * 1000u;
		sys = (uint64_t)t->ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)t->ru.ru_stime.tv_usec * 1000u;
		have = 1;
	} else if (!t->launched && !proc_cpu_ns(t->pid, &user, &sys)) {
		user = user > t->cpu0_user_ns ? user - t->cpu0_user_ns : 0;
		sys = sys > t->cpu0_sys_ns ? sys - t->cpu0_sys_ns : 0;
		have = 1;
	}
	rc = rec_writer_meta(s->w, "kernel", s->kernel ? "sampled" : s->cfg->user_only ? "excluded" : "refused");
	if (!rc && have)
		rc = meta_u64(s->w, "target_user_ns", user);
	if (!rc && have)
		rc = meta_u64(s->w, "target_sys_ns", sys);
	if (!rc && s->ksyms)
		rc = ksyms_write(s->ksyms, "/proc/kallsyms", s->w, &hidden);
	if (!rc && hidden)
		rc = rec_writer_meta(s->w, "kernel_symbols", "hidden");
	return rc;
}

/* The end of a perf recording (launched or attached): the last samples,
 * what they cover, then FINISH. rc is the wait loop's result: on an error
 * only the Python reader is stopped. */
static int finish_recording(struct sampler *s, const struct target *t,
			    struct cpu_record_result *res, int rc)
{
	struct rec_finish f;

	py_finish(s, res);
	res->kernel = s->kernel;
	if (!rc)
		rc = sampler_round(s, 1);
	if (!rc)
		rc = write_coverage(s, t);
	if (!rc) {
		memset(&f, 0, sizeof(f));
		finish_status(t, res, &f);
		f.samples = s->samples;
		rc = write_finish(s->w, &f);
	}
	if (!rc)
		rc = rec_writer_flush(s->w);
	return rc;
}

/* ---- launching ------------------------------------------------------------ */

struct child {
	pid_t pid;
	int go_fd;		/* write one byte: exec now; close: give up */
	int err_fd;		/* reads errno of a failed exec, or EOF on success */
};

static void child_run(const struct cpu_record_config *cfg, const sigset_t *oldmask, int go,
		      int errw, char *const *envp, const struct rlimit *nofile)
{
	int e;

	if (nofile)
		setrlimit(RLIMIT_NOFILE, nofile);	/* the command gets the limit it would have had */

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	close(go);
	if (envp)
		execve(cfg->exe_path, cfg->argv, envp);
	else
		execv(cfg->exe_path, cfg->argv);
	e = errno;
	if (write(errw, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int child_start(const struct cpu_record_config *cfg, const sigset_t *oldmask,
		       char *const *envp, const struct rlimit *nofile, struct child *ch)
{
	int go[2], er[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(go[0]);
		close(go[1]);
		close(er[0]);
		close(er[1]);
		return -e;
	}
	if (pid == 0) {
		char c;

		close(go[1]);
		close(er[0]);
		/* Wait for the go byte; EOF means the parent gave up. */
		for (;;) {
			ssize_t n = read(go[0], &c, 1);

			if (n == 1)
				break;
			if (n < 0 && errno == EINTR)
				continue;
			_exit(127);
		}
		child_run(cfg, oldmask, go[0], er[1], envp, nofile);
	}
	close(go[0]);
	close(er[1]);
	ch->pid = pid;
	ch->go_fd = go[1];
	ch->err_fd = er[0];
	return 0;
}

/* Lets the child exec; returns 0 or the exec errno (negative). */
static int child_go(struct child *ch)
{
	char c = 'g';
	int e = 0;
	ssize_t n;

	if (write(ch->go_fd, &c, 1) != 1)
		return -EPIPE;
	close(ch->go_fd);
	ch->go_fd = -1;
	do
		n = read(ch->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ch->err_fd);
	ch->err_fd = -1;
	return n == (ssize_t)sizeof(e) ? -e : 0;
}

static void child_abort(struct child *ch)
{
	int st;

	if (ch->go_fd >= 0)
		close(ch->go_fd);
	if (ch->err_fd >= 0)
		close(ch->err_fd);
	ch->go_fd = ch->err_fd = -1;
	if (ch->pid > 0)
		waitpid(ch->pid, &st, 0);
	ch->pid = 0;
}

static int write_meta(struct rec_writer *w, const struct cpu_record_config *cfg,
		      const char *mode, uint32_t stack_size)
{
	char buf[32];
	int rc = 0;

	if (cfg->command_line)
		rc = rec_writer_meta(w, "command", cfg->command_line);
	if (!rc)
		rc = rec_writer_meta(w, "mode", mode);
	if (!rc)
		rc = rec_writer_meta(w, "event", cfg->task_clock ? "task-clock" : "cpu-clock");
	snprintf(buf, sizeof(buf), "%u", cfg->freq);
	if (!rc)
		rc = rec_writer_meta(w, "frequency", buf);
	if (!rc)
		rc = rec_writer_meta(w, "call_graph", cfg->call_graph == CPU_CG_DWARF ? "dwarf" : "fp");
	snprintf(buf, sizeof(buf), "%u", stack_size);
	if (!rc)
		rc = rec_writer_meta(w, "stack_size", buf);
	if (!rc && cfg->pid > 0) {
		snprintf(buf, sizeof(buf), "%d", (int)cfg->pid);
		rc = rec_writer_meta(w, "pid", buf);
	}
	if (!rc)
		rc = rec_writer_flush(w);
	return rc;
}

static int write_finish(struct rec_writer *w, struct rec_finish *f)
{
	f->end_mono_ns = clock_mono_ns();
	return rec_writer_add(w, REC_FINISH, f, sizeof(*f), NULL, 0, NULL, 0);
}

static const char *kernel_note(const struct sampler *s)
{
	if (s->kernel)
		return ", user and kernel stacks";
	return s->cfg->user_only ? ", user space only" :
		", user space only: kernel stacks need root, CAP_PERFMON or perf_event_paranoid <= 1";
}

static void describe(const struct cpu_record_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void describe(const struct cpu_record_config *cfg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!cfg->on_start)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cfg->on_start(cfg->ctx, line);
}

static int is_refusal(int rc)
{
	return rc == -EACCES || rc == -EPERM || rc == -ENOSYS || rc == -ENOENT ||
	       rc == -EOPNOTSUPP;
}

/* ---- the agent fallback ----------------------------------------------------- */

/* Copies the agent's record stream into the recording, sorted by time,
 * build-ids filled in. Counts samples and lost. */
static int agent_merge(struct sampler *s, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct agentstream_rec *v = NULL;
	size_t n = 0, i;
	int torn, rc = strbuf_read_file(&sb, path, 0);

	if (rc == -ENOENT)
		rc = 0;	/* the program never ran a sample */
	if (!rc)
		rc = agentstream_index(sb.buf, sb.len, &v, &n, &torn);
	for (i = 0; !rc && i < n; i++) {
		unsigned char *payload = (unsigned char *)sb.buf + v[i].off;

		if (v[i].type == PCW_SAMPLE) {
			s->samples++;
		} else if (v[i].type == PCW_LOST) {
			struct pcw_lost l;

			memcpy(&l, payload, sizeof(l));
			s->lost += l.lost;
		} else if (v[i].type == PCW_MMAP) {
			struct pcw_mmap m;
			const char *p = (const char *)payload + sizeof(m);

			memcpy(&m, payload, sizeof(m));
			if (!memchr(p, 0, v[i].size - sizeof(m)))
				continue;	/* a path without its NUL */
			if (!m.build_id_len) {
				int b = buildid_cache_get(s->bids, p, m.build_id);

				m.build_id_len = b > 0 ? (uint8_t)b : 0;
				memcpy(payload, &m, sizeof(m));
			}
		}
		rc = rec_writer_add(s->w, v[i].type, payload, v[i].size, NULL, 0, NULL, 0);
		if (!rc && (i & 1023) == 1023)
			rc = rec_writer_flush(s->w);
	}
	free(v);
	strbuf_release(&sb);
	return rc;
}

static char **agent_env(const struct cpu_record_config *cfg, const char *file,
			uint32_t stack_size, struct strbuf *store)
{
	extern char **environ;
	size_t n = 0, i, k = 0;
	char **env;
	const char *old_preload = getenv("LD_PRELOAD");

	while (environ[n])
		n++;
	env = calloc(n + 8, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "PINCH_CPUAGENT_", 15))
			env[k++] = environ[i];
	/* store holds the new strings, NUL-separated; pointers fixed below. */
	strbuf_addf(&store[0], "LD_PRELOAD=%s%s%s", cfg->agent_path,
		    old_preload && *old_preload ? ":" : "", old_preload ? old_preload : "");
	strbuf_addf(&store[1], "%s=%s", PCW_ENV_FILE, file);
	strbuf_addf(&store[2], "%s=%u", PCW_ENV_FREQ, cfg->freq);
	strbuf_addf(&store[3], "%s=%u", PCW_ENV_STACK, stack_size);
	strbuf_addf(&store[4], "%s=%s", PCW_ENV_REGS, cfg->call_graph == CPU_CG_DWARF ? "all" : "fp");
	for (i = 0; i < 5; i++)
		env[k++] = store[i].buf;
	{
		const char *t = getenv(PCW_ENV_TIMER);

		if (t) {
			strbuf_addf(&store[5], "%s=%s", PCW_ENV_TIMER, t);
			env[k++] = store[5].buf;
		}
	}
	env[k] = NULL;
	return env;
}

static int record_agent(struct sampler *s, const sigset_t *oldmask,
			struct cpu_record_result *res, const char *why, char *err, size_t errlen)
{
	const struct cpu_record_config *cfg = s->cfg;
	struct strbuf file = STRBUF_INIT, store[6];
	struct target t = { .pidfd = -1, .launched = 1 };
	struct child ch = { 0, -1, -1 };
	struct rec_finish f;
	char **env = NULL;
	int rc, i;

	for (i = 0; i < 6; i++)
		strbuf_init(&store[i], 0);
	res->mode = CPU_MODE_AGENT;
	if (!cfg->agent_path || access(cfg->agent_path, R_OK)) {
		snprintf(err, errlen, "the fallback agent '%s' is missing",
			 cfg->agent_path ? cfg->agent_path : "libpinch-cpuagent.so");
		rc = -ENOENT;
		goto out;
	}
	strbuf_addf(&file, "%s.agent-%d", cfg->output, (int)getpid());
	unlink(file.buf);
	env = agent_env(cfg, file.buf, s->stack_size, store);
	if (!env) {
		rc = -ENOMEM;
		goto out;
	}
	rc = write_meta(s->w, cfg, "agent", s->stack_size);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		goto out;
	}
	rc = child_start(cfg, oldmask, env, s->nofile_raised ? &s->nofile_old : NULL, &ch);
	if (rc) {
		snprintf(err, errlen, "cannot start '%s': %s", cfg->argv[0], strerror(-rc));
		goto out;
	}
	t.pid = ch.pid;
	t.pidfd = sys_pidfd_open(ch.pid);
	describe(cfg, "mode agent (LD_PRELOAD sampler, SIGPROF on thread CPU time, %u Hz asked, %s call graph)%s%s",
		 cfg->freq, cfg->call_graph == CPU_CG_DWARF ? "dwarf" : "fp", why ? ": " : "",
		 why ? why : "");
	rc = child_go(&ch);
	if (rc) {
		snprintf(err, errlen, "cannot run '%s': %s", cfg->argv[0], strerror(-rc));
		waitpid(ch.pid, &t.status, 0);
		ch.pid = 0;
		goto out;
	}
	rc = wait_loop(s, &t, cfg->duration_ns ? clock_mono_ns() + cfg->duration_ns : 0,
		       sampler_round);
	if (!t.gone) {
		/* The duration ended: stop the program, then merge. */
		res->timed_out = 1;
		kill(t.pid, SIGTERM);
		wait4(t.pid, &t.status, 0, &t.ru);
		t.gone = 1;
	}
	ch.pid = 0;
	if (!rc)
		rc = agent_merge(s, file.buf);
	unlink(file.buf);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		goto out;
	}
	memset(&f, 0, sizeof(f));
	finish_status(&t, res, &f);
	f.samples = s->samples;
	rc = write_finish(s->w, &f);
	if (!rc)
		rc = rec_writer_flush(s->w);
	if (rc)
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
out:
	if (ch.pid > 0)
		child_abort(&ch);
	if (t.pidfd >= 0)
		close(t.pidfd);
	free(env);
	for (i = 0; i < 6; i++)
		strbuf_release(&store[i]);
	strbuf_release(&file);
	return rc;
}

/* ---- perf mode: launch and attach ------------------------------------------ */

static int open_all_cpus(struct sampler *s, pid_t pid, int launch)
{
	int c, rc;

	for (c = 0; c < s->ncpu; c++) {
		rc = open_event(s, pid, c, launch);
		if (rc == -ENODEV || rc == -EINVAL) {
			/* An offline CPU: fine as long as one opens. */
			if (c > 0)
				continue;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int record_launch(struct sampler *s, const sigset_t *oldmask,
			 struct cpu_record_result *res, char *err, size_t errlen)
{
	const struct cpu_record_config *cfg = s->cfg;
	struct target t = { .pidfd = -1, .launched = 1 };
	struct child ch = { 0, -1, -1 };
	int rc;

	rc = child_start(cfg, oldmask, NULL, s->nofile_raised ? &s->nofile_old : NULL, &ch);
	if (rc) {
		snprintf(err, errlen, "cannot start '%s': %s", cfg->argv[0], strerror(-rc));
		return rc;
	}
	rc = open_all_cpus(s, ch.pid, 1);
	if (rc) {
		child_abort(&ch);
		res->perf_errno = -rc;
		if (cfg->mode == CPU_MODE_AUTO && is_refusal(rc)) {
			char why[160];

			struct rec_writer *w = s->w;
			struct rlimit nofile = s->nofile_old;
			int sigfd = s->sigfd, raised = s->nofile_raised;

			snprintf(why, sizeof(why), "perf_event_open refused: %s", strerror(-rc));
			sampler_release(s);
			rc = sampler_init(s, cfg);
			s->w = w;
			s->sigfd = sigfd;
			s->nofile_old = nofile;
			s->nofile_raised = raised;
			if (rc)
				return rc;
			return record_agent(s, oldmask, res, why, err, errlen);
		}
		snprintf(err, errlen, "cannot open the cpu-clock event: %s", strerror(-rc));
		res->before_start = 1;
		return rc;
	}
	res->mode = CPU_MODE_PERF;
	rc = write_meta(s->w, cfg, "perf", s->stack_size);
	if (rc) {
		child_abort(&ch);
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		return rc;
	}
	t.pid = ch.pid;
	t.pidfd = sys_pidfd_open(ch.pid);
	describe(cfg, "mode perf (perf_event %s, %u Hz, %s call graph, %d CPUs%s)",
		 cfg->task_clock ? "task-clock" : "cpu-clock", cfg->freq,
		 cfg->call_graph == CPU_CG_DWARF ? "dwarf" : "fp", s->ncpu, kernel_note(s));
	s->last_round = clock_mono_ns();
	rc = child_go(&ch);
	if (rc) {
		snprintf(err, errlen, "cannot run '%s': %s", cfg->argv[0], strerror(-rc));
		waitpid(ch.pid, &t.status, 0);
		if (t.pidfd >= 0)
			close(t.pidfd);
		return rc;
	}
	py_start(s, ch.pid);
	rc = wait_loop(s, &t, cfg->duration_ns ? clock_mono_ns() + cfg->duration_ns : 0,
		       sampler_round);
	if (!t.gone && !rc) {
		/* The duration ended: the command is stopped like timeout(1) does. */
		res->timed_out = 1;
		kill(t.pid, SIGTERM);
		wait4(t.pid, &t.status, 0, &t.ru);
		t.gone = 1;
	}
	rc = finish_recording(s, &t, res, rc);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		if (!t.gone) {
			kill(t.pid, SIGTERM);
			wait4(t.pid, &t.status, 0, &t.ru);
		}
	}
	if (t.pidfd >= 0)
		close(t.pidfd);
	return rc;
}

struct tidset {
	pid_t *v;
	size_t n, cap;
};

static int tidset_has(const struct tidset *ts, pid_t tid)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (ts->v[i] == tid)
			return 1;
	return 0;
}

/* Opens events for every thread of pid not yet in ts. Returns the number
 * of new threads, or -errno. */
static int attach_threads(struct sampler *s, pid_t pid, struct tidset *ts, uint64_t now)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int added = 0, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!rc && (e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		int c;

		if (tid <= 0 || tidset_has(ts, tid))
			continue;
		if (ts->n == ts->cap) {
			size_t nc = ts->cap ? ts->cap * 2 : 16;
			pid_t *nv = realloc(ts->v, nc * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			ts->v = nv;
			ts->cap = nc;
		}
		for (c = 0; c < s->ncpu && !rc; c++) {
			rc = open_event(s, tid, c, 0);
			if ((rc == -ENODEV || rc == -EINVAL) && c > 0)
				rc = 0;
		}
		if (rc == -ESRCH) {
			rc = 0;	/* the thread ended meanwhile */
			continue;
		}
		if (rc)
			break;
		ts->v[ts->n++] = tid;
		rc = synth_comm(s, pid, tid, now);
		added++;
	}
	closedir(d);
	return rc ? rc : added;
}

static int record_attach(struct sampler *s, struct cpu_record_result *res, char *err,
			 size_t errlen)
{
	const struct cpu_record_config *cfg = s->cfg;
	struct target t = { .pid = cfg->pid, .pidfd = -1 };
	struct tidset ts = { NULL, 0, 0 };
	uint64_t now;
	int rc, tries;

	if (kill(cfg->pid, 0) < 0 && errno == ESRCH) {
		snprintf(err, errlen, "no process with pid %d", (int)cfg->pid);
		res->before_start = 1;
		return -ESRCH;
	}
	if (cfg->mode == CPU_MODE_AGENT) {
		snprintf(err, errlen, "the fallback agent can only profile a command pinch starts");
		res->before_start = 1;
		return -EINVAL;
	}
	res->mode = CPU_MODE_PERF;
	now = clock_mono_ns();
	/* Threads may start while we open: rescan until nothing is new. */
	for (tries = 0; tries < 16; tries++) {
		rc = attach_threads(s, cfg->pid, &ts, now);
		if (rc <= 0)
			break;
	}
	if (rc < 0) {
		res->perf_errno = -rc;
		res->before_start = 1;
		if (rc == -ESRCH)
			snprintf(err, errlen, "no process with pid %d", (int)cfg->pid);
		else
			snprintf(err, errlen, "cannot profile pid %d: %s", (int)cfg->pid,
				 strerror(-rc));
		free(ts.v);
		return rc;
	}
	t.pidfd = sys_pidfd_open(cfg->pid);
	proc_cpu_ns(cfg->pid, &t.cpu0_user_ns, &t.cpu0_sys_ns);
	{
		int unreadable;

		rc = synth_maps(s, cfg->pid, now, &unreadable);
		if (rc == -ESRCH)
			rc = 0;
		if (rc && unreadable) {
			/* Without its maps nothing could be symbolized: stop
			 * before writing anything (the file is removed). */
			snprintf(err, errlen, "cannot read /proc/%d/maps: %s", (int)cfg->pid,
				 strerror(-rc));
			res->maps_failed = 1;
			res->before_start = 1;
			goto out;
		}
	}
	if (!rc)
		rc = write_meta(s->w, cfg, "perf", s->stack_size);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		goto out;
	}
	describe(cfg, "attached to pid %d (%zu thread%s), mode perf (perf_event %s, %u Hz, %s call graph, %d CPUs%s)",
		 (int)cfg->pid, ts.n, ts.n == 1 ? "" : "s", cfg->task_clock ? "task-clock" : "cpu-clock",
		 cfg->freq, cfg->call_graph == CPU_CG_DWARF ? "dwarf" : "fp", s->ncpu, kernel_note(s));
	s->last_round = clock_mono_ns();
	py_start(s, cfg->pid);
	rc = wait_loop(s, &t, cfg->duration_ns ? clock_mono_ns() + cfg->duration_ns : 0,
		       sampler_round);
	{
		size_t i;

		for (i = 0; i < s->nfds; i++)
			ioctl(s->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	}
	rc = finish_recording(s, &t, res, rc);
	if (rc)
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
out:
	if (t.pidfd >= 0)
		close(t.pidfd);
	free(ts.v);
	return rc;
}

int cpu_record(const struct cpu_record_config *cfg, struct cpu_record_result *res, char *err,
	       size_t errlen)
{
	struct sampler s;
	sigset_t oldmask;
	int rc, sigfd;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	err[0] = '\0';
	rc = sampler_init(&s, cfg);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	rc = rec_writer_open(&s.w, cfg->output, REC_KIND_CPU);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		res->before_start = 1;
		res->output_failed = 1;
		sampler_release(&s);
		return rc;
	}
	/* One event per thread per CPU when attaching: use the hard fd limit
	 * (as perf does); a launched command gets the old one back. */
	if (getrlimit(RLIMIT_NOFILE, &s.nofile_old) == 0 && s.nofile_old.rlim_cur < s.nofile_old.rlim_max) {
		struct rlimit r = { s.nofile_old.rlim_max, s.nofile_old.rlim_max };

		s.nofile_raised = setrlimit(RLIMIT_NOFILE, &r) == 0;
	}
	sigfd = block_signals(&oldmask);
	if (sigfd < 0) {
		rc = sigfd;
		snprintf(err, errlen, "cannot set up signals: %s", strerror(-rc));
		goto out;
	}
	s.sigfd = sigfd;
	if (cfg->pid > 0)
		rc = record_attach(&s, res, err, errlen);
	else if (cfg->mode == CPU_MODE_AGENT)
		rc = record_agent(&s, &oldmask, res, NULL, err, errlen);
	else
		rc = record_launch(&s, &oldmask, res, err, errlen);
	close(sigfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (s.nofile_raised)
		setrlimit(RLIMIT_NOFILE, &s.nofile_old);
out:
	res->samples = s.samples;
	res->lost = s.lost;
	{
		int crc = rec_writer_close(s.w);

		if (!rc && crc) {
			rc = crc;
			snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		}
	}
	{
		struct stat st;

		if (stat(cfg->output, &st) == 0)
			res->bytes = (uint64_t)st.st_size;
	}
	if (rc && res->before_start) {
		struct stat st;

		/* Nothing was recorded: remove the file we created (never a device). */
		if (stat(cfg->output, &st) == 0 && S_ISREG(st.st_mode))
			unlink(cfg->output);
	}
	sampler_release(&s);
	return rc;
}

int cpu_resolve_command(const char *name, struct strbuf *path)
{
	const char *p, *env;
	struct stat st;
	int seen_eacces = 0;

	strbuf_reset(path);
	if (!name || !*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		strbuf_addstr(path, name);
		if (stat(name, &st) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (access(name, X_OK) < 0)
			return -errno;
		return 0;
	}
	env = getenv("PATH");
	if (!env)
		env = "/usr/local/bin:/usr/bin:/bin";
	for (p = env;; ) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		strbuf_reset(path);
		if (len)
			strbuf_add(path, p, len);
		else
			strbuf_addch(path, '.');
		strbuf_addch(path, '/');
		strbuf_addstr(path, name);
		if (stat(path->buf, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(path->buf, X_OK) == 0)
				return 0;
			seen_eacces = 1;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	strbuf_reset(path);
	strbuf_addstr(path, name);
	return seen_eacces ? -EACCES : -ENOENT;
}

void cpu_perf_hint(int rc, int attach, char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	int level = -99;

	if (!strbuf_read_file(&sb, "/proc/sys/kernel/perf_event_paranoid", 32))
		level = atoi(sb.buf);
	strbuf_release(&sb);
	if (rc == -EACCES || rc == -EPERM) {
		if (attach)
			snprintf(buf, len,
				 "perf_event_paranoid is %d and profiling another user's process needs ptrace permission: run as that user or root, or lower /proc/sys/kernel/perf_event_paranoid (and kernel.yama.ptrace_scope)",
				 level);
		else if (level > 2)
			snprintf(buf, len,
				 "perf_event_paranoid is %d: lower it (sysctl kernel.perf_event_paranoid=2) or use --mode agent",
				 level);
		else
			snprintf(buf, len,
				 "perf_event_paranoid is %d, so a seccomp filter or container policy refused perf_event_open: allow it there or use --mode agent",
				 level);
	} else if (rc == -ENOSYS || rc == -ENOENT || rc == -EOPNOTSUPP) {
		snprintf(buf, len, "this kernel has no usable perf_event cpu-clock; use --mode agent");
	} else if (rc == -EMFILE) {
		snprintf(buf, len, "too many open files: raise 'ulimit -n'");
	} else {
		buf[0] = '\0';
	}
}
