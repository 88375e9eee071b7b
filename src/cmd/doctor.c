/*
 * doctor.c - `pinch doctor`: one run of a command (or a watch of a
 * running process) that records its on-CPU stacks (pinch record, in
 * process), measures its resource use (rusage of the launched tree, or
 * /proc of the process) and polls /proc for where its threads wait
 * (task state, the syscall a blocked thread is in, the file it waits on,
 * schedstat's run-queue delay); with --mem a second run under pinch mem.
 * The figures go into a struct doc_evidence and doc_diagnose()
 * (src/model/diagnose.c) names the bottleneck, the next two suspects and
 * the next command. When `pinch record` knows --wall (off-CPU samples,
 * leaves named "[off: REASON]"), the first run uses it and the blocked
 * time gets its stacks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "agent/db/wire.h"
#include "cmd/cmd.h"
#include "collect/dbtrace.h"
#include "collect/memrec.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/cpuprof.h"
#include "model/diagnose.h"
#include "model/memprof.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "model/symbols.h"
#include "model/sysc.h"
#include "view/view.h"
#include "core/banned.h"

static const char *const doctor_usage[] = {
	"usage: pinch doctor [<options>] -- <command> [<args>...]",
	"   or: pinch doctor [<options>] --pid <pid> --duration <time>",
	"",
	"Runs a command once (or watches a process) and names its bottleneck:",
	"CPU-bound in a function and line, blocked (I/O, sleep, lock, poll) in a",
	"system call at a call site, allocation churn at a site (--mem), page",
	"faults or swapping; with the evidence in figures, the second and third",
	"suspects, and the next pinch command to run. Time spent waiting for a",
	"CPU (a busy machine) is noted beside the diagnosis. See docs/doctor.md.",
	NULL,
};

/* ---- polling /proc: where the target's threads wait -------------------- */

#define W_MAX_TASKS 1024
#define W_MAX_PROCS 64
#define W_INTERVAL_NS 5000000ull

struct w_task {
	int tid, pid;
	uint64_t run_delay0, run_delay;	/* schedstat's 2nd field: first and last seen */
};

struct w_block {
	double ns;
	char object[DOC_PATH];
};

/* The program's own code of one process (not the C runtime): where a
 * return address into the program can lie. */
#define W_MAX_RANGES 16
struct w_proc {
	int pid;
	int nranges;
	uint64_t lo[W_MAX_RANGES], hi[W_MAX_RANGES];
};

/* A blocked thread's caller: the first return address into the program
 * found on its stack above the syscall's stack pointer. */
#define W_MAX_CALLERS 256
struct w_caller {
	int pid, nr;
	uint64_t addr;
	double ns;
};

struct watch {
	pthread_t thread;
	int stop;		/* written by the main thread, read by the watcher */
	pthread_mutex_t lock;
	pid_t root;		/* 0: find our child (launch mode) */
	char self_exe[PATH_MAX];
	struct w_task tasks[W_MAX_TASKS];
	int ntasks;
	/* blocked time per syscall number: of the root process, of the others */
	struct w_block root_nr[SYSC_MAX_NR + 1], other_nr[SYSC_MAX_NR + 1];
	uint64_t polls;
	uint64_t first_seen, last_alive;	/* the root process, monotonic ns */
	struct w_proc procs[W_MAX_PROCS];
	int nprocs;
	struct w_caller callers[W_MAX_CALLERS];
	int ncallers;
	struct symbolizer *sym;		/* maps of every process seen (watcher thread, then main) */
	/* --pid: its usage at the last poll, for a process that exits */
	double last_user_ns, last_sys_ns;
	uint64_t last_minflt, last_majflt, last_nvcsw, last_nivcsw, last_rss;
	int have_last;
	int root_given;		/* --pid */
};

static void watch_usage(struct watch *w);

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* Our child that is no longer pinch (it has exec'd the command). */
static pid_t find_child(const struct watch *w)
{
	char path[320], buf[4096], exe[PATH_MAX];
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	pid_t found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char *p, *end;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", de->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		for (p = buf; *p && !found; p = end) {
			long pid = strtol(p, &end, 10);
			ssize_t n;

			if (end == p)
				break;
			snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
			n = readlink(path, exe, sizeof(exe) - 1);
			if (n <= 0)
				continue;
			exe[n] = '\0';
			if (strcmp(exe, w->self_exe))
				found = (pid_t)pid;
		}
	}
	closedir(d);
	return found;
}

static struct w_task *task_slot(struct watch *w, int tid, int pid)
{
	for (int i = 0; i < w->ntasks; i++)
		if (w->tasks[i].tid == tid)
			return &w->tasks[i];
	if (w->ntasks >= W_MAX_TASKS)
		return NULL;
	w->tasks[w->ntasks].tid = tid;
	w->tasks[w->ntasks].pid = pid;
	w->tasks[w->ntasks].run_delay0 = UINT64_MAX;
	return &w->tasks[w->ntasks++];
}

/* "pipe", "socket", or the path of the file descriptor fd of pid. */
static void fd_object(int pid, long fd, char *out, size_t len)
{
	char path[64], buf[DOC_PATH];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", pid, fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (!strncmp(buf, "pipe:", 5))
		snprintf(out, len, "pipe");
	else if (!strncmp(buf, "socket:", 7))
		snprintf(out, len, "socket");
	else if (buf[0] == '/')
		snprintf(out, len, "%s", buf);
}

static int fd_syscall(const char *name)
{
	static const char *const fdcalls[] = { "read", "write", "pread64", "pwrite64", "readv",
		"writev", "fsync", "fdatasync", "recvfrom", "recvmsg", "sendto", "sendmsg",
		"accept", "accept4", "connect", "sync_file_range", NULL };

	for (int i = 0; fdcalls[i]; i++)
		if (!strcmp(name, fdcalls[i]))
			return 1;
	return 0;
}

static int is_runtime_path(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strncmp(b, "libc.so", 7) || !strncmp(b, "libc-", 5) || !strncmp(b, "libpthread", 10) ||
	       !strncmp(b, "ld-linux", 8) || !strncmp(b, "libstdc++", 9) || !strncmp(b, "libgcc_s", 8) ||
	       !strncmp(b, "libm.so", 7);
}

