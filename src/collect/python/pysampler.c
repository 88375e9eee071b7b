/*
 * pysampler.c - the Python stack sampler thread of `pinch record` (see
 * pysampler.h): probes the target for a CPython runtime, then reads the
 * GIL holder's stack every tick and every thread's every 10 ms, and
 * queues REC_STRING / REC_SYMSTACK / idle REC_SAMPLE records for the
 * recorder to merge by time.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "collect/python/pyobjects.h"
#include "collect/python/pyreader.h"
#include "collect/python/pysampler.h"
#include "core/clock.h"
#include "core/hmap.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

#define MAX_TRACKED 512		/* threads whose last stack we remember */
#define SWEEP_NS (10ull * 1000000ull)
#define NAMES_NS (250ull * 1000000ull)	/* threading names re-read at most this often */
#define MAX_PENDING (64u << 20)	/* records buffered between drains */

struct tracked {
	uint32_t tid;
	uint64_t hash;		/* of the last stack written; 0: none yet */
	char name[PY_THREAD_NAME_MAX];	/* last REC_PYTHREAD name written; "": none */
};

struct py_sampler {
	struct py_sampler_config cfg;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	int stop;			/* under lock */
	struct strbuf pending;		/* under lock: [type u32, len u32, time u64, payload, pad] */
	struct py_sampler_status st;	/* under lock */
	uint64_t unreadable_unreported;	/* under lock */
	/* sampler thread only */
	struct py_reader *r;
	struct py_target t;
	struct hmap str_index;		/* interned pointer -> string id */
	const char **strs;
	uint32_t *ids;			/* the REC_STRING id of each of strs */
	size_t nstrs, str_alloc;
	uint32_t own_next_id;		/* when cfg.next_string_id is NULL */
	struct tracked tracked[MAX_TRACKED];
	size_t ntracked;
	char last_exe[512];		/* executable at the last failed probe */
	struct py_frame frames[PY_MAX_DEPTH];
	struct rec_symframe out[PY_MAX_DEPTH];
	uint64_t names_at;		/* when threading's names were last read */
	uint32_t gil_tid;		/* last REC_PYGIL holder written */
	int gil_written;
	struct py_thread_name names[256];
};

static void push(struct py_sampler *ps, uint32_t type, uint64_t time, const void *a, size_t alen,
		 const void *b, size_t blen)
{
	uint32_t hdr[2] = { type, (uint32_t)(alen + blen) };
	static const char zero[8];
	size_t pad = (8 - ((alen + blen) & 7)) & 7;

	pthread_mutex_lock(&ps->lock);
	if (ps->pending.len + alen + blen + 24 < MAX_PENDING) {
		strbuf_add(&ps->pending, hdr, sizeof(hdr));
		strbuf_add(&ps->pending, &time, 8);
		strbuf_add(&ps->pending, a, alen);
		if (blen)
			strbuf_add(&ps->pending, b, blen);
		strbuf_add(&ps->pending, zero, pad);
	}
	pthread_mutex_unlock(&ps->lock);
}

static int ptr_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct py_sampler *ps = ctx;

	return ps->strs[id] == key;
}

/* The string id of an interned reader string; writes REC_STRING the
 * first time. Ids start at 1 (0 = unknown). */
static uint32_t string_id(struct py_sampler *ps, const char *s, uint64_t now)
{
	uint64_t h = hash_mix((uint64_t)(uintptr_t)s);
	uint32_t id = hmap_find(&ps->str_index, h, s, ptr_eq, ps);

	if (id != UINT32_MAX)
		return ps->ids[id];
	if (ps->nstrs == ps->str_alloc) {
		size_t na = ps->str_alloc ? ps->str_alloc * 2 : 256;
		const char **v = realloc(ps->strs, na * sizeof(*v));
		uint32_t *iv;

		if (!v)
			return 0;
		ps->strs = v;
		iv = realloc(ps->ids, na * sizeof(*iv));
		if (!iv)
			return 0;
		ps->ids = iv;
		ps->str_alloc = na;
	}
	id = __atomic_add_fetch(ps->cfg.next_string_id ? ps->cfg.next_string_id : &ps->own_next_id,
				1, __ATOMIC_RELAXED);
	if (id > (1u << 24) || hmap_insert(&ps->str_index, h, (uint32_t)ps->nstrs) < 0)
		return 0;	/* the reader takes ids up to 2^24 */
	ps->ids[ps->nstrs] = id;
	ps->strs[ps->nstrs++] = s;
	push(ps, REC_STRING, now, &id, sizeof(id), s, strlen(s));
	return id;
}

