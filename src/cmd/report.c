/*
 * report.c - `pinch report [FILE]`: reads a CPU recording, builds the
 * profile (model/cpuprof) and prints one view of it (src/view): the top
 * table (default), --lines, --callers, --callees, --collapsed, --svg.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "core/strdist.h"
#include "model/cpuprof.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "view/view.h"
#include "core/banned.h"

static const char *const report_usage[] = {
	"pinch report [FILE] [options]",
	"",
	"Shows where a CPU recording spent its time. FILE defaults to the newest",
	"*.rec recording in the current directory.",
	NULL,
};

struct report_cfg {
	const char *file;
	const char *sort;
	long limit;
	int threads;
	const char *lines;
	const char *callers;
	const char *callees;
	int collapsed;
	int user_only;
	int wide;
	const char *svg;
	const char *pprof, *speedscope, *chrome, *html;
	int json;
	const char *source_root;
	int no_inline;
	int native;		/* Python: keep native frames (interleaved) */
	int idle;		/* include waiting (off-CPU) thread samples */
	int gil;		/* Python: only samples of the GIL holder */
	int on_cpu, off_cpu, wall;	/* which time to show (default: as recorded) */
	const char *input;	/* -i FILE (perf's spelling of the FILE argument) */
	long pid, tid;		/* filters */
	const char *comm, *dso;
};

/* A hint line naming up to five functions of p that look like func. */
static void hint_similar(const struct profile *p, const char *func)
{
	size_t n = profile_n_locations(p), shown = 0, flen = strlen(func);
	uint32_t *seen = calloc(n ? n : 1, sizeof(*seen));
	size_t nseen = 0;
	struct strbuf sb = STRBUF_INIT;

	if (!seen)
		return;
	for (size_t i = 0; i < n && shown < 5; i++) {
		uint32_t fn = profile_location(p, (uint32_t)i)->function;
		const char *name = profile_string(p, fn);
		size_t k;
		int close;

		for (k = 0; k < nseen && seen[k] != fn; k++)
			;
		if (k < nseen)
			continue;
		seen[nseen++] = fn;
		close = strcasestr(name, func) || strcasestr(func, name) ||
			str_distance(name, func, 0) <= (flen > 6 ? flen / 3 : 2);
		if (!close)
			continue;
		strbuf_addstr(&sb, shown ? ", " : "");
		strbuf_addstr(&sb, name);
		shown++;
	}
	if (shown)
		fprintf(stderr, "hint: close matches: %s\n", sb.buf);
	else
		fprintf(stderr, "hint: 'pinch report' lists the functions that have samples\n");
	strbuf_release(&sb);
	free(seen);
}

static uint64_t meta_u64(const struct profile *p, const char *key, int *have)
{
	const char *v = profile_meta(p, key);

	if (!v) {
		*have = 0;
		return 0;
	}
	return strtoull(v, NULL, 10);
}

/* What the samples cover of the target's own CPU time (user + system, from
 * wait4 or /proc), and whether kernel time was sampled: a profile that
 * shows 545 ms of a server's 2.1 s must say so. */
static void add_coverage(struct strbuf *out, const struct profile *p,
			 const struct cpuprof_stats *st)
{
	const char *kernel = profile_meta(p, "kernel");
	int have = 1;
	uint64_t user = meta_u64(p, "target_user_ns", &have);
	uint64_t sys = meta_u64(p, "target_sys_ns", &have);
	double cpu = st->off.recorded ? (double)st->off.on_cpu_ns : (double)profile_total(p, 1);

	if (!kernel)
		return;		/* an older recording: nothing to compare with */
	strbuf_addstr(out, "coverage:  ");
	if (have && user + sys > 0) {
		strbuf_add_duration(out, cpu);
		strbuf_addstr(out, " sampled of the target's ");
		strbuf_add_duration(out, (double)(user + sys));
		strbuf_addf(out, " CPU (%.0f %%; user ", 100.0 * cpu / (double)(user + sys));
		strbuf_add_duration(out, (double)user);
		strbuf_addstr(out, ", system ");
		strbuf_add_duration(out, (double)sys);
		strbuf_addstr(out, ")");
	} else {
		strbuf_addstr(out, "the target's own CPU time is unknown");
	}
	if (!strcmp(kernel, "sampled")) {
		strbuf_addstr(out, "; kernel stacks included ([k] frames)");
		if (profile_meta(p, "kernel_symbols"))
			strbuf_addstr(out, ", unnamed (kptr_restrict hid /proc/kallsyms)");
	} else if (!strcmp(kernel, "excluded")) {
		strbuf_addstr(out, "; user space only (--user-only)");
	} else if (!strcmp(kernel, "agent")) {
		strbuf_addstr(out, "; user space only (the agent samples inside the program: system time shows at the call that entered the kernel)");
	} else {
		strbuf_addstr(out, "; user space only: system time is not sampled (kernel stacks need root, CAP_PERFMON or perf_event_paranoid <= 1)");
	}
	strbuf_addch(out, '\n');
}

