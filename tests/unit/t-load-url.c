/*
 * t-load-url.c - unit tests of the load target URL parser (src/load/url.c).
 */
#include "tap.h"

#include "load/url.h"

static int parse(const char *s, struct load_url *u)
{
	char err[256];

	return load_url_parse(s, u, err, sizeof(err));
}

int main(void)
{
	struct load_url u;
	char err[256];

	ok(!parse("http://127.0.0.1:8080/items?x=1#frag", &u), "full URL parses");
	is_str(u.host, "127.0.0.1", "host");
	is_int(u.port, 8080, "port");
	is_str(u.path, "/items?x=1", "path keeps the query, drops the fragment");
	is_str(u.hostport, "127.0.0.1:8080", "Host header with the port");
	is_int(u.https, 0, "http");

	ok(!parse("https://example.org", &u), "https without path");
	is_int(u.port, 443, "https default port");
	is_str(u.path, "/", "empty path is /");
	is_str(u.hostport, "example.org", "Host without a default port");
	is_int(u.https, 1, "https");

	ok(!parse("http://h?q=1", &u), "query without path");
	is_str(u.path, "/?q=1", "query gets a leading /");

	ok(!parse("http://[::1]:81/x", &u), "IPv6 literal");
	is_str(u.host, "::1", "IPv6 host without brackets");
	is_str(u.hostport, "[::1]:81", "IPv6 Host header with brackets");

	ok(parse("ftp://h/", &u) < 0, "ftp refused");
	ok(parse("127.0.0.1:80", &u) < 0, "scheme required");
	ok(parse("http://", &u) < 0, "no host");
	ok(parse("http://:80/", &u) < 0, "empty host");
	ok(parse("http://h:/", &u) < 0, "empty port");
	ok(parse("http://h:0/", &u) < 0, "port 0");
	ok(parse("http://h:65536/", &u) < 0, "port too big");
	ok(parse("http://h:12a/", &u) < 0, "port with letters");
	ok(parse("http://u:p@h/", &u) < 0, "user info refused");
	ok(parse("http://[::1/", &u) < 0, "unclosed bracket");
	ok(parse("http://h/a b", &u) < 0, "space in path");
	ok(parse("http://h\\x/", &u) < 0, "backslash in host");

	ok(!parse("http://127.0.0.1:9/", &u), "loopback");
	ok(!load_url_resolve(&u, err, sizeof(err)), "numeric address resolves");
	ok(u.addrlen > 0, "address length set");
	ok(!parse("http://no-such-host.invalid/", &u), "parses");
	ok(load_url_resolve(&u, err, sizeof(err)) < 0, "unresolvable host fails");
	ok(strstr(err, "no-such-host.invalid") != NULL, "message names the host");
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