static struct tracked *track(struct py_sampler *ps, uint32_t tid)
{
	for (size_t i = 0; i < ps->ntracked; i++)
		if (ps->tracked[i].tid == tid)
			return &ps->tracked[i];
	if (ps->ntracked == MAX_TRACKED)
		ps->ntracked = 0;	/* forget everyone: stacks get rewritten */
	ps->tracked[ps->ntracked].tid = tid;
	ps->tracked[ps->ntracked].hash = 0;
	ps->tracked[ps->ntracked].name[0] = '\0';
	return &ps->tracked[ps->ntracked++];
}

static void count(struct py_sampler *ps, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&ps->lock);
	*field += n;
	pthread_mutex_unlock(&ps->lock);
}

/* Reads one thread's stack and writes it when it changed. Returns
 * -ESRCH when the process is gone. */
static int sample_thread(struct py_sampler *ps, uint64_t tstate, uint32_t tid)
{
	struct rec_symstack ss = { .tid = tid, .lang = 1 };
	struct tracked *tr = track(ps, tid);
	size_t n = 0;
	uint64_t h = 0x9e3779b97f4a7c15ull, now;
	int ret = py_reader_stack(ps->r, tstate, ps->frames, PY_MAX_DEPTH, &n);

	if (ret == -ESRCH)
		return ret;
	if (ret < 0) {
		pthread_mutex_lock(&ps->lock);
		ps->st.unreadable++;
		ps->unreadable_unreported++;
		pthread_mutex_unlock(&ps->lock);
		n = 0;
		h = 1;		/* "unreadable" */
	}
	for (size_t i = 0; i < n; i++) {
		h = hash_mix(h ^ (uint64_t)(uintptr_t)ps->frames[i].function);
		h = hash_mix(h ^ (uint64_t)(uintptr_t)ps->frames[i].file);
		h = hash_mix(h ^ ((uint64_t)(uint32_t)ps->frames[i].line << 8 | ps->frames[i].flags));
	}
	if (tr->hash == h)
		return 0;
	tr->hash = h;
	now = clock_mono_ns();
	for (size_t i = 0; i < n; i++) {
		ps->out[i].function = string_id(ps, ps->frames[i].function, now);
		ps->out[i].file = string_id(ps, ps->frames[i].file, now);
		ps->out[i].line = (uint32_t)ps->frames[i].line;
		ps->out[i].flags = ps->frames[i].flags & PY_FRAME_ENTRY ? REC_SYMFRAME_ENTRY : 0;
	}
	ss.nr = (uint16_t)n;
	ss.time_ns = now;
	push(ps, REC_SYMSTACK, now, &ss, sizeof(ss), ps->out, n * sizeof(ps->out[0]));
	count(ps, &ps->st.stacks, 1);
	return 0;
}

/* 1 when /proc says the thread is running or runnable. */
static int thread_running(pid_t pid, uint32_t tid)
{
	char path[96], buf[512];
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	int running = 1;

	snprintf(path, sizeof(path), "/proc/%d/task/%u/stat", (int)pid, tid);
	if (strbuf_read_file(&sb, path, sizeof(buf)) == 0) {
		p = strrchr(sb.buf, ')');
		if (p && p[1] == ' ')
			running = p[2] == 'R';
	}
	strbuf_release(&sb);
	return running;
}

/* Writes REC_PYGIL for each read of the GIL holder (tid 0: nobody holds
 * it): one a tick, so the report can leave out the gaps where this thread
 * was not scheduled and saw nothing. */
static void gil_seen(struct py_sampler *ps, uint32_t tid)
{
	struct rec_pygil g = { .pid = (uint32_t)ps->cfg.pid, .tid = tid };

	g.time_ns = clock_mono_ns();
	ps->gil_tid = tid;
	ps->gil_written = 1;
	push(ps, REC_PYGIL, g.time_ns, &g, sizeof(g), NULL, 0);
}

