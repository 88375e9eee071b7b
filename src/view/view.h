/*
 * view.h - renderers over the profile model. Every view reads a
 * struct profile (never raw addresses, never a collector) and appends
 * its output to a strbuf; the command prints it. A view works for every
 * collector: CPU samples, allocated bytes, live bytes at the peak...
 *
 * Errors: 0, or a negative errno-style code with a one-line reason in
 * err (e.g. -ENOENT "no function matches 'foo'").
 */
#ifndef PINCH_VIEW_VIEW_H
#define PINCH_VIEW_VIEW_H

#include <stddef.h>
#include <stdint.h>

struct profile;
struct strbuf;

enum view_sort {
	VIEW_SORT_SELF = 0,
	VIEW_SORT_TOTAL = 1,
};

/* Samples in time order of recording (CPU recordings): time since the
 * start, stack and thread ids of the profile, value of o->value. */
struct view_timeline {
	size_t n;
	const uint64_t *t_ns;
	const uint32_t *stack, *thread;
	const int64_t *value;
	uint64_t duration_ns;
};

struct view_opts {
	size_t value;		/* index of the sample type shown (e.g. cpu ns, bytes) */
	size_t count_value;	/* index of a "samples"/"count" type, or SIZE_MAX */
	enum view_sort sort;
	int limit;		/* rows; 0 = all */
	int by_thread;		/* one table per thread instead of merged */
	int json;		/* --json form instead of the human form */
	const char *func;	/* --lines / --callers / --callees target (substring or exact) */
	const char *title;	/* flame graph / report title */
	const char *source_root;/* where to look for sources with relative paths (may be NULL) */
	int color;		/* ANSI colours (top: hot rows, lines: the hottest line) */
	int depth;		/* callers/callees: levels shown (1 or 2; default 1) */
	const char *search;	/* flame graph: search applied on load (may be NULL) */
	int width;		/* flame graph width in pixels (default 1200) */
	int wide;		/* tables: whole function names, never shortened */
	const struct view_timeline *timeline;	/* per-sample times, or NULL */
};

/* name shortened to fit width columns (the tables of
 * every command: report, mem report) where it can be without hiding the
 * function: template arguments become <…>, then parameters (…), then
 * leading qualifiers …::; names that fit (or width 0) are unchanged. */
void view_short_name(struct strbuf *out, const char *name, size_t width);
#define VIEW_NAME_WIDTH 60	/* function names in tables, unless --wide */

void view_opts_init(struct view_opts *o);

/* Top functions: self and total (the pstats tottime/cumtime pair),
 * sample counts, estimated time, module, file:line. */
int view_top(const struct profile *p, const struct view_opts *o, struct strbuf *out,
	     char *err, size_t errlen);
/* line_profiler-style listing of one function's source lines. */
int view_lines(const struct profile *p, const struct view_opts *o, struct strbuf *out,
	       char *err, size_t errlen);
/* Who calls FUNC / what FUNC calls, with shares. */
int view_callers(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		 char *err, size_t errlen);
int view_callees(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		 char *err, size_t errlen);
/* Brendan Gregg's folded stacks: "root;child;leaf VALUE" per line. */
int view_collapsed(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		   char *err, size_t errlen);
/* A self-contained interactive flame graph SVG. */
int view_flamegraph(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		    char *err, size_t errlen);
/* pprof's profile.proto, gzip-compressed (binary output): every sample
 * type, thread labels, one location per profile location. */
int view_pprof(const struct profile *p, const struct view_opts *o, struct strbuf *out,
	       char *err, size_t errlen);
/* speedscope's file format: one "sampled" profile of o->value (one per
 * thread with by_thread) over shared function frames. */
int view_speedscope(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		    char *err, size_t errlen);

/* Chrome's trace event format (JSON, microseconds): with o->timeline the
 * samples of each thread as nested "X" events (consecutive samples with the
 * same frames merged); without, the call tree laid out like a flame
 * graph (one unit of o->value = 1 us). Perfetto and chrome://tracing read it. */
int view_chrome(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		char *err, size_t errlen);

/*
 * The HTML report (view_html.c), built section by section: begin, any
 * number of profiles, texts and trusted markup, end (the script). A
 * profile section holds its summary (bottleneck first), an interactive
 * flame graph (zoom, exact search %, inverted toggle, tooltips, a
 * samples-over-time strip with o->timeline), the top table and line
 * listings of the top functions. No samples: a line saying so.
 */
void view_html_begin(struct strbuf *out, const char *title);
int view_html_profile(struct strbuf *out, const struct profile *p, const struct view_opts *o,
		      const char *heading, const char *summary, char *err, size_t errlen);
void view_html_heading(struct strbuf *out, const char *heading);
void view_html_text(struct strbuf *out, const char *heading, const char *text, const char *cls);
void view_html_raw(struct strbuf *out, const char *heading, const char *markup);
void view_html_end(struct strbuf *out);
/* JSON text made safe inside <script>: '<', '>' and '&' as \u escapes
 * (they only occur inside strings in JSON). */
void view_html_json(struct strbuf *out, const char *json, size_t len);
/* HTML-escaped text, made valid UTF-8, control characters to '?'. */
void view_html_escape(struct strbuf *out, const char *s, size_t len);

/*
 * pinch diff: two profiles of the same kind compared per function (the
 * leaf's function for memory sites). With o->value a share type (CPU:
 * shares of each side's total, change in percentage points) or, when
 * absolute is set, a byte type (change in bytes). Rows are sorted by the
 * size of the change, both directions; o->limit rows (0 = all). JSON
 * with o->json.
 */
struct view_diff_side {
	const struct profile *p;
	const char *file;
};
int view_diff(const struct view_diff_side *base, const struct view_diff_side *new_,
	      const struct view_opts *o, int absolute, struct strbuf *out, char *err,
	      size_t errlen);
/* A differential flame graph SVG: NEW's shape (frames as wide as their
 * share in NEW), red where a frame's share grew, blue where it shrank;
 * stacks only in BASE drawn with their BASE width, hatched, "vanished". */
int view_diff_flamegraph(const struct view_diff_side *base, const struct view_diff_side *new_,
			 const struct view_opts *o, struct strbuf *out, char *err, size_t errlen);

#endif
