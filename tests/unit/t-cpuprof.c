/*
 * t-cpuprof.c - recording -> profile on a synthetic CPU recording that
 * points at this test's own functions: stacks, weights, thread names
 * (latest wins), forked children, lost counts, metadata, the truncated
 * flag, and the refusal of a memory recording.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/strbuf.h"
#include "model/cpuprof.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "tap.h"

__attribute__((noinline)) int cp_leaf(int x) { __asm__ volatile("" ::: "memory"); return x + 1; }
__attribute__((noinline)) int cp_mid(int x) { __asm__ volatile("" ::: "memory"); return cp_leaf(x) * 2; }
__attribute__((noinline)) int cp_top(int x) { __asm__ volatile("" ::: "memory"); return cp_mid(x) + 3; }

static struct rec_mmap exe_map;
static char exe_path[4096];

static void find_exe_map(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	uint64_t a = (uint64_t)(uintptr_t)&cp_leaf;

	while (f && fgets(line, sizeof(line), f)) {
		uint64_t lo, hi, off;
		char perm[8];
		int at = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", &lo, &hi, perm,
			   &off, &at) >= 4 && lo <= a && a < hi) {
			exe_map.start = lo;
			exe_map.len = hi - lo;
			exe_map.pgoff = off;
			exe_map.prot = PROT_READ | PROT_EXEC;
			snprintf(exe_path, sizeof(exe_path), "%s", line + at);
			exe_path[strcspn(exe_path, "\n")] = '\0';
		}
	}
	if (f)
		fclose(f);
}

static void add_sample(struct rec_writer *w, uint32_t pid, uint32_t tid, uint64_t t,
		       const uint64_t *ips, uint16_t n)
{
	struct rec_sample s;

	memset(&s, 0, sizeof(s));
	s.pid = pid;
	s.tid = tid;
	s.time_ns = t;
	s.period = 1001001;
	s.nr_ips = n;
	rec_writer_add(w, REC_SAMPLE, &s, sizeof(s), ips, n * 8u, NULL, 0);
}

static void add_comm(struct rec_writer *w, uint32_t pid, uint32_t tid, const char *name)
{
	struct rec_comm c = { .pid = pid, .tid = tid };

	rec_writer_add(w, REC_COMM, &c, sizeof(c), name, strlen(name) + 1, NULL, 0);
}

static void write_recording(const char *path, int finish, enum rec_kind kind)
{
	struct rec_writer *w;
	uint32_t pid = 4242;
	uint64_t leaf = (uint64_t)(uintptr_t)&cp_leaf + 2;
	uint64_t mid_ret = (uint64_t)(uintptr_t)&cp_mid + 5;
	uint64_t top_ret = (uint64_t)(uintptr_t)&cp_top + 5;
	uint64_t st1[4] = { leaf, (uint64_t)-512 /* PERF_CONTEXT_USER */, mid_ret, top_ret };
	uint64_t st2[2] = { (uint64_t)(uintptr_t)&cp_mid + 2, top_ret };
	struct rec_lost lost = { 5, 2 };
	struct rec_task fork = { .pid = 4243, .ppid = pid, .tid = 4243, .ptid = pid };
	struct rec_finish fin = { .exit_status = 0 };
	struct rec_mmap m = exe_map;

	rec_writer_open(&w, path, kind);
	fin.end_mono_ns = clock_mono_ns() + 2000000000ull;
	rec_writer_meta(w, "command", "cp_test --fast");
	rec_writer_meta(w, "mode", "perf");
	rec_writer_meta(w, "call_graph", "fp");
	rec_writer_meta(w, "frequency", "999");
	add_comm(w, pid, pid, "first-name");
	add_comm(w, pid, pid + 10, "worker");
	m.pid = pid;
	rec_writer_add(w, REC_MMAP, &m, sizeof(m), exe_path, strlen(exe_path) + 1, NULL, 0);
	for (int i = 0; i < 3; i++)
		add_sample(w, pid, pid, 100 + (uint64_t)i, st1, 4);
	add_sample(w, pid, pid + 10, 200, st2, 2);
	rec_writer_add(w, REC_FORK, &fork, sizeof(fork), NULL, 0, NULL, 0);
	add_comm(w, 4243, 4243, "child");
	add_sample(w, 4243, 4243, 300, st2, 2);
	add_comm(w, pid, pid, "latest-name");
	rec_writer_add(w, REC_LOST, &lost, sizeof(lost), NULL, 0, NULL, 0);
	if (finish)
		rec_writer_add(w, REC_FINISH, &fin, sizeof(fin), NULL, 0, NULL, 0);
	rec_writer_close(w);
}

