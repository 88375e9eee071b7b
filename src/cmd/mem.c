/*
 * mem.c - `pinch mem`: runs a command under the allocation-profiling agent
 * and reports (`pinch mem -- CMD`), reports a recording (`pinch mem
 * report [FILE]`) and compares two snapshots (`pinch mem diff`). Parses,
 * calls src/collect/memrec and src/model/memprof, prints.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "view/view_mem.h"
#include "collect/memrec.h"
#include "core/clock.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/memprof.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "view/view.h"
#include "core/banned.h"

struct mem_opts {
	const char *output;
	int mmap;
	const char *snapshot_signal;
	uint64_t interval_ns;
	long depth;
	const char *unwind;
	/* report */
	struct cmd_baseline base;
	long pid;
	int stacks;
	long limit;
	int json;
	const char *svg;
	const char *svg_timeline;
	const char *pprof, *speedscope, *chrome, *html;
	int collapsed;
	const char *what;
	const char *lines;
	int quiet;
	const char *from, *to;
	const char *alloc_fns[32];	/* --alloc-fn */
	size_t n_alloc_fns;
	int keep_alloc_fns;
	int wide;
	const char *suppress;
	int no_leak_scan;
	/* mem_html_section: the HTML sections go here instead of o->html */
	struct strbuf *html_page, *html_lead;
};

static int alloc_fn_cb(const struct opt *opt, const char *arg, void *ctx)
{
	struct mem_opts *o = ctx;

	(void)opt;
	if (!*arg) {
		fprintf(stderr, "pinch mem: --alloc-fn needs a function name or pattern\n");
		return -1;
	}
	if (o->n_alloc_fns == sizeof(o->alloc_fns) / sizeof(o->alloc_fns[0])) {
		fprintf(stderr, "pinch mem: at most %zu --alloc-fn patterns\n", o->n_alloc_fns);
		return -1;
	}
	o->alloc_fns[o->n_alloc_fns++] = arg;
	return 0;
}

#define REPORT_OPTS(o)                                                                          \
	{ OPT_GROUP, 0, NULL, NULL, NULL, "report", NULL, 0 },                                  \
	{ OPT_INT, 0, "pid", &(o).pid, "PID", "report this process of the recording (default: the launched one)", NULL, 0 }, \
	{ OPT_FLAG, 0, "stacks", &(o).stacks, NULL, "full-stack granularity instead of lines", NULL, 0 }, \
	{ OPT_INT, 'n', "limit", &(o).limit, "N", "rows per table (default 10, 0 = all)", NULL, 0 }, \
	{ OPT_FLAG, 0, "json", &(o).json, NULL, "JSON instead of text", NULL, 0 },              \
	{ OPT_STRING, 0, "svg", &(o).svg, "FILE", "write a flame graph (of --what) to FILE", NULL, 0 }, \
	{ OPT_STRING, 0, "svg-timeline", &(o).svg_timeline, "FILE", "write the memory-over-time chart to FILE", NULL, 0 }, \
	{ OPT_FLAG, 0, "collapsed", &(o).collapsed, NULL, "print folded stacks (of --what)", NULL, 0 }, \
	{ OPT_STRING, 0, "html", &(o).html, "FILE", "write one self-contained HTML report (timeline, leaks, sites, flame graphs)", NULL, 0 }, \
	{ OPT_STRING, 0, "pprof", &(o).pprof, "FILE", "write a gzipped profile.proto (allocated, peak, leaked bytes and counts)", NULL, 0 }, \
	{ OPT_STRING, 0, "speedscope", &(o).speedscope, "FILE", "write speedscope's JSON (of --what)", NULL, 0 }, \
	{ OPT_STRING, 0, "chrome", &(o).chrome, "FILE", "write Chrome trace events (the call tree of --what, 1 byte = 1 us)", NULL, 0 }, \
	{ OPT_STRING, 0, "what", &(o).what, "KIND", "allocated|peak|leaked (flame graphs; default allocated)", NULL, 0 }, \
	{ OPT_STRING, 0, "lines", &(o).lines, "FUNC", "bytes allocated and net per source line of FUNC", NULL, 0 }, \
	{ OPT_CALLBACK, 0, "alloc-fn", NULL, "PATTERN", "treat functions matching PATTERN as allocators, like malloc (repeatable)", alloc_fn_cb, 1 }, \
	{ OPT_FLAG, 0, "keep-alloc-fns", &(o).keep_alloc_fns, NULL, "keep allocator frames (malloc, operator new, xmalloc...) at the top of stacks", NULL, 0 }, \
	{ OPT_FLAG, 0, "wide", &(o).wide, NULL, "print function names in full (C++ names are shortened to fit)", NULL, 0 }, \
	{ OPT_STRING, 0, "suppress", &(o).suppress, "FILE", "leave out leaks whose stack has a frame matching a line of FILE (fun:NAME, obj:MODULE)", NULL, 0 }, \
	CMD_BASELINE_OPTS((o).base)

