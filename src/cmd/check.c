/*
 * check.c - `pinch check [RESULT...] [--targets FILE] [--require LEVEL]`:
 * the performance-target table (src/bench/targets.c) over pinch results
 * of any kind. Exit 3 when a metric is Poor or below --require.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/targets.h"
#include "cmd/cmd.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "core/banned.h"

static const char *const check_usage[] = {
	"pinch check [options] RESULT.json [RESULT.json...]",
	"",
	"Judges pinch results (load, bench, mem, stat; '-' reads standard input)",
	"against performance targets: the built-in table (P50 and P99 latency,",
	"error rate, CPU usage, memory) and those of --targets FILE (YAML). Each",
	"value is good, acceptable, degraded (between acceptable and poor) or poor.",
	"Exit status: 0, 3 when a value is poor or below --require, 2 bad input.",
	NULL,
};

int cmd_check(int argc, char **argv)
{
	const char *targets_file = NULL, *require = NULL;
	int builtin = 1;
	const struct opt opts[] = {
		{ .type = OPT_STRING, .short_name = 't', .long_name = "targets", .value = &targets_file,
		  .argh = "FILE", .help = "targets from a YAML file (override or add to the built-in table)" },
		{ .type = OPT_STRING, .long_name = "require", .value = &require, .argh = "LEVEL",
		  .help = "fail below LEVEL: good or acceptable (default: fail on poor only)" },
		{ .type = OPT_FLAG, .long_name = "builtin", .value = &builtin,
		  .help = "start from the built-in table (default; --no-builtin: only --targets)" },
		OPT_END_(),
	};
	struct targets ts = { 0 };
	struct strbuf out = STRBUF_INIT, text = STRBUF_INIT;
	enum target_verdict worst = TV_NONE, limit = TV_POOR;
	size_t rows = 0;
	char err[512];
	int nargs, rc, status = EXIT_OK;

	nargs = opt_parse(argc, argv, opts, check_usage, 0, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (!nargs) {
		cmd_errorf("check", "no result to check: pinch check RESULT.json (from --json of bench, load, mem, stat)");
		return EXIT_USAGE;
	}
	if (require) {
		if (!strcmp(require, "good"))
			limit = TV_ACCEPTABLE;
		else if (!strcmp(require, "acceptable"))
			limit = TV_DEGRADED;
		else {
			cmd_errorf("check", "bad --require '%s': good or acceptable", require);
			return EXIT_USAGE;
		}
	}
	if (builtin ? targets_init_builtin(&ts) : 0) {
		cmd_errorf("check", "out of memory");
		return EXIT_FAIL;
	}
	if (targets_file) {
		rc = strbuf_read_file(&text, targets_file, 16u << 20);
		if (rc < 0) {
			cmd_errorf("check", "cannot read '%s': %s", targets_file, strerror(-rc));
			status = EXIT_USAGE;
			goto out;
		}
		if (targets_load_yaml(&ts, targets_file, text.buf, text.len, err, sizeof(err))) {
			cmd_errorf("check", "%s", err);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (!ts.n) {
		cmd_errorf("check", "no targets: --no-builtin needs --targets FILE");
		status = EXIT_USAGE;
		goto out;
	}
	targets_header(&out);
	for (int i = 0; i < nargs; i++) {
		const char *path = argv[i];

		strbuf_reset(&text);
		if (!strcmp(path, "-"))
			rc = strbuf_read_file(&text, "/dev/stdin", 256u << 20);
		else
			rc = strbuf_read_file(&text, path, 256u << 20);
		if (rc < 0) {
			cmd_errorf("check", "cannot read '%s': %s", path, strerror(-rc));
			status = EXIT_USAGE;
			goto out;
		}
		if (targets_check(&ts, path, text.buf, &out, &worst, &rows, err, sizeof(err)) < 0) {
			cmd_errorf("check", "%s", err);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (!rows) {
		cmd_errorf("check", "no target applies to %s: none of their metrics has a target",
			   nargs == 1 ? "this result" : "these results");
		fprintf(stderr, "hint: --targets FILE can name any metric (mean, rps, peak, or a JSON path)\n");
		status = EXIT_USAGE;
		goto out;
	}
	fputs(out.buf, stdout);
	if (worst >= limit) {
		printf("\nverdict: %s: %s\n", target_verdict_names[worst],
		       worst == TV_POOR ? "a metric is poor" : require ? "below --require" : "");
		status = EXIT_CHECK;
	} else {
		printf("\nverdict: %s\n", worst == TV_GOOD ? "all good" : target_verdict_names[worst]);
	}
out:
	targets_release(&ts);
	strbuf_release(&out);
	strbuf_release(&text);
	return status;
}
