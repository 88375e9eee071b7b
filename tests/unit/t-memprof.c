/*
 * t-memprof.c - the pinch mem recording reader: a synthetic recording
 * read back exactly, snapshot diffs grouped and ordered, a recording cut
 * short, a foreign kind refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/memprof.h"
#include "model/recfile.h"
#include "tap.h"

static void add_stack(struct rec_writer *w, uint32_t id, uint32_t nr, uint64_t base)
{
	struct memw_stack s = { .id = id, .nr = nr };
	uint64_t ips[4];

	for (uint32_t i = 0; i < nr; i++)
		ips[i] = base + i * 16;
	rec_writer_add(w, MEMW_STACK, &s, sizeof(s), ips, nr * 8, NULL, 0);
}

static void add_snap(struct rec_writer *w, const char *label, const struct memw_snap_entry *e, uint32_t n)
{
	struct memw_snapshot s;

	memset(&s, 0, sizeof(s));
	snprintf(s.label, sizeof(s.label), "%s", label);
	s.n = n;
	rec_writer_add(w, MEMW_SNAPSHOT, &s, sizeof(s), e, n * sizeof(*e), NULL, 0);
}

static long write_sample(const char *path, int with_summary)
{
	struct rec_writer *w;
	struct memw_proc p = { .pid = 42, .ppid = 1, .start_mono_ns = 1000 };
	struct memw_site s1 = { .stack = 1, .alloc_bytes = 500, .alloc_calls = 5, .live_bytes = 300,
				.live_blocks = 3, .peak_bytes = 400, .peak_blocks = 4 };
	struct memw_site s2 = { .stack = 2, .alloc_bytes = 70, .alloc_calls = 7, .free_calls = 7,
				.temp_calls = 7, .peak_bytes = 10, .peak_blocks = 1 };
	struct memw_summary sum = { .pid = 42, .ppid = 1, .alloc_calls = 12, .alloc_bytes = 570,
				    .live_bytes = 300, .live_blocks = 3, .peak_bytes = 410, .peak_blocks = 5,
				    .start_mono_ns = 1000, .end_mono_ns = 5000, .exit_status = 0 };
	struct memw_point pt = { .time_ns = 2000, .heap_max = 410, .heap_end = 300 };
	struct memw_snap_entry a[] = { { .stack = 1, .bytes = 100, .blocks = 1 },
				       { .stack = 2, .bytes = 10, .blocks = 1 } };
	struct memw_snap_entry b[] = { { .stack = 1, .bytes = 300, .blocks = 3 },
				       { .stack = 3, .bytes = 50, .blocks = 5 } };
	struct rec_finish f = { .exit_status = 0 };

	if (rec_writer_open(&w, path, REC_KIND_MEM))
		return -1;
	rec_writer_meta(w, "command", "./prog arg");
	rec_writer_add(w, MEMW_PROC, &p, sizeof(p), "/bin/prog", 10, NULL, 0);
	add_stack(w, 0, 0, 0);
	add_stack(w, 1, 3, 0x1000);
	add_stack(w, 2, 2, 0x2000);
	add_stack(w, 3, 1, 0x3000);
	add_snap(w, "a", a, 2);
	add_snap(w, "b", b, 2);
	rec_writer_add(w, MEMW_POINT, &pt, sizeof(pt), NULL, 0, NULL, 0);
	rec_writer_add(w, MEMW_SITE, &s1, sizeof(s1), NULL, 0, NULL, 0);
	rec_writer_add(w, MEMW_SITE, &s2, sizeof(s2), NULL, 0, NULL, 0);
	if (with_summary) {
		rec_writer_add(w, MEMW_SUMMARY, &sum, sizeof(sum), NULL, 0, NULL, 0);
		rec_writer_add(w, REC_FINISH, &f, sizeof(f), NULL, 0, NULL, 0);
	}
	rec_writer_close(w);
	return 0;
}

int main(void)
{
	char path[] = "/tmp/t-memprof.XXXXXX";
	int fd = mkstemp(path);
	struct memprof *m;
	struct memprof_proc *p;
	struct memprof_diff_row *rows;
	char err[256];
	uint32_t nr;
	const uint64_t *ips;
	long n;

	close(fd);
	ok(write_sample(path, 1) == 0, "wrote a recording");
	ok(memprof_load(&m, path, err, sizeof(err)) == 0, "read it back");
	is_int(m->n_procs, 1, "one process");
	ok(m->command && !strcmp(m->command, "./prog arg"), "command");
	ok(m->finished && !m->truncated, "finished, whole");
	p = memprof_main(m, 0);
	ok(p && p->has_summary, "main process with a summary");
	is_int(p->sum.peak_bytes, 410, "peak");
	is_int(p->sum.live_bytes, 300, "leak");
	ok(!strcmp(p->exe, "/bin/prog"), "executable");
	is_int(p->n_sites, 2, "sites");
	is_int(p->n_points, 1, "timeline point");
	ips = memprof_stack(p, 1, &nr);
	ok(ips && nr == 3 && ips[2] == 0x1020, "stack 1 frames");
	ok(!memprof_stack(p, 99, &nr) && nr == 0, "unknown stack id");
	ok(memprof_snapshot_find(p, "b") && !memprof_snapshot_find(p, "c"), "snapshots by label");

	n = memprof_diff(memprof_snapshot_find(p, "a"), memprof_snapshot_find(p, "b"), NULL, 0, 4, &rows);
	is_int(n, 3, "three stacks differ");
	ok(rows[0].group == 1 && rows[0].bytes_diff == 200 && rows[0].blocks_diff == 2 && rows[0].bytes == 300,
	   "largest growth first");
	ok(rows[1].group == 3 && rows[1].bytes_diff == 50, "new stack next");
	ok(rows[2].group == 2 && rows[2].bytes_diff == -10 && rows[2].blocks_diff == -1, "shrinking last");
	free(rows);
	{
		uint32_t keys[4] = { UINT32_MAX, 0, 0, 0 };	/* stacks 1-3 in one group */

		n = memprof_diff(memprof_snapshot_find(p, "a"), memprof_snapshot_find(p, "b"), keys, 4, 1, &rows);
		ok(n == 1 && rows[0].bytes_diff == 240 && rows[0].bytes == 350 && rows[0].blocks == 8,
		   "grouped diff sums the group");
		free(rows);
	}
	ok(memprof_main(m, 42) == p && memprof_main(m, 7) == NULL, "select by pid");
	memprof_free(m);

	/* cut before the summary: figures summed from the sites */
	ok(write_sample(path, 0) == 0, "wrote a recording without its end");
	ok(memprof_load(&m, path, err, sizeof(err)) == 0, "read it");
	p = memprof_main(m, 0);
	ok(!p->has_summary && !m->finished, "no summary, not finished");
	is_int(p->sum.alloc_calls, 12, "summed calls");
	is_int(p->sum.live_bytes, 300, "summed leak");
	is_int(p->sum.peak_bytes, 410, "peak from the timeline");
	memprof_free(m);
	{
		/* cut in the middle of a record */
		FILE *f = fopen(path, "r+");
		long size;

		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
		ok(truncate(path, size - 20) == 0, "cut mid-record");
		ok(memprof_load(&m, path, err, sizeof(err)) == 0 && m->truncated, "truncated flag");
		memprof_free(m);
	}
	{
		struct rec_writer *w;

		rec_writer_open(&w, path, REC_KIND_CPU);
		rec_writer_close(w);
		is_int(memprof_load(&m, path, err, sizeof(err)), -EMEDIUMTYPE, "a CPU recording is refused");
		rec_writer_open(&w, path, REC_KIND_MEM);
		rec_writer_close(w);
		is_int(memprof_load(&m, path, err, sizeof(err)), -ENODATA, "no process: no data");
	}
	unlink(path);
	return done_testing();
}
