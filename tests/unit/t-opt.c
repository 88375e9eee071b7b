#include <stdint.h>

#include "core/opt.h"
#include "tap.h"

static int seen;
static int count_cb(const struct opt *o, const char *arg, void *ctx)
{
	(void)o;
	(void)ctx;
	seen += arg ? 10 : 1;
	return 0;
}

int main(void)
{
	int flag = 0;
	long freq = 0;
	const char *out = NULL;
	uint64_t dur = 0;
	double ratio = 0;
	struct opt opts[] = {
		{ OPT_FLAG, 'v', "verbose", &flag, NULL, "talk", NULL, 0 },
		{ OPT_INT, 'F', "freq", &freq, "HZ", "frequency", NULL, 0 },
		{ OPT_STRING, 'o', "output", &out, "FILE", "output", NULL, 0 },
		{ OPT_DURATION, 'd', "duration", &dur, "TIME", "duration", NULL, 0 },
		{ OPT_DOUBLE, 0, "ratio", &ratio, "X", "ratio", NULL, 0 },
		{ OPT_CALLBACK, 'H', "header", NULL, "H", "header", count_cb, 1 },
		OPT_END_(),
	};
	static const char *const usage[] = { "usage: pinch t", NULL };
	char *a1[] = { "t", "-vF999", "--output=x.rec", "-d", "250ms", "--ratio", "0.5",
		       "-H", "a", "--header", "b", "--", "prog", "-x", NULL };
	char *a2[] = { "t", "--bogus", NULL };
	char *a3[] = { "t", "-F", "abc", NULL };
	char *a4[] = { "t", "-o", NULL };
	char *a5[] = { "t", "-F", "5", "prog", "-v", NULL };
	char *a6[] = { "t", "--no-verbose", NULL };
	char *a7[] = { "t", "-F", "010", NULL };
	char *a8[] = { "t", "-F", "0x10", NULL };
	int n;
	uint64_t v;

	n = opt_parse(14, a1, opts, usage, 0, NULL);
	is_int(n, 2, "two arguments after --");
	is_str(a1[0], "prog", "first argument");
	is_str(a1[1], "-x", "option-looking argument after -- is kept");
	ok(flag == 1, "bundled flag");
	is_int(freq, 999, "bundled short value");
	is_str(out, "x.rec", "--opt=value");
	is_uint(dur, 250000000ull, "duration in ms");
	near(ratio, 0.5, 1e-9, "double option");
	is_int(seen, 20, "callback called for each occurrence");
	is_int(opt_parse(2, a2, opts, usage, 0, NULL), -1, "unknown long option is a usage error");
	is_int(opt_parse(3, a3, opts, usage, 0, NULL), -1, "non-integer value is a usage error");
	is_int(opt_parse(2, a4, opts, usage, 0, NULL), -1, "missing value is a usage error");
	opt_parse(3, a7, opts, usage, 0, NULL);
	is_int(freq, 10, "integers are decimal: 010 is ten");
	is_int(opt_parse(3, a8, opts, usage, 0, NULL), -1, "0x10 is not a decimal integer");
	flag = 0;
	n = opt_parse(5, a5, opts, usage, OPT_STOP_AT_NONOPT, NULL);
	is_int(n, 2, "stop at first non-option");
	ok(flag == 0, "options of the program are not ours");
	flag = 1;
	opt_parse(2, a6, opts, usage, 0, NULL);
	ok(flag == 0, "--no-flag clears");

	ok(opt_parse_duration("1.5s", &v) == 0 && v == 1500000000ull, "1.5s");
	ok(opt_parse_duration("2m", &v) == 0 && v == 120000000000ull, "2m");
	ok(opt_parse_duration("10", &v) == 0 && v == 10000000000ull, "bare seconds");
	ok(opt_parse_duration("-1s", &v) < 0, "negative duration refused");
	ok(opt_parse_duration("5 parsecs", &v) < 0, "bad unit refused");
	ok(opt_parse_size("8M", &v) == 0 && v == 8u << 20, "8M");
	ok(opt_parse_size("64KiB", &v) == 0 && v == 64u << 10, "64KiB");
	ok(opt_parse_size("x", &v) < 0, "bad size refused");
	return done_testing();
}
