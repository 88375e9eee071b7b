/*
 * agent.c - libpinch-cpuagent.so, the CPU sampler that runs inside the
 * target (LD_PRELOAD) when the kernel refuses perf_event_open to pinch.
 * Each thread gets a CPU-time alarm (an in-process perf_event cpu-clock
 * with F_SETSIG, else a POSIX CPU-time timer); the SIGPROF handler
 * records the interrupted IP, registers, a frame-pointer walk and a stack
 * slice into the thread's preallocated buffer, and appends whole records
 * (src/agent/cpu/wire.h) to PINCH_CPUAGENT_FILE with O_APPEND.
 * pinch sorts the file into the recording when the program ends.
 *
 * Only libc. Nothing in the signal path allocates, locks or uses stdio.
 * LD_PRELOAD is kept for children, so programs that fork or exec (shells,
 * build tools) are followed; every process appends under its own pid.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "wire.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_THREADS 4096
#define MAX_IPS 128
#define FLUSH_AT (32u << 10)	/* write a thread's records once this many bytes wait */
#define POSIX_MAX_HZ 250	/* CPU-time timers are tick-bound here */

struct tstate {
	atomic_int busy;	/* held by the handler or a flusher */
	pid_t tid;
	int perf_fd;		/* -1 when the POSIX timer is used */
	timer_t timer;
	int has_timer;
	uint64_t last_cpu;
	uintptr_t stack_lo, stack_hi;
	uint64_t lost;
	size_t len, cap;
	unsigned char *buf;	/* cap bytes, mmap'd with the struct */
	size_t map_size;
};

static int g_fd = -1;
static unsigned g_freq = 999;
static uint32_t g_stack = 512;
static uint64_t g_regs = PCW_REGS_FP;
static int g_timer_mode;	/* 0 auto, 1 perf only, 2 posix only */
static pid_t g_pid;
static atomic_int g_active;	/* handlers record only while set */
static atomic_int g_reg_lock;
static struct tstate *g_threads[MAX_THREADS];
static pthread_key_t g_key;
static struct sigaction g_old_fatal[32];

static __thread struct tstate *t_self __attribute__((tls_model("initial-exec")));

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static void *(*real_dlopen)(const char *, int);

static pid_t sys_gettid(void) { return (pid_t)syscall(SYS_gettid); }

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void lock_spin(atomic_int *l)
{
	while (atomic_exchange_explicit(l, 1, memory_order_acquire))
		sched_yield();
}

static void unlock(atomic_int *l) { atomic_store_explicit(l, 0, memory_order_release); }

static void write_all(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len && g_fd >= 0) {
		ssize_t n = write(g_fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		c += n;
		len -= (size_t)n;
	}
}

/* Appends one record to buf (which has room). Returns the new length. */
static size_t put_record(unsigned char *buf, size_t len, uint32_t type, const void *a,
			 size_t alen, const void *b, size_t blen)
{
	struct pcw_hdr h = { type, (uint32_t)(alen + blen) };
	size_t total = pcw_record_bytes(alen + blen);

	memcpy(buf + len, &h, sizeof(h));
	memcpy(buf + len + sizeof(h), a, alen);
	if (blen)
		memcpy(buf + len + sizeof(h) + alen, b, blen);
	memset(buf + len + sizeof(h) + alen + blen, 0, total - sizeof(h) - alen - blen);
	return len + total;
}

/* Writes one small record straight to the file (not from the handler). */
static void emit(uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned char tmp[512];

	if (pcw_record_bytes(alen + blen) > sizeof(tmp))
		return;
	write_all(tmp, put_record(tmp, 0, type, a, alen, b, blen));
}

static void emit_comm(pid_t tid, const char *name)
{
	struct pcw_comm c = { (uint32_t)g_pid, (uint32_t)tid, now_ns(CLOCK_MONOTONIC) };

	emit(PCW_COMM, &c, sizeof(c), name, strnlen(name, 64) + 1);
}

static void emit_own_comm(void)
{
	char name[17] = { 0 };

	prctl(PR_GET_NAME, name, 0, 0, 0);
	emit_comm(sys_gettid(), name);
}

/* Reads /proc/self/maps and writes a PCW_MMAP per executable mapping.
 * Uses only syscalls and a stack buffer: safe in a fatal-signal handler. */