static const char *loc_func(const struct profile *p, uint32_t loc)
{
	return profile_string(p, profile_location(p, loc)->function);
}

static void check_profile(const char *path)
{
	struct rec_reader *r;
	struct profile *p = NULL;
	struct cpuprof_stats st;
	struct strbuf warn = STRBUF_INIT;
	char err[256];
	int found3 = 0, found2 = 0;

	ok(rec_reader_open(&r, path, err, sizeof(err)) == 0, "open the recording");
	is_int(cpuprof_build(r, NULL, &p, &st, &warn, err, sizeof(err)), 0, "build the profile");
	rec_reader_close(r);
	if (!p)
		return;
	is_uint(st.samples, 5, "five samples");
	is_int(profile_total(p, 0), 5, "sample count total");
	is_int(profile_total(p, 1), 5 * 1001001, "cpu nanoseconds total");
	is_str(profile_type_name(p, 0), "samples", "type 0 name");
	is_str(profile_type_unit(p, 1), "nanoseconds", "type 1 unit");
	is_uint(st.lost, 5, "lost samples");
	is_uint(st.unreadable, 2, "unreadable samples");
	is_str(profile_meta(p, "command"), "cp_test --fast", "command metadata");
	is_str(profile_meta(p, "samples"), "5", "samples metadata");
	is_str(profile_meta(p, "lost"), "5", "lost metadata");
	is_str(profile_meta(p, "truncated"), "no", "not truncated");
	near(st.duration_ns, 2000000000.0, 50000000.0, "duration from the finish record");
	is_uint(warn.len, 0, "no warnings (%s)", warn.buf);

	for (size_t i = 0; i < profile_n_samples(p); i++) {
		const struct profile_sample *s = profile_sample(p, i);
		uint32_t n;
		const uint32_t *st_ = profile_stack(p, s->stack, &n);
		const struct profile_thread *t = profile_thread(p, s->thread);
		const char *tname = profile_string(p, t->name);

		if (n == 3) {
			is_str(loc_func(p, st_[0]), "cp_leaf", "3-frame stack: leaf first");
			is_str(loc_func(p, st_[1]), "cp_mid", "then the caller (context marker dropped)");
			is_str(loc_func(p, st_[2]), "cp_top", "then its caller");
			is_int(profile_sample_values(p, i)[0], 3, "three samples merged");
			is_str(tname, "latest-name", "the latest name of the thread wins");
			found3++;
		} else if (n == 2) {
			is_str(loc_func(p, st_[0]), "cp_mid", "2-frame stack");
			ok(!strcmp(tname, "worker") || !strcmp(tname, "child"), "thread %s", tname);
			if (t->pid == 4243)
				is_str(loc_func(p, st_[1]), "cp_top", "forked child resolves through the parent's maps");
			found2++;
		}
	}
	is_int(found3, 1, "one 3-frame stack");
	is_int(found2, 2, "two 2-frame stacks (thread and child)");
	profile_free(p);
	strbuf_release(&warn);
}

/* --off-cpu: blocked intervals from SWITCH records, their stacks from
 * OFFCPU samples, preemption, a thread that exited while blocked (left
 * out), one still blocked at the end (counted to the end), the views. */
static void add_switch(struct rec_writer *w, uint32_t tid, uint64_t t, uint32_t flags)
{
	struct rec_switch sw = { .pid = 4242, .tid = tid, .time_ns = t, .flags = flags };

	rec_writer_add(w, REC_SWITCH, &sw, sizeof(sw), NULL, 0, NULL, 0);
}

