/*
 * baseline.c - `pinch baseline list|show|rm|save|compare`: the saved
 * results under .pinch/baselines (src/bench/baseline.c). save and compare
 * take any pinch result file (bench, load, mem, libpinch's
 * pinch_bench_json), the way `pinch bench --save/--compare` does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/baseline.h"
#include "cmd/cmd.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "core/banned.h"

static const char *const baseline_usage[] = {
	"pinch baseline list",
	"pinch baseline show NAME",
	"pinch baseline rm NAME",
	"pinch baseline save NAME RESULT.json",
	"pinch baseline compare NAME RESULT.json [--fail-if-slower PCT]",
	"",
	"Saved results live in .pinch/baselines/NAME.json. save stores a result",
	"file of any kind (pinch bench/load/mem --json, libpinch's",
	"pinch_bench_json); compare prints the change per metric and exits 3 when",
	"--fail-if-slower's bound is crossed (significantly, for bench results).",
	NULL,
};

static int read_result(const char *path, struct strbuf *sb)
{
	int rc = strbuf_read_file(sb, path, 256u << 20);

	if (rc < 0) {
		cmd_errorf("baseline", "cannot read '%s': %s", path, strerror(-rc));
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_baseline(int argc, char **argv)
{
	const char *fail = NULL;
	double alpha = 0.01;
	const struct opt opts[] = {
		{ .type = OPT_STRING, .long_name = "fail-if-slower", .value = &fail, .argh = "PCT",
		  .help = "compare: exit 3 when worse by more than PCT % (significantly, for bench)" },
		{ .type = OPT_DOUBLE, .long_name = "alpha", .value = &alpha, .argh = "P",
		  .help = "compare: significance level (0.01)" },
		OPT_END_(),
	};
	struct strbuf out = STRBUF_INIT, in = STRBUF_INIT;
	struct baseline_opts bo = { .alpha = 0.01, .fail_pct = -1 };
	char err[512] = "";
	const char *sub;
	int nargs, rc, status = EXIT_OK;

	nargs = opt_parse(argc, argv, opts, baseline_usage, 0, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (!nargs) {
		cmd_errorf("baseline", "which one: list, show, rm, save or compare?");
		return EXIT_USAGE;
	}
	sub = argv[0];
	bo.alpha = alpha;
	if (fail) {
		char *end;

		bo.fail_pct = strtod(fail, &end);
		if (*end == '%')
			end++;
		if (end == fail || *end || bo.fail_pct < 0) {
			cmd_errorf("baseline", "bad --fail-if-slower '%s': a percentage such as 5%%", fail);
			return EXIT_USAGE;
		}
	}
	if (!(alpha > 0 && alpha < 1)) {
		cmd_errorf("baseline", "bad --alpha %g: a probability between 0 and 1", alpha);
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "list") && nargs == 1) {
		rc = baseline_list(&out);
		if (rc < 0) {
			cmd_errorf("baseline", "cannot read %s: %s", BASELINE_DIR, strerror(-rc));
			status = EXIT_FAIL;
		}
	} else if (!strcmp(sub, "show") && nargs == 2) {
		struct strbuf path = STRBUF_INIT;
		void *j;

		if (baseline_load(argv[1], &j, err, sizeof(err))) {
			cmd_errorf("baseline", "%s", err);
			status = EXIT_USAGE;
		} else {
			baseline_free_json(j);
			baseline_path(argv[1], &path, err, sizeof(err));
			if (strbuf_read_file(&out, path.buf, 256u << 20) < 0) {
				cmd_errorf("baseline", "cannot read '%s'", path.buf);
				status = EXIT_FAIL;
			}
		}
		strbuf_release(&path);
	} else if (!strcmp(sub, "rm") && nargs == 2) {
		if (baseline_remove(argv[1], err, sizeof(err)) < 0) {
			cmd_errorf("baseline", "%s", err);
			status = EXIT_USAGE;
		} else {
			strbuf_addf(&out, "removed baseline '%s'\n", argv[1]);
		}
	} else if (!strcmp(sub, "save") && nargs == 3) {
		status = read_result(argv[2], &in);
		if (!status && baseline_save(argv[1], in.buf, err, sizeof(err)) < 0) {
			cmd_errorf("baseline", "'%s': %s", argv[2], err);
			status = EXIT_USAGE;
		} else if (!status) {
			strbuf_addf(&out, "saved '%s' as baseline '%s' (%s/%s.json)\n", argv[2], argv[1], BASELINE_DIR,
				    argv[1]);
		}
	} else if (!strcmp(sub, "compare") && nargs == 3) {
		status = read_result(argv[2], &in);
		if (!status) {
			rc = baseline_compare(argv[1], in.buf, &bo, &out, err, sizeof(err));
			if (rc < 0) {
				cmd_errorf("baseline", "%s", err);
				status = EXIT_USAGE;
			} else if (rc == 1) {
				status = EXIT_CHECK;
			}
		}
	} else {
		cmd_errorf("baseline", "bad use of '%s'; see pinch baseline -h", sub);
		status = EXIT_USAGE;
	}
	fputs(out.buf, stdout);
	strbuf_release(&out);
	strbuf_release(&in);
	return status;
}
