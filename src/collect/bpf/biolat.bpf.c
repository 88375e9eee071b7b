/*
 * biolat.bpf.c - pinch io --latency's in-kernel part: block I/O latency
 * from issue to completion (block_rq_issue -> block_rq_complete, keyed by
 * the request), as a log2 histogram of nanoseconds read by user space
 * every interval (like biolatency).
 */
/* SPDX-License-Identifier: GPL-2.0 (the kernel's helpers need a GPL program) */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "sysc_wire.h"
#include "core/banned.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} issued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSC_HIST);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

SEC("raw_tracepoint/block_rq_issue")
int rq_issue(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 rq = ctx->args[0], ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&issued, &rq, &ts, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/block_rq_complete")
int rq_complete(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 rq = ctx->args[0], *ts = bpf_map_lookup_elem(&issued, &rq), d, *slot;
	__u32 b = 0;

	if (!ts)
		return 0;
	d = bpf_ktime_get_ns() - *ts;
	bpf_map_delete_elem(&issued, &rq);
	while (b < SYSC_HIST - 1 && (d >> (b + 1)))
		b++;
	slot = bpf_map_lookup_elem(&hist, &b);
	if (slot)
		__sync_fetch_and_add(slot, 1);
	return 0;
}
