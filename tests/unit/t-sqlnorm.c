/* t-sqlnorm.c - SQL normalization (src/agent/db/sqlnorm.c). */
#include <string.h>

#include "agent/db/sqlnorm.h"
#include "tap.h"

static const char *norm(const char *in)
{
	static char out[256];

	sqlnorm(in, strlen(in), out, sizeof(out));
	return out;
}

int main(void)
{
	char small[12];

	is_str(norm("SELECT 1"), "SELECT ?", "integer");
	is_str(norm("  select\n\t*  from t   where id=42 and x = -3.5e+2 "),
	       "select * from t where id=? and x = -?", "whitespace folded, numbers");
	is_str(norm("SELECT 'it''s', E'a\\'b', X'ff', N'x' FROM t"), "SELECT ?, ?, ?, ? FROM t",
	       "string literals with escapes and prefixes");
	is_str(norm("SELECT $1::int + $22"), "SELECT ?::int + ?", "$n parameters, casts kept");
	is_str(norm("SELECT ?, ?3, :name, @v FROM t"), "SELECT ?, ?, ?, ? FROM t",
	       "sqlite placeholders");
	is_str(norm("SELECT a::text, x := 1"), "SELECT a::text, x := ?", "casts and := are not :name");
	is_str(norm("SELECT $$a 'b' $$, $tag$x$tag$"), "SELECT ?, ?", "dollar quoting");
	is_str(norm("SELECT \"col 1\", `c2`, t1.c3, x2 FROM t9"), "SELECT \"col 1\", `c2`, t1.c3, x2 FROM t9",
	       "identifiers with digits and quoted ones kept");
	is_str(norm("SELECT 0x1F, .5 -- comment\n FROM /* c /* nested */ */ t"),
	       "SELECT ?, ? FROM t", "hex, leading-dot decimals, comments");
	is_str(norm("SELECT * FROM t WHERE id IN (1, 2, 3)"), "SELECT * FROM t WHERE id IN (?, ?, ?)",
	       "IN lists keep their length");
	is_str(norm("SELECT 'unterminated"), "SELECT ?", "unterminated string");
	is_str(norm(""), "", "empty");
	is_uint(sqlnorm("SELECT abcdefghijklmnop", 24, small, sizeof(small)), 11, "cut to the buffer");
	is_str(small, "SELECT a...", "cut text ends in ...");
	is_uint(sqlnorm("SELECT 1\0 garbage", 17, small, sizeof(small)), 8, "stops at a NUL");
	ok(sqlnorm_hash("a", 1) != sqlnorm_hash("b", 1), "hash differs");
	return done_testing();
}
