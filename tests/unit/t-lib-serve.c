/*
 * t-lib-serve.c - libpinch's endpoint: address parsing and its return
 * codes (malformed, non-loopback, in use), and the three pages fetched
 * over a plain socket; pre-fork workers each serving their own port while
 * the parent keeps serving; stopping twice; pinch_serve_page (the pages
 * rendered without a server). tests/integration/t4001 scrapes it with curl and
 * promtool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "pinch/pinch.h"
#include "tap.h"

static int http_get(int port, const char *path, struct strbuf *body);

#define WORKERS 2

/* A pre-fork worker: stops the server it inherited (must leave the
 * parent's alone), serves worker_id on a port of its own, reports the
 * port on report_fd and serves until stop_fd reads EOF. Exit status 0 or
 * the number of the step that failed. */
static int worker(struct pinch_server *inherited, int id, int report_fd, int stop_fd)
{
	struct pinch_registry *r;
	struct pinch_gauge *g;
	struct pinch_server *own;
	struct pinch_serve_opts o = { 0 };
	char c;
	int port;

	pinch_serve_stop(inherited);
	if (pinch_registry_new(&r) || pinch_gauge_new(r, "worker_id", "Worker.", NULL, &g))
		return 2;
	pinch_gauge_set(g, id);
	o.registry = r;
	if (pinch_serve_ex("127.0.0.1:0", &o, &own))
		return 3;
	port = pinch_server_port(own);
	if (write(report_fd, &port, sizeof(port)) != sizeof(port))
		return 4;
	while (read(stop_fd, &c, 1) > 0)
		;
	pinch_serve_stop(own);
	pinch_registry_free(r);
	return 0;
}

static void prefork(struct pinch_server *s, int port)
{
	struct strbuf body = STRBUF_INIT;
	int report[2], stop[2], wport[WORKERS], i, st;
	pid_t pid[WORKERS];

	if (pipe(report) || pipe(stop)) {
		ok(0, "pipe");
		return;
	}
	fflush(stdout);	/* TAP output is not the workers' to repeat */
	for (i = 0; i < WORKERS; i++) {
		pid[i] = fork();
		if (!pid[i]) {
			close(report[0]);
			close(stop[1]);
			_exit(worker(s, i + 1, report[1], stop[0]));
		}
	}
	close(report[1]);
	close(stop[0]);
	for (i = 0; i < WORKERS; i++)
		is_int((int)read(report[0], &wport[i], sizeof(wport[i])), (int)sizeof(wport[i]),
		       "worker %d reports its port", i);
	for (i = 0; i < WORKERS; i++) {
		ok(wport[i] > 0 && wport[i] != port, "worker port %d differs from the parent's %d",
		   wport[i], port);
		is_int(http_get(wport[i], "/metrics", &body), 200, "worker's /metrics answers");
		ok(strstr(body.buf, "\nworker_id ") && !strstr(body.buf, "hits_total"),
		   "worker serves its own registry");
	}
	is_int(http_get(port, "/metrics", &body), 200, "parent answers while the workers serve");
	close(stop[1]);
	for (i = 0; i < WORKERS; i++) {
		if (pid[i] < 0) {
			ok(0, "fork worker %d", i);
			continue;
		}
		is_int(waitpid(pid[i], &st, 0), pid[i], "worker %d reaped", i);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker %d exited 0 (status 0x%x)", i, st);
	}
	close(report[0]);
	is_int(http_get(port, "/metrics", &body), 200, "parent still answers after the workers stopped");
	ok(strstr(body.buf, "hits_total 5\n") != NULL, "with its own metrics");
	strbuf_release(&body);
}

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
	/* ThreadSanitizer cannot follow threads started in the child of a
	 * threaded parent ("dup thread with used id"): tests/tsan/run.sh
	 * sets PINCH_TSAN; the plain and ASan builds run it. */
	if (getenv("PINCH_TSAN"))
		printf("ok %d - pre-fork workers # SKIP ThreadSanitizer: threads after a threaded fork\n",
		       ++tap_count);
	else
		prefork(s, port);
	pinch_serve_stop(s);
	ok(http_get(port, "/health", &body) < 0, "stopped: connection refused");
	pinch_serve_stop(s);
	ok(strstr(pinch_last_error(), "not a running server") != NULL, "stopping twice is refused");
	is_int(pinch_server_port(NULL), -EINVAL, "port of NULL");
	ok(strstr(pinch_last_error(), "NULL server") != NULL, "port of NULL says so");
	{	/* the pages without a server, for other HTTP servers */
		const char *type = NULL;
		char *page = NULL;
		size_t len = 0;

		is_int(pinch_serve_page(r, "/metrics", NULL, &page, &len, &type), 200, "page /metrics 200");
		ok(page && strstr(page, "# TYPE hits_total counter\nhits_total 5\n") &&
		   strstr(page, "\nprocess_threads "), "page /metrics: the registry and process metrics");
		is_int((int)len, page ? (int)strlen(page) : -1, "page length");
		is_str(type, "text/plain; version=0.0.4; charset=utf-8", "page /metrics type");
		pinch_free(page);
		is_int(pinch_serve_page(r, "/metrics", "application/openmetrics-text; version=1.0.0", &page,
					NULL, &type), 200, "page /metrics, OpenMetrics asked");
		ok(page && strstr(page, "# EOF\n"), "OpenMetrics ends with # EOF");
		ok(!strncmp(type, "application/openmetrics-text", 28), "OpenMetrics type");
		pinch_free(page);
		is_int(pinch_serve_page(NULL, "/health", NULL, &page, NULL, &type), 200, "page /health");
		ok(page && strstr(page, "\"status\":\"healthy\""), "page /health body");
		pinch_free(page);
		is_int(pinch_serve_page(NULL, "/metrics.json", NULL, &page, NULL, &type), 200, "page /metrics.json");
		ok(page && strstr(page, "\"memory_mb\":"), "page /metrics.json body");
		pinch_free(page);
		is_int(pinch_serve_page(NULL, "/nope", NULL, &page, NULL, &type), 404, "page /nope 404");
		pinch_free(page);
		is_int(pinch_serve_page(NULL, NULL, NULL, &page, NULL, &type), -EINVAL, "page NULL path");
		is_int(pinch_serve_page(NULL, "/health", NULL, NULL, NULL, &type), -EINVAL, "page NULL body");
	}
	pinch_registry_free(r);
	strbuf_release(&body);
	return done_testing();
}