static void write_offcpu(const char *path, int with_meta)
{
	struct rec_writer *w;
	struct rec_mmap m = exe_map;
	uint64_t st2[2] = { (uint64_t)(uintptr_t)&cp_mid + 2, (uint64_t)(uintptr_t)&cp_top + 5 };
	struct rec_sample s = { .pid = 4242, .tid = 4242, .time_ns = 1000, .nr_ips = 2 };
	struct rec_task ex = { .pid = 4242, .ppid = 1, .tid = 4250, .ptid = 4242, .time_ns = 20500 };
	struct rec_finish fin = { .end_mono_ns = 0 };
	uint64_t t0;

	rec_writer_open(&w, path, REC_KIND_CPU);
	if (with_meta)
		rec_writer_meta(w, "offcpu", "off-cpu");
	m.pid = 4242;
	rec_writer_add(w, REC_MMAP, &m, sizeof(m), exe_path, strlen(exe_path) + 1, NULL, 0);
	t0 = clock_mono_ns();	/* after the header's start time */
	s.time_ns = t0 + 1000;
	rec_writer_add(w, REC_OFFCPU, &s, sizeof(s), st2, sizeof(st2), NULL, 0);
	add_switch(w, 4242, t0 + 1000, REC_SWITCH_OUT);
	add_switch(w, 4242, t0 + 6000, 0);			/* 5000 ns blocked in cp_mid */
	s.time_ns = t0 + 7000;
	s.period = 1001001;
	rec_writer_add(w, REC_SAMPLE, &s, sizeof(s), st2, sizeof(st2), NULL, 0);	/* on CPU */
	add_switch(w, 4242, t0 + 10000, REC_SWITCH_OUT | REC_SWITCH_PREEMPT);
	add_switch(w, 4242, t0 + 10300, 0);			/* 300 ns preempted */
	add_switch(w, 4242, t0 + 11000, 0);			/* in without out: ignored */
	add_switch(w, 4250, t0 + 20000, REC_SWITCH_OUT);
	ex.time_ns = t0 + 20500;
	rec_writer_add(w, REC_EXIT, &ex, sizeof(ex), NULL, 0, NULL, 0);	/* exited: not blocked */
	add_switch(w, 4251, t0 + 30000, REC_SWITCH_OUT);	/* blocked to the end */
	fin.end_mono_ns = t0 + 100000;
	rec_writer_add(w, REC_FINISH, &fin, sizeof(fin), NULL, 0, NULL, 0);
	rec_writer_close(w);
}