static struct w_proc *proc_slot(struct watch *w, int pid)
{
	char path[64], line[1024];
	struct w_proc *p;
	FILE *f;

	for (int i = 0; i < w->nprocs; i++)
		if (w->procs[i].pid == pid)
			return &w->procs[i];
	if (w->nprocs >= W_MAX_PROCS)
		return NULL;
	p = &w->procs[w->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (w->sym)
		symbolizer_load_proc_maps(w->sym, (uint32_t)pid);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return p;
	while (fgets(line, sizeof(line), f) && p->nranges < W_MAX_RANGES) {
		unsigned long long lo, hi;
		char perms[8];
		int off = 0;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi, perms, &off) < 3 || !off)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (perms[2] != 'x' || line[off] != '/' || is_runtime_path(line + off))
			continue;
		p->lo[p->nranges] = lo;
		p->hi[p->nranges++] = hi;
	}
	fclose(f);
	return p;
}

/* The first word on the stack from sp that points into the program. */
static uint64_t scan_caller(struct watch *w, int pid, uint64_t sp)
{
	uint64_t words[512];
	struct iovec local = { words, sizeof(words) }, remote = { (void *)(uintptr_t)sp, sizeof(words) };
	struct w_proc *p = proc_slot(w, pid);
	ssize_t n;

	if (!p || !p->nranges || !sp)
		return 0;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n <= 0) {
		/* the stack may end within the window: read what is there */
		remote.iov_len = local.iov_len = 4096 - (sp & 4095);
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	}
	for (ssize_t i = 0; n > 0 && i < n / 8; i++)
		for (int r = 0; r < p->nranges; r++)
			if (words[i] >= p->lo[r] && words[i] < p->hi[r])
				return words[i];
	return 0;
}

static void add_caller(struct watch *w, int pid, int nr, uint64_t addr, double dt)
{
	for (int i = 0; i < w->ncallers; i++)
		if (w->callers[i].pid == pid && w->callers[i].nr == nr && w->callers[i].addr == addr) {
			w->callers[i].ns += dt;
			return;
		}
	if (w->ncallers < W_MAX_CALLERS)
		w->callers[w->ncallers++] = (struct w_caller){ pid, nr, addr, dt };
}

static void poll_task(struct watch *w, int pid, int tid, int is_root, double dt)
{
	char path[96], buf[512], name[32];
	struct w_task *t = task_slot(w, tid, pid);
	unsigned long long cpu, delay;
	char *p, state;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	if (t && read_small(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu %llu", &cpu, &delay) == 2) {
		if (t->run_delay0 == UINT64_MAX)
			t->run_delay0 = w->root ? delay : 0;	/* attached: count from now */
		t->run_delay = delay;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_small(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')) || !p[1])
		return;
	state = p[2];
	if (state != 'S' && state != 'D')
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	if (!strncmp(buf, "running", 7))
		return;
	nr = strtol(buf, &p, 10);
	if (nr < 0 || nr >= SYSC_MAX_NR)
		nr = SYSC_MAX_NR;	/* blocked outside a syscall: a page fault */
	{
		struct w_block *b = is_root ? &w->root_nr[nr] : &w->other_nr[nr];

		b->ns += dt;
		if (!b->object[0] && nr < SYSC_MAX_NR &&
		    fd_syscall(sysc_name((unsigned)nr, name, sizeof(name))))
			fd_object(pid, strtol(p, NULL, 16), b->object, sizeof(b->object));
	}
	if (nr < SYSC_MAX_NR) {
		/* "nr arg0 ... arg5 sp pc": the stack pointer is the 8th field */
		unsigned long long sp;
		uint64_t ret;
		char *q = p;

		for (int i = 0; i < 6; i++)
			strtoull(q, &q, 16);
		sp = strtoull(q, NULL, 16);
		ret = scan_caller(w, pid, sp);
		if (ret)
			add_caller(w, pid, (int)nr, ret, dt);
	}
}

/* One process and its descendants. */
static void poll_tree(struct watch *w, int pid, int is_root, double dt, int *budget)
{
	char path[64], buf[4096], *p, *end;
	DIR *d;
	struct dirent *de;

	if ((*budget)-- <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		int tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		poll_task(w, pid, tid, is_root, dt);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		for (p = buf; *p; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			poll_tree(w, (int)c, 0, dt, budget);
		}
	}
	closedir(d);
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	pid_t root = w->root;
	uint64_t last = clock_mono_ns();

	for (;;) {
		struct timespec ts = { 0, (long)W_INTERVAL_NS };
		uint64_t now;
		int budget = W_MAX_PROCS, stop;

		nanosleep(&ts, NULL);
		pthread_mutex_lock(&w->lock);
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		now = clock_mono_ns();
		if (!root)
			root = find_child(w);
		if (root) {
			char path[64], buf[512], *p;

			pthread_mutex_lock(&w->lock);
			poll_tree(w, root, 1, (double)(now - last), &budget);
			w->polls++;
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)root);
			if (read_small(path, buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) && p[1] &&
			    p[2] != 'Z' && p[2] != 'X') {
				if (!w->first_seen)
					w->first_seen = now;
				w->last_alive = now;
				if (w->root_given)
					watch_usage(w);
			}
			pthread_mutex_unlock(&w->lock);
		}
		last = now;
	}
	return NULL;
}

/* ---- the resource use of an attached process (/proc) ------------------- */

struct pid_usage {
	double user_ns, sys_ns;
	uint64_t minflt, majflt, nvcsw, nivcsw, rss;
};

static int pid_usage_read(pid_t pid, struct pid_usage *u)
{
	char path[320], buf[2048], *p;
	unsigned long long minflt, cminflt, majflt, cmajflt, ut, st;
	long tck = sysconf(_SC_CLK_TCK);
	DIR *d;
	struct dirent *de;

	memset(u, 0, sizeof(*u));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return -1;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %llu %llu %llu %llu %llu", &minflt, &cminflt,
		   &majflt, &cmajflt, &ut, &st) != 6)
		return -1;
	u->minflt = minflt;
	u->majflt = majflt;
	u->user_ns = (double)ut * 1e9 / (double)(tck > 0 ? tck : 100);
	u->sys_ns = (double)st * 1e9 / (double)(tck > 0 ? tck : 100);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char *v;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, de->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		if ((v = strstr(buf, "\nvoluntary_ctxt_switches:")))
			u->nvcsw += strtoull(v + 25, NULL, 10);
		if ((v = strstr(buf, "\nnonvoluntary_ctxt_switches:")))
			u->nivcsw += strtoull(v + 28, NULL, 10);
		if ((v = strstr(buf, "\nVmHWM:")))
			u->rss = strtoull(v + 7, NULL, 10) * 1024;
	}
	if (d)
		closedir(d);
	return 0;
}

