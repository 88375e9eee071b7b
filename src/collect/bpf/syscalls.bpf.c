/*
 * syscalls.bpf.c - pinch syscalls' in-kernel part: on the raw_syscalls
 * tracepoints, for the processes of the target's tree only (followed
 * through sched_process_fork; a launched command counts from its exec),
 * counts every syscall per number with its errors, time and a log2
 * latency histogram in a per-CPU array read once at the end; with
 * --trace, the chosen calls go to a ring buffer with their arguments (a
 * path or socket address read at entry).
 */
/* SPDX-License-Identifier: GPL-2.0 (the kernel's helpers need a GPL program) */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sysc_wire.h"
#include "core/banned.h"

#define NR_EXECVE 59

char LICENSE[] SEC("license") = "GPL";

const volatile int trace_on = 0;
const volatile int filter_on = 0;	/* count only the syscalls marked in `traced` */

/* tgid -> 1 counted, 2 launched but not exec'd yet */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSC_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

struct start {
	__u64 ts;
	__u32 nr;
	__u32 traced;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSC_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYSC_MAX_NR);
	__type(key, __u32);
	__type(value, struct sysc_stat);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSC_MAX_NR);
	__type(key, __u32);
	__type(value, __u32);
} traced SEC(".maps");

/* the entry half of a traced call, per thread */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSC_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct sysc_event);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sysc_event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

/* events the ring buffer had no room for */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline int tracked(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *v = bpf_map_lookup_elem(&pids, &tgid);

	return v && *v == 1;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r < SYSC_HIST ? r : SYSC_HIST - 1;
}

SEC("raw_tracepoint/sys_enter")
int sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u32 nr = (__u32)ctx->args[1];
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sysc_stat *s;
	struct start *st;
	__u32 *how, flags = 0;

	if (!tracked() || nr >= SYSC_MAX_NR)
		return 0;
	how = bpf_map_lookup_elem(&traced, &nr);
	if (how)
		flags = *how;
	if (filter_on && !(flags & SYSC_COUNT))
		return 0;
	s = bpf_map_lookup_elem(&stats, &nr);
	if (s)
		s->count++;
	/* one entry per thread, reused: no allocation per syscall */
	st = bpf_map_lookup_elem(&starts, &tid);
	if (!st) {
		struct start zero = {};

		bpf_map_update_elem(&starts, &tid, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&starts, &tid);
		if (!st)
			return 0;
	}
	st->ts = bpf_ktime_get_ns();
	st->nr = nr;
	st->traced = 0;
	if (trace_on && (flags & SYSC_TRACE)) {
		__u32 zero = 0;
		struct sysc_event *e = bpf_map_lookup_elem(&scratch, &zero);

		if (e) {
			e->pid = bpf_get_current_pid_tgid() >> 32;
			e->tid = tid;
			e->nr = nr;
			e->start_ns = st->ts;
			e->args[0] = BPF_CORE_READ(regs, di);
			e->args[1] = BPF_CORE_READ(regs, si);
			e->args[2] = BPF_CORE_READ(regs, dx);
			e->args[3] = BPF_CORE_READ(regs, r10);
			e->args[4] = BPF_CORE_READ(regs, r8);
			e->args[5] = BPF_CORE_READ(regs, r9);
			e->buf_kind = SYSC_BUF_NONE;
			e->buf[0] = 0;
			if (flags & (SYSC_PATH0 | SYSC_PATH1)) {
				const char *p = (const char *)e->args[(flags & SYSC_PATH0) ? 0 : 1];

				if (bpf_probe_read_user_str(e->buf, sizeof(e->buf), p) > 0)
					e->buf_kind = SYSC_BUF_PATH;
			} else if (flags & SYSC_SOCKADDR1) {
				__u64 len = e->args[2];

				if (len > sizeof(e->buf))
					len = sizeof(e->buf);
				if (len && bpf_probe_read_user(e->buf, len & (SYSC_BUF - 1), (void *)e->args[1]) == 0)
					e->buf_kind = SYSC_BUF_SOCKADDR;
			}
			bpf_map_update_elem(&inflight, &tid, e, BPF_ANY);
			st->traced = 1;
		}
	}
	return 0;
}

static __always_inline void emit(__u32 tid, __s64 ret, __u64 now)
{
	struct sysc_event *e = bpf_map_lookup_elem(&inflight, &tid), *out;

	if (!e)
		return;
	out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);
	if (!out) {
		__u32 zero = 0;
		__u64 *l = bpf_map_lookup_elem(&lost, &zero);

		if (l)
			__sync_fetch_and_add(l, 1);
	} else {
		__builtin_memcpy(out, e, sizeof(*out));
		out->ret = ret;
		out->dur_ns = now - e->start_ns;
		bpf_ringbuf_submit(out, 0);
	}
	bpf_map_delete_elem(&inflight, &tid);
}

SEC("raw_tracepoint/sys_exit")
int sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct start *st = bpf_map_lookup_elem(&starts, &tid);
	__s64 ret = (__s64)ctx->args[1];
	struct sysc_stat *s;
	__u64 now, d;
	__u32 nr;

	if (!st || !st->ts)
		return 0;
	now = bpf_ktime_get_ns();
	nr = st->nr;
	d = now - st->ts;
	st->ts = 0;	/* returned */
	if (st->traced)
		emit(tid, ret, now);
	if (nr >= SYSC_MAX_NR)
		return 0;
	s = bpf_map_lookup_elem(&stats, &nr);
	if (!s)
		return 0;
	if (ret < 0 && ret >= -4095)
		s->errors++;
	s->total_ns += d;
	if (d > s->max_ns)
		s->max_ns = d;
	s->hist[log2_bucket(d)]++;
	return 0;
}

/* children and threads of a tracked process are tracked */
SEC("raw_tracepoint/sched_process_fork")
int fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u8 *v = bpf_map_lookup_elem(&pids, &ptgid), one = 1;

	if (v && *v == 1 && ctgid != ptgid)
		bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY);
	return 0;
}

/* a launched command counts from its exec on (its execve included) */
SEC("raw_tracepoint/sched_process_exec")
int exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, nr = NR_EXECVE;
	__u8 *v = bpf_map_lookup_elem(&pids, &tgid), one = 1;
	struct sysc_stat *s;
	__u32 *how;

	if (!v || *v != 2)
		return 0;
	bpf_map_update_elem(&pids, &tgid, &one, BPF_ANY);
	how = bpf_map_lookup_elem(&traced, &nr);
	if (filter_on && !(how && (*how & SYSC_COUNT)))
		return 0;
	s = bpf_map_lookup_elem(&stats, &nr);
	if (s)
		s->count++;
	return 0;
}
