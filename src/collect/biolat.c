/*
 * biolat.c - loads bpf/biolat.bpf.c and reads its histogram (biolat.h).
 */
#include "collect/biolat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "biolat.skel.h"
#endif
#include "core/banned.h"

#ifndef HAVE_BPF
struct biolat {
	int unused;
};

struct biolat *biolat_open(char *err, size_t errlen)
{
	snprintf(err, errlen, "this pinch was built without BPF (libbpf-dev, bpftool, clang)");
	return NULL;
}

int biolat_read(struct biolat *b, uint64_t hist[BIOLAT_BUCKETS])
{
	(void)b;
	(void)hist;
	return -ENOSYS;
}

void biolat_close(struct biolat *b)
{
	(void)b;
}
#else
struct biolat {
	struct biolat_bpf *skel;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

struct biolat *biolat_open(char *err, size_t errlen)
{
	struct biolat *b = calloc(1, sizeof(*b));
	int rc;

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	libbpf_set_print(quiet);
	b->skel = biolat_bpf__open_and_load();
	if (!b->skel) {
		snprintf(err, errlen, "BPF refused: %s%s", strerror(errno),
			 geteuid() ? " (loading BPF needs root, or CAP_BPF and CAP_PERFMON)" : "");
		free(b);
		return NULL;
	}
	rc = biolat_bpf__attach(b->skel);
	if (rc) {
		snprintf(err, errlen, "BPF refused: cannot attach to block_rq_issue/complete: %s", strerror(-rc));
		biolat_bpf__destroy(b->skel);
		free(b);
		return NULL;
	}
	return b;
}

int biolat_read(struct biolat *b, uint64_t hist[BIOLAT_BUCKETS])
{
	int fd = bpf_map__fd(b->skel->maps.hist);

	for (__u32 i = 0; i < BIOLAT_BUCKETS; i++) {
		__u64 v = 0, zero = 0;

		if (bpf_map_lookup_elem(fd, &i, &v))
			return -errno;
		hist[i] = v;
		bpf_map_update_elem(fd, &i, &zero, BPF_ANY);
	}
	return 0;
}

void biolat_close(struct biolat *b)
{
	if (!b)
		return;
	biolat_bpf__destroy(b->skel);
	free(b);
}
#endif