static void watch_usage(struct watch *w)
{
	struct pid_usage u;

	if (pid_usage_read(w->root, &u))
		return;
	w->last_user_ns = u.user_ns;
	w->last_sys_ns = u.sys_ns;
	w->last_minflt = u.minflt;
	w->last_majflt = u.majflt;
	w->last_nvcsw = u.nvcsw;
	w->last_nivcsw = u.nivcsw;
	w->last_rss = u.rss;
	w->have_last = 1;
}

/* Where blocked threads called syscall sys: the return address found on
 * their stacks most often, symbolized. 1 when found. */
static int caller_site(struct watch *w, const char *sys, struct doc_site *out)
{
	int nr = sysc_number(sys), best = -1;
	double total = 0;
	const struct sym_frame *fr;
	uint32_t n, id;

	if (nr < 0 || !w->sym)
		return 0;
	for (int i = 0; i < w->ncallers; i++) {
		if (w->callers[i].nr != nr)
			continue;
		total += w->callers[i].ns;
		if (best < 0 || w->callers[i].ns > w->callers[best].ns)
			best = i;
	}
	if (best < 0)
		return 0;
	id = sym_lookup(w->sym, symbolizer_space(w->sym, (uint32_t)w->callers[best].pid),
			w->callers[best].addr - 1);
	fr = sym_result(w->sym, id, &n);
	if (!fr || !n || !fr[0].function)
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->function, sizeof(out->function), "%s", fr[0].function);
	snprintf(out->file, sizeof(out->file), "%s", fr[0].file ? fr[0].file : "");
	out->line = fr[0].line;
	out->value = w->callers[best].ns;
	out->share = total > 0 ? w->callers[best].ns / total : 0;
	return 1;
}

/* ---- collecting --------------------------------------------------------- */

struct doctor_cfg {
	long pid;
	uint64_t duration;
	int mem, json, quiet;
	const char *html, *output, *record;
	char **argv;
	int nargs;
};

/* Does this pinch's record know --wall (off-CPU samples)? Asked of
 * cmd_record itself, quietly. */
static int record_has_wall(void)
{
	char *av[] = { (char *)"record", (char *)"--wall", (char *)"--help", NULL };
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC), o1, o2, rc;

	if (null < 0)
		return 0;
	fflush(stdout);
	fflush(stderr);
	o1 = dup(1);
	o2 = dup(2);
	dup2(null, 1);
	dup2(null, 2);
	rc = cmd_record(3, av);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	close(null);
	return rc == EXIT_OK;
}

static void duration_arg(struct strbuf *sb, uint64_t ns)
{
	if (ns % 1000000000ull == 0)
		strbuf_addf(sb, "%llus", (unsigned long long)(ns / 1000000000ull));
	else
		strbuf_addf(sb, "%llums", (unsigned long long)(ns / 1000000ull));
}

static void mk_tmp(struct strbuf *sb, const char *what)
{
	const char *dir = getenv("TMPDIR");

	strbuf_addf(sb, "%s/pinch-doctor-%d-%s.rec", dir && *dir ? dir : "/tmp", (int)getpid(), what);
}

/* --mem: a second run under pinch mem; the top allocation sites by calls. */
static int mem_run(const struct doctor_cfg *cfg, struct doc_evidence *e, char *err, size_t errlen)
{
	struct strbuf tmp = STRBUF_INIT;
	char **av = calloc((size_t)cfg->nargs + 8, sizeof(*av));
	struct memprof *m = NULL;
	struct memprof_proc *proc;
	struct profile *prof = NULL;
	uint32_t *map = NULL;
	struct memprof_sym_opts so;
	uint64_t t0;
	int n = 0, rc = -1, saved;
	FILE *log;

	if (!av)
		return -1;
	mk_tmp(&tmp, "mem");
	av[n++] = (char *)"mem";
	av[n++] = (char *)"-q";
	av[n++] = (char *)"--no-leak-scan";
	av[n++] = (char *)"-o";
	av[n++] = tmp.buf;
	av[n++] = (char *)"--";
	for (int i = 0; i < cfg->nargs; i++)
		av[n++] = cfg->argv[i];
	/* pinch mem's own lines name a file that is gone at the end: they
	 * are shown only when the run failed */
	fflush(stderr);
	saved = dup(2);
	log = tmpfile();
	if (saved >= 0 && log)
		dup2(fileno(log), 2);
	t0 = clock_mono_ns();
	rc = cmd_mem(n, av);
	e->mem_wall_ns = (double)(clock_mono_ns() - t0);
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (access(tmp.buf, R_OK)) {
		char line[512];

		if (log) {
			rewind(log);
			while (fgets(line, sizeof(line), log))
				fputs(line, stderr);
		}
		snprintf(err, errlen, "pinch mem wrote no recording (status %d)", rc);
		rc = -1;
		goto out;
	}
	rc = memprof_load(&m, tmp.buf, err, errlen);
	if (rc)
		goto out;
	proc = memprof_main(m, 0);
	if (!proc) {
		snprintf(err, errlen, "the memory recording holds no process");
		rc = -1;
		goto out;
	}
	memset(&so, 0, sizeof(so));
	rc = memprof_profile(proc, &so, &prof, &map, NULL, err, errlen);
	if (rc)
		goto out;
	doc_read_mem_profile(prof, e);
	rc = 0;
out:
	if (log)
		fclose(log);
	free(map);
	profile_free(prof);
	memprof_free(m);
	unlink(tmp.buf);
	strbuf_release(&tmp);
	free(av);
	return rc;
}