/* Blocked time (--off-cpu, --wall recordings): the mechanism, on-CPU
 * against blocked time, and blocked time per reason, largest first. */
static void add_offcpu(struct strbuf *out, const struct profile *p, const struct cpuprof_stats *st)
{
	const char *mech = profile_meta(p, "offcpu_mechanism");
	const char *stacks = profile_meta(p, "offcpu_stacks");
	uint64_t wall = st->off.on_cpu_ns + st->off.off_cpu_ns;
	int done[OFF_NREASONS] = { 0 };

	if (!st->off.recorded)
		return;
	strbuf_addf(out, "off-cpu:   %s", mech ? mech : "?");
	if (stacks && strcmp(stacks, "sampled"))
		strbuf_addf(out, ", NO stacks (%s)",
			    !strncmp(stacks, "none: ", 6) ? stacks + 6 : stacks);
	strbuf_addstr(out, "; on CPU ");
	strbuf_add_duration(out, (double)st->off.on_cpu_ns);
	if (wall)
		strbuf_addf(out, " (%.1f %%)", 100.0 * (double)st->off.on_cpu_ns / (double)wall);
	strbuf_addstr(out, ", blocked ");
	strbuf_add_duration(out, (double)st->off.off_cpu_ns);
	if (wall)
		strbuf_addf(out, " (%.1f %%)", 100.0 * (double)st->off.off_cpu_ns / (double)wall);
	strbuf_addf(out, " in %" PRIu64 " interval%s\n", st->off.intervals,
		    st->off.intervals == 1 ? "" : "s");
	if (!st->off.off_cpu_ns)
		return;
	strbuf_addstr(out, "blocked:   ");
	for (int k = 0; k < OFF_NREASONS; k++) {
		int best = -1;

		for (int r = 0; r < OFF_NREASONS; r++)
			if (!done[r] && st->off.reasons[r] &&
			    (best < 0 || st->off.reasons[r] > st->off.reasons[best]))
				best = r;
		if (best < 0)
			break;
		done[best] = 1;
		strbuf_addf(out, "%s%s ", k ? ", " : "", cpuprof_reason_name(best));
		strbuf_add_duration(out, (double)st->off.reasons[best]);
		strbuf_addf(out, " (%.1f %%)", 100.0 * (double)st->off.reasons[best] /
			    (double)st->off.off_cpu_ns);
	}
	strbuf_addch(out, '\n');
}

/* "(1991 of 1998 stacks unwound while recording, 3 partial)" for
 * --call-graph cfi. */
static void add_cfi_note(struct strbuf *out, const struct profile *p)
{
	const char *v = profile_meta(p, "cfi_unwind");
	unsigned long long seen, unwound, spliced, kept, resumed = 0, partial = 0;

	if (!v || sscanf(v, "%llu %llu %llu %llu %llu %llu", &seen, &unwound, &spliced, &kept,
			 &resumed, &partial) < 4 || !seen)
		return;
	strbuf_addf(out, " (%llu of %llu stacks unwound while recording", unwound, seen);
	if (spliced)
		strbuf_addf(out, ", %llu continued by frame pointers", spliced);
	if (partial)
		strbuf_addf(out, ", %llu partial", partial);
	strbuf_addch(out, ')');
}

static void add_header(struct strbuf *out, const struct profile *p, const char *file,
		       const struct cpuprof_stats *st)
{
	const char *cmd = profile_meta(p, "command");
	const char *mode = profile_meta(p, "mode");
	const char *cg = profile_meta(p, "call_graph");
	const char *freq = profile_meta(p, "frequency");

	strbuf_addf(out, "recording: %s\n", file);
	if (cmd)
		strbuf_addf(out, "command:   %s\n", cmd);
	strbuf_addf(out, "mode:      %s", mode ? mode : "?");
	if (cg)
		strbuf_addf(out, ", %s call graph", cg);
	add_cfi_note(out, p);
	if (freq)
		strbuf_addf(out, ", %s Hz", freq);
	if (st->duration_ns || !profile_meta(p, "import")) {
		strbuf_addstr(out, "\nduration:  ");
		strbuf_add_duration(out, (double)st->duration_ns);
		strbuf_addstr(out, ", ");
	} else {
		strbuf_addstr(out, "\nsamples:   ");	/* folded stacks, pprof: no time span */
	}
	strbuf_addf(out, "%" PRIu64 " sample%s", st->samples, st->samples == 1 ? "" : "s");
	if (!strcmp(profile_type_unit(p, 1), "nanoseconds")) {
		strbuf_addstr(out, " (");
		strbuf_add_duration(out, (double)profile_total(p, 1));
		strbuf_addstr(out, st->off.view == CPUPROF_VIEW_OFF ? " blocked)" :
			      st->off.view == CPUPROF_VIEW_WALL ? " wall)" : " CPU)");
	}
	strbuf_addf(out, ", %" PRIu64 " lost", st->lost);
	if (st->unreadable)
		strbuf_addf(out, ", %" PRIu64 " unreadable", st->unreadable);
	if (st->truncated)
		strbuf_addstr(out, ", truncated");
	strbuf_addstr(out, "\n");
	add_coverage(out, p, st);
	add_offcpu(out, p, st);
	strbuf_addstr(out, "\n");
}

