/*
 * view_mem.h - the text, JSON and SVG forms of a pinch mem report (view
 * layer; src/cmd/mem.c parses, calls these, prints). Every function appends to a strbuf; the
 * command prints.
 */
#ifndef PINCH_VIEW_VIEW_MEM_H
#define PINCH_VIEW_VIEW_MEM_H

#include <stddef.h>
#include <stdint.h>

struct memprof;
struct memprof_proc;
struct profile;
struct strbuf;

struct mem_report {
	struct memprof *m;
	struct memprof_proc *p;
	struct profile *prof;
	uint32_t *stack_map;	/* recorded stack id -> profile stack id */
	int limit;		/* rows per table */
	int stacks;		/* --stacks: full-stack granularity */
	int color;
	int keep_alloc_fns;	/* allocator frames were kept (--keep-alloc-fns) */
	int wide;		/* --wide: function names in full */
	const char *suppress_file;	/* --suppress, or NULL */
	uint64_t suppressed_bytes, suppressed_blocks;	/* lost blocks it left out */
};

void mem_report_summary(const struct mem_report *r, struct strbuf *out);
/* Top sites by bytes (value MP_ALLOC_BYTES) and by count, line or stack granularity. */
void mem_report_top(const struct mem_report *r, int by_count, struct strbuf *out);
void mem_report_leaks(const struct mem_report *r, struct strbuf *out);
void mem_report_peak(const struct mem_report *r, struct strbuf *out);
void mem_report_timeline(const struct mem_report *r, int width, int height, struct strbuf *out);
void mem_report_timeline_svg(const struct mem_report *r, struct strbuf *out);
/* memory_profiler-style listing of func's lines. -ENOENT when no frame matches. */
int mem_report_lines(const struct mem_report *r, const char *func, struct strbuf *out,
		     char *err, size_t errlen);
/* Snapshot diff; -ENOENT when a label is missing (err lists the labels). */
int mem_report_diff(const struct mem_report *r, const char *from, const char *to, int json,
		    struct strbuf *out, char *err, size_t errlen);
void mem_report_json(const struct mem_report *r, struct strbuf *out);
/* Other process images in the recording, one line each. */
void mem_report_others(const struct mem_report *r, struct strbuf *out);
/* The summary's PYTHONMALLOC note (Python processes): who set it and
 * what pymalloc hides. */
void mem_report_pythonmalloc(const struct mem_report *r, struct strbuf *out);

#endif
