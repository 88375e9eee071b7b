/*
 * t-lib-serve.c - libpinch's endpoint: address parsing and its return
 * codes (malformed, non-loopback, in use), and the three pages fetched
 * over a plain socket. tests/integration/t4001 scrapes it with curl and
 * promtool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "pinch/pinch.h"
#include "tap.h"

static int http_get(int port, const char *path, struct strbuf *body)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[256], buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	ssize_t n;
	char *p;

	strbuf_reset(body);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	if (write(fd, req, strlen(req)) < 0)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(body, buf, (size_t)n);
	if (sscanf(body->buf, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	p = strstr(body->buf, "\r\n\r\n");
	if (p) {
		size_t off = (size_t)(p + 4 - body->buf);

		memmove(body->buf, p + 4, body->len - off);
		strbuf_setlen(body, body->len - off);
	}
out:
	if (fd >= 0)
		close(fd);
	return status;
}

int main(void)
{
	struct pinch_server *s, *s2;
	struct pinch_serve_opts remote = { .allow_remote = 1 };
	struct pinch_registry *r;
	struct pinch_counter *c;
	struct strbuf body = STRBUF_INIT;
	char addr[64];
	json_t *j;
	json_error_t jerr;
	int port;

	is_int(pinch_serve("127.0.0.1", &s), -EINVAL, "no port");
	is_int(pinch_serve("127.0.0.1:99999", &s), -EINVAL, "port out of range");
	is_int(pinch_serve("127.0.0.1:80x", &s), -EINVAL, "junk after port");
	is_int(pinch_serve("example.com:9464", &s), -EINVAL, "host names other than localhost");
	is_int(pinch_serve("[::1:9464", &s), -EINVAL, "unclosed bracket");
	is_int(pinch_serve("0.0.0.0:0", &s), -EPERM, "any-address refused by default");
	ok(strstr(pinch_last_error(), "allow_remote") != NULL, "message names the option");
	is_int(pinch_serve("10.1.2.3:0", &s), -EPERM, "private address refused by default");
	is_int(pinch_serve_ex("0.0.0.0:0", &remote, &s), 0, "any-address allowed when asked for");
	pinch_serve_stop(s);
	{
		int rc6 = pinch_serve("[::1]:0", &s);

		if (rc6 == -EAFNOSUPPORT || rc6 == -EADDRNOTAVAIL) {
			printf("ok %d - IPv6 loopback # SKIP no IPv6 here\n", ++tap_count);
		} else {
			is_int(rc6, 0, "IPv6 loopback [::1]:0");
			ok(pinch_server_port(s) > 0, "IPv6 port");
			pinch_serve_stop(s);
		}
	}
	is_int(pinch_serve("[::]:0", &s), -EPERM, "IPv6 any-address refused by default");

	ok(pinch_registry_new(&r) == 0, "registry");
	ok(pinch_counter_new(r, "hits_total", "Hits.", NULL, &c) == 0, "counter");
	pinch_counter_add(c, 5);
	{
		struct pinch_serve_opts o = { .registry = r };

		ok(pinch_serve_ex("127.0.0.1:0", &o, &s) == 0, "serve on a free port");
	}
	port = pinch_server_port(s);
	ok(port > 0, "port %d", port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	is_int(pinch_serve(addr, &s2), -EADDRINUSE, "same port again is -EADDRINUSE");

	is_int(http_get(port, "/health", &body), 200, "/health 200");
	j = json_loads(body.buf, 0, &jerr);
	is_str(json_string_value(json_object_get(j, "status")), "healthy", "status healthy");
	ok(json_is_number(json_object_get(j, "uptime_seconds")), "uptime_seconds");
	json_decref(j);

	is_int(http_get(port, "/metrics", &body), 200, "/metrics 200");
	ok(strstr(body.buf, "# TYPE hits_total counter\nhits_total 5\n") != NULL, "user counter exposed");
	ok(strstr(body.buf, "\nprocess_cpu_seconds_total ") && strstr(body.buf, "\nprocess_resident_memory_bytes ") &&
	   strstr(body.buf, "\nprocess_open_fds ") && strstr(body.buf, "\nprocess_threads ") &&
	   strstr(body.buf, "\nprocess_start_time_seconds ") &&
	   strstr(body.buf, "\nprocess_virtual_memory_bytes ") && strstr(body.buf, "\nprocess_max_fds "),
	   "process metrics");

	is_int(http_get(port, "/metrics.json", &body), 200, "/metrics.json 200");
	j = json_loads(body.buf, 0, &jerr);
	ok(j != NULL, "metrics.json parses");
	ok(json_integer_value(json_object_get(j, "threads")) >= 2, "threads >= 2 (server thread)");
	ok(json_integer_value(json_object_get(j, "connections")) >= 1, "connections count the listening socket");
	ok(json_number_value(json_object_get(j, "memory_mb")) > 0, "memory_mb");
	ok(json_object_get(j, "cpu_percent") && json_object_get(j, "open_files") &&
	   json_object_get(j, "uptime_seconds"), "cpu_percent, open_files, uptime_seconds");
	json_decref(j);

	is_int(http_get(port, "/nope", &body), 404, "unknown path 404");
	pinch_serve_stop(s);
	ok(http_get(port, "/health", &body) < 0, "stopped: connection refused");
	pinch_registry_free(r);
	strbuf_release(&body);
	return done_testing();
}