static void emit_maps(void)
{
	char buf[8192];
	size_t have = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	uint64_t t = now_ns(CLOCK_MONOTONIC);

	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		size_t start = 0, i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (i = 0; i < have; i++) {
			struct pcw_maps_entry e;

			if (buf[i] != '\n')
				continue;
			if (!pcw_maps_parse_line(buf + start, i - start, &e) && (e.prot & 4)) {
				struct pcw_mmap m;
				char path[400];
				size_t pl = e.path_len < sizeof(path) - 1 ? e.path_len : sizeof(path) - 1;

				memset(&m, 0, sizeof(m));
				m.pid = (uint32_t)g_pid;
				m.prot = e.prot;
				m.start = e.start;
				m.len = e.end - e.start;
				m.pgoff = e.pgoff;
				m.time_ns = t;
				memcpy(path, e.path, pl);
				path[pl] = '\0';
				emit(PCW_MMAP, &m, sizeof(m), path, pl + 1);
			}
			start = i + 1;
		}
		if (start == 0 && have == sizeof(buf))
			have = 0;	/* a line longer than the buffer: drop it */
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	close(fd);
}

/* Writes out a thread's pending records; the caller holds ts->busy. */
static void flush_locked(struct tstate *ts)
{
	if (ts->len) {
		write_all(ts->buf, ts->len);
		ts->len = 0;
	}
}

/* ---- the signal handler ---------------------------------------------------- */

static void on_sigprof(int sig, siginfo_t *si, void *uctx)
{
	struct tstate *ts = t_self;
	int saved = errno;
	ucontext_t *uc = uctx;
	const greg_t *g;
	struct pcw_sample s;
	uint64_t ips[MAX_IPS], regs[24], cpu;
	uintptr_t sp, fp;
	uint32_t n = 0, nr = 0, stack = 0;
	size_t need;
	int bit;

	(void)sig;
	(void)si;
	if (!ts)
		goto out;
	if (!atomic_load_explicit(&g_active, memory_order_relaxed))
		goto rearm;
	if (atomic_exchange_explicit(&ts->busy, 1, memory_order_acquire)) {
		ts->lost++;
		goto rearm;
	}
	g = (const greg_t *)uc->uc_mcontext.gregs;
	cpu = now_ns(CLOCK_THREAD_CPUTIME_ID);
	memset(&s, 0, sizeof(s));
	s.pid = (uint32_t)g_pid;
	s.tid = (uint32_t)ts->tid;
	s.time_ns = now_ns(CLOCK_MONOTONIC);
	s.period = cpu > ts->last_cpu ? cpu - ts->last_cpu : 0;
	ts->last_cpu = cpu;
	{
		int c = sched_getcpu();

		s.cpu = c < 0 ? 0 : (uint32_t)c;
	}
	sp = (uintptr_t)g[REG_RSP];
	fp = (uintptr_t)g[REG_RBP];
	ips[n++] = (uint64_t)g[REG_RIP];
	/* Frame-pointer walk, never leaving this thread's stack. */
	if (sp >= ts->stack_lo && sp < ts->stack_hi) {
		uintptr_t lo = sp;

		while (n < MAX_IPS && fp >= lo && fp + 16 <= ts->stack_hi && !(fp & 7)) {
			const uint64_t *f = (const uint64_t *)fp;

			if (!f[1])
				break;
			ips[n++] = f[1];
			if (f[0] <= fp)
				break;
			lo = fp + 16;
			fp = (uintptr_t)f[0];
		}
		stack = g_stack;
		if (ts->stack_hi - sp < stack)
			stack = (uint32_t)(ts->stack_hi - sp);
		stack &= ~7u;
	}
	for (bit = 0; bit < 24; bit++) {
		static const int map[24] = {
			REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP, REG_RSP,
			REG_RIP, REG_EFL, -1, -1, -1, -1, -1, -1,
			REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
		};

		if (!(g_regs & (1ull << bit)))
			continue;
		if (bit == PCW_REG_CS)
			regs[nr++] = (uint64_t)g[REG_CSGSFS] & 0xffff;
		else if (bit == PCW_REG_SS)
			regs[nr++] = ((uint64_t)g[REG_CSGSFS] >> 48) & 0xffff;
		else
			regs[nr++] = map[bit] >= 0 ? (uint64_t)g[map[bit]] : 0;
	}
	s.nr_ips = (uint16_t)n;
	s.flags = PCW_SAMPLE_AGENT | PCW_SAMPLE_REGS | (stack ? PCW_SAMPLE_STACK : 0);
	s.regs_mask = g_regs;
	s.stack_size = stack;
	need = pcw_record_bytes(sizeof(s) + n * 8u + nr * 8u + stack);
	if (ts->len + need > ts->cap)
		flush_locked(ts);
	if (need <= ts->cap) {
		struct pcw_hdr h = { PCW_SAMPLE, (uint32_t)(sizeof(s) + n * 8u + nr * 8u + stack) };
		unsigned char *p = ts->buf + ts->len;

		memcpy(p, &h, sizeof(h));
		p += sizeof(h);
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
		memcpy(p, ips, n * 8u);
		p += n * 8u;
		memcpy(p, regs, nr * 8u);
		p += nr * 8u;
		if (stack)
			memcpy(p, (const void *)sp, stack);
		ts->len += need;	/* the padding is at most 7 bytes of stale data */
		if (ts->len >= FLUSH_AT)
			flush_locked(ts);
	} else {
		ts->lost++;
	}
	unlock(&ts->busy);
rearm:
	if (ts->perf_fd >= 0)
		ioctl(ts->perf_fd, PERF_EVENT_IOC_REFRESH, 1);
out:
	errno = saved;
}