/* ---- SQL: pinch db trace's agent rides along in a launched run ------------ */

struct sql_ride {
	char dir[64];
	char *old_preload, *old_asan;
	int on, had_asan;
};

/* Puts the agent in the environment the launched program inherits (it is
 * idle in a program that calls neither libpq nor libsqlite3); slow calls
 * (>= 10 ms) are logged with their stacks. */
static void sql_ride_start(struct sql_ride *r)
{
	char agent[4096];
	const char *pre = getenv("LD_PRELOAD");
	struct strbuf v = STRBUF_INIT;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/pinch-doctor-db.XXXXXX");
	if (agent_find("db", "libpinch-db.so", "PINCH_DB_AGENT", agent, sizeof(agent)) || !mkdtemp(r->dir))
		return;
	if (pre && !(r->old_preload = strdup(pre))) {
		rmdir(r->dir);
		return;
	}
	strbuf_addf(&v, "%s%s%s", agent, pre && *pre ? ":" : "", pre && *pre ? pre : "");
	setenv("LD_PRELOAD", v.buf, 1);
	setenv(DBW_ENV_DIR, r->dir, 1);
	setenv(DBW_ENV_SLOW, "10000000", 1);
	/* a program built with AddressSanitizer refuses to start when a
	 * preloaded library comes before its runtime; the agent intercepts
	 * nothing ASan does */
	pre = getenv("ASAN_OPTIONS");
	r->had_asan = pre != NULL;
	if (pre && !(r->old_asan = strdup(pre)))
		r->had_asan = 0;
	strbuf_reset(&v);
	strbuf_addf(&v, "%s%sverify_asan_link_order=0", pre && *pre ? pre : "", pre && *pre ? ":" : "");
	setenv("ASAN_OPTIONS", v.buf, 1);
	strbuf_release(&v);
	r->on = 1;
}

static void site_of_frames(const struct dbtrace_slow *sl, struct doc_site *s)
{
	if (!sl->n_frames || !sl->frames[0].function)
		return;
	snprintf(s->function, sizeof(s->function), "%s", sl->frames[0].function);
	snprintf(s->file, sizeof(s->file), "%s", sl->frames[0].file ? sl->frames[0].file : "");
	s->line = sl->frames[0].line;
}