/* The recording's facts as a JSON object (the "recording" member). */
static void add_json_recording(struct strbuf *out, const struct profile *p, const char *file,
			       const struct cpuprof_stats *st, const struct strbuf *warnings)
{
	struct json_writer w;
	const char *l = warnings->buf;

	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "file", file);
	json_key(&w, "meta");
	json_obj_begin(&w);
	for (size_t i = 0; i < profile_n_meta(p); i++) {
		const char *k, *v;

		profile_meta_at(p, i, &k, &v);
		json_kstr(&w, k, v);
	}
	json_obj_end(&w);
	json_kuint(&w, "samples", st->samples);
	json_kint(&w, "cpu_ns", profile_total(p, 1));
	json_kuint(&w, "lost", st->lost);
	json_kuint(&w, "unreadable", st->unreadable);
	json_kuint(&w, "duration_ns", st->duration_ns);
	json_kbool(&w, "truncated", st->truncated);
	json_kuint(&w, "leaf_fixed", st->leaf_fixed);
	json_kuint(&w, "dwarf_unwound", st->dwarf_unwound);
	json_kuint(&w, "partial_stacks", st->partial);
	if (st->off.recorded) {
		const char *mech = profile_meta(p, "offcpu_mechanism");
		const char *stacks = profile_meta(p, "offcpu_stacks");

		json_key(&w, "offcpu");
		json_obj_begin(&w);
		json_kstr(&w, "mechanism", mech ? mech : "none: unknown");
		json_kstr(&w, "stacks", stacks ? stacks : "none");
		json_kuint(&w, "on_cpu_ns", st->off.on_cpu_ns);
		json_kuint(&w, "off_cpu_ns", st->off.off_cpu_ns);
		json_kuint(&w, "intervals", st->off.intervals);
		json_key(&w, "reasons");
		json_obj_begin(&w);
		for (int r = 0; r < OFF_NREASONS; r++)
			json_kuint(&w, cpuprof_reason_name(r), st->off.reasons[r]);
		json_obj_end(&w);
		json_obj_end(&w);
	}
	json_key(&w, "warnings");
	json_arr_begin(&w);
	while (*l) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		json_strn(&w, l, len);
		l += len + (nl ? 1 : 0);
	}
	json_arr_end(&w);
	json_obj_end(&w);
}

static int open_recording(struct report_cfg *cfg, struct strbuf *path, struct rec_reader **r)
{
	char err[256];
	int rc;

	if (cfg->file) {
		strbuf_addstr(path, cfg->file);
	} else {
		rc = cpuprof_find_newest(".", path);
		if (rc == -ENOENT) {
			cmd_errorf("report", "no recording found: no CPU *.rec file in the current directory");
			fprintf(stderr, "hint: run 'pinch record -- CMD' first, or name a FILE\n");
			return EXIT_FAIL;
		}
		if (rc) {
			cmd_errorf("report", "cannot read the current directory: %s", strerror(-rc));
			return EXIT_FAIL;
		}
		if (!cfg->json)
			fprintf(stderr, "pinch report: reading %s (the newest recording here)\n", path->buf);
	}
	rc = rec_reader_open(r, path->buf, err, sizeof(err));
	if (rc) {
		if (err[0] >= 'A' && err[0] <= 'Z' && err[1] >= 'a' && err[1] <= 'z')
			err[0] = (char)(err[0] - 'A' + 'a');	/* strerror's capital */
		cmd_errorf("report", "cannot read '%s': %s", path->buf, err);
		if (rc == -EPROTONOSUPPORT)
			fprintf(stderr, "hint: a newer pinch wrote it; report it with that version\n");
		return EXIT_FAIL;
	}
	return -1;
}

/* Another tool's profile in place of a recording (cmd_import_profile);
 * the recording options do not apply to it. -1 when path is a pinch
 * recording, else an exit status; *p and *st are set on success. */
static int try_import(const struct report_cfg *cfg, const char *path, struct profile **p,
		      struct cpuprof_stats *st)
{
	uint64_t samples = 0;
	int rc = cmd_import_profile("report", path, p, &samples);

	if (rc != EXIT_OK)
		return rc;
	if (cfg->pid || cfg->tid || cfg->comm || cfg->dso || cfg->user_only || cfg->idle || cfg->native ||
	    cfg->no_inline || cfg->on_cpu || cfg->off_cpu || cfg->wall) {
		cmd_errorf("report", "'%s' is not a pinch recording: the filters and --user-only, --idle, --native, --no-inline, --on-cpu, --off-cpu, --wall work on pinch recordings",
		       path);
		profile_free(*p);
		*p = NULL;
		return EXIT_USAGE;
	}
	memset(st, 0, sizeof(*st));
	st->samples = samples;
	st->finished = 1;
	{
		const char *d = profile_meta(*p, "duration_ns");

		st->duration_ns = d ? strtoull(d, NULL, 10) : 0;
	}
	return EXIT_OK;
}

