/*
 * t-view-top.c - the top table on a synthetic profile with known shares:
 * self/total exact, recursion counted once, sorting, limit, threads,
 * truncation, JSON values.
 */
#include <errno.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "view/view.h"
#include "view/view_int.h"
#include "tap.h"
#include "view-fixture.h"

static int has(const struct strbuf *sb, const char *s)
{
	return strstr(sb->buf, s) != NULL;
}

/* The line of out that starts with prefix after leading spaces... or contains word. */
static const char *line_with(const struct strbuf *sb, const char *word, char *buf, size_t len)
{
	const char *s = strstr(sb->buf, word), *b, *e;

	if (!s)
		return "";
	for (b = s; b > sb->buf && b[-1] != '\n'; b--)
		;
	e = strchr(s, '\n');
	if (!e)
		e = s + strlen(s);
	snprintf(buf, len, "%.*s", (int)(e - b), b);
	return buf;
}

static void short_is(const char *name, size_t width, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	view_short_name(&sb, name, width);
	is_str(sb.buf, want, "short name of %.40s... at %zu", name, width);
	strbuf_release(&sb);
}

/* C++ names: template arguments go first, the function's own name stays. */
static void test_short_names(void)
{
	short_is("main", 60, "main");
	short_is("std::__unguarded_partition<__gnu_cxx::__normal_iterator<double*, std::vector<double, std::allocator<double> > >, __gnu_cxx::__ops::_Iter_less_iter>",
		 60, "std::__unguarded_partition<\xe2\x80\xa6>");
	short_is("std::vector<int, std::allocator<int> >::operator[](unsigned long) const", 40,
		 "std::vector<\xe2\x80\xa6>::operator[](\xe2\x80\xa6) const");
	short_is("bool std::operator< <char, std::char_traits<char>, std::allocator<char> >(std::basic_string<char> const&, char const*)",
		 40, "std::operator< <\xe2\x80\xa6>(\xe2\x80\xa6)");
	short_is("some::long_namespace::Fraction<long long>::operator unsigned long() const", 40,
		 "\xe2\x80\xa6::operator unsigned long() const");
	short_is("__gnu_cxx::__normal_iterator<double*, std::vector<double, std::allocator<double> > > std::__unguarded_partition<__gnu_cxx::__normal_iterator<double*, std::vector<double> >, __gnu_cxx::__ops::_Iter_less_iter>(__gnu_cxx::__normal_iterator<double*, std::vector<double> >, __gnu_cxx::__normal_iterator<double*, std::vector<double> >)",
		 60, "std::__unguarded_partition<\xe2\x80\xa6>(\xe2\x80\xa6)");
	short_is("ns::Very<long, template, args>::operator<<(std::ostream&, ns::Very<long, template, args> const&)",
		 40, "ns::Very<\xe2\x80\xa6>::operator<<(\xe2\x80\xa6)");
	short_is("ns::Widget<int>::operator->() const and a long tail to make it not fit at all",
		 30, "\xe2\x80\xa6::operator->() const and a long tail to make it not fit at all");
	short_is("std::_Function_handler<void (int), main::{lambda(int)#1}>::_M_invoke(std::_Any_data const&, int&&)",
		 50, "std::_Function_handler<\xe2\x80\xa6>::_M_invoke(\xe2\x80\xa6)");
	short_is("a::b::c::d::e::f::a_function_whose_name_alone_is_long<int>", 40,
		 "\xe2\x80\xa6::a_function_whose_name_alone_is_long<\xe2\x80\xa6>");
	short_is("unbalanced<<<<", 5, "unbalanced<\xe2\x80\xa6");
	short_is("x", 0, "x");
}

static void test_counts(void)
{
	struct strbuf sb = STRBUF_INIT;

	view_add_count(&sb, 1, "samples");
	is_str(sb.buf, "1 sample", "one sample");
	strbuf_reset(&sb);
	view_add_count(&sb, 2, "samples");
	is_str(sb.buf, "2 samples", "two samples");
	strbuf_reset(&sb);
	view_add_count(&sb, 0, "samples");
	is_str(sb.buf, "0 samples", "no samples");
	strbuf_release(&sb);
}

