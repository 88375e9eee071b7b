/*
 * recdump.c - a test-only tool (not a pinch command): summarizes a
 * recording as JSON: record counts by type, samples per pid and tid,
 * thread names, meta pairs, REC_FINISH, time order and the truncation
 * flag, the time of the first and last REC_PYGIL. The record integration
 * tests assert on its output.
 *
 * usage: recdump FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

#define MAX_IDS 4096

struct counter {
	uint32_t id[MAX_IDS];
	uint64_t n[MAX_IDS];
	size_t len;
};

static void count(struct counter *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < c->len; i++)
		if (c->id[i] == id) {
			c->n[i]++;
			return;
		}
	if (c->len < MAX_IDS) {
		c->id[c->len] = id;
		c->n[c->len++] = 1;
	}
}

static void put_counter(struct json_writer *j, const char *key, const struct counter *c)
{
	char buf[16];
	size_t i;

	json_key(j, key);
	json_obj_begin(j);
	for (i = 0; i < c->len; i++) {
		snprintf(buf, sizeof(buf), "%u", c->id[i]);
		json_kuint(j, buf, c->n[i]);
	}
	json_obj_end(j);
}

static const char *type_name(uint32_t t)
{
	static const char *const names[] = { "unknown", "meta", "comm", "mmap", "sample", "fork",
					     "exit", "lost", "finish", "string", "symstack" };

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* Second pass: thread names by tid (the last name wins) and meta pairs. */
static void put_strings(struct json_writer *j, struct rec_reader *r)
{
	struct rec rec;

	json_key(j, "threads");
	json_obj_begin(j);
	rec_reader_rewind(r);
	while (rec_reader_next(r, &rec) == 1) {
		const struct rec_comm *c = rec.data;
		char key[16];

		if (rec.type != REC_COMM || rec.size <= sizeof(*c))
			continue;
		snprintf(key, sizeof(key), "%u", c->tid);
		json_key(j, key);
		json_strn(j, (const char *)(c + 1), strnlen((const char *)(c + 1), rec.size - sizeof(*c)));
	}
	json_obj_end(j);
	json_key(j, "meta");
	json_obj_begin(j);
	rec_reader_rewind(r);
	while (rec_reader_next(r, &rec) == 1) {
		const char *k = rec.data;
		size_t kl;

		if (rec.type != REC_META)
			continue;
		kl = strnlen(k, rec.size);
		if (kl + 1 >= rec.size)
			continue;
		json_key(j, k);
		json_strn(j, k + kl + 1, strnlen(k + kl + 1, rec.size - kl - 1));
	}
	json_obj_end(j);
}