/* Writes REC_PYTHREAD for each thread whose threading name is new or
 * changed. Read every NAMES_NS, and at once when a thread has none yet. */
static void name_threads(struct py_sampler *ps, const struct py_thread *th, size_t n)
{
	uint64_t now = clock_mono_ns();
	size_t nn = 0;
	int unnamed = 0;

	for (size_t i = 0; i < n; i++)
		unnamed |= !track(ps, th[i].tid)->name[0];
	if (!n || (now - ps->names_at < NAMES_NS && !(unnamed && now - ps->names_at > SWEEP_NS)))
		return;
	ps->names_at = now;
	if (py_thread_names(ps->r, th[0].interp, ps->names, 256, &nn) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct tracked *tr = track(ps, th[i].tid);

		for (size_t j = 0; j < nn; j++) {
			struct rec_comm c = { .pid = (uint32_t)ps->cfg.pid, .tid = th[i].tid,
					      .time_ns = now };

			if (ps->names[j].ident != th[i].ident || !strcmp(tr->name, ps->names[j].name))
				continue;
			snprintf(tr->name, sizeof(tr->name), "%s", ps->names[j].name);
			push(ps, REC_PYTHREAD, now, &c, sizeof(c), tr->name, strlen(tr->name) + 1);
		}
	}
}

static int sweep(struct py_sampler *ps)
{
	struct py_thread th[256];
	size_t n;
	int ret = py_reader_threads(ps->r, th, 256, &n);

	if (ret == -ESRCH)
		return ret;
	if (ret < 0) {
		count(ps, &ps->st.unreadable, 1);
		return 0;
	}
	name_threads(ps, th, n);
	{
		uint32_t holder = 0;

		for (size_t i = 0; i < n; i++)
			if (th[i].holds_gil)
				holder = th[i].tid;
		gil_seen(ps, holder);
	}
	for (size_t i = 0; i < n; i++) {
		if ((ret = sample_thread(ps, th[i].tstate, th[i].tid)) < 0)
			return ret;
		if (ps->cfg.idle && !th[i].holds_gil && !thread_running(ps->cfg.pid, th[i].tid)) {
			struct rec_sample s = {
				.pid = (uint32_t)ps->cfg.pid, .tid = th[i].tid,
				.time_ns = clock_mono_ns(), .period = SWEEP_NS,
				.flags = REC_SAMPLE_IDLE,
			};

			push(ps, REC_SAMPLE, s.time_ns, &s, sizeof(s), NULL, 0);
			count(ps, &ps->st.idle, 1);
		}
	}
	return 0;
}

static int probe(struct py_sampler *ps)
{
	char err[256] = "", ver[32];
	int ret = py_probe_cached(ps->cfg.pid, 0, ps->cfg.probe_cache, &ps->t, err, sizeof(err));
	uint64_t now = clock_mono_ns();

	if (ret == 0)
		ret = py_reader_new_pid(&ps->r, &ps->t, ps->cfg.pid, err, sizeof(err));
	pthread_mutex_lock(&ps->lock);
	if (ret == 0) {
		ps->st.state = PY_SAMPLER_READING;
		ps->st.version_hex = ps->t.version_hex;
		snprintf(ps->st.message, sizeof(ps->st.message), "python %u.%u.%u (%s)",
			 ps->t.version_hex >> 24, (ps->t.version_hex >> 16) & 0xff,
			 (ps->t.version_hex >> 8) & 0xff, ps->t.path);
	} else if (ret == -EPROTONOSUPPORT) {
		ps->st.state = PY_SAMPLER_UNSUPPORTED;
		snprintf(ps->st.message, sizeof(ps->st.message), "%s", err);
	} else if (ret == -ESRCH) {
		ps->st.state = PY_SAMPLER_DONE;
	}
	pthread_mutex_unlock(&ps->lock);
	if (ret == 0) {
		char kv[600];

		snprintf(ver, sizeof(ver), "%u.%u.%u", ps->t.version_hex >> 24,
			 (ps->t.version_hex >> 16) & 0xff, (ps->t.version_hex >> 8) & 0xff);
		/* REC_META payload: key\0value\0 */
		size_t kl = strlen("python") + 1, vl = strlen(ver) + 1;

		memcpy(kv, "python", kl);
		memcpy(kv + kl, ver, vl);
		push(ps, REC_META, now, kv, kl + vl, NULL, 0);
		kl = strlen("python_path") + 1;
		vl = strlen(ps->t.path) + 1;
		if (kl + vl <= sizeof(kv)) {
			memcpy(kv, "python_path", kl);
			memcpy(kv + kl, ps->t.path, vl);
			push(ps, REC_META, now, kv, kl + vl, NULL, 0);
		}
	}
	return ret;
}