/* --off-cpu or --wall on a recording without blocked time: say so (an
 * exit status), else -1. */
static int check_offcpu(const struct report_cfg *cfg, const struct cpuprof_stats *st,
			const char *path)
{
	if (!(cfg->off_cpu || cfg->wall) || st->off.recorded)
		return -1;
	cmd_errorf("report", "'%s' has no blocked (off-CPU) time: it was recorded without --off-cpu or --wall",
		   path);
	fprintf(stderr, "hint: record again with 'pinch record --off-cpu -- CMD' (or --wall for on-CPU and blocked time together)\n");
	return EXIT_USAGE;
}

/* The recording options of cfg for cpuprof_build. */
static void set_cpuprof_opts(const struct report_cfg *cfg, struct cpuprof_opts *copts)
{
	copts->no_inline = cfg->no_inline;
	copts->native = cfg->native;
	copts->idle = cfg->idle;
	copts->view = cfg->wall ? CPUPROF_VIEW_WALL : cfg->off_cpu ? CPUPROF_VIEW_OFF :
		      cfg->on_cpu ? CPUPROF_VIEW_ON : CPUPROF_VIEW_DEFAULT;
	copts->gil = cfg->gil;
	copts->user_only = cfg->user_only;
	copts->pid = (uint32_t)cfg->pid;
	copts->tid = (uint32_t)cfg->tid;
	copts->comm = cfg->comm;
	copts->dso = cfg->dso;
}

/* --sort: a comma list of self|total (the order) and sym|dso (the rows);
 * "dso,sym" names rows binary`function. */
static int parse_sort(const char *keys, enum view_sort *order, enum profile_group *group)
{
	int dso = 0, sym = 0;

	*order = VIEW_SORT_SELF;
	while (*keys) {
		size_t n = strcspn(keys, ",");

		if (n == 4 && !strncmp(keys, "self", 4))
			*order = VIEW_SORT_SELF;
		else if (n == 5 && !strncmp(keys, "total", 5))
			*order = VIEW_SORT_TOTAL;
		else if (n == 3 && !strncmp(keys, "sym", 3))
			sym = 1;
		else if (n == 3 && !strncmp(keys, "dso", 3))
			dso = 1;
		else
			return -1;
		keys += n + (keys[n] == ',');
	}
	*group = !dso ? 0 : sym ? PROFILE_GROUP_MODULE_FUNCTION : PROFILE_GROUP_MODULE;
	return 0;
}

/* The files asked for (--svg, --pprof, --speedscope, --chrome), each
 * named in a "wrote" line. An exit status. */
static int write_exports(const struct report_cfg *cfg, const struct profile *p,
			 const struct view_opts *vo, const char *from, uint64_t samples)
{
	static const struct {
		size_t off;
		const char *what;
		int (*view)(const struct profile *, const struct view_opts *, struct strbuf *,
			    char *, size_t);
	} ex[] = {
		{ offsetof(struct report_cfg, svg), "flame graph", view_flamegraph },
		{ offsetof(struct report_cfg, pprof), "pprof profile", view_pprof },
		{ offsetof(struct report_cfg, speedscope), "speedscope profile", view_speedscope },
		{ offsetof(struct report_cfg, chrome), "Chrome trace", view_chrome },
	};
	struct strbuf sb = STRBUF_INIT;
	char err[256];
	int status = EXIT_OK, rc;

	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		const char *file = *(const char *const *)((const char *)cfg + ex[i].off);

		if (!file)
			continue;
		strbuf_reset(&sb);
		err[0] = 0;
		rc = ex[i].view(p, vo, &sb, err, sizeof(err));
		if (rc) {
			cmd_errorf("report", "%s: %s", ex[i].what, err[0] ? err : strerror(-rc));
			status = EXIT_FAIL;
			continue;
		}
		rc = strbuf_write_file(&sb, file);
		if (rc) {
			cmd_errorf("report", "cannot write '%s': %s", file, strerror(-rc));
			status = EXIT_FAIL;
			continue;
		}
		printf("wrote %s: %s of %" PRIu64 " sample%s from %s\n", file, ex[i].what, samples,
		       samples == 1 ? "" : "s", from);
	}
	strbuf_release(&sb);
	return status;
}

/* One recording's section of the HTML report: its summary (the
 * bottleneck first, then the header) and its profile. An exit status. */
static int html_section(struct report_cfg *cfg, const struct cpuprof_opts *base, const char *file,
			struct strbuf *page, struct strbuf *lead, int *prio)
{
	struct report_cfg one = *cfg;
	struct strbuf path = STRBUF_INIT, top = STRBUF_INIT, sum = STRBUF_INIT, warnings = STRBUF_INIT;
	struct cpuprof_opts copts = *base;
	struct cpuprof_timeline tl = { 0 };
	struct view_timeline vtl = { 0 };
	struct rec_reader *r = NULL;
	struct profile *p = NULL;
	struct cpuprof_stats st;
	struct view_opts vo;
	char err[256] = "";
	int rc, status = EXIT_FAIL;