int main(void)
{
	struct profile *p = fx_profile();
	struct view_opts o;
	struct strbuf out = STRBUF_INIT;
	char err[256] = "", line[512];

	test_short_names();
	test_counts();
	int rc;

	view_opts_init(&o);
	o.value = 1;
	o.count_value = 0;
	rc = view_top(p, &o, &out, err, sizeof(err));
	is_int(rc, 0, "view_top ok");
	diag_out(&out);
	ok(!strncmp(out.buf, "hottest: a \xe2\x80\x94 50.0 % self (src/a.c:12)\n",
		    strlen("hottest: a \xe2\x80\x94 50.0 % self (src/a.c:12)\n")),
	   "first line names the bottleneck and its hottest line");
	ok(has(&out, "cpu: 120.0 ms total, 120 samples"), "summary line");
	is_str(line_with(&out, "  a  ", line, sizeof(line)),
	       "  50.0     50.0  60.0 ms   60.0 ms       60  a         src/a.c:12", "row a exact");
	is_str(line_with(&out, "  work  ", line, sizeof(line)),
	       "   0.0     75.0     0 ns   90.0 ms       90  work      src/w.c:5", "row work: total only");
	is_str(line_with(&out, "  rec  ", line, sizeof(line)),
	       "  16.7     16.7  20.0 ms   20.0 ms       20  rec       src/r.c:4",
	       "recursion counted once in total");
	is_str(line_with(&out, "  main  ", line, sizeof(line)),
	       "   0.0    100.0     0 ns  120.0 ms      120  main      src/m.c:3", "root 100 %%");
	ok(strstr(out.buf, "  a  ") < strstr(out.buf, "  b  ") &&
	   strstr(out.buf, "  b  ") < strstr(out.buf, "  rec  ") &&
	   strstr(out.buf, "  rec  ") < strstr(out.buf, "  c  "), "sorted by self");

	strbuf_reset(&out);
	o.sort = VIEW_SORT_TOTAL;
	o.limit = 2;
	is_int(view_top(p, &o, &out, err, sizeof(err)), 0, "sort total, limit 2");
	ok(has(&out, "  main  ") && has(&out, "  work  ") && !has(&out, "  a  "), "two rows by total");
	ok(strstr(out.buf, "  main  ") < strstr(out.buf, "  work  "), "main first by total");

	strbuf_reset(&out);
	o.sort = VIEW_SORT_SELF;
	o.limit = 0;
	o.by_thread = 1;
	is_int(view_top(p, &o, &out, err, sizeof(err)), 0, "per thread");
	diag_out(&out);
	ok(has(&out, "thread main (pid 100, tid 100): 75.0 % (90.0 ms, 90 samples)"), "main thread header");
	ok(has(&out, "thread worker (pid 100, tid 101): 25.0 % (30.0 ms, 30 samples)"), "worker header");
	ok(strstr(out.buf, "thread main") < strstr(out.buf, "thread worker"), "bigger thread first");
	is_str(line_with(&out, "  rec  ", line, sizeof(line)),
	       "  66.7     66.7  20.0 ms  20.0 ms       20  rec       src/r.c:4",
	       "per-thread shares relative to the thread");

	/* ANSI colours: the hottest name, hot rows */
	strbuf_reset(&out);
	o.by_thread = 0;
	o.color = 1;
	is_int(view_top(p, &o, &out, err, sizeof(err)), 0, "colour");
	ok(has(&out, "hottest: \033[1;31ma\033[0m"), "hottest name in bold red");
	ok(has(&out, "\033[31m  50.0     50.0") && has(&out, "src/a.c:12\033[0m\n"), "hot row red");
	ok(has(&out, "\n   0.0    100.0"), "cold rows plain");
	o.color = 0;

	/* JSON */
	strbuf_reset(&out);
	o.by_thread = 0;
	o.json = 1;
	is_int(view_top(p, &o, &out, err, sizeof(err)), 0, "json");
	ok(has(&out, "\"view\": \"top\"") || has(&out, "\"view\":\"top\""), "json view key");
	ok(has(&out, "\"total\": 120000000") || has(&out, "\"total\":120000000"), "json exact total");

	/* no count column, bytes unit, long names truncated */
	{
		struct profile *q = profile_new();
		uint32_t l[2], t;
		int64_t v[1] = { 3 * 1024 * 1024 };
		char longname[200];

		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = 0;
		profile_add_type(q, "alloc_space", "bytes");
		t = profile_intern_thread(q, 1, 1, "m");
		l[0] = fx_loc(q, longname, "", 0, "libfoo.so", 0);
		l[1] = fx_loc(q, "bad\xff\x01name", "", 0, "", 3);
		profile_add_sample(q, profile_intern_stack(q, l, 2), t, v);
		view_opts_init(&o);
		strbuf_reset(&out);
		is_int(view_top(q, &o, &out, err, sizeof(err)), 0, "bytes profile");
		diag_out(&out);
		ok(has(&out, "3.0 MiB"), "bytes shown in MiB");
		ok(!has(&out, "Samples"), "no samples column without a count type");
		ok(has(&out, "xxx\xe2\x80\xa6  libfoo.so"), "long name truncated with an ellipsis");
		ok(has(&out, "bad\xef\xbf\xbd?name"), "invalid UTF-8 and control chars replaced");
		strbuf_reset(&out);
		o.json = 1;
		is_int(view_top(q, &o, &out, err, sizeof(err)), 0, "bytes json");
		ok(has(&out, longname), "json keeps the full name");
		o.value = 3;
		is_int(view_top(q, &o, &out, err, sizeof(err)), -EINVAL, "type out of range");
		profile_free(q);
	}
	/* empty profile */
	{
		struct profile *q = profile_new();

		profile_add_type(q, "cpu", "nanoseconds");
		view_opts_init(&o);
		strbuf_reset(&out);
		is_int(view_top(q, &o, &out, err, sizeof(err)), 0, "empty profile");
		ok(has(&out, "hottest: none"), "empty profile says so");
		profile_free(q);
	}
	strbuf_release(&out);
	profile_free(p);
	return done_testing();
}
