/*
 * cpu_perf.c - perf_event for the CPU sampler (collect layer): one
 * cpu-clock (or task-clock) event per CPU for the task, inherited by new
 * threads and forked children (an inherited event with cpu=-1 cannot be
 * mmapped). Each CPU has a ring buffer; every round (a watermark wake-up
 * or 50 ms) drains all rings into the time-ordered queue and writes out,
 * sorted, the records older than the previous round's start: anything
 * that old has been written to its ring by now. Attaching adds events per
 * thread, writing into the same per-CPU rings, and synthesizes the COMM
 * and MMAP records perf would have sent at exec.
 */
#include "cpu_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent/cpu/wire.h"
#include "buildid.h"
#include "collect/ksyms.h"
#include "collect/python/pyreader.h"
#include "collect/python/pysampler.h"
#include "core/clock.h"
#include "core/array.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "model/recunwind.h"
#include "procmaps.h"
#include "core/banned.h"

static long sys_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
				unsigned long flags)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, group, flags);
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

/*
 * --off-cpu, --wall: the context-switch software event, one sample per
 * switch-out (period 1, which no cpu-clock or task-clock sample has: their
 * periods are nanoseconds of a 10 us-or-longer timer), with the user
 * registers and stack copy of the CPU samples, so the stack where the
 * thread blocked unwinds the same way; and PERF_RECORD_SWITCH records
 * (context_switch) for the switch-in times. It writes into the CPU
 * event's ring. Map, comm and task records come from the CPU event only.
 */
static void fill_switch_attr(struct perf_event_attr *a, const struct sampler *s, int launch,
			     size_t data_size)
{
	fill_attr(a, s, launch, data_size);
	a->config = PERF_COUNT_SW_CONTEXT_SWITCHES;
	a->freq = 0;
	a->sample_period = 1;
	a->mmap = 0;
	a->mmap2 = 0;
	a->comm = 0;
	a->comm_exec = 0;
	a->task = 0;
	a->context_switch = 1;
	a->sample_stack_user = s->switch_stack;
	/* The switch is taken inside the kernel: excluding the kernel drops
	 * every sample (the records still come). --user-only keeps the samples
	 * and leaves the kernel frames out of their chain. */
	a->exclude_kernel = !s->switch_kernel;
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

/* fd, just opened, kept in s->fds: fd or -errno (closed on failure). */
static int keep_fd(struct sampler *s, int fd)
{
	int rc;

	if (fd < 0)
		return -errno;
	rc = add_fd(s, fd);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* Data pages per CPU: enough for about half a second of samples at the
 * requested rate, so a slow disk round never loses any. */
static size_t ring_pages(const struct sampler *s)
{
	size_t per_sample = 128 + 8 * 64 + 8 * 24 + s->stack_size;
	size_t want = per_sample * s->cfg->freq / 2 * (s->cfg->offcpu ? 8 : 1);
	size_t pages = 16, pg = (size_t)sysconf(_SC_PAGESIZE);

	while (pages * pg < want && pages < 4096)
		pages *= 2;
	return pages;
}

/* One event with a ring of data_size bytes, its fd kept in s->fds;
 * the fd or -errno. */
static int event_fd(struct sampler *s, pid_t pid, int cpu, int launch, size_t data_size)
{
	struct perf_event_attr a;
	int fd;

	fill_attr(&a, s, launch, data_size);
	fd = (int)sys_perf_event_open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && s->kernel && !s->nfds && (errno == EACCES || errno == EPERM)) {
		/* Kernel samples need root, CAP_PERFMON or perf_event_paranoid
		 * <= 1: without them, user space only (the header says so). */
		s->kernel = 0;
		fill_attr(&a, s, launch, data_size);
		fd = (int)sys_perf_event_open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	}
	return keep_fd(s, fd);
}

/* The context-switch event of (pid, cpu) into the CPU event's ring, when
 * blocked time is recorded; 0 or -errno. */
static int cpu_open_switch(struct sampler *s, pid_t pid, int cpu, int launch)
{
	struct perf_event_attr a;
	int fd;

	if (!s->cfg->offcpu)
		return 0;
	fill_switch_attr(&a, s, launch, s->rings[cpu].data_size);
	fd = (int)sys_perf_event_open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && s->switch_kernel && (errno == EACCES || errno == EPERM)) {
		/* Unprivileged: switch records only, no stacks (the header says so). */
		s->switch_kernel = 0;
		fill_switch_attr(&a, s, launch, s->rings[cpu].data_size);
		fd = (int)sys_perf_event_open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	}
	fd = keep_fd(s, fd);
	if (fd < 0)
		return fd;
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, s->rings[cpu].fd) < 0)
		return -errno;
	return 0;
}