/* ---- per-thread set-up ------------------------------------------------------ */

static long sys_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
				unsigned long flags)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, group, flags);
}

static int start_perf_timer(struct tstate *ts)
{
	struct perf_event_attr a;
	struct f_owner_ex owner;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.sample_period = 1000000000ull / g_freq;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.wakeup_events = 1;
	fd = (int)sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -1;
	owner.type = F_OWNER_TID;
	owner.pid = ts->tid;
	if (fcntl(fd, F_SETFL, O_ASYNC) < 0 || fcntl(fd, F_SETSIG, SIGPROF) < 0 ||
	    fcntl(fd, F_SETOWN_EX, &owner) < 0) {
		close(fd);
		return -1;
	}
	ts->perf_fd = fd;
	ioctl(fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(fd, PERF_EVENT_IOC_REFRESH, 1);
	return 0;
}

static int start_posix_timer(struct tstate *ts)
{
	struct sigevent sev;
	struct itimerspec its;
	unsigned hz = g_freq < POSIX_MAX_HZ ? g_freq : POSIX_MAX_HZ;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGPROF;
	sev._sigev_un._tid = ts->tid;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &ts->timer) < 0)
		return -1;
	ts->has_timer = 1;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_nsec = 1000000000L / (long)hz;
	its.it_value = its.it_interval;
	return timer_settime(ts->timer, 0, &its, NULL);
}

static void start_timer(struct tstate *ts)
{
	if (g_timer_mode != 2 && start_perf_timer(ts) == 0)
		return;
	if (g_timer_mode != 1)
		start_posix_timer(ts);
}

static void stop_timer(struct tstate *ts)
{
	if (ts->perf_fd >= 0) {
		ioctl(ts->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
		close(ts->perf_fd);
		ts->perf_fd = -1;
	}
	if (ts->has_timer) {
		timer_delete(ts->timer);
		ts->has_timer = 0;
	}
}

static void stack_bounds(struct tstate *ts)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;

	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			ts->stack_lo = (uintptr_t)addr;
			ts->stack_hi = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&attr);
	}
}

/* Registers the calling thread and starts its alarm. */
static struct tstate *thread_begin(void)
{
	size_t cap = FLUSH_AT + pcw_record_bytes(sizeof(struct pcw_sample) + MAX_IPS * 8 + 24 * 8 + g_stack);
	size_t map = sizeof(struct tstate) + cap;
	struct tstate *ts;
	int i;