static const char *const record_usage[] = {
	"pinch mem [-o FILE] [--mmap] [--snapshot-signal SIG] [--unwind cfi|fp] [<report options>] -- CMD [ARGS...]",
	"pinch mem report [<report options>] [FILE]",
	"pinch mem diff [FILE] --from LABEL --to LABEL [--stacks] [--json]",
	NULL,
};

static void opts_init(struct mem_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->limit = 10;
}

static int parse_signal(const char *s)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP }, { "URG", SIGURG },
		{ "WINCH", SIGWINCH }, { "PROF", SIGPROF }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	};
	char *end;
	long v;
	size_t i;

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcasecmp(s, sigs[i].name))
			return sigs[i].sig;
	v = strtol(s, &end, 10);
	if (*end || v <= 0 || v >= 65 || v == SIGKILL || v == SIGSTOP)
		return -1;
	return (int)v;
}

static int what_index(const char *what)
{
	if (!what || !strcmp(what, "allocated"))
		return MP_ALLOC_BYTES;
	if (!strcmp(what, "peak"))
		return MP_PEAK_BYTES;
	if (!strcmp(what, "leaked"))
		return MP_LEAK_BYTES;
	return -1;
}

/* Finds the newest memory recording (*.rec of kind MEM) in the cwd. */
static int newest_recording(struct strbuf *path)
{
	DIR *d = opendir(".");
	struct dirent *de;
	struct timespec best = { 0, 0 };
	int found = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct rec_reader *r;
		struct stat st;
		char err[128];

		if (n < 5 || strcmp(de->d_name + n - 4, ".rec") || stat(de->d_name, &st) || !S_ISREG(st.st_mode))
			continue;
		if (rec_reader_open(&r, de->d_name, err, sizeof(err)))
			continue;
		if (rec_reader_header(r)->kind == REC_KIND_MEM &&
		    (!found || st.st_mtim.tv_sec > best.tv_sec ||
		     (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec))) {
			best = st.st_mtim;
			strbuf_reset(path);
			strbuf_addstr(path, de->d_name);
			found = 1;
		}
		rec_reader_close(r);
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}

/* The patterns of a suppressions file, one per line ("fun:NAME",
 * "obj:MODULE" or a bare function pattern; '#' starts a comment), kept
 * in sb and pointed to by pats. 0, or an exit status after a message. */