/* Opens one event for (pid, cpu); the first one per CPU gets the ring,
 * later ones (attach: other threads) write into it. Returns 0 or -errno. */
int cpu_open_event(struct sampler *s, pid_t pid, int cpu, int launch)
{
	struct ring *r = &s->rings[cpu];
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = r->page ? r->data_size / pg : ring_pages(s);
	int fd = event_fd(s, pid, cpu, launch, pages * pg);

	if (fd < 0)
		return fd;
	if (r->page) {
		if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) < 0)
			return -errno;
		return cpu_open_switch(s, pid, cpu, launch);
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
			return cpu_open_switch(s, pid, cpu, launch);
		}
		/* Over the locked-memory allowance: try a smaller ring. */
		if ((errno != EPERM && errno != ENOMEM) || pages <= 8)
			return -errno;
		pages /= 2;
		close(fd);
		s->nfds--;
		fd = event_fd(s, pid, cpu, launch, pages * pg);
		if (fd < 0)
			return fd;
	}
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
	uint32_t nregs = 0, n = 0, type = REC_SAMPLE;
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
	if (rs.period == 1 && s->cfg->offcpu) {
		type = REC_OFFCPU;	/* the context-switch event (fill_switch_attr) */
		rs.period = 0;
		s->offcpu_stacks++;
	} else {
		s->samples++;
	}
	{
		/* One contiguous payload: header, ips, regs, stack. */
		int rc = cpu_queue_push(&s->q, type, rs.time_ns, &rs, sizeof(rs), ips, n * 8u,
				    regs, nregs * 8u);

		if (rc || !dyn)
			return rc;
		/* Append the stack bytes to the same pending record. */
		{
			struct pending *pd = &s->q.v[s->q.n - 1];

			if (ARRAY_GROW(s->q.arena, s->q.acap, s->q.alen + dyn))
				return -ENOMEM;
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
	return cpu_queue_push(&s->q, REC_MMAP, rm.time_ns, &rm, sizeof(rm), path, plen + 1, NULL, 0);
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
	return cpu_queue_push(&s->q, REC_COMM, rc.time_ns, &rc, sizeof(rc), name, nlen + 1, NULL, 0);
}

static int convert_task(struct sampler *s, const unsigned char *rec, size_t size, uint32_t type)
{
	struct rec_task t;

	if (size < sizeof(struct perf_event_header) + sizeof(t))
		return 0;
	memcpy(&t, rec + sizeof(struct perf_event_header), sizeof(t));
	if (type == REC_FORK && t.pid == t.tid)
		cpu_follow_forked(s, (pid_t)t.pid);
	return cpu_queue_push(&s->q, type, t.time_ns, &t, sizeof(t), NULL, 0, NULL, 0);
}

static int convert_switch(struct sampler *s, const unsigned char *rec, size_t size)
{
	const struct perf_event_header *h = (const void *)rec;
	struct rec_switch sw;
	struct id_trailer t;

	if (size < sizeof(*h) + sizeof(t))
		return 0;
	memcpy(&t, rec + size - sizeof(t), sizeof(t));
	memset(&sw, 0, sizeof(sw));
	sw.pid = t.pid;
	sw.tid = t.tid;
	sw.time_ns = t.time;
	sw.cpu = t.cpu;
	if (h->misc & PERF_RECORD_MISC_SWITCH_OUT)
		sw.flags |= REC_SWITCH_OUT;
	if (h->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT)
		sw.flags |= REC_SWITCH_PREEMPT;
	s->switches++;
	return cpu_queue_push(&s->q, REC_SWITCH, sw.time_ns, &sw, sizeof(sw), NULL, 0, NULL, 0);
}

static int convert_lost(struct sampler *s, const unsigned char *rec, size_t size, int has_id)
{
	struct rec_lost l = { 0, 0 };
	size_t off = sizeof(struct perf_event_header) + (has_id ? 8 : 0);

	if (size < off + 8)
		return 0;
	memcpy(&l.lost, rec + off, 8);
	s->lost += l.lost;
	return cpu_queue_push(&s->q, REC_LOST, trailer_time(rec, size), &l, sizeof(l), NULL, 0, NULL,
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
	case PERF_RECORD_SWITCH:
		return convert_switch(s, rec, size);
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

int cpu_py_emit(void *ctx, uint32_t type, uint64_t time, const void *data, size_t len)
{
	struct sampler *s = ctx;

	return cpu_queue_push(&s->q, type, time, data, len, NULL, 0, NULL, 0);
}

/* Starts the Python stack reader on pid (cfg->python); a failure to
 * start only costs the Python frames. */
void cpu_py_start(struct sampler *s, pid_t pid)
{
	struct py_sampler_config pc = { .pid = pid, .freq = s->cfg->freq, .idle = s->cfg->idle,
					.next_string_id = &s->py_string_id,
					.probe_cache = s->py_cache };

	if (s->cfg->python && !s->py && py_sampler_start(&s->py, &pc) < 0)
		s->py = NULL;
}

/* Stops the Python reader (its records go out with the final round). */
void cpu_py_finish(struct sampler *s, struct cpu_record_result *res)
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
int cpu_sampler_round(struct sampler *s, int final)
{
	uint64_t now = clock_mono_ns();
	int i, rc = 0;

	for (i = 0; i < s->ncpu && !rc; i++)
		rc = ring_drain(s, &s->rings[i]);
	if (!rc && s->py)
		rc = py_sampler_drain(s->py, cpu_py_emit, s);
	if (!rc && s->follow && !final)
		rc = cpu_follow_poll(s, now);
	if (!rc && s->follow)
		rc = cpu_follow_drain(s);
	if (!rc)
		rc = cpu_queue_flush(&s->q, s->w, s->uw, final ? UINT64_MAX : s->last_round);
	s->last_round = now;
	if (!rc)
		rc = rec_writer_flush(s->w);
	return rc;
}

void cpu_sampler_release(struct sampler *s)
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
	cpu_follow_free(s->follow);
	s->follow = NULL;
	py_probe_cache_free(s->py_cache);	/* after the samplers that use it */
	s->py_cache = NULL;
	cpu_queue_release(&s->q);
	buildid_cache_free(s->bids);
	ksyms_free(s->ksyms);
	s->ksyms = NULL;
	recunwind_free(s->uw);
	s->uw = NULL;
	s->rings = NULL;
	s->fds = NULL;
	s->tmp = NULL;
	s->bids = NULL;
	s->nfds = 0;
}

int cpu_sampler_init(struct sampler *s, const struct cpu_record_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->sigfd = -1;
	s->ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (s->ncpu < 1)
		s->ncpu = 1;
	s->stack_size = cfg->stack_size ? cfg->stack_size :
		cfg->call_graph != CPU_CG_FP ? CPU_STACK_DWARF_DEFAULT : CPU_STACK_FP_DEFAULT;
	s->regs_mask = cfg->call_graph != CPU_CG_FP ? PCW_REGS_ALL : PCW_REGS_FP;
	if (cfg->call_graph == CPU_CG_CFI && !(s->uw = recunwind_new(s->stack_size))) {
		cpu_sampler_release(s);
		return -ENOMEM;
	}
	s->rings = calloc((size_t)s->ncpu, sizeof(*s->rings));
	s->tmp = malloc(1u << 16);
	s->bids = buildid_cache_new();
	s->kernel = !cfg->user_only;
	s->switch_kernel = 1;
	/* A thread blocks in a syscall wrapper a few frames below its caller:
	 * a smaller copy keeps up with tens of thousands of switches a second
	 * (recunwind continues it with the fp chain where it ends). */
	s->switch_stack = cfg->stack_size ? cfg->stack_size :
		s->stack_size < CPU_STACK_SWITCH_DEFAULT ? s->stack_size : CPU_STACK_SWITCH_DEFAULT;
	if (s->uw)
		recunwind_set_offcpu_copy(s->uw, s->switch_stack);
	s->ksyms = s->kernel ? ksyms_new() : NULL;
	s->py_cache = cfg->python ? py_probe_cache_new() : NULL;	/* NULL: probes uncached */
	if (!s->rings || !s->tmp || !s->bids || (s->kernel && !s->ksyms)) {
		cpu_sampler_release(s);
		return -ENOMEM;
	}
	return 0;
}

/* ---- synthesized records (attach mode) ----------------------------------- */

int cpu_synth_comm(struct sampler *s, pid_t pid, pid_t tid, uint64_t now)
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
	rc = cpu_queue_push(&s->q, REC_COMM, now, &c, sizeof(c), sb.buf, sb.len + 1, NULL, 0);
	strbuf_release(&sb);
	return rc;
}

/* MMAP records for pid's current mappings. *unreadable is set when
 * /proc/PID/maps itself could not be read (rc is then that error). */
int cpu_synth_maps(struct sampler *s, pid_t pid, uint64_t now, int *unreadable)
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
		rc = cpu_queue_push(&s->q, REC_MMAP, now, &rm, sizeof(rm), m.v[i].path,
				strlen(m.v[i].path) + 1, NULL, 0);
	}
	procmaps_release(&m);
	return rc;
}

int cpu_open_all(struct sampler *s, pid_t pid, int launch)
{
	int c, rc;

	for (c = 0; c < s->ncpu; c++) {
		rc = cpu_open_event(s, pid, c, launch);
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