static int should_stop(struct py_sampler *ps)
{
	int s;

	pthread_mutex_lock(&ps->lock);
	s = ps->stop;
	pthread_mutex_unlock(&ps->lock);
	return s;
}

/* Asks the scheduler for a short slice for this thread (Linux 6.12+,
 * EEVDF: sched_runtime of SCHED_OTHER; no privilege needed): a short
 * slice lets its wake-ups preempt the running task at once instead of at
 * the next scheduler tick (4 ms at HZ=250). Without it, on a loaded
 * machine, the reads after a thread starts running Python come late,
 * and its GIL time is credited to the previous holder. Best effort. */
static void short_slice(void)
{
	struct {	/* linux/sched/types.h's struct sched_attr (it clashes with sched.h) */
		uint32_t size, sched_policy;
		uint64_t sched_flags;
		int32_t sched_nice;
		uint32_t sched_priority;
		uint64_t sched_runtime, sched_deadline, sched_period;
	} a;

	/* Its nice value and policy stay; a real-time or batch thread is left
	 * alone. Older kernels ignore sched_runtime here. */
	memset(&a, 0, sizeof(a));
	if (syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) < 0 || a.sched_policy != SCHED_OTHER)
		return;
	a.size = sizeof(a);
	a.sched_flags = 0;
	a.sched_runtime = 100000;	/* ns: the kernel's minimum */
	(void)syscall(SYS_sched_setattr, 0, &a, 0);
}

static void *run(void *arg)
{
	struct py_sampler *ps = arg;
	uint64_t period = 1000000000ull / (ps->cfg.freq ? ps->cfg.freq : 999);
	uint64_t start = clock_mono_ns(), next = start, next_probe = start, next_sweep = start;
	uint64_t last_full = 0, last_ts = 0, exe_changed = start;	/* last_ts: the GIL holder at the last tick */
	uint32_t last_tid = 0;
	struct timespec ts;

	short_slice();
	while (!should_stop(ps)) {
		uint64_t now, t0;
		int ret = 0;

		next += period;
		ts.tv_sec = (time_t)(next / 1000000000ull);
		ts.tv_nsec = (long)(next % 1000000000ull);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		now = clock_mono_ns();
		if (now > next + 20 * period)
			next = now;	/* fell behind (suspended?): do not burst */
		if (!ps->r) {
			char exe[512], path[64];
			ssize_t n;

			if (now < next_probe) {
				/* Nothing to read yet: sleep until the next probe
				 * instead of waking at the sampling rate. */
				next = next_probe - period;
				continue;
			}
			/* Until python shows up, re-probe quickly only after an exec. */
			snprintf(path, sizeof(path), "/proc/%d/exe", (int)ps->cfg.pid);
			n = readlink(path, exe, sizeof(exe) - 1);
			exe[n > 0 ? n : 0] = '\0';
			if (strcmp(exe, ps->last_exe)) {
				exe_changed = now;
				snprintf(ps->last_exe, sizeof(ps->last_exe), "%s", exe);
			}
			/* Right after an exec (the loader may still be mapping
			 * libpython) every 100 ms, then every second. */
			if (now - exe_changed > 2000000000ull && now - last_full < 1000000000ull) {
				next_probe = now + 100000000ull;
				continue;
			}
			last_full = now;
			ret = probe(ps);
			if (ret == -EPROTONOSUPPORT || ret == -ESRCH)
				break;
			if (ret < 0) {
				next_probe = now + 100000000ull;
				continue;
			}
		}
		t0 = clock_mono_ns();
		if (now >= next_sweep) {
			next_sweep = now + SWEEP_NS;
			ret = sweep(ps);
		} else {
			uint64_t tstate = 0;
			uint32_t tid = 0;

			ret = py_reader_gil(ps->r, &tstate, &tid);
			if (ret >= 0)
				gil_seen(ps, ret == 1 ? tid : 0);
			/* The previous holder released the GIL since the last
			 * tick (e.g. into zlib, which runs without it): its stack
			 * may have moved before that; read it once more. */
			if (ret >= 0 && last_ts && (ret == 0 || tstate != last_ts))
				ret = sample_thread(ps, last_ts, last_tid) == -ESRCH ? -ESRCH : ret;
			if (ret == 1) {
				ret = sample_thread(ps, tstate, tid);
				last_ts = tstate;
				last_tid = tid;
			} else if (ret == 0) {
				last_ts = 0;
			} else if (ret != -ESRCH) {
				ret = 0;
			}
		}
		pthread_mutex_lock(&ps->lock);
		ps->st.ticks++;
		ps->st.read_ns += clock_mono_ns() - t0;
		pthread_mutex_unlock(&ps->lock);
		if (ret == -ESRCH)
			break;
	}
	/* Stopped on request, the state stays (READING: python was read). */
	return NULL;
}