	map = (map + 4095) & ~(size_t)4095;
	ts = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ts == MAP_FAILED)
		return NULL;
	memset(ts, 0, sizeof(*ts));
	ts->buf = (unsigned char *)(ts + 1);
	ts->cap = cap;
	ts->map_size = map;
	ts->tid = sys_gettid();
	ts->perf_fd = -1;
	ts->last_cpu = now_ns(CLOCK_THREAD_CPUTIME_ID);
	stack_bounds(ts);
	lock_spin(&g_reg_lock);
	for (i = 0; i < MAX_THREADS && g_threads[i]; i++)
		;
	if (i < MAX_THREADS)
		g_threads[i] = ts;
	unlock(&g_reg_lock);
	if (i == MAX_THREADS) {
		munmap(ts, map);
		return NULL;
	}
	t_self = ts;
	pthread_setspecific(g_key, ts);
	emit_own_comm();
	start_timer(ts);
	return ts;
}

static void thread_end(struct tstate *ts)
{
	int i;

	stop_timer(ts);
	t_self = NULL;
	lock_spin(&ts->busy);
	flush_locked(ts);
	if (ts->lost) {
		struct pcw_lost l = { ts->lost, 0 };

		emit(PCW_LOST, &l, sizeof(l), NULL, 0);
	}
	emit_own_comm();	/* the name it ended with (pthread_setname_np) */
	lock_spin(&g_reg_lock);
	for (i = 0; i < MAX_THREADS; i++)
		if (g_threads[i] == ts)
			g_threads[i] = NULL;
	unlock(&g_reg_lock);
	munmap(ts, ts->map_size);
}

static void key_destructor(void *p)
{
	if (p && atomic_load(&g_active))
		thread_end(p);
}

/* Flushes every thread's buffer and stops sampling (exit paths). */
static void flush_all(int from_signal)
{
	int i;

	atomic_store(&g_active, 0);
	if (t_self)
		stop_timer(t_self);
	for (i = 0; i < MAX_THREADS; i++) {
		struct tstate *ts = g_threads[i];

		if (!ts)
			continue;
		if (from_signal) {
			if (atomic_exchange(&ts->busy, 1))
				continue;	/* never wait inside a crash */
		} else {
			lock_spin(&ts->busy);
		}
		flush_locked(ts);
		if (ts->lost) {
			struct pcw_lost l = { ts->lost, 0 };

			emit(PCW_LOST, &l, sizeof(l), NULL, 0);
			ts->lost = 0;
		}
		unlock(&ts->busy);
	}
	/* Final thread names: read them from /proc for threads still alive. */
	for (i = 0; i < MAX_THREADS; i++) {
		struct tstate *ts = g_threads[i];
		char path[64], name[32];
		int fd, k;
		ssize_t n;
		pid_t tid;

		if (!ts)
			continue;
		tid = ts->tid;
		memcpy(path, "/proc/self/task/", 16);
		k = 16;
		{
			char d[12];
			int m = 0;

			do
				d[m++] = (char)('0' + tid % 10);
			while ((tid /= 10) && m < 11);
			while (m)
				path[k++] = d[--m];
		}
		memcpy(path + k, "/comm", 6);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, name, sizeof(name) - 1);
		close(fd);
		if (n <= 0)
			continue;
		name[n] = '\0';
		if (name[n - 1] == '\n')
			name[n - 1] = '\0';
		emit_comm(ts->tid, name);
	}
	emit_maps();
}

/* ---- interposed functions ---------------------------------------------------- */

struct start_arg {
	void *(*fn)(void *);
	void *arg;
};

static void *trampoline(void *p)
{
	struct start_arg a = *(struct start_arg *)p;

	free(p);
	if (atomic_load(&g_active))
		thread_begin();
	return a.fn(a.arg);
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct start_arg *a;

	if (!real_pthread_create)
		real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	if (!real_pthread_create)
		return EAGAIN;
	if (!atomic_load(&g_active))
		return real_pthread_create(t, attr, fn, arg);
	a = malloc(sizeof(*a));
	if (!a)
		return real_pthread_create(t, attr, fn, arg);
	a->fn = fn;
	a->arg = arg;
	{
		int rc = real_pthread_create(t, attr, trampoline, a);

		if (rc)
			free(a);
		return rc;
	}
}