/* Takes the agent back out of the environment and reads what it timed. */
static void sql_ride_finish(struct sql_ride *r, struct doc_evidence *e)
{
	struct dbtrace t;

	if (!r->on)
		return;
	if (r->old_preload)
		setenv("LD_PRELOAD", r->old_preload, 1);
	else
		unsetenv("LD_PRELOAD");
	unsetenv(DBW_ENV_DIR);
	unsetenv(DBW_ENV_SLOW);
	if (r->had_asan && r->old_asan)
		setenv("ASAN_OPTIONS", r->old_asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(r->old_asan);
	free(r->old_preload);
	dbtrace_init(&t);
	if (!dbtrace_add_dir(&t, r->dir) && !dbtrace_finish(&t) && !dbtrace_symbolize(&t) && t.n_procs) {
		e->have_sql = 1;
		e->sql_distinct = t.n_stmts;
		for (size_t i = 0; i < t.n_stmts; i++) {
			const struct dbtrace_stmt *st = &t.stmts[i];

			e->sql_calls += st->calls;
			e->sql_errors += st->errors;
			e->sql_total_ns += (double)st->total_ns;
			if (i < DOC_TOP) {
				struct doc_sql *q = &e->sql_top[i];

				snprintf(q->text, sizeof(q->text), "%s", st->text);
				snprintf(q->api, sizeof(q->api), "%s", st->api == DBW_API_PQ ? "postgres" :
					 st->api == DBW_API_SQLITE ? "sqlite" : "-");
				q->calls = st->calls;
				q->errors = st->errors;
				q->rows = st->rows;
				q->total_ns = (double)st->total_ns;
				q->max_ns = (double)st->max_ns;
			}
		}
		/* the slow log (by duration) names where a statement was issued */
		for (int i = 0; i < DOC_TOP && e->sql_top[i].calls; i++)
			for (size_t k = 0; k < t.n_slows; k++)
				if (t.slows[k].norm && !strcmp(t.slows[k].norm, e->sql_top[i].text)) {
					site_of_frames(&t.slows[k], &e->sql_top[i].site);
					break;
				}
	}
	dbtrace_release(&t);
	memrec_cleanup(r->dir);
	r->on = 0;
}

/* ---- output --------------------------------------------------------------- */

static void add_site_text(struct strbuf *out, const struct doc_site *s)
{
	const char *base = strrchr(s->file, '/');

	base = base ? base + 1 : s->file;
	strbuf_addstr(out, s->function);
	if (s->line && *base)
		strbuf_addf(out, " (%s:%u)", base, s->line);
}

static void render_text(const struct doc_evidence *e, const struct doc_diagnosis *d, const char *runs,
			const char *mechanism, struct strbuf *out)
{
	static const char *const label[DOC_TOP] = { "bottleneck:", "second:", "third:" };

	strbuf_addf(out, "pinch doctor: %s\n", e->command);
	strbuf_addf(out, "runs:        %s\n", runs);
	strbuf_addf(out, "mechanism:   %s\n\n", mechanism);
	if (!d->n)
		strbuf_addf(out, "bottleneck:  none found: no CPU time and no blocked thread seen%s\n",
			    e->attached ? " (--pid measures that process, not its children: give a command to measure the whole tree)" : "");
	for (int i = 0; i < d->n; i++) {
		const struct doc_finding *f = &d->f[i];

		strbuf_addf(out, "%-12s %s", label[i], doc_class_title(f->cls));
		if (f->site.function[0]) {
			strbuf_addstr(out, f->cls == DOC_CPU ? " in " : " at ");
			add_site_text(out, &f->site);
		}
		strbuf_addf(out, "  (%.0f %% of its time)\n", 100 * f->share);
		strbuf_addf(out, "  evidence:  %s\n", f->evidence);
		strbuf_addf(out, "  next:      %s\n\n", f->next);
	}
	if (d->note[0])
		strbuf_addf(out, "note:        %s\n\n", d->note);
	strbuf_addstr(out, "resources:   wall ");
	strbuf_add_duration(out, e->wall_ns);
	strbuf_addstr(out, ", user ");
	strbuf_add_duration(out, e->user_ns);
	strbuf_addstr(out, ", system ");
	strbuf_add_duration(out, e->sys_ns);
	strbuf_addf(out, ", CPU %.1f %%", 100 * d->cpu_util);
	if (e->have_run_delay) {
		strbuf_addstr(out, ", run-queue wait ");
		strbuf_add_duration(out, e->run_delay_ns);
	}
	strbuf_addstr(out, "\n             max RSS ");
	strbuf_add_bytes(out, (double)e->max_rss);
	strbuf_addf(out, ", page faults %llu minor %llu major, context switches %llu voluntary %llu involuntary\n",
		    (unsigned long long)e->minflt, (unsigned long long)e->majflt,
		    (unsigned long long)e->nvcsw, (unsigned long long)e->nivcsw);
}

static void json_site(struct json_writer *w, const char *key, const struct doc_site *s)
{
	json_key(w, key);
	if (!s->function[0]) {
		json_null(w);
		return;
	}
	json_obj_begin(w);
	json_kstr(w, "function", s->function);
	json_kstr(w, "file", s->file);
	json_kuint(w, "line", s->line);
	json_obj_end(w);
}

static void render_json(const struct doc_evidence *e, const struct doc_diagnosis *d, const char *runs,
			const char *mechanism, int exit_status, struct strbuf *out)
{
	struct json_writer w;

	json_result_begin(&w, out, "doctor");
	json_kstr(&w, "command", e->command);
	json_kstr(&w, "runs", runs);
	json_kstr(&w, "mechanism", mechanism);
	json_kint(&w, "exit_status", exit_status);
	json_key(&w, "resources");
	json_obj_begin(&w);
	json_kuint(&w, "wall_ns", (uint64_t)e->wall_ns);
	json_kuint(&w, "user_ns", (uint64_t)e->user_ns);
	json_kuint(&w, "sys_ns", (uint64_t)e->sys_ns);
	json_kdouble(&w, "cpu_utilisation", d->cpu_util);
	json_kdouble(&w, "run_delay_share", d->run_delay_share);
	if (e->have_run_delay)
		json_kuint(&w, "run_delay_ns", (uint64_t)e->run_delay_ns);
	json_kuint(&w, "max_rss_bytes", e->max_rss);
	json_kuint(&w, "minor_faults", e->minflt);
	json_kuint(&w, "major_faults", e->majflt);
	json_kuint(&w, "voluntary_switches", e->nvcsw);
	json_kuint(&w, "involuntary_switches", e->nivcsw);
	json_obj_end(&w);
	json_key(&w, "cpu");
	json_obj_begin(&w);
	json_kuint(&w, "samples", e->cpu_samples);
	json_kuint(&w, "sampled_ns", (uint64_t)e->cpu_sampled_ns);
	json_kuint(&w, "alloc_ns", (uint64_t)e->alloc_cpu_ns);
	json_kuint(&w, "fault_ns", (uint64_t)e->fault_cpu_ns);
	json_kbool(&w, "kernel_sampled", e->kernel_sampled);
	json_key(&w, "top");
	json_arr_begin(&w);
	for (int i = 0; i < DOC_TOP && e->cpu_top[i].function[0]; i++) {
		json_obj_begin(&w);
		json_kstr(&w, "function", e->cpu_top[i].function);
		json_kstr(&w, "file", e->cpu_top[i].file);
		json_kuint(&w, "line", e->cpu_top[i].line);
		json_kdouble(&w, "share", e->cpu_top[i].share);
		json_kdouble(&w, "line_share", e->cpu_top[i].line_share);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	json_key(&w, "offcpu");
	if (e->have_offcpu) {
		json_obj_begin(&w);
		json_kuint(&w, "on_cpu_ns", (uint64_t)e->on_cpu_ns);
		json_kuint(&w, "off_cpu_ns", (uint64_t)e->off_cpu_ns);
		json_obj_end(&w);
	} else {
		json_null(&w);
	}
	json_key(&w, "blocked");
	json_arr_begin(&w);
	for (int i = 0; i < DOC_TOP && e->have_blocked && e->blocked[i].syscall[0]; i++) {
		json_obj_begin(&w);
		json_kstr(&w, "syscall", e->blocked[i].syscall);
		json_kstr(&w, "object", e->blocked[i].object);
		json_kuint(&w, "ns", (uint64_t)e->blocked[i].ns);
		json_site(&w, "site", &e->blocked[i].site);
		json_kstr(&w, "site_from", e->blocked[i].site_how ? e->blocked[i].site_how : "");
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_key(&w, "sql");
	if ((e->have_sql && e->sql_calls) || e->sql_cpu_ns + e->sql_off_ns > 0) {
		json_obj_begin(&w);
		json_kstr(&w, "library", e->sql_lib);
		json_kuint(&w, "sampled_cpu_ns", (uint64_t)e->sql_cpu_ns);
		json_kuint(&w, "sampled_off_cpu_ns", (uint64_t)e->sql_off_ns);
		json_site(&w, "site", &e->sql_site);
		json_kbool(&w, "traced", e->have_sql);
		json_kuint(&w, "statements", e->sql_calls);
		json_kuint(&w, "distinct", e->sql_distinct);
		json_kuint(&w, "errors", e->sql_errors);
		json_kuint(&w, "total_ns", (uint64_t)e->sql_total_ns);
		json_key(&w, "top");
		json_arr_begin(&w);
		for (int i = 0; i < DOC_TOP && e->sql_top[i].calls; i++) {
			const struct doc_sql *q = &e->sql_top[i];

			json_obj_begin(&w);
			json_kstr(&w, "statement", q->text);
			json_kstr(&w, "api", q->api);
			json_kuint(&w, "calls", q->calls);
			json_kuint(&w, "total_ns", (uint64_t)q->total_ns);
			json_kuint(&w, "max_ns", (uint64_t)q->max_ns);
			json_kuint(&w, "rows", q->rows);
			json_kuint(&w, "errors", q->errors);
			json_site(&w, "site", &q->site);
			json_obj_end(&w);
		}
		json_arr_end(&w);
		json_obj_end(&w);
	} else {
		json_null(&w);
	}
	json_key(&w, "mem");
	if (e->have_mem) {
		json_obj_begin(&w);
		json_kuint(&w, "alloc_calls", e->alloc_calls);
		json_kuint(&w, "alloc_bytes", e->alloc_bytes);
		json_key(&w, "top");
		json_arr_begin(&w);
		for (int i = 0; i < DOC_TOP && e->mem_top[i].function[0]; i++) {
			json_obj_begin(&w);
			json_kstr(&w, "function", e->mem_top[i].function);
			json_kstr(&w, "file", e->mem_top[i].file);
			json_kuint(&w, "line", e->mem_top[i].line);
			json_kuint(&w, "calls", (uint64_t)e->mem_top[i].value);
			json_obj_end(&w);
		}
		json_arr_end(&w);
		json_obj_end(&w);
	} else {
		json_null(&w);
	}
	json_kstr(&w, "note", d->note);
	json_key(&w, "findings");
	json_arr_begin(&w);
	for (int i = 0; i < d->n; i++) {
		const struct doc_finding *f = &d->f[i];

		json_obj_begin(&w);
		json_kstr(&w, "class", doc_class_name(f->cls));
		json_kstr(&w, "title", doc_class_title(f->cls));
		json_kdouble(&w, "share", f->share);
		json_site(&w, "site", &f->site);
		json_kstr(&w, "evidence", f->evidence);
		json_kstr(&w, "next", f->next);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(out, '\n');
}

static int write_html(const char *path, const struct strbuf *text, const struct profile *p)
{
	struct strbuf page = STRBUF_INIT;
	struct view_opts vo;
	char err[256] = "";
	int rc = 0;

	view_html_begin(&page, "pinch doctor");
	view_html_text(&page, "Diagnosis", text->buf, NULL);
	if (p) {
		view_opts_init(&vo);
		vo.value = 1;
		vo.count_value = 0;
		vo.limit = 0;
		vo.title = profile_meta(p, "command");
		rc = view_html_profile(&page, p, &vo, "On-CPU profile", "where the CPU time went", err,
				       sizeof(err));
		if (rc)
			cmd_errorf("doctor", "html: %s", err);
	}
	view_html_end(&page);
	if (!rc && (rc = strbuf_write_file(&page, path)))
		cmd_errorf("doctor", "cannot write '%s': %s", path, strerror(-rc));
	strbuf_release(&page);
	return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_cfg cfg = { 0 };
	struct opt opts[] = {
		{ OPT_INT, 'p', "pid", &cfg.pid, "pid", "watch a running process instead (with --duration)", NULL, 0 },
		{ OPT_DURATION, 'd', "duration", &cfg.duration, "time", "stop after this long (a launched command gets SIGTERM)", NULL, 0 },
		{ OPT_FLAG, 0, "mem", &cfg.mem, NULL, "also run it under pinch mem (a second run): allocation sites", NULL, 0 },
		{ OPT_FLAG, 0, "json", &cfg.json, NULL, "print the diagnosis as JSON (\"kind\": \"doctor\")", NULL, 0 },
		{ OPT_STRING, 0, "html", &cfg.html, "file", "also write an HTML report (diagnosis and flame graph)", NULL, 0 },
		{ OPT_STRING, 'o', "output", &cfg.output, "file", "also write the JSON result to this file", NULL, 0 },
		{ OPT_STRING, 0, "record", &cfg.record, "file", "keep the CPU recording in this file (for pinch report)", NULL, 0 },
		OPT_END_(),
	};
	struct doc_evidence e;
	struct doc_diagnosis d;
	struct watch *w = NULL;
	struct strbuf cmdline = STRBUF_INIT, rec = STRBUF_INIT, out = STRBUF_INIT, runs = STRBUF_INIT;
	struct strbuf mech = STRBUF_INIT;
	struct rusage ru0, ru1;
	struct pid_usage pu0, pu1;
	struct profile *p = NULL;
	struct rec_reader *r = NULL;
	struct cpuprof_stats st;
	struct cpuprof_opts copts = { 0 };
	struct sql_ride sql = { .on = 0 };
	char **av = NULL, err[512], durbuf[32];
	int nargs, rc, status = EXIT_FAIL, wall = 0, n = 0, cmd_status, gone = 0;
	uint64_t t0, t1;

	nargs = opt_parse(argc, argv, opts, doctor_usage, OPT_STOP_AT_NONOPT, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if ((cfg.pid && nargs) || (!cfg.pid && !nargs)) {
		cmd_errorf("doctor", "give either --pid or a command");
		fprintf(stderr, "hint: pinch doctor -- ./myprogram args, or pinch doctor --pid 1234 --duration 10s\n");
		return EXIT_USAGE;
	}
	if (cfg.pid < 0 || cfg.pid > INT_MAX) {
		cmd_errorf("doctor", "bad pid '%ld'", cfg.pid);
		return EXIT_USAGE;
	}
	if (cfg.pid && !cfg.duration) {
		cmd_errorf("doctor", "--pid needs --duration (how long to watch)");
		return EXIT_USAGE;
	}
	if (cfg.pid && cfg.mem) {
		cmd_errorf("doctor", "--mem launches the program under pinch mem: give a command, not --pid");
		return EXIT_USAGE;
	}
	if (cfg.pid && kill((pid_t)cfg.pid, 0) < 0) {
		cmd_errorf("doctor", "%s %ld", errno == EPERM ? "permission denied: another user's process, pid" :
			   "no process with pid", cfg.pid);
		return EXIT_FAIL;
	}
	cfg.argv = argv;
	cfg.nargs = nargs;
	if (cfg.pid) {
		strbuf_addf(&cmdline, "--pid %ld --duration ", cfg.pid);
		duration_arg(&cmdline, cfg.duration);
	} else {
		strbuf_addstr(&cmdline, "--");
		for (int i = 0; i < nargs; i++) {
			strbuf_addch(&cmdline, ' ');
			strbuf_add_shell_word(&cmdline, argv[i]);
		}
	}
	memset(&e, 0, sizeof(e));
	e.command = cmdline.buf;
	e.attached = cfg.pid > 0;

	/* run 1: on-CPU (and off-CPU when record has --wall) + resources */
	wall = record_has_wall();
	if (cfg.record)
		strbuf_addstr(&rec, cfg.record);
	else
		mk_tmp(&rec, "cpu");
	av = calloc((size_t)nargs + 16, sizeof(*av));
	w = calloc(1, sizeof(*w));
	if (!av || !w) {
		cmd_errorf("doctor", "out of memory");
		free(w);
		w = NULL;
		goto out;
	}
	pthread_mutex_init(&w->lock, NULL);
	av[n++] = (char *)"record";
	av[n++] = (char *)"-q";
	av[n++] = (char *)"-o";
	av[n++] = rec.buf;
	if (wall)
		av[n++] = (char *)"--wall";
	if (cfg.duration) {
		snprintf(durbuf, sizeof(durbuf), "%lluns", (unsigned long long)cfg.duration);
		av[n++] = (char *)"--duration";
		av[n++] = durbuf;
	}
	if (cfg.pid) {
		static char pidbuf[32];

		snprintf(pidbuf, sizeof(pidbuf), "%ld", cfg.pid);
		av[n++] = (char *)"--pid";
		av[n++] = pidbuf;
	} else {
		av[n++] = (char *)"--";
		for (int i = 0; i < nargs; i++)
			av[n++] = argv[i];
	}
	w->root = (pid_t)cfg.pid;
	w->root_given = cfg.pid > 0;
	w->sym = symbolizer_new();
	{
		ssize_t k = readlink("/proc/self/exe", w->self_exe, sizeof(w->self_exe) - 1);

		w->self_exe[k > 0 ? k : 0] = '\0';
	}
	if (cfg.pid)
		pid_usage_read((pid_t)cfg.pid, &pu0);
	getrusage(RUSAGE_CHILDREN, &ru0);
	if (pthread_create(&w->thread, NULL, watch_main, w)) {
		cmd_errorf("doctor", "cannot start the /proc watcher");
		goto out;
	}
	if (!cfg.pid)
		sql_ride_start(&sql);
	t0 = clock_mono_ns();
	cmd_status = cmd_record(n, av);
	t1 = clock_mono_ns();
	sql_ride_finish(&sql, &e);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	getrusage(RUSAGE_CHILDREN, &ru1);
	if (cfg.pid && pid_usage_read((pid_t)cfg.pid, &pu1) == 0) {
		e.user_ns = pu1.user_ns - pu0.user_ns;
		e.sys_ns = pu1.sys_ns - pu0.sys_ns;
		e.minflt = pu1.minflt - pu0.minflt;
		e.majflt = pu1.majflt - pu0.majflt;
		e.nvcsw = pu1.nvcsw - pu0.nvcsw;
		e.nivcsw = pu1.nivcsw - pu0.nivcsw;
		e.max_rss = pu1.rss;
	} else if (cfg.pid) {
		/* it exited during the run: its usage at the last poll */
		gone = 1;
		if (w->have_last) {
			e.user_ns = w->last_user_ns - pu0.user_ns;
			e.sys_ns = w->last_sys_ns - pu0.sys_ns;
			e.minflt = w->last_minflt - pu0.minflt;
			e.majflt = w->last_majflt - pu0.majflt;
			e.nvcsw = w->last_nvcsw - pu0.nvcsw;
			e.nivcsw = w->last_nivcsw - pu0.nivcsw;
			e.max_rss = w->last_rss;
		}
	} else {
#define TV_NS(tv) ((double)(tv).tv_sec * 1e9 + (double)(tv).tv_usec * 1e3)
		e.user_ns = TV_NS(ru1.ru_utime) - TV_NS(ru0.ru_utime);
		e.sys_ns = TV_NS(ru1.ru_stime) - TV_NS(ru0.ru_stime);
		e.minflt = (uint64_t)(ru1.ru_minflt - ru0.ru_minflt);
		e.majflt = (uint64_t)(ru1.ru_majflt - ru0.ru_majflt);
		e.nvcsw = (uint64_t)(ru1.ru_nvcsw - ru0.ru_nvcsw);
		e.nivcsw = (uint64_t)(ru1.ru_nivcsw - ru0.ru_nivcsw);
		e.max_rss = (uint64_t)ru1.ru_maxrss * 1024;
	}
	/* the target's lifetime as the watcher saw it (to +-5 ms): pinch's
	 * own start-up and symbolization are not the program's time */
	e.wall_ns = (double)(t1 - t0);
	if (w->first_seen && w->last_alive > w->first_seen)
		e.wall_ns = (double)(w->last_alive - w->first_seen + W_INTERVAL_NS);
	else if (!cfg.pid)	/* gone before the first poll: under 5 ms */
		e.wall_ns = e.user_ns + e.sys_ns > 1e6 ? e.user_ns + e.sys_ns : 1e6;
	if (e.wall_ns < e.user_ns + e.sys_ns && e.wall_ns < (double)(t1 - t0))
		e.wall_ns = e.user_ns + e.sys_ns < (double)(t1 - t0) ? e.user_ns + e.sys_ns : (double)(t1 - t0);
	if (access(rec.buf, R_OK)) {
		/* record said why */
		status = cmd_status ? cmd_status : EXIT_FAIL;
		goto out;
	}
	/* where the threads waited */
	{
		double run_delay = 0;
		int have = 0;
		struct w_block *src = w->root_nr;
		double root_blocked = 0, root_wait = 0, other = 0;
		int nr_wait4 = sysc_number("wait4"), nr_waitid = sysc_number("waitid");
		char name[32];

		for (int i = 0; i < w->ntasks; i++) {
			if (w->tasks[i].run_delay0 == UINT64_MAX)
				continue;
			run_delay += (double)(w->tasks[i].run_delay - w->tasks[i].run_delay0);
			have = 1;
		}
		e.have_run_delay = have;
		e.run_delay_ns = run_delay;
		for (int i = 0; i <= SYSC_MAX_NR; i++) {
			if (i == nr_wait4 || i == nr_waitid)
				root_wait += w->root_nr[i].ns;
			else
				root_blocked += w->root_nr[i].ns;
			if (i != nr_wait4 && i != nr_waitid)
				other += w->other_nr[i].ns;
		}
		/* a parent that mostly waits for its children: their waits count */
		if (root_blocked < 0.25 * (root_blocked + root_wait) && other > root_blocked)
			src = w->other_nr;
		for (int t = 0; t < DOC_TOP; t++) {
			int best = -1;
			double bv = 0;

			for (int i = 0; i <= SYSC_MAX_NR; i++) {
				int used = 0;

				if (i == nr_wait4 || i == nr_waitid)
					continue;
				for (int u = 0; u < t; u++)
					if (e.blocked[u].ns == src[i].ns && !strcmp(e.blocked[u].syscall,
						i == SYSC_MAX_NR ? "fault" : sysc_name((unsigned)i, name, sizeof(name))))
						used = 1;
				if (!used && src[i].ns > bv) {
					bv = src[i].ns;
					best = i;
				}
			}
			if (best < 0)
				break;
			snprintf(e.blocked[t].syscall, sizeof(e.blocked[t].syscall), "%s",
				 best == SYSC_MAX_NR ? "fault" : sysc_name((unsigned)best, name, sizeof(name)));
			snprintf(e.blocked[t].object, sizeof(e.blocked[t].object), "%s", src[best].object);
			e.blocked[t].ns = src[best].ns;
		}
		for (int i = 0; i <= SYSC_MAX_NR; i++)
			if (i != nr_wait4 && i != nr_waitid)
				e.blocked_ns += src[i].ns;
		e.have_blocked = w->polls > 0;
	}
	/* the profile */
	rc = rec_reader_open(&r, rec.buf, err, sizeof(err));
	if (rc) {
		cmd_errorf("doctor", "cannot read the recording: %s", err);
		goto out;
	}
	rc = cpuprof_build(r, &copts, &p, &st, NULL, err, sizeof(err));
	if (rc) {
		cmd_errorf("doctor", "cannot read the recording: %s", err);
		goto out;
	}
	doc_read_profile(p, &e);
	if (!e.kernel_sampled && !e.fault_site.function[0])
		e.fault_site = e.cpu_top[0];	/* user stacks only: where its CPU went */
	for (int t = 0; t < DOC_TOP && e.blocked[t].syscall[0]; t++) {
		if (caller_site(w, e.blocked[t].syscall, &e.blocked[t].site))
			e.blocked[t].site_how = "stack";
		else if (doc_block_site(p, e.blocked[t].syscall, &e.blocked[t].site), e.blocked[t].site.function[0])
			e.blocked[t].site_how = "cpu-samples";
	}
	strbuf_addstr(&runs, "1 run: cpu+stat");
	if (gone)
		strbuf_addf(&runs, " (pid %ld exited during the run: figures up to its last poll)", cfg.pid);
	{
		const char *mode = profile_meta(p, "mode");
		const char *kernel = profile_meta(p, "kernel");

		strbuf_addf(&mech, "%s sampling (%s)", mode ? mode : "cpu", kernel && !strcmp(kernel, "sampled") ?
			    "kernel stacks" : "user stacks");
		if (e.have_offcpu)
			strbuf_addstr(&mech, ", off-CPU stacks (record --wall)");
		else
			strbuf_addf(&mech, ", blocked threads from /proc every %llu ms (no off-CPU stacks%s)",
				    W_INTERVAL_NS / 1000000ull, wall ? "" : ": this pinch's record has no --wall");
		strbuf_addstr(&mech, cfg.pid ? ", /proc/PID/stat" : ", rusage");
		if (e.have_sql)
			strbuf_addstr(&mech, ", SQL statements (pinch db trace's agent)");
	}

	/* run 2: allocations */
	if (cfg.mem) {
		if (mem_run(&cfg, &e, err, sizeof(err)))
			cmd_errorf("doctor", "--mem: %s (the diagnosis goes on without allocation sites)", err);
		else {
			strbuf_reset(&runs);
			strbuf_addstr(&runs, "2 runs: cpu+stat, then mem");
		}
	}

	doc_diagnose(&e, &d);
	if (cfg.json)
		render_json(&e, &d, runs.buf, mech.buf, cmd_status, &out);
	else
		render_text(&e, &d, runs.buf, mech.buf, &out);
	fwrite(out.buf, 1, out.len, stdout);
	status = EXIT_OK;
	if (cfg.output) {
		struct strbuf js = STRBUF_INIT;

		render_json(&e, &d, runs.buf, mech.buf, cmd_status, &js);
		if ((rc = strbuf_write_file(&js, cfg.output))) {
			cmd_errorf("doctor", "cannot write '%s': %s", cfg.output, strerror(-rc));
			status = EXIT_FAIL;
		}
		strbuf_release(&js);
	}
	if (cfg.html && status == EXIT_OK) {
		struct strbuf text = STRBUF_INIT;

		render_text(&e, &d, runs.buf, mech.buf, &text);
		status = write_html(cfg.html, &text, p);
		strbuf_release(&text);
	}
	if (status == EXIT_OK && cmd_status > 0 && !cfg.pid)
		status = cmd_status;
out:
	if (!cfg.record && rec.len)
		unlink(rec.buf);
	rec_reader_close(r);
	profile_free(p);
	if (w) {
		pthread_mutex_destroy(&w->lock);
		symbolizer_free(w->sym);
	}
	free(w);
	free(av);
	strbuf_release(&cmdline);
	strbuf_release(&rec);
	strbuf_release(&out);
	strbuf_release(&runs);
	strbuf_release(&mech);
	return status;
}