static void check_offcpu(const char *path)
{
	struct rec_reader *r;
	struct profile *p = NULL;
	struct cpuprof_stats st;
	struct cpuprof_opts o;
	char err[256];
	int seen = 0;

	write_offcpu(path, 1);
	rec_reader_open(&r, path, err, sizeof(err));
	is_int(cpuprof_build(r, NULL, &p, &st, NULL, err, sizeof(err)), 0, "off-cpu: builds");
	rec_reader_close(r);
	if (!p)
		return;
	ok(st.off.recorded, "off-cpu: recorded");
	is_int(st.off.view, CPUPROF_VIEW_OFF, "off-cpu: the default view is blocked time");
	is_uint(st.off.intervals, 3, "three intervals (exited thread and in-without-out left out)");
	is_uint(st.off.off_cpu_ns, 5000 + 300 + 70000, "blocked ns: exact");
	is_uint(st.off.reasons[OFF_PREEMPTED], 300, "preempted ns");
	is_uint(st.off.reasons[OFF_OTHER], 5000 + 70000, "other ns (no rule matches cp_mid; no stack)");
	is_uint(st.off.on_cpu_ns, 1001001, "on-CPU ns from the CPU sample");
	is_int(profile_total(p, 1), 75300, "the profile holds only blocked time");
	for (size_t i = 0; i < profile_n_samples(p); i++) {
		uint32_t n;
		const uint32_t *sk = profile_stack(p, profile_sample(p, i)->stack, &n);

		if (profile_sample_values(p, i)[1] != 5000)
			continue;
		seen = 1;
		is_uint(n, 3, "the 5000 ns interval: leaf + 2 frames");
		if (n == 3) {
			is_str(loc_func(p, sk[0]), "[off: other]", "leaf [off: other]");
			is_str(loc_func(p, sk[1]), "cp_mid", "then where it blocked");
			is_str(loc_func(p, sk[2]), "cp_top", "then its caller");
		}
	}
	ok(seen, "the stacked interval is there");
	profile_free(p);

	memset(&o, 0, sizeof(o));
	o.view = CPUPROF_VIEW_WALL;
	rec_reader_open(&r, path, err, sizeof(err));
	is_int(cpuprof_build(r, &o, &p, &st, NULL, err, sizeof(err)), 0, "wall view builds");
	rec_reader_close(r);
	is_int(p ? profile_total(p, 1) : 0, 75300 + 1001001, "wall: on-CPU plus blocked");
	profile_free(p);
	o.view = CPUPROF_VIEW_ON;
	rec_reader_open(&r, path, err, sizeof(err));
	is_int(cpuprof_build(r, &o, &p, &st, NULL, err, sizeof(err)), 0, "on-cpu view builds");
	rec_reader_close(r);
	is_int(p ? profile_total(p, 1) : 0, 1001001, "on-cpu: the CPU sample only");
	is_uint(st.off.intervals, 0, "on-cpu: no intervals");
	profile_free(p);

	write_offcpu(path, 0);
	rec_reader_open(&r, path, err, sizeof(err));
	is_int(cpuprof_build(r, NULL, &p, &st, NULL, err, sizeof(err)), 0, "no offcpu meta: builds");
	rec_reader_close(r);
	ok(!st.off.recorded, "no offcpu meta: not recorded");
	is_int(p ? profile_total(p, 1) : 0, 1001001, "no offcpu meta: on-CPU view");
	profile_free(p);
}

int main(void)
{
	char path[] = "/tmp/t-cpuprof-XXXXXX";
	int fd = mkstemp(path);
	struct rec_reader *r;
	struct profile *p = NULL;
	struct cpuprof_stats st;
	struct strbuf warn = STRBUF_INIT;
	char err[256];

	close(fd);
	find_exe_map();
	ok(exe_map.len > 0, "found this executable's code map");
	write_recording(path, 1, REC_KIND_CPU);
	check_profile(path);
	check_offcpu(path);

	write_recording(path, 0, REC_KIND_CPU);
	rec_reader_open(&r, path, err, sizeof(err));
	is_int(cpuprof_build(r, NULL, &p, &st, &warn, err, sizeof(err)), 0, "no finish record: still builds");
	ok(st.truncated, "flagged truncated");
	is_str(p ? profile_meta(p, "truncated") : NULL, "yes", "truncated metadata");
	ok(strstr(warn.buf, "no end record") != NULL, "a warning says so");
	is_uint(st.samples, 5, "all samples kept");
	profile_free(p);
	rec_reader_close(r);

	/* Cut mid-record: 5 bytes short of the end is inside the last record
	 * whatever the sizes before it (they depend on this program's path). */
	{
		struct stat sst;

		if (stat(path, &sst) == 0)
			truncate(path, sst.st_size - 5);
	}
	strbuf_reset(&warn);
	rec_reader_open(&r, path, err, sizeof(err));
	p = NULL;
	is_int(cpuprof_build(r, NULL, &p, &st, &warn, err, sizeof(err)), 0, "cut file: still builds");
	ok(strstr(warn.buf, "cut short") != NULL, "the warning says cut short");
	profile_free(p);
	rec_reader_close(r);

	write_recording(path, 1, REC_KIND_MEM);
	rec_reader_open(&r, path, err, sizeof(err));
	p = NULL;
	is_int(cpuprof_build(r, NULL, &p, &st, NULL, err, sizeof(err)), -EPROTO, "a memory recording is refused");
	ok(p == NULL && strstr(err, "not a CPU recording"), "with a reason: %s", err);
	rec_reader_close(r);

	unlink(path);
	strbuf_release(&warn);
	return done_testing();
}
