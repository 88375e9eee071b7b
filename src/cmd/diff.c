/*
 * diff.c - `pinch diff BASE.rec NEW.rec`: two CPU recordings (pinch
 * record) or two memory recordings (pinch mem) compared per function:
 * the biggest changes first, both directions, functions only in one
 * side marked new/vanished (src/view/view_diff.c renders); --svg writes
 * a differential flame graph, --json the table as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/cpuprof.h"
#include "model/memprof.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "view/view.h"
#include "core/banned.h"

static const char *const diff_usage[] = {
	"pinch diff BASE.rec NEW.rec [options]",
	"",
	"Compares two CPU recordings (pinch record) or two memory recordings",
	"(pinch mem): per function the share (CPU) or bytes (memory) in BASE and",
	"NEW, the change and the relative change, biggest change first.",
	NULL,
};

struct diff_cfg {
	long limit;
	int json, user_only, wide;
	const char *svg, *what;
};

struct side {
	const char *path;
	struct rec_reader *r;
	struct memprof *m;
	struct profile *p;
	int kind;
};

static int open_side(struct side *s)
{
	char err[256] = "";
	uint64_t samples;
	int rc = cmd_import_profile("diff", s->path, &s->p, &samples);

	if (rc >= 0 && rc != EXIT_OK)
		return rc;
	if (rc == EXIT_OK) {
		s->kind = REC_KIND_CPU;	/* imports are CPU-like: samples and a value */
		return -1;
	}
	rc = rec_reader_open(&s->r, s->path, err, sizeof(err));

	if (rc) {
		if (err[0] >= 'A' && err[0] <= 'Z' && err[1] >= 'a' && err[1] <= 'z')
			err[0] = (char)(err[0] - 'A' + 'a');	/* strerror's capital */
		cmd_errorf("diff", "cannot read '%s': %s", s->path, err);
		return rc == -ENOENT || rc == -EACCES ? EXIT_USAGE : EXIT_FAIL;
	}
	s->kind = rec_reader_header(s->r)->kind;
	if (s->kind != REC_KIND_CPU && s->kind != REC_KIND_MEM) {
		cmd_errorf("diff", "'%s' is neither a CPU nor a memory recording", s->path);
		return EXIT_USAGE;
	}
	return -1;
}

static int build_side(struct side *s, const struct diff_cfg *cfg)
{
	struct strbuf warn = STRBUF_INIT;
	char err[512] = "";
	int rc;

	if (s->p) {
		rc = 0;	/* imported by open_side */
	} else if (s->kind == REC_KIND_CPU) {
		struct cpuprof_opts co = { 0 };
		struct cpuprof_stats st;

		co.user_only = cfg->user_only;
		rc = cpuprof_build(s->r, &co, &s->p, &st, &warn, err, sizeof(err));
		if (!rc && !st.samples) {
			cmd_errorf("diff", "'%s' holds no samples", s->path);
			rc = -ENODATA;
		}
	} else {
		struct memprof_proc *mp;
		struct memprof_sym_opts so;
		uint32_t *stack_map = NULL;

		rc = memprof_read(&s->m, s->r, err, sizeof(err));
		if (!rc && !(mp = memprof_main(s->m, 0))) {
			snprintf(err, sizeof(err), "no process in it");
			rc = -ENODATA;
		}
		if (!rc) {
			memset(&so, 0, sizeof(so));
			rc = memprof_profile(mp, &so, &s->p, &stack_map, &warn, err, sizeof(err));
			free(stack_map);
		}
	}
	if (rc && err[0])
		cmd_errorf("diff", "cannot read '%s': %s", s->path, err);
	if (!cfg->json && warn.len) {
		const char *l = warn.buf;

		while (*l) {
			const char *nl = strchr(l, '\n');
			int len = nl ? (int)(nl - l) : (int)strlen(l);

			if (len)
				fprintf(stderr, "pinch diff: %s: warning: %.*s\n", s->path, len, l);
			l += len + (nl ? 1 : 0);
		}
	}
	strbuf_release(&warn);
	return rc ? EXIT_FAIL : -1;
}

static int type_index(const struct profile *p, const char *name)
{
	for (size_t i = 0; i < profile_n_types(p); i++)
		if (!strcmp(profile_type_name(p, i), name))
			return (int)i;
	return -1;
}

static const char *kind_name(int kind)
{
	return kind == REC_KIND_CPU ? "a CPU recording" : "a memory recording";
}