	one.file = file;
	one.json = 1;	/* no "reading ..." line */
	if (file && (rc = try_import(cfg, file, &p, &st)) >= 0) {
		if (rc != EXIT_OK)
			return rc;
		strbuf_addstr(&path, file);
		goto built;
	}
	rc = open_recording(&one, &path, &r);
	if (rc >= 0) {
		status = rc;
		goto out;
	}
	if (lead && rec_reader_header(r)->kind == REC_KIND_MEM) {
		struct strbuf heading = STRBUF_INIT, sum = STRBUF_INIT;
		const char *l;

		rec_reader_close(r);
		r = NULL;
		strbuf_addf(&heading, "Memory: %s", path.buf);
		view_html_heading(page, heading.buf);
		status = mem_html_section(path.buf, page, &sum);
		/* the leak first when there is one, else the biggest allocator */
		l = strstr(sum.buf, "most leaked:");
		*prio = l ? 1 : 3;
		if (!l)
			l = sum.buf;
		strbuf_addf(lead, "memory %s: ", path.buf);
		if (*l) {
			size_t k = strcspn(l, ":\n"), e = strcspn(l, "\n");

			strbuf_add(lead, l, k < e ? k + 1 : e);	/* "most leaked:", the padding dropped */
			if (k < e) {
				for (k++; l[k] == ' '; k++)
					;
				strbuf_addch(lead, ' ');
				strbuf_add(lead, l + k, e - k);
			}
		}
		strbuf_release(&heading);
		strbuf_release(&sum);
		goto out;
	}
	copts.timeline = &tl;
	rc = cpuprof_build(r, &copts, &p, &st, &warnings, err, sizeof(err));
	if (rc) {
		cmd_errorf("report", "cannot read '%s': %s", path.buf, err);
		if (rc == -EPROTO && rec_reader_header(r)->kind == REC_KIND_MEM)
			fprintf(stderr, "hint: it is a memory recording: pinch mem report --html OUT '%s'\n", path.buf);
		goto out;
	}
	if ((rc = check_offcpu(cfg, &st, path.buf)) >= 0) {
		status = rc;
		goto out;
	}
built:
	view_opts_init(&vo);
	vo.value = 1;
	vo.count_value = 0;
	vo.limit = 1;
	vo.title = profile_meta(p, "command");
	vtl.n = tl.n;
	vtl.t_ns = tl.t_ns;
	vtl.stack = tl.stack;
	vtl.thread = tl.thread;
	vtl.value = tl.value;
	vtl.duration_ns = st.duration_ns;
	vo.timeline = tl.n ? &vtl : NULL;
	if (st.samples && !view_top(p, &vo, &top, err, sizeof(err)) && !strncmp(top.buf, "hottest:", 8)) {
		const char *nl = strchr(top.buf, '\n');

		strbuf_add(&sum, top.buf, nl ? (size_t)(nl - top.buf + 1) : top.len);
		if (lead) {
			strbuf_addf(lead, "cpu %s: ", path.buf);
			strbuf_add(lead, top.buf, nl ? (size_t)(nl - top.buf) : top.len);
			*prio = 2;
		}
	}
	add_header(&sum, p, path.buf, &st);
	strbuf_rtrim(&sum);
	if (warnings.len) {
		strbuf_addstr(&sum, "\n\nwarnings:\n");
		strbuf_add(&sum, warnings.buf, warnings.len);
		strbuf_rtrim(&sum);
	}
	vo.limit = 0;
	rc = view_html_profile(page, p, &vo, path.buf, sum.buf, err, sizeof(err));
	if (rc) {
		cmd_errorf("report", "html: %s", err);
		goto out;
	}
	status = EXIT_OK;
out:
	cpuprof_timeline_release(&tl);
	profile_free(p);
	rec_reader_close(r);
	strbuf_release(&path);
	strbuf_release(&top);
	strbuf_release(&sum);
	strbuf_release(&warnings);
	return status;
}

/* The page of one or more results: CPU recordings (and imports), memory
 * recordings, result JSON of pinch load (and other commands'); with more
 * than one, a summary first naming the bottleneck: a failed load, then a
 * leak, then the hottest function, then the rest, in the order given. */