int main(int argc, char **argv)
{
	static struct counter types, pids, tids, chained;
	struct rec_reader *r;
	struct rec rec;
	struct strbuf out = STRBUF_INIT;
	struct json_writer j;
	struct rec_finish fin;
	int have_finish = 0, ordered = 1, bad_samples = 0, truncated;
	uint64_t bytes_read;
	uint64_t last_time = 0, samples = 0, lost = 0, agent = 0, with_regs = 0, with_stack = 0, unwound = 0, kernel_only = 0;
	uint64_t first_sample = 0, last_sample = 0, mmaps_buildid = 0, first_pygil = 0, last_pygil = 0;
	char err[256];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: recdump FILE\n");
		return 2;
	}
	rc = rec_reader_open(&r, argv[1], err, sizeof(err));
	if (rc) {
		fprintf(stderr, "recdump: %s: %s\n", argv[1], err);
		return 1;
	}
	memset(&fin, 0, sizeof(fin));
	while (rec_reader_next(r, &rec) == 1) {
		uint64_t t = 0;

		count(&types, rec.type);
		switch (rec.type) {
		case REC_COMM:
			if (rec.size > sizeof(struct rec_comm)) {
				t = ((const struct rec_comm *)rec.data)->time_ns;
			}
			break;
		case REC_MMAP:
			if (rec.size >= sizeof(struct rec_mmap)) {
				const struct rec_mmap *m = rec.data;

				mmaps_buildid += m->build_id_len > 0;
				t = m->time_ns;
			}
			break;
		case REC_SAMPLE: {
			struct rec_sample_view v;

			if (rec_sample_parse(&rec, &v)) {
				bad_samples++;
				break;
			}
			samples++;
			count(&pids, v.s->pid);
			count(&tids, v.s->tid);
			if (v.s->nr_ips > 1)
				count(&chained, v.s->tid);
			agent += !!(v.s->flags & REC_SAMPLE_AGENT);
			with_regs += !!(v.s->flags & REC_SAMPLE_REGS);
			/* kernel frames only: a task with no user context (exiting,
			 * a kernel thread) may have no user registers or stack */
			kernel_only += v.s->nr_kernel && v.s->nr_kernel == v.s->nr_ips;
			with_stack += !!(v.s->flags & REC_SAMPLE_STACK);
			unwound += !!(v.s->flags & REC_SAMPLE_UNWOUND);
			t = v.s->time_ns;
			if (!first_sample)
				first_sample = t;
			last_sample = t;
			break;
		}
		case REC_FORK:
		case REC_EXIT:
			if (rec.size >= sizeof(struct rec_task))
				t = ((const struct rec_task *)rec.data)->time_ns;
			break;
		case REC_PYGIL:
			if (rec.size >= sizeof(struct rec_pygil)) {
				t = ((const struct rec_pygil *)rec.data)->time_ns;
				if (!first_pygil)
					first_pygil = t;
				last_pygil = t;
			}
			break;
		case REC_LOST:
			if (rec.size >= sizeof(struct rec_lost))
				lost += ((const struct rec_lost *)rec.data)->lost;
			break;
		case REC_FINISH:
			if (rec.size >= sizeof(fin)) {
				memcpy(&fin, rec.data, sizeof(fin));
				have_finish = 1;
			}
			break;
		default:
			break;
		}
		if (t) {
			if (t < last_time)
				ordered = 0;
			last_time = t;
		}
	}

	truncated = rec_reader_truncated(r);
	bytes_read = rec_reader_offset(r);
	json_init(&j, &out, 1);
	json_obj_begin(&j);
	json_key(&j, "records");
	json_obj_begin(&j);
	for (size_t i = 0; i < types.len; i++)
		json_kuint(&j, type_name(types.id[i]), types.n[i]);
	json_obj_end(&j);
	json_kuint(&j, "samples", samples);
	json_kuint(&j, "bad_samples", (uint64_t)bad_samples);
	json_kuint(&j, "agent_samples", agent);
	json_kuint(&j, "samples_with_regs", with_regs);
	json_kuint(&j, "samples_with_stack", with_stack);
	json_kuint(&j, "samples_unwound", unwound);
	json_kuint(&j, "kernel_only_samples", kernel_only);
	json_kuint(&j, "mmaps_with_build_id", mmaps_buildid);
	json_kdouble(&j, "sample_span_s", (double)(last_sample - first_sample) / 1e9);
	json_kuint(&j, "lost", lost);
	/* the window the Python GIL was read over (CLOCK_MONOTONIC; 0: never) */
	json_kuint(&j, "pygil_first_ns", first_pygil);
	json_kuint(&j, "pygil_last_ns", last_pygil);
	put_counter(&j, "pids", &pids);
	put_counter(&j, "tids", &tids);
	put_counter(&j, "tids_with_callers", &chained);
	put_strings(&j, r);
	json_kbool(&j, "finish", have_finish);
	if (have_finish) {
		json_kint(&j, "exit_status", fin.exit_status);
		json_kint(&j, "term_signal", fin.term_signal);
		json_kuint(&j, "finish_samples", fin.samples);
	}
	json_kbool(&j, "time_ordered", ordered);
	json_kbool(&j, "truncated", truncated);
	json_kuint(&j, "bytes", rec_reader_size(r));
	json_kuint(&j, "bytes_read", bytes_read);
	json_obj_end(&j);
	printf("%s\n", out.buf);
	rec_reader_close(r);
	strbuf_release(&out);
	return 0;
}