EXPORT void *dlopen(const char *file, int mode)
{
	void *h;

	if (!real_dlopen)
		real_dlopen = dlsym(RTLD_NEXT, "dlopen");
	if (!real_dlopen)
		return NULL;
	h = real_dlopen(file, mode);
	if (h && atomic_load(&g_active))
		emit_maps();
	return h;
}

/* A vfork() child shares our memory but is not us: it must not flush
 * (or stop) the parent's sampling on its way out. */
static int is_us(void)
{
	return getpid() == g_pid;
}

EXPORT void _exit(int status)
{
	if (atomic_load(&g_active) && is_us())
		flush_all(0);
	syscall(SYS_exit_group, status);
	for (;;)
		;
}

EXPORT void _Exit(int status)
{
	_exit(status);
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig < 32 ? &g_old_fatal[sig] : NULL;

	if (atomic_load(&g_active) && is_us())
		flush_all(1);
	if (old && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		sigaction(sig, old, NULL);
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old && old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		sigaction(sig, old, NULL);
		old->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);	/* a fault re-executes and dies by the default action */
}

static void at_fork_prepare(void)
{
	struct tstate *ts = t_self;

	if (ts && atomic_load(&g_active)) {
		lock_spin(&ts->busy);
		flush_locked(ts);
		unlock(&ts->busy);
	}
}

static void at_fork_child(void)
{
	struct tstate *ts = t_self;
	struct pcw_task task;
	int i;

	if (!atomic_load(&g_active) || !ts)
		return;
	task.ppid = (uint32_t)g_pid;
	task.ptid = (uint32_t)ts->tid;
	g_pid = getpid();
	/* Only the forking thread exists here; forget the others. */
	for (i = 0; i < MAX_THREADS; i++)
		if (g_threads[i] != ts)
			g_threads[i] = NULL;
	atomic_store(&g_reg_lock, 0);
	atomic_store(&ts->busy, 0);
	ts->len = 0;
	ts->tid = sys_gettid();
	ts->last_cpu = now_ns(CLOCK_THREAD_CPUTIME_ID);
	ts->perf_fd = -1;	/* the inherited fd is the parent thread's event */
	ts->has_timer = 0;	/* POSIX timers are not inherited */
	task.pid = (uint32_t)g_pid;
	task.tid = (uint32_t)ts->tid;
	task.time_ns = now_ns(CLOCK_MONOTONIC);
	emit(PCW_FORK, &task, sizeof(task), NULL, 0);
	emit_own_comm();
	start_timer(ts);
}

static void at_exit(void)
{
	if (atomic_load(&g_active) && is_us())
		flush_all(0);
}

static unsigned env_uint(const char *name, unsigned def, unsigned max)
{
	const char *s = getenv(name);
	unsigned long v = 0;

	if (!s || !*s)
		return def;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (*s || v == 0 || v > max)
		return def;
	return (unsigned)v;
}

__attribute__((constructor)) static void agent_init(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	const char *file = getenv(PCW_ENV_FILE), *regs = getenv(PCW_ENV_REGS);
	const char *timer = getenv(PCW_ENV_TIMER);
	struct sigaction sa;
	size_t i;
	int fd;

	if (!file || !*file)
		return;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* Out of the way of programs that close or dup2 over low fds. */
	g_fd = fcntl(fd, F_DUPFD_CLOEXEC, 900);
	if (g_fd < 0)
		g_fd = fd;
	else
		close(fd);
	g_freq = env_uint(PCW_ENV_FREQ, 999, 100000);
	g_stack = env_uint(PCW_ENV_STACK, 512, 65528) & ~7u;
	g_regs = regs && !strcmp(regs, "all") ? PCW_REGS_ALL : PCW_REGS_FP;
	g_timer_mode = timer && !strcmp(timer, "perf") ? 1 : timer && !strcmp(timer, "posix") ? 2 : 0;
	g_pid = getpid();
	real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	real_dlopen = dlsym(RTLD_NEXT, "dlopen");
	if (pthread_key_create(&g_key, key_destructor))
		return;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigprof;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPROF, &sa, NULL);
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, &g_old_fatal[fatal[i]]);
	pthread_atfork(at_fork_prepare, NULL, at_fork_child);
	atexit(at_exit);
	atomic_store(&g_active, 1);
	emit_maps();
	thread_begin();
}