int py_sampler_start(struct py_sampler **out, const struct py_sampler_config *cfg)
{
	struct py_sampler *ps = calloc(1, sizeof(*ps));
	int ret;

	*out = NULL;
	if (!ps)
		return -ENOMEM;
	ps->cfg = *cfg;
	pthread_mutex_init(&ps->lock, NULL);
	strbuf_init(&ps->pending, 0);
	hmap_init(&ps->str_index);
	snprintf(ps->st.message, sizeof(ps->st.message), "no python found in process %d",
		 (int)cfg->pid);
	ret = pthread_create(&ps->thread, NULL, run, ps);
	if (ret) {
		py_sampler_free(ps);
		return -ret;
	}
	ps->started = 1;
	*out = ps;
	return 0;
}

int py_sampler_drain(struct py_sampler *ps, py_emit_fn emit, void *ctx)
{
	struct strbuf got = STRBUF_INIT;
	struct rec_lost lost = { 0, 0 };
	size_t off = 0;
	int ret = 0;

	pthread_mutex_lock(&ps->lock);
	got = ps->pending;
	strbuf_init(&ps->pending, 0);
	lost.unreadable = ps->unreadable_unreported;
	ps->unreadable_unreported = 0;
	pthread_mutex_unlock(&ps->lock);
	while (!ret && off + 16 <= got.len) {
		uint32_t hdr[2];
		uint64_t time;

		memcpy(hdr, got.buf + off, 8);
		memcpy(&time, got.buf + off + 8, 8);
		ret = emit(ctx, hdr[0], time, got.buf + off + 16, hdr[1]);
		off += 16 + hdr[1] + ((8 - (hdr[1] & 7)) & 7);
	}
	if (!ret && lost.unreadable)
		ret = emit(ctx, REC_LOST, clock_mono_ns(), &lost, sizeof(lost));
	strbuf_release(&got);
	return ret;
}

void py_sampler_status(struct py_sampler *ps, struct py_sampler_status *st)
{
	pthread_mutex_lock(&ps->lock);
	*st = ps->st;
	pthread_mutex_unlock(&ps->lock);
}

void py_sampler_stop(struct py_sampler *ps)
{
	if (!ps || !ps->started)
		return;
	pthread_mutex_lock(&ps->lock);
	ps->stop = 1;
	pthread_mutex_unlock(&ps->lock);
	pthread_join(ps->thread, NULL);
	ps->started = 0;
}

void py_sampler_free(struct py_sampler *ps)
{
	if (!ps)
		return;
	py_sampler_stop(ps);
	py_reader_free(ps->r);
	free(ps->strs);
	free(ps->ids);
	hmap_release(&ps->str_index);
	strbuf_release(&ps->pending);
	pthread_mutex_destroy(&ps->lock);
	free(ps);
}