static int read_suppressions(const char *cmd, const char *path, struct strbuf *sb,
			     const char **pats, size_t *n, size_t max)
{
	int rc = strbuf_read_file(sb, path, 1 << 20);
	char *p;

	if (rc) {
		fprintf(stderr, "pinch %s: cannot read suppressions '%s': %s\n", cmd, path, strerror(-rc));
		return EXIT_USAGE;
	}
	for (p = sb->buf; p && *p;) {
		char *nl = strchr(p, '\n'), *e;

		if (nl)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*p && *p != '#' && *p != '{' && *p != '}') {
			if (*n == max) {
				fprintf(stderr, "pinch %s: '%s': more than %zu suppressions\n", cmd, path, max);
				return EXIT_USAGE;
			}
			pats[(*n)++] = p;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (!*n) {
		fprintf(stderr, "pinch %s: '%s' holds no suppression (lines: fun:NAME, obj:MODULE)\n", cmd, path);
		return EXIT_USAGE;
	}
	return 0;
}

/* The HTML report's sections: the summary (the biggest figure first),
 * memory over time, leaks, top sites, the peak, and flame graphs of
 * allocated, peak and leaked bytes; lead (may be NULL) gets the summary's
 * "most allocated/at the peak/leaked:" lines. 0 or -errno with err set. */
static int html_body(const struct mem_report *r, struct strbuf *page, struct strbuf *lead,
		     char *err, size_t errlen)
{
	static const struct { int what; const char *heading; } fg[] = {
		{ MP_ALLOC_BYTES, "Allocated bytes" },
		{ MP_PEAK_BYTES, "In use at the peak" },
		{ MP_LEAK_BYTES, "Leaked bytes" },
	};
	struct strbuf sb = STRBUF_INIT;
	const char *svg;
	int rc = 0;

	/* the bottleneck first: the biggest allocator, peak holder, leaker */
	for (size_t i = 0; i < sizeof(fg) / sizeof(fg[0]); i++) {
		static const char *const word[] = { "most allocated:", "most at the peak:", "most leaked:" };
		struct view_opts vo;
		struct strbuf top = STRBUF_INIT;
		char terr[256];

		view_opts_init(&vo);
		vo.value = (size_t)fg[i].what;
		vo.count_value = (size_t)fg[i].what + 1;
		vo.limit = 1;
		if (profile_total(r->prof, vo.value) > 0 && !view_top(r->prof, &vo, &top, terr, sizeof(terr)) &&
		    !strncmp(top.buf, "hottest:", 8)) {
			const char *nl = strchr(top.buf, '\n');

			strbuf_addf(&sb, "%-18s", word[i]);
			strbuf_add(&sb, top.buf + 9, nl ? (size_t)(nl - top.buf - 9) + 1 : top.len - 9);
		}
		strbuf_release(&top);
	}
	if (lead)
		strbuf_add(lead, sb.buf, sb.len);
	if (sb.len)
		strbuf_addch(&sb, '\n');
	mem_report_summary(r, &sb);
	view_html_text(page, NULL, sb.buf, "summary");
	strbuf_reset(&sb);
	mem_report_timeline_svg(r, &sb);
	svg = strstr(sb.buf, "<svg");
	if (svg)
		view_html_raw(page, "Heap and RSS over time", svg);
	strbuf_reset(&sb);
	mem_report_leaks(r, &sb);
	view_html_text(page, NULL, sb.len ? sb.buf : "No leaks.", NULL);
	strbuf_reset(&sb);
	mem_report_top(r, 0, &sb);
	mem_report_top(r, 1, &sb);
	view_html_text(page, NULL, sb.buf, NULL);
	strbuf_reset(&sb);
	mem_report_peak(r, &sb);
	view_html_text(page, NULL, sb.buf, NULL);
	for (size_t i = 0; i < sizeof(fg) / sizeof(fg[0]) && !rc; i++) {
		struct view_opts vo;

		view_opts_init(&vo);
		vo.value = (size_t)fg[i].what;
		vo.count_value = (size_t)fg[i].what + 1;
		rc = view_html_profile(page, r->prof, &vo, fg[i].heading, NULL, err, errlen);
	}
	strbuf_release(&sb);
	return rc;
}

/* The HTML report of one memory recording, written to o->html. */
static int write_html(const struct mem_report *r, const struct mem_opts *o, const char *path,
		      char *err, size_t errlen)
{
	struct strbuf page = STRBUF_INIT, title = STRBUF_INIT;
	int rc;

	strbuf_addf(&title, "pinch mem report: %s", path);
	view_html_begin(&page, title.buf);
	rc = html_body(r, &page, NULL, err, errlen);
	view_html_end(&page);
	if (!rc && (rc = strbuf_write_file(&page, o->html)))
		snprintf(err, errlen, "cannot write '%s': %s", o->html, strerror(-rc));
	strbuf_release(&page);
	strbuf_release(&title);
	return rc;
}

/* Loads, symbolizes and prints the report of path. */
static int report_file(const char *cmd, const char *path, const struct mem_opts *o, int diff)
{
	struct memprof *m = NULL;
	struct mem_report r;
	struct strbuf out = STRBUF_INIT, warn = STRBUF_INIT, wrote = STRBUF_INIT;
	char err[512];
	int rc, status = EXIT_OK, what = what_index(o->what);

	if (what < 0) {
		fprintf(stderr, "pinch %s: --what '%s' is not one of allocated, peak, leaked\n", cmd, o->what);
		return EXIT_USAGE;
	}
	rc = memprof_load(&m, path, err, sizeof(err));
	if (rc == -ENODATA || (!rc && !m->finished)) {
		/* left unfinished by a pinch that was killed: the agent's files
		 * may still be there */
		char serr[512];
		int s = memrec_salvage(path, serr, sizeof(serr));

		if (s > 0) {
			fprintf(stderr, "pinch %s: '%s' was left unfinished (pinch was killed while the program ran); "
				"rewrote it from the agent's files\n", cmd, path);
			memprof_free(m);
			m = NULL;
			rc = memprof_load(&m, path, err, sizeof(err));
		} else if (s < 0) {
			fprintf(stderr, "pinch %s: cannot salvage the agent's files of '%s': %s\n", cmd, path, serr);
		}
	}
	if (rc) {
		fprintf(stderr, "pinch %s: cannot read '%s': %s\n", cmd, path, err);
		if (rc == -EMEDIUMTYPE && strstr(err, "CPU"))
			fprintf(stderr, "hint: 'pinch report %s' reads it\n", path);
		return rc == -ENOENT || rc == -EACCES ? EXIT_USAGE : EXIT_FAIL;
	}
	memset(&r, 0, sizeof(r));
	r.m = m;
	r.limit = (int)o->limit;
	r.stacks = o->stacks;
	r.keep_alloc_fns = o->keep_alloc_fns;
	r.wide = o->wide;
	r.p = memprof_main(m, (uint32_t)o->pid);
	if (!r.p) {
		fprintf(stderr, "pinch %s: no process %ld in '%s'\n", cmd, o->pid, path);
		memprof_free(m);
		return EXIT_USAGE;
	}
	if (r.p->sum.flags & MEMW_F_SALVAGED)
		fprintf(stderr, "pinch %s: warning: '%s' is cut short: salvaged after pinch was killed; "
			"the figures are the agent's at the program's end, its exit is unknown\n", cmd, path);
	else if (m->truncated || !r.p->has_summary)
		fprintf(stderr, "pinch %s: warning: '%s' is cut short; reporting what it holds%s\n", cmd, path,
			r.p->has_summary ? "" : " (final figures summed from the sites recorded)");
	{
		struct memprof_sym_opts so;
		struct strbuf sup = STRBUF_INIT;
		const char *pats[256];
		size_t npats = 0;

		memset(&so, 0, sizeof(so));
		so.alloc_fns = o->alloc_fns;
		so.n_alloc_fns = o->n_alloc_fns;
		so.keep_alloc_fns = o->keep_alloc_fns;
		if (o->suppress) {
			rc = read_suppressions(cmd, o->suppress, &sup, pats, &npats, 256);
			if (rc) {
				strbuf_release(&sup);
				memprof_free(m);
				return rc;
			}
			so.suppress = pats;
			so.n_suppress = npats;
		}
		rc = memprof_profile(r.p, &so, &r.prof, &r.stack_map, &warn, err, sizeof(err));
		r.suppress_file = o->suppress;
		r.suppressed_bytes = so.suppressed_bytes;
		r.suppressed_blocks = so.suppressed_blocks;
		strbuf_release(&sup);
	}
	if (rc) {
		fprintf(stderr, "pinch %s: %s\n", cmd, err);
		memprof_free(m);
		return EXIT_FAIL;
	}
	if (warn.len && !o->json)
		fprintf(stderr, "%s", warn.buf);

	if (diff) {
		rc = mem_report_diff(&r, o->from, o->to, o->json, &out, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "pinch %s: %s\n", cmd, err);
			status = EXIT_USAGE;
		}
		goto done;
	}
	if (o->svg || o->collapsed) {
		struct view_opts vo;
		struct strbuf sb = STRBUF_INIT;
		char title[256];

		view_opts_init(&vo);
		vo.value = (size_t)what;
		vo.count_value = (size_t)what + 1;
		snprintf(title, sizeof(title), "%s bytes: %s",
			 what == MP_ALLOC_BYTES ? "Allocated" : what == MP_PEAK_BYTES ? "Peak" : "Leaked",
			 r.p->exe ? r.p->exe : "?");
		vo.title = title;
		if (o->svg) {
			rc = view_flamegraph(r.prof, &vo, &sb, err, sizeof(err));
			if (!rc && (rc = strbuf_write_file(&sb, o->svg)))
				snprintf(err, sizeof(err), "'%s': %s", o->svg, strerror(-rc));
			if (rc) {
				fprintf(stderr, "pinch %s: flame graph: %s\n", cmd, err);
				status = EXIT_FAIL;
			} else {
				strbuf_addf(&wrote, "wrote %s: flame graph of %s bytes from %s\n", o->svg,
					    what == MP_ALLOC_BYTES ? "allocated" : what == MP_PEAK_BYTES ? "peak" : "leaked",
					    path);
			}
			strbuf_reset(&sb);
		}
		if (o->collapsed) {
			rc = view_collapsed(r.prof, &vo, &out, err, sizeof(err));
			if (rc) {
				fprintf(stderr, "pinch %s: folded stacks: %s\n", cmd, err);
				status = EXIT_FAIL;
			}
		}
		strbuf_release(&sb);
		if (o->collapsed)
			goto done;
	}
	if (o->pprof || o->speedscope || o->chrome) {
		static const char *const names[] = { "pprof profile", "speedscope profile", "Chrome trace" };
		int (*const views[])(const struct profile *, const struct view_opts *, struct strbuf *,
				     char *, size_t) = { view_pprof, view_speedscope, view_chrome };
		const char *files[] = { o->pprof, o->speedscope, o->chrome };
		struct view_opts vo;
		struct strbuf sb = STRBUF_INIT;

		view_opts_init(&vo);
		vo.value = (size_t)what;
		vo.count_value = (size_t)what + 1;
		vo.title = r.p->exe;
		for (int i = 0; i < 3; i++) {
			if (!files[i])
				continue;
			strbuf_reset(&sb);
			rc = views[i](r.prof, &vo, &sb, err, sizeof(err));
			if (!rc && (rc = strbuf_write_file(&sb, files[i])))
				snprintf(err, sizeof(err), "'%s': %s", files[i], strerror(-rc));
			if (rc) {
				fprintf(stderr, "pinch %s: %s: %s\n", cmd, names[i], err);
				status = EXIT_FAIL;
			} else {
				strbuf_addf(&wrote, "wrote %s: %s of %s bytes from %s\n", files[i], names[i],
					    i == 0 ? "allocated, peak and leaked" :
					    what == MP_ALLOC_BYTES ? "allocated" : what == MP_PEAK_BYTES ? "peak" : "leaked",
					    path);
			}
		}
		strbuf_release(&sb);
	}
	if (o->html && o->html_page) {
		if (html_body(&r, o->html_page, o->html_lead, err, sizeof(err))) {
			fprintf(stderr, "pinch %s: html: %s\n", cmd, err);
			status = EXIT_FAIL;
		}
	} else if (o->html) {
		if (write_html(&r, o, path, err, sizeof(err))) {
			fprintf(stderr, "pinch %s: html: %s\n", cmd, err);
			status = EXIT_FAIL;
		} else {
			strbuf_addf(&wrote, "wrote %s: HTML report of %s\n", o->html, path);
		}
	}
	if (o->svg_timeline) {
		struct strbuf sb = STRBUF_INIT;

		mem_report_timeline_svg(&r, &sb);
		rc = strbuf_write_file(&sb, o->svg_timeline);
		strbuf_release(&sb);
		if (rc) {
			fprintf(stderr, "pinch %s: cannot write '%s': %s\n", cmd, o->svg_timeline, strerror(-rc));
			status = EXIT_FAIL;
		} else {
			strbuf_addf(&wrote, "wrote %s: memory over time from %s\n", o->svg_timeline, path);
		}
	}
	/* files asked for: say where they went; the text report only when
	 * another output to the terminal is asked for too */
	if ((o->svg || o->svg_timeline || o->html || o->pprof || o->speedscope || o->chrome) && !o->lines && !o->json) {
		fputs(wrote.buf, stdout);
		goto done;
	}
	fputs(wrote.buf, stderr);	/* stdout is the JSON or the lines */
	if (o->lines) {
		rc = mem_report_lines(&r, o->lines, &out, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "pinch %s: %s\n", cmd, err);
			status = EXIT_USAGE;
		}
		goto done;
	}
	if (o->json) {
		mem_report_json(&r, &out);
		goto done;
	}
	mem_report_summary(&r, &out);
	mem_report_leaks(&r, &out);
	mem_report_top(&r, 0, &out);
	mem_report_top(&r, 1, &out);
	mem_report_peak(&r, &out);
	mem_report_timeline(&r, 64, 8, &out);
	mem_report_others(&r, &out);