int cmd_diff(int argc, char **argv)
{
	struct diff_cfg cfg = { .limit = 20 };
	const struct opt opts[] = {
		{ .type = OPT_INT, .short_name = 'n', .long_name = "limit", .value = &cfg.limit, .argh = "N",
		  .help = "rows of the table (default 20, 0 = all)" },
		{ .type = OPT_STRING, .long_name = "svg", .value = &cfg.svg, .argh = "FILE",
		  .help = "write a differential flame graph SVG" },
		{ .type = OPT_FLAG, .long_name = "json", .value = &cfg.json, .help = "machine-readable output" },
		{ .type = OPT_FLAG, .long_name = "user-only", .value = &cfg.user_only,
		  .help = "CPU: leave kernel frames out (their time stays with the caller)" },
		{ .type = OPT_STRING, .long_name = "what", .value = &cfg.what, .argh = "WHAT",
		  .help = "memory: allocated (default), peak or leaked bytes" },
		{ .type = OPT_FLAG, .long_name = "wide", .value = &cfg.wide,
		  .help = "whole function names (C++ names are shortened to fit otherwise)" },
		OPT_END_(),
	};
	struct side s[2];
	struct view_diff_side vs[2];
	struct view_opts vo;
	struct strbuf out = STRBUF_INIT;
	char err[256] = "";
	int nargs, rc, status = EXIT_FAIL, value = 1, absolute = 0, i;

	memset(s, 0, sizeof(s));
	nargs = opt_parse(argc, argv, opts, diff_usage, 0, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (nargs != 2) {
		cmd_errorf("diff", nargs < 2 ? "two recordings needed: pinch diff BASE.rec NEW.rec"
				 : "too many arguments: '%s'", nargs > 2 ? argv[2] : "");
		return EXIT_USAGE;
	}
	if (cfg.limit < 0) {
		cmd_errorf("diff", "bad --limit %ld: use 0 (all) or more", cfg.limit);
		return EXIT_USAGE;
	}
	if (cfg.svg && cfg.json) {
		cmd_errorf("diff", "--svg writes a file of its own: use it without --json");
		return EXIT_USAGE;
	}
	s[0].path = argv[0];
	s[1].path = argv[1];
	for (i = 0; i < 2; i++) {
		rc = open_side(&s[i]);
		if (rc >= 0) {
			status = rc;
			goto out;
		}
	}
	if (s[0].kind != s[1].kind) {
		cmd_errorf("diff", "'%s' is %s but '%s' is %s: diff compares two of one kind", s[0].path,
		       kind_name(s[0].kind), s[1].path, kind_name(s[1].kind));
		status = EXIT_USAGE;
		goto out;
	}
	if (s[0].kind == REC_KIND_CPU && cfg.what) {
		cmd_errorf("diff", "--what is for memory recordings");
		status = EXIT_USAGE;
		goto out;
	}
	if (s[0].kind == REC_KIND_MEM) {
		const char *w = cfg.what ? cfg.what : "allocated";

		if (strcmp(w, "allocated") && strcmp(w, "peak") && strcmp(w, "leaked")) {
			cmd_errorf("diff", "--what '%s' is not one of allocated, peak, leaked", w);
			status = EXIT_USAGE;
			goto out;
		}
		cfg.what = !strcmp(w, "allocated") ? "alloc_bytes" : !strcmp(w, "peak") ? "peak_bytes"
											 : "leaked_bytes";
		absolute = 1;
	}
	for (i = 0; i < 2; i++) {
		rc = build_side(&s[i], &cfg);
		if (rc >= 0) {
			status = rc;
			goto out;
		}
	}
	if (absolute) {
		value = type_index(s[0].p, cfg.what);
		if (value < 0 || type_index(s[1].p, cfg.what) != value) {
			cmd_errorf("diff", "the memory recordings hold no '%s' figures", cfg.what);
			goto out;
		}
	} else if (profile_n_types(s[0].p) < 2 || profile_n_types(s[1].p) < 2) {
		cmd_errorf("diff", "the CPU recordings hold no CPU time");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		vs[i].p = s[i].p;
		vs[i].file = s[i].path;
	}
	view_opts_init(&vo);
	vo.value = (size_t)value;
	vo.count_value = SIZE_MAX;
	vo.limit = (int)cfg.limit;
	vo.json = cfg.json;
	vo.wide = cfg.wide;
	vo.title = profile_meta(s[1].p, "command");
	if (cfg.svg) {
		rc = view_diff_flamegraph(&vs[0], &vs[1], &vo, &out, err, sizeof(err));
		if (!rc) {
			rc = strbuf_write_file(&out, cfg.svg);
			if (rc) {
				cmd_errorf("diff", "cannot write '%s': %s", cfg.svg, strerror(-rc));
				goto out;
			}
			printf("wrote %s: differential flame graph of %s (base) and %s (new)\n", cfg.svg,
			       s[0].path, s[1].path);
		}
	} else {
		rc = view_diff(&vs[0], &vs[1], &vo, absolute, &out, err, sizeof(err));
		if (!rc)
			fwrite(out.buf, 1, out.len, stdout);
	}
	if (rc) {
		cmd_errorf("diff", "%s", err[0] ? err : strerror(-rc));
		goto out;
	}
	status = EXIT_OK;
out:
	for (i = 0; i < 2; i++) {
		profile_free(s[i].p);
		memprof_free(s[i].m);
		rec_reader_close(s[i].r);
	}
	strbuf_release(&out);
	return status;
}