static int report_html(struct report_cfg *cfg, const struct cpuprof_opts *copts, char **files,
		       int nfiles)
{
	struct strbuf page = STRBUF_INIT, body = STRBUF_INIT, sum = STRBUF_INIT;
	struct strbuf *leads;
	int *prio, n = nfiles ? nfiles : 1, i, rc, status = EXIT_OK, results = 0;

	leads = calloc((size_t)n, sizeof(*leads));
	prio = calloc((size_t)n, sizeof(*prio));
	if (!leads || !prio) {
		free(leads);
		free(prio);
		cmd_errorf("report", "out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < n && status == EXIT_OK; i++) {
		strbuf_init(&leads[i], 0);
		prio[i] = 4;
		if (nfiles && report_json_section(files[i], &body, &leads[i], &prio[i])) {
			results++;
			continue;
		}
		status = html_section(cfg, copts, nfiles ? files[i] : NULL, &body, &leads[i], &prio[i]);
	}
	if (status == EXIT_OK) {
		view_html_begin(&page, "pinch report");
		if (n > 1) {
			int p, first = 1;

			for (p = 0; p <= 4; p++) {
				for (i = 0; i < n; i++) {
					if (prio[i] != p || !leads[i].len)
						continue;
					strbuf_addf(&sum, "%s%s\n", first ? "bottleneck: " : "            ", leads[i].buf);
					first = 0;
				}
			}
			strbuf_rtrim(&sum);
			if (sum.len)
				view_html_text(&page, NULL, sum.buf, "summary");
		}
		strbuf_add(&page, body.buf, body.len);
		view_html_end(&page);
		rc = strbuf_write_file(&page, cfg->html);
		if (rc) {
			cmd_errorf("report", "cannot write '%s': %s", cfg->html, strerror(-rc));
			status = EXIT_FAIL;
		} else if (results) {
			printf("wrote %s: HTML report of %d results\n", cfg->html, n);
		} else {
			printf("wrote %s: HTML report of %d recording%s\n", cfg->html, n, n > 1 ? "s" : "");
		}
	}
	for (i = 0; i < n; i++)
		strbuf_release(&leads[i]);
	free(leads);
	free(prio);
	strbuf_release(&page);
	strbuf_release(&body);
	strbuf_release(&sum);
	return status;
}

int cmd_report(int argc, char **argv)
{
	struct report_cfg cfg = { .sort = "self", .limit = 20 };
	const struct opt opts[] = {
		{ .type = OPT_STRING, .long_name = "sort", .value = &cfg.sort, .argh = "KEYS",
		  .help = "self or total (the order), sym, dso or dso,sym (the rows: functions, binaries, binary`function)" },
		{ .type = OPT_STRING, .short_name = 'i', .long_name = "input", .value = &cfg.input, .argh = "FILE",
		  .help = "the recording (the same as giving FILE)" },
		{ .type = OPT_INT, .long_name = "pid", .value = &cfg.pid, .argh = "PID",
		  .help = "only samples of this process" },
		{ .type = OPT_INT, .long_name = "tid", .value = &cfg.tid, .argh = "TID",
		  .help = "only samples of this thread" },
		{ .type = OPT_STRING, .long_name = "comm", .value = &cfg.comm, .argh = "NAME",
		  .help = "only samples of threads with this name" },
		{ .type = OPT_STRING, .long_name = "dso", .value = &cfg.dso, .argh = "NAME",
		  .help = "only samples whose leaf is in this binary (libc matches libc.so.6)" },
		{ .type = OPT_INT, .short_name = 'n', .long_name = "limit", .value = &cfg.limit, .argh = "N",
		  .help = "rows of the top table (default 20, 0 = all)" },
		{ .type = OPT_FLAG, .short_name = 't', .long_name = "threads", .value = &cfg.threads,
		  .help = "one table per thread instead of merged" },
		{ .type = OPT_STRING, .long_name = "lines", .value = &cfg.lines, .argh = "FUNC",
		  .help = "samples per source line of FUNC" },
		{ .type = OPT_STRING, .long_name = "callers", .value = &cfg.callers, .argh = "FUNC",
		  .help = "who calls FUNC, with shares" },
		{ .type = OPT_STRING, .long_name = "callees", .value = &cfg.callees, .argh = "FUNC",
		  .help = "what FUNC calls, with shares" },
		{ .type = OPT_FLAG, .long_name = "collapsed", .value = &cfg.collapsed,
		  .help = "folded stacks (flamegraph.pl input)" },
		{ .type = OPT_STRING, .long_name = "svg", .value = &cfg.svg, .argh = "FILE",
		  .help = "write an interactive flame graph SVG" },
		{ .type = OPT_STRING, .long_name = "pprof", .value = &cfg.pprof, .argh = "FILE",
		  .help = "write a gzipped profile.proto (go tool pprof, Pyroscope, Parca)" },
		{ .type = OPT_STRING, .long_name = "speedscope", .value = &cfg.speedscope, .argh = "FILE",
		  .help = "write speedscope's JSON file format" },
		{ .type = OPT_STRING, .long_name = "chrome", .value = &cfg.chrome, .argh = "FILE",
		  .help = "write Chrome trace events JSON (Perfetto, chrome://tracing): each thread's samples over time" },
		{ .type = OPT_STRING, .long_name = "html", .value = &cfg.html, .argh = "FILE",
		  .help = "write one self-contained HTML report of every recording (CPU, memory) and result JSON (pinch load, stat, ...) given" },
		{ .type = OPT_FLAG, .long_name = "json", .value = &cfg.json, .help = "machine-readable output" },
		{ .type = OPT_STRING, .long_name = "source-root", .value = &cfg.source_root, .argh = "DIR",
		  .help = "where --lines looks for relative source paths" },
		{ .type = OPT_FLAG, .long_name = "no-inline", .value = &cfg.no_inline,
		  .help = "do not expand inlined calls into frames" },
		{ .type = OPT_FLAG, .long_name = "native", .value = &cfg.native,
		  .help = "Python: interleave native frames (C extensions, the interpreter)" },
		{ .type = OPT_FLAG, .long_name = "wide", .value = &cfg.wide,
		  .help = "whole function names (C++ names are shortened to fit otherwise)" },
		{ .type = OPT_FLAG, .long_name = "user-only", .value = &cfg.user_only,
		  .help = "leave kernel frames out (their time stays with the caller)" },
		{ .type = OPT_FLAG, .long_name = "idle", .value = &cfg.idle,
		  .help = "include waiting threads (recorded with 'pinch record --idle')" },
		{ .type = OPT_FLAG, .long_name = "gil", .value = &cfg.gil,
		  .help = "Python: only samples of the thread holding the GIL" },
		{ .type = OPT_FLAG, .long_name = "on-cpu", .value = &cfg.on_cpu,
		  .help = "only on-CPU samples (of a --off-cpu or --wall recording)" },
		{ .type = OPT_FLAG, .long_name = "off-cpu", .value = &cfg.off_cpu,
		  .help = "only blocked time, leaves [off: REASON] (recorded with 'pinch record --off-cpu' or --wall)" },
		{ .type = OPT_FLAG, .long_name = "wall", .value = &cfg.wall,
		  .help = "on-CPU and blocked time together (recorded with --off-cpu or --wall)" },
		OPT_END_(),
	};
	struct strbuf path = STRBUF_INIT, out = STRBUF_INIT, warnings = STRBUF_INIT;
	struct rec_reader *r = NULL;
	struct profile *p = NULL;
	struct cpuprof_stats st;
	struct cpuprof_opts copts = { 0 };
	struct view_opts vo;
	char err[256] = "";
	int nargs, rc, status = EXIT_FAIL, modes, files;
	struct cpuprof_timeline tl = { 0 };
	struct view_timeline vtl = { 0 };
	const char *view_name = "top";
	enum view_sort order;
	enum profile_group group;

	nargs = opt_parse(argc, argv, opts, report_usage, 0, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (nargs > 1 && !cfg.html) {
		cmd_errorf("report", "too many arguments: '%s'", argv[1]);
		return EXIT_USAGE;
	}
	cfg.file = nargs ? argv[0] : NULL;	/* opt_parse puts non-options first */
	if (cfg.input) {
		if (cfg.file) {
			cmd_errorf("report", "two recordings given: '%s' and -i '%s'", cfg.file, cfg.input);
			return EXIT_USAGE;
		}
		cfg.file = cfg.input;
	}
	if (parse_sort(cfg.sort, &order, &group)) {
		cmd_errorf("report", "bad --sort '%s': use self or total, and sym, dso or dso,sym", cfg.sort);
		return EXIT_USAGE;
	}
	if (cfg.pid < 0 || cfg.pid > UINT32_MAX || cfg.tid < 0 || cfg.tid > UINT32_MAX) {
		cmd_errorf("report", "bad --pid or --tid: use a process or thread id");
		return EXIT_USAGE;
	}
	if (cfg.limit < 0) {
		cmd_errorf("report", "bad --limit %ld: use 0 (all) or more", cfg.limit);
		return EXIT_USAGE;
	}
	modes = !!cfg.lines + !!cfg.callers + !!cfg.callees + !!cfg.collapsed;
	if (modes > 1) {
		cmd_errorf("report", "--lines, --callers, --callees and --collapsed are different views: pick one");
		return EXIT_USAGE;
	}
	files = !!cfg.svg + !!cfg.pprof + !!cfg.speedscope + !!cfg.chrome;
	if (files && (modes || cfg.json)) {
		cmd_errorf("report", "--svg, --pprof, --speedscope and --chrome write files of their own: use them without --json or another view");
		return EXIT_USAGE;
	}

	if (cfg.html) {
		if (files || modes || cfg.json || cfg.input) {
			cmd_errorf("report", "--html writes a file of its own: use it without --json, -i, another view or export");
			return EXIT_USAGE;
		}
		set_cpuprof_opts(&cfg, &copts);
		return report_html(&cfg, &copts, argv, nargs);
	}
	if (cfg.file && (rc = try_import(&cfg, cfg.file, &p, &st)) >= 0) {
		if (rc != EXIT_OK)
			return rc;
		strbuf_addstr(&path, cfg.file);
		goto built;
	}
	rc = open_recording(&cfg, &path, &r);
	if (rc >= 0) {
		status = rc;
		goto out;
	}
	set_cpuprof_opts(&cfg, &copts);
	if (cfg.chrome)
		copts.timeline = &tl;
	rc = cpuprof_build(r, &copts, &p, &st, &warnings, err, sizeof(err));
	if (rc) {
		cmd_errorf("report", "cannot read '%s': %s", path.buf, err);
		if (rc == -EPROTO && rec_reader_header(r)->kind == REC_KIND_MEM)
			fprintf(stderr, "hint: it is a memory recording: pinch mem report '%s'\n", path.buf);
		goto out;
	}
	if ((rc = check_offcpu(&cfg, &st, path.buf)) >= 0) {
		status = rc;
		goto out;
	}
built:
	if (group) {
		struct profile *g = profile_regroup(p, group);

		if (!g) {
			cmd_errorf("report", "out of memory");
			goto out;
		}
		profile_free(p);
		p = g;
	}
	if (!cfg.json && warnings.len) {
		const char *l = warnings.buf;

		while (*l) {
			const char *nl = strchr(l, '\n');
			int len = nl ? (int)(nl - l) : (int)strlen(l);

			fprintf(stderr, "pinch report: warning: %.*s\n", len, l);
			l += len + (nl ? 1 : 0);
		}
	}
	if (st.samples == 0 && st.filtered) {
		cmd_errorf("report", "no sample of '%s' matches the filters (%" PRIu64 " left out)", path.buf,
		       st.filtered);
		fprintf(stderr, "hint: 'pinch report --threads' lists the processes and threads\n");
		goto out;
	}
	if (st.samples == 0) {
		cmd_errorf("report", "'%s' holds no samples%s", path.buf,
		       st.truncated ? " (the recording is cut short)" : "");
		fprintf(stderr, "hint: record longer, or check that the command ran: pinch record -- CMD\n");
		goto out;
	}

	view_opts_init(&vo);
	vo.value = 1;
	vo.count_value = 0;
	vo.sort = order;
	vo.limit = (int)cfg.limit;
	vo.by_thread = cfg.threads;
	vo.json = cfg.json;
	vo.wide = cfg.wide;
	vo.source_root = cfg.source_root;
	vo.title = profile_meta(p, "command");
	if (copts.timeline && !group) {
		vtl.n = tl.n;
		vtl.t_ns = tl.t_ns;
		vtl.stack = tl.stack;
		vtl.thread = tl.thread;
		vtl.value = tl.value;
		vtl.duration_ns = st.duration_ns;
		vo.timeline = &vtl;
	}
	if (files) {
		status = write_exports(&cfg, p, &vo, path.buf, st.samples);
		goto out;
	} else if (cfg.collapsed) {
		/* Folded stacks count samples, as flamegraph.pl and perf do. */
		vo.value = 0;
		view_name = "collapsed stacks";
		rc = view_collapsed(p, &vo, &out, err, sizeof(err));
	} else if (cfg.lines) {
		vo.func = cfg.lines;
		view_name = "line listing";
		rc = view_lines(p, &vo, &out, err, sizeof(err));
	} else if (cfg.callers) {
		vo.func = cfg.callers;
		view_name = "callers";
		rc = view_callers(p, &vo, &out, err, sizeof(err));
	} else if (cfg.callees) {
		vo.func = cfg.callees;
		view_name = "callees";
		rc = view_callees(p, &vo, &out, err, sizeof(err));
	} else {
		rc = view_top(p, &vo, &out, err, sizeof(err));
	}
	if (rc) {
		cmd_errorf("report", "%s: %s", view_name, err[0] ? err : strerror(-rc));
		if (rc == -ENOENT && vo.func && !strstr(err, "close"))
			hint_similar(p, vo.func);
		goto out;
	}

	if (cfg.json) {
		struct strbuf doc = STRBUF_INIT;

		/* {"recording": {...}, "<view>": <the view's own JSON>} */
		strbuf_addstr(&doc, "{\n\"recording\": ");
		add_json_recording(&doc, p, path.buf, &st, &warnings);
		strbuf_rtrim(&doc);
		strbuf_addstr(&doc, ",\n\"report\": ");
		strbuf_rtrim(&out);
		strbuf_add(&doc, out.buf, out.len);
		strbuf_addstr(&doc, "\n}\n");
		fwrite(doc.buf, 1, doc.len, stdout);
		strbuf_release(&doc);
	} else if (cfg.collapsed) {
		fwrite(out.buf, 1, out.len, stdout);
	} else {
		struct strbuf head = STRBUF_INIT;
		const char *body = out.buf;

		/* The bottleneck first, then what was recorded, then the view. */
		if (!strncmp(out.buf, "hottest:", 8)) {
			const char *nl = strchr(out.buf, '\n');

			body = nl ? nl + 1 : out.buf + out.len;
			fwrite(out.buf, 1, (size_t)(body - out.buf), stdout);
		}
		add_header(&head, p, path.buf, &st);
		fwrite(head.buf, 1, head.len, stdout);
		fputs(body, stdout);
		strbuf_release(&head);
	}
	status = EXIT_OK;
out:
	cpuprof_timeline_release(&tl);
	profile_free(p);
	rec_reader_close(r);
	strbuf_release(&path);
	strbuf_release(&out);
	strbuf_release(&warnings);
	return status;
}
