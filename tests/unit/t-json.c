#include "core/json.h"
#include "core/strbuf.h"
#include "tap.h"

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	json_init(&w, &sb, 0);
	json_obj_begin(&w);
	json_kstr(&w, "name", "a\"b\\c\td");
	json_kint(&w, "n", -3);
	json_kdouble(&w, "x", 0.25);
	json_key(&w, "list");
	json_arr_begin(&w);
	json_uint(&w, 1);
	json_bool(&w, 1);
	json_null(&w);
	json_arr_end(&w);
	json_key(&w, "empty");
	json_obj_begin(&w);
	json_obj_end(&w);
	json_obj_end(&w);
	is_str(sb.buf, "{\"name\":\"a\\\"b\\\\c\\td\",\"n\":-3,\"x\":0.25,\"list\":[1,true,null],\"empty\":{}}",
	       "compact JSON is exact");
	strbuf_reset(&sb);
	json_quote(&sb, "\xff\x01", 2);
	is_str(sb.buf, "\"\xef\xbf\xbd\\u0001\"", "invalid bytes never reach the output; controls are escaped");
	strbuf_reset(&sb);
	json_quote(&sb, "a\nb\rc\x7f\x1f\xc3\xa9\"", 10);
	is_str(sb.buf, "\"a\\nb\\rc\\u007f\\u001f\xc3\xa9\\\"\"", "RFC 8259: newline, CR, DEL, US escaped; UTF-8 kept");
	strbuf_release(&sb);
	return done_testing();
}
