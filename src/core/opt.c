/*
 * opt.c - option parsing from per-command tables (core layer), in the
 * spirit of git's parse-options: long and short forms, --opt=value,
 * -xVALUE, bundled short flags, "--" ends options.
 */
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int set_value(const struct opt *o, const char *arg, const char *shown, const char *cmd,
		     void *ctx, int negate)
{
	char *end;

	switch (o->type) {
	case OPT_FLAG:
		*(int *)o->value = negate ? 0 : 1;
		return 0;
	case OPT_INT: {
		long v;

		errno = 0;
		v = strtol(arg, &end, 10);	/* decimal: "010" is ten, not eight */
		if (errno || end == arg || *end) {
			fprintf(stderr, "pinch %s: option '%s' expects an integer, not '%s'\n",
				cmd, shown, arg);
			return -1;
		}
		*(long *)o->value = v;
		return 0;
	}
	case OPT_DOUBLE: {
		double v;

		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(v)) {
			fprintf(stderr, "pinch %s: option '%s' expects a number, not '%s'\n",
				cmd, shown, arg);
			return -1;
		}
		*(double *)o->value = v;
		return 0;
	}
	case OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_DURATION:
		if (opt_parse_duration(arg, (uint64_t *)o->value)) {
			fprintf(stderr, "pinch %s: option '%s' expects a duration such as 10s or 250ms, not '%s'\n",
				cmd, shown, arg);
			return -1;
		}
		return 0;
	case OPT_CALLBACK:
		return o->cb(o, arg, ctx) ? -1 : 0;
	default:
		return -1;
	}
}

static int needs_arg(const struct opt *o)
{
	if (o->type == OPT_FLAG)
		return 0;
	if (o->type == OPT_CALLBACK)
		return o->takes_arg;
	return 1;
}

static const struct opt *find_long(const struct opt *opts, const char *name, size_t len,
				   int *negate)
{
	const struct opt *o;

	*negate = 0;
	for (o = opts; o->type != OPT_END; o++)
		if (o->long_name && strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
	if (len > 3 && !strncmp(name, "no-", 3)) {
		for (o = opts; o->type != OPT_END; o++)
			if (o->type == OPT_FLAG && o->long_name && strlen(o->long_name) == len - 3 &&
			    !strncmp(o->long_name, name + 3, len - 3)) {
				*negate = 1;
				return o;
			}
	}
	return NULL;
}

static const struct opt *find_short(const struct opt *opts, int c)
{
	const struct opt *o;

	for (o = opts; o->type != OPT_END; o++)
		if (o->short_name == c && o->type != OPT_GROUP)
			return o;
	return NULL;
}

int opt_parse(int argc, char **argv, const struct opt *opts, const char *const *usage,
	      int flags, void *ctx)
{
	/* argv[0] is the command's name: copied, because the arguments that
	 * are not options are moved to the front of argv over it. */
	const char *cmd = argc > 0 && argv[0] ? argv[0] : "pinch";
	int nargs = 0;
	int i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				argv[nargs++] = argv[i];
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (flags & OPT_STOP_AT_NONOPT) {
				for (; i < argc; i++)
					argv[nargs++] = argv[i];
				break;
			}
			argv[nargs++] = a;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			opt_usage(stdout, usage, opts);
			return -2;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int negate;
			const struct opt *o = find_long(opts, name, len, &negate);
			const char *arg = NULL;

			if (!o) {
				fprintf(stderr, "pinch %s: unknown option '--%.*s'\n", cmd,
					(int)len, name);
				fprintf(stderr, "hint: see 'pinch %s -h'\n", cmd);
				return -1;
			}
			if (needs_arg(o)) {
				if (eq)
					arg = eq + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else {
					fprintf(stderr, "pinch %s: option '--%s' requires a value\n",
						cmd, o->long_name);
					return -1;
				}
			} else if (eq) {
				fprintf(stderr, "pinch %s: option '--%s' takes no value\n",
					cmd, o->long_name);
				return -1;
			}
			if (set_value(o, arg, a, cmd, ctx, negate))
				return -1;
			continue;
		}
		/* short options, possibly bundled: -abc, -F999, -F 999 */
		for (const char *p = a + 1; *p; p++) {
			const struct opt *o = find_short(opts, (unsigned char)*p);
			char shown[3] = { '-', *p, 0 };
			const char *arg;

			if (!o) {
				fprintf(stderr, "pinch %s: unknown option '-%c'\n", cmd, *p);
				fprintf(stderr, "hint: see 'pinch %s -h'\n", cmd);
				return -1;
			}
			if (!needs_arg(o)) {
				if (set_value(o, NULL, shown, cmd, ctx, 0))
					return -1;
				continue;
			}
			if (p[1])
				arg = p + 1;
			else if (i + 1 < argc)
				arg = argv[++i];
			else {
				fprintf(stderr, "pinch %s: option '-%c' requires a value\n",
					cmd, *p);
				return -1;
			}
			if (set_value(o, arg, shown, cmd, ctx, 0))
				return -1;
			break;
		}
	}
	argv[nargs] = NULL;
	return nargs;
}

void opt_usage(FILE *f, const char *const *usage, const struct opt *opts)
{
	const struct opt *o;

	for (; usage && *usage; usage++)
		fprintf(f, "%s\n", *usage);
	fputc('\n', f);
	for (o = opts; o->type != OPT_END; o++) {
		char left[96];
		int n = 0;

		if (o->type == OPT_GROUP) {
			fprintf(f, "\n%s\n", o->help);
			continue;
		}
		if (o->short_name)
			n += snprintf(left + n, sizeof(left) - n, "-%c", o->short_name);
		if (o->long_name)
			n += snprintf(left + n, sizeof(left) - n, "%s--%s", o->short_name ? ", " : "    ",
				      o->long_name);
		if (needs_arg(o) && o->argh && n < (int)sizeof(left))
			snprintf(left + n, sizeof(left) - n, " %s", o->argh);
		fprintf(f, "    %-28s %s\n", left, o->help ? o->help : "");
	}
}

int opt_parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	double v;
	double mult = 1e9;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (!*end || !strcmp(end, "s"))
		mult = 1e9;
	else if (!strcmp(end, "ms"))
		mult = 1e6;
	else if (!strcmp(end, "us"))
		mult = 1e3;
	else if (!strcmp(end, "ns"))
		mult = 1;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60e9;
	else if (!strcmp(end, "h"))
		mult = 3600e9;
	else
		return -EINVAL;
	if (v * mult > 1.8e19)
		return -EINVAL;
	*ns = (uint64_t)(v * mult + 0.5);
	return 0;
}

int opt_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	double v;
	double mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': mult = 1024.0; end++; break;
	case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*bytes = (uint64_t)(v * mult);
	return 0;
}
