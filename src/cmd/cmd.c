/*
 * cmd.c - helpers shared by the subcommands: error lines, agent working
 * directories, and the --save/--compare/--fail-if-slower baselines of
 * bench, load and mem.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/baseline.h"
#include "cmd/cmd.h"
#include "core/strbuf.h"
#include "core/banned.h"

void cmd_errorf(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pinch %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cmd_workdir(const char *cmd, const char *out, char *dir, size_t len)
{
	char *slash;

	snprintf(dir, len, "%s", out);
	slash = strrchr(dir, '/');
	if (slash)
		snprintf(slash + 1, len - (size_t)(slash + 1 - dir), ".pinch-%s.XXXXXX", cmd);
	else
		snprintf(dir, len, ".pinch-%s.XXXXXX", cmd);
	if (!mkdtemp(dir)) {
		cmd_errorf(cmd, "cannot create a working directory next to '%s': %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

/* "5%", "5" -> 5; -1 when not a percentage. */
static double parse_pct(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	while (*end == ' ')
		end++;
	if (*end == '%')
		end++;
	if (end == s || *end || !(v >= 0) || v > 1e6)
		return -1;
	return v;
}

int cmd_baseline_prepare(const char *cmd, struct cmd_baseline *b)
{
	struct strbuf p = STRBUF_INIT;
	char err[512];
	void *j;

	b->opts.alpha = b->alpha > 0 ? b->alpha : 0.01;
	b->opts.fail_pct = -1;
	if (!(b->opts.alpha < 1)) {
		cmd_errorf(cmd, "bad --alpha %g: a probability between 0 and 1, such as 0.01", b->alpha);
		return EXIT_USAGE;
	}
	if (b->fail) {
		if (!b->compare) {
			cmd_errorf(cmd, "--fail-if-slower needs --compare NAME");
			return EXIT_USAGE;
		}
		b->opts.fail_pct = parse_pct(b->fail);
		if (b->opts.fail_pct < 0) {
			cmd_errorf(cmd, "bad --fail-if-slower '%s': a percentage such as 5%%", b->fail);
			return EXIT_USAGE;
		}
	}
	if (b->save && baseline_path(b->save, &p, err, sizeof(err))) {
		strbuf_release(&p);
		cmd_errorf(cmd, "%s", err);
		return EXIT_USAGE;
	}
	strbuf_release(&p);
	if (b->compare) {
		/* Fail before the work, not after it: the baseline must exist. */
		if (baseline_load(b->compare, &j, err, sizeof(err))) {
			cmd_errorf(cmd, "%s", err);
			return EXIT_USAGE;
		}
		baseline_free_json(j);
	}
	return -1;
}

int cmd_baseline_finish(const char *cmd, const struct cmd_baseline *b, const char *result, FILE *out, int status)
{
	struct strbuf cmp = STRBUF_INIT;
	char err[512];
	int rc;

	if (b->compare) {
		rc = baseline_compare(b->compare, result, &b->opts, &cmp, err, sizeof(err));
		if (rc < 0) {
			cmd_errorf(cmd, "%s", err);
			status = EXIT_USAGE;
		} else {
			if (out == stdout)
				fputc('\n', out);	/* after the command's own report */
			fputs(cmp.buf, out);
			if (rc == 1 && status == EXIT_OK)
				status = EXIT_CHECK;
		}
	}
	if (b->save && status != EXIT_USAGE) {
		if (baseline_save(b->save, result, err, sizeof(err)) < 0) {
			cmd_errorf(cmd, "%s", err);
			status = EXIT_FAIL;
		} else {
			fprintf(stderr, "pinch %s: saved baseline '%s' (%s/%s.json)\n", cmd, b->save, BASELINE_DIR,
				b->save);
		}
	}
	strbuf_release(&cmp);
	return status;
}