done:
	fwrite(out.buf, 1, out.len, stdout);
	if (!diff && (o->base.save || o->base.compare) && status == EXIT_OK) {
		struct strbuf js = STRBUF_INIT;

		mem_report_json(&r, &js);
		fflush(stdout);
		status = cmd_baseline_finish(cmd, &o->base, js.buf, o->json ? stderr : stdout, status);
		strbuf_release(&js);
	}
	strbuf_release(&out);
	strbuf_release(&warn);
	strbuf_release(&wrote);
	profile_free(r.prof);
	free(r.stack_map);
	memprof_free(m);
	return status;
}

/* pinch report --html: the sections of memory recording path (the default
 * report options) appended to page, the summary's first line to lead. An
 * exit status; messages on stderr. */
int mem_html_section(const char *path, struct strbuf *page, struct strbuf *lead)
{
	struct mem_opts o;

	opts_init(&o);
	o.html = path;
	o.html_page = page;
	o.html_lead = lead;
	return report_file("report", path, &o, 0);
}

static int resolve_file(const char *cmd, int argc, char **argv, struct strbuf *path)
{
	if (argc > 1) {
		fprintf(stderr, "pinch %s: one recording at a time ('%s' is extra)\n", cmd, argv[1]);
		return EXIT_USAGE;
	}
	if (argc == 1) {
		strbuf_addstr(path, argv[0]);
		return -1;
	}
	if (newest_recording(path)) {
		fprintf(stderr, "pinch %s: no memory recording (*.rec) in the current directory\n", cmd);
		fprintf(stderr, "hint: record one with 'pinch mem -- CMD', or name the file\n");
		return EXIT_USAGE;
	}
	fprintf(stderr, "pinch %s: reading %s\n", cmd, path->buf);
	return -1;
}

