#include "core/strbuf.h"
#include "tap.h"

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct strbuf capped = STRBUF_INIT;
	char *d;
	size_t len;

	ok(sb.buf && sb.buf[0] == '\0', "fresh strbuf is an empty string");
	strbuf_addstr(&sb, "hello");
	strbuf_addch(&sb, ' ');
	strbuf_addf(&sb, "%d-%s", 42, "x");
	is_str(sb.buf, "hello 42-x", "add/addch/addf append");
	is_int(sb.len, 10, "length tracks content");
	strbuf_add(&sb, "\0z", 2);
	is_int(sb.len, 12, "binary-safe add");
	strbuf_setlen(&sb, 5);
	is_str(sb.buf, "hello", "setlen truncates");
	d = strbuf_detach(&sb, &len);
	is_str(d, "hello", "detach hands the buffer over");
	is_int(len, 5, "detach reports length");
	ok(sb.len == 0 && sb.buf[0] == '\0', "detached strbuf is empty again");
	free(d);

	capped.cap = 8;
	ok(strbuf_addstr(&capped, "12345678") == 0, "cap allows up to cap bytes");
	ok(strbuf_addch(&capped, '9') < 0, "cap refuses growth past it");
	is_str(capped.buf, "12345678", "refused add leaves content alone");
	strbuf_release(&capped);

	strbuf_add_utf8_sanitized(&sb, "a\xff" "b\x01\xc3\xa9", 6);
	is_str(sb.buf, "a\xef\xbf\xbd" "b?\xc3\xa9", "invalid UTF-8 and controls are replaced");
	strbuf_reset(&sb);
	strbuf_add_bytes(&sb, 1536);
	is_str(sb.buf, "1.5 KiB", "bytes in human units");
	strbuf_reset(&sb);
	strbuf_add_bytes(&sb, 512);
	is_str(sb.buf, "512 B", "small byte counts stay exact");
	strbuf_reset(&sb);
	strbuf_add_duration(&sb, 1.25e9);
	is_str(sb.buf, "1.250 s", "durations in seconds");
	strbuf_reset(&sb);
	strbuf_add_duration(&sb, 812e3);
	is_str(sb.buf, "812.0 us", "durations in microseconds");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "x \n\t");
	strbuf_rtrim(&sb);
	is_str(sb.buf, "x", "rtrim");
	ok(strbuf_read_file(&sb, "/nonexistent/file", 0) < 0, "reading a missing file fails");
	strbuf_reset(&sb);
	strbuf_add_shell_word(&sb, "prog");
	strbuf_addch(&sb, ' ');
	strbuf_add_shell_word(&sb, "-o=out.txt");
	strbuf_addch(&sb, ' ');
	strbuf_add_shell_word(&sb, "it's a $HOME");
	strbuf_addch(&sb, ' ');
	strbuf_add_shell_word(&sb, "");
	is_str(sb.buf, "prog -o=out.txt 'it'\\''s a $HOME' ''", "shell words quoted only when needed");
	strbuf_release(&sb);
	return done_testing();
}