static int cmd_mem_report(int argc, char **argv, int diff)
{
	static const char *const usage_report[] = { "pinch mem report [<options>] [FILE]", NULL };
	static const char *const usage_diff[] = { "pinch mem diff [FILE] --from LABEL --to LABEL", NULL };
	struct mem_opts o;
	const char *cmd = diff ? "mem diff" : "mem report";
	struct strbuf path = STRBUF_INIT;
	int n, rc;

	opts_init(&o);
	{
		const struct opt report_opts[] = {
			REPORT_OPTS(o),
			OPT_END_(),
		};
		const struct opt diff_opts[] = {
			{ OPT_STRING, 0, "from", &o.from, "LABEL", "the earlier snapshot", NULL, 0 },
			{ OPT_STRING, 0, "to", &o.to, "LABEL", "the later snapshot", NULL, 0 },
			{ OPT_INT, 0, "pid", &o.pid, "PID", "the process whose snapshots to compare", NULL, 0 },
			{ OPT_FLAG, 0, "stacks", &o.stacks, NULL, "per full stack instead of per line", NULL, 0 },
			{ OPT_INT, 'n', "limit", &o.limit, "N", "rows (default 10, 0 = all)", NULL, 0 },
			{ OPT_FLAG, 0, "json", &o.json, NULL, "JSON instead of text", NULL, 0 },
			{ OPT_CALLBACK, 0, "alloc-fn", NULL, "PATTERN", "treat functions matching PATTERN as allocators (repeatable)", alloc_fn_cb, 1 },
			{ OPT_FLAG, 0, "keep-alloc-fns", &o.keep_alloc_fns, NULL, "keep allocator frames at the top of stacks", NULL, 0 },
			{ OPT_FLAG, 0, "wide", &o.wide, NULL, "print function names in full", NULL, 0 },
			OPT_END_(),
		};

		argv[0] = diff ? "mem diff" : "mem report";	/* named in option errors */
		n = opt_parse(argc, argv, diff ? diff_opts : report_opts, diff ? usage_diff : usage_report, 0, &o);
	}
	if ((rc = cmd_opt_exit(n)) >= 0)
		return rc;
	if (!diff && (rc = cmd_baseline_prepare(cmd, &o.base)) >= 0)
		return rc;
	if (diff && (!o.from || !o.to)) {
		fprintf(stderr, "pinch mem diff: --from and --to are both needed\n");
		fprintf(stderr, "hint: 'pinch mem report --json FILE' lists the snapshots' labels\n");
		return EXIT_USAGE;
	}
	if (o.limit < 0) {
		fprintf(stderr, "pinch %s: --limit must be 0 or more\n", cmd);
		return EXIT_USAGE;
	}
	rc = resolve_file(cmd, n, argv, &path);
	if (rc < 0)
		rc = report_file(cmd, path.buf, &o, diff);
	strbuf_release(&path);
	return rc;
}

static void default_output(char *buf, size_t len)
{
	char stamp[32];
	uint64_t now = clock_real_ns();
	size_t i, j = 0;

	clock_format_utc(now, stamp, sizeof(stamp));	/* "2026-11-25 12:47:14" */
	snprintf(buf, len, "pinch-mem-");
	j = strlen(buf);
	for (i = 0; stamp[i] && j + 1 < len; i++) {
		if (stamp[i] == '-' || stamp[i] == ':')
			continue;
		buf[j++] = stamp[i] == ' ' ? '-' : stamp[i];
	}
	buf[j] = 0;
	snprintf(buf + j, len - j, ".rec");
}

int cmd_mem(int argc, char **argv)
{
	struct mem_opts o;
	const struct opt opts[] = {
		{ OPT_STRING, 'o', "output", &o.output, "FILE", "write the recording to FILE (default pinch-mem-DATE-TIME.rec)", NULL, 0 },
		{ OPT_FLAG, 0, "mmap", &o.mmap, NULL, "also count anonymous mmap/munmap as allocations", NULL, 0 },
		{ OPT_FLAG, 0, "no-leak-scan", &o.no_leak_scan, NULL, "do not classify leaks at exit (the scan reads the whole live heap once)", NULL, 0 },
		{ OPT_STRING, 0, "snapshot-signal", &o.snapshot_signal, "SIG", "take a snapshot when the program gets SIG (e.g. USR2)", NULL, 0 },
		{ OPT_DURATION, 0, "interval", &o.interval_ns, "TIME", "timeline bucket (default 10ms)", NULL, 0 },
		{ OPT_INT, 0, "depth", &o.depth, "N", "stack frames kept per allocation (1-64, default 64)", NULL, 0 },
		{ OPT_STRING, 0, "unwind", &o.unwind, "HOW", "cfi (default: DWARF CFI, works without frame pointers) or fp", NULL, 0 },
		{ OPT_FLAG, 'q', "quiet", &o.quiet, NULL, "record only; print no report", NULL, 0 },
		REPORT_OPTS(o),
		OPT_END_(),
	};
	struct memrec_opts ro;
	struct memrec_result res;
	struct rec_writer *w = NULL;
	char path[4096], agent[4096], outbuf[256], dir[4200], err[512];
	const char *out;
	int n, rc, sig = 0, images, status, cmd_status;

	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_mem_report(argc - 1, argv + 1, 0);
	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return cmd_mem_report(argc - 1, argv + 1, 1);
	opts_init(&o);
	n = opt_parse(argc, argv, opts, record_usage, OPT_STOP_AT_NONOPT, &o);
	if ((rc = cmd_opt_exit(n)) >= 0)
		return rc;
	if (n < 1) {
		fprintf(stderr, "pinch mem: no command to run\n");
		fprintf(stderr, "hint: pinch mem -- ./program args, or pinch mem report FILE\n");
		return EXIT_USAGE;
	}
	if (what_index(o.what) < 0) {
		fprintf(stderr, "pinch mem: --what '%s' is not one of allocated, peak, leaked\n", o.what);
		return EXIT_USAGE;
	}
	if (o.snapshot_signal && (sig = parse_signal(o.snapshot_signal)) < 0) {
		fprintf(stderr, "pinch mem: --snapshot-signal '%s' is not a signal pinch can use\n", o.snapshot_signal);
		return EXIT_USAGE;
	}
	if (o.unwind && strcmp(o.unwind, "cfi") && strcmp(o.unwind, "fp")) {
		fprintf(stderr, "pinch mem: --unwind '%s' is not cfi or fp\n", o.unwind);
		return EXIT_USAGE;
	}
	if (o.depth < 0 || o.depth > MEMW_MAX_DEPTH) {
		fprintf(stderr, "pinch mem: --depth must be between 1 and %d\n", MEMW_MAX_DEPTH);
		return EXIT_USAGE;
	}
	if ((rc = cmd_baseline_prepare("mem", &o.base)) >= 0)
		return rc;
	rc = memrec_check_target(argv[0], path, sizeof(path), err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch mem: cannot profile %s\n", err);
		if (rc == -ENOEXEC)
			fprintf(stderr, "hint: relink it dynamically; a static binary's allocator cannot be interposed\n");
		else if (rc == -EPERM)
			fprintf(stderr, "hint: profile a copy without the set-ID bit\n");
		else if (rc == -ENOTSUP)
			fprintf(stderr, "hint: profile a build without -fsanitize=address/thread/memory\n");
		return EXIT_USAGE;
	}
	if (memrec_find_agent(agent, sizeof(agent))) {
		fprintf(stderr, "pinch mem: cannot find the agent libpinch-mem.so next to pinch\n");
		fprintf(stderr, "hint: set PINCH_MEM_AGENT to its path\n");
		return EXIT_FAIL;
	}
	if (!o.output) {
		default_output(outbuf, sizeof(outbuf));
		out = outbuf;
	} else {
		out = o.output;
	}
	/* the agent's working files live next to the recording */
	if (cmd_workdir("mem", out, dir, sizeof(dir)))
		return EXIT_FAIL;
	{
		/* absolute: the program (or a child) may change directory */
		char abs[PATH_MAX];

		if (realpath(dir, abs) && strlen(abs) < sizeof(dir))
			snprintf(dir, sizeof(dir), "%s", abs);
	}
	rc = rec_writer_open(&w, out, REC_KIND_MEM);
	if (rc) {
		fprintf(stderr, "pinch mem: cannot write '%s': %s\n", out, strerror(-rc));
		memrec_cleanup(dir);
		return EXIT_FAIL;
	}
	{
		struct strbuf cmdline = STRBUF_INIT;
		int i;

		for (i = 0; i < n; i++)
			strbuf_addf(&cmdline, "%s%s", i ? " " : "", argv[i]);
		rec_writer_meta(w, "command", cmdline.buf);
		strbuf_release(&cmdline);
	}
	{
		/* the child gets PYTHONMALLOC=malloc unless the user chose one */
		const char *pm = getenv("PYTHONMALLOC");
		struct strbuf v = STRBUF_INIT;

		strbuf_addf(&v, "%s:%s", pm ? "user" : "pinch", pm ? pm : "malloc");
		rec_writer_meta(w, "pythonmalloc", v.buf);
		strbuf_release(&v);
	}
	/* on disk before the run: if pinch is killed, 'pinch mem report'
	 * finds the agent's files from here and salvages them */
	rec_writer_meta(w, MEMREC_META_DIR, dir);
	rec_writer_flush(w);
	memset(&ro, 0, sizeof(ro));
	argv[n] = NULL;
	argv[0] = path;
	ro.argv = argv;
	ro.agent = agent;
	ro.dir = dir;
	ro.mmap = o.mmap;
	ro.snapshot_signal = sig;
	ro.interval_ns = o.interval_ns;
	ro.depth = (int)o.depth;
	ro.unwind_fp = o.unwind && !strcmp(o.unwind, "fp");
	ro.no_leak_scan = o.no_leak_scan;
	rc = memrec_run(&ro, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pinch mem: %s\n", err);
		rec_writer_close(w);
		unlink(out);
		memrec_cleanup(dir);
		return rc == -ENOENT || rc == -EACCES || rc == -ENOEXEC ? EXIT_USAGE : EXIT_FAIL;
	}
	images = memrec_write(dir, &res, w, err, sizeof(err));
	rc = rec_writer_close(w);
	memrec_result_release(&res);
	if (images < 0 || rc) {
		fprintf(stderr, "pinch mem: %s\n", images < 0 ? err : strerror(-rc));
		if (images == -ENODATA)
			fprintf(stderr, "hint: the program may have cleared LD_PRELOAD or be statically linked\n");
		/* keep the agent's files for a look when the recording failed */
		fprintf(stderr, "pinch mem: the agent's files are kept in %s\n", dir);
		return EXIT_FAIL;
	}
	memrec_cleanup(dir);
	if (res.term_signal)
		fprintf(stderr, "pinch mem: %s was killed by signal %d (%s); the recording holds everything up to then\n",
			path, res.term_signal, strsignal(res.term_signal));
	fprintf(stderr, "pinch mem: recorded %d process%s into %s\n", images, images == 1 ? "" : "es", out);
	/* like time(1) and pinch record: the command's status, or 128 + the
	 * signal that ended it, once the recording is written */
	cmd_status = res.term_signal ? 128 + res.term_signal : res.exit_status > 0 ? res.exit_status : EXIT_OK;
	if (o.quiet)
		return cmd_status;
	fflush(stdout);
	status = report_file("mem", out, &o, 0);
	return status != EXIT_OK ? status : cmd_status;
}
