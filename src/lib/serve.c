/*
 * serve.c - libpinch's HTTP endpoint (src/lib): /health, /metrics
 * (Prometheus text format) and /metrics.json, served by http.c's
 * libmicrohttpd daemon on its own thread — linked in, or loaded on the
 * first pinch_serve() from libpinch-serve.so. The listening socket is made
 * here, so bind errors come back as -EADDRINUSE and friends, and loopback
 * is the default.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <dlfcn.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/banned.h"

struct pinch_server {
	void *daemon;			/* http->start's */
	struct pinch_registry *reg;
	int port;
	int fd, epoll_fd;		/* listening socket, the daemon's epoll or -1 */
	int inherited;			/* copied by fork(): its thread is the parent's */
	pthread_mutex_t lock;		/* the cpu_percent baseline */
	double last_cpu, last_wall;
	struct pinch_server *next;
};

/* The live servers: pinch_serve_stop() knows a stale pointer, and the
 * fork handler finds the sockets to close in the child. */
static pthread_mutex_t servers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pinch_server *servers;

/* pinch_serve_page's /metrics.json cpu_percent baseline between calls;
 * its lock is a leaf (nothing else is taken while it is held). */
static struct pinch_server page_state = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .epoll_fd = -1 };

void lib_serve_atfork(enum lib_fork_phase phase)
{
	struct pinch_server *s;

	if (phase == LIB_FORK_PREPARE) {
		pthread_mutex_lock(&servers_lock);
		pthread_mutex_lock(&page_state.lock);
		return;
	}
	/* The child has none of the servers' threads. Its copies of their
	 * sockets would keep the parent's port bound and connections
	 * queued after the parent stopped serving: close them. The
	 * daemon's memory is the child's copy; leave it alone. */
	if (phase == LIB_FORK_CHILD)
		for (s = servers; s; s = s->next) {
			if (s->inherited)
				continue;
			s->inherited = 1;
			close(s->fd);
			if (s->epoll_fd >= 0)
				close(s->epoll_fd);
		}
	pthread_mutex_unlock(&page_state.lock);
	pthread_mutex_unlock(&servers_lock);
}

/* Parses "HOST:PORT" / "[V6]:PORT" into ss; 0, -EINVAL, or -EPERM. */
int lib_parse_addr(const char *addr, int allow_remote, struct sockaddr_storage *ss,
		   socklen_t *sslen)
{
	char host[128];
	const char *colon, *hs, *he;
	char *end;
	long port;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	int loopback;

	if (!addr)
		return lib_err(-EINVAL, "NULL address");
	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '[') {
		he = strchr(addr, ']');
		if (!he || he[1] != ':')
			return lib_err(-EINVAL, "malformed address '%s': want [V6]:PORT", addr);
		hs = addr + 1;
		colon = he + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || strchr(addr, ':') != colon)
			return lib_err(-EINVAL, "malformed address '%s': want HOST:PORT", addr);
		hs = addr;
		he = colon;
	}
	if ((size_t)(he - hs) >= sizeof(host))
		return lib_err(-EINVAL, "malformed address '%s': host too long", addr);
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 0 || port > 65535)
		return lib_err(-EINVAL, "malformed address '%s': port must be 0..65535", addr);
	if (!*host || !strcmp(host, "localhost"))
		memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*s4);
		loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*s6);
		loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	} else {
		return lib_err(-EINVAL, "malformed address '%s': host must be an IP address or localhost", addr);
	}
	if (!loopback && !allow_remote)
		return lib_err(-EPERM, "refusing to serve on non-loopback address '%s' without allow_remote", addr);
	return 0;
}

static int listen_on(const struct sockaddr_storage *ss, socklen_t len, const char *addr, int *port)
{
	int fd, one = 1, rc;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		return lib_err(rc, "socket: %s", strerror(-rc));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 128) < 0) {
		rc = -errno;
		close(fd);
		return lib_err(rc, "cannot listen on '%s': %s", addr, strerror(-rc));
	}
	{
		struct sockaddr_storage got;
		socklen_t gl = sizeof(got);

		getsockname(fd, (struct sockaddr *)&got, &gl);
		*port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
							 : ((struct sockaddr_in *)&got)->sin_port);
	}
	return fd;
}

static void add_process_metrics(struct strbuf *sb, const struct lib_procstat *ps, int om)
{
	const struct lib_process_metric *m = lib_process_metrics;
	double v[LIB_PROCESS_METRICS];
	size_t i;

	lib_process_values(ps, v);
	for (i = 0; i < LIB_PROCESS_METRICS; i++) {
		lib_metadata(sb, m[i].name, m[i].type, m[i].help, om);
		lib_sample_name(sb, m[i].name, !strcmp(m[i].type, "counter"), om);
		strbuf_addch(sb, ' ');
		lib_add_float(sb, v[i]);
		strbuf_addch(sb, '\n');
	}
}

static int page_metrics(struct pinch_server *s, struct strbuf *sb, int om)
{
	struct lib_procstat ps;
	int rc;

	rc = lib_format(s->reg, om ? PINCH_FORMAT_OPENMETRICS : PINCH_FORMAT_PROMETHEUS, sb);
	if (rc < 0)
		return rc;
	if (lib_procstat_read(&ps) == 0)
		add_process_metrics(sb, &ps, om);
	if (om)
		strbuf_addstr(sb, "# EOF\n");
	return 0;
}

static int page_health(struct strbuf *sb)
{
	struct lib_procstat ps;
	struct json_writer w;

	if (lib_procstat_read(&ps) < 0)
		ps.uptime = 0;
	json_init(&w, sb, 0);
	json_obj_begin(&w);
	json_kstr(&w, "status", "healthy");
	json_kdouble(&w, "uptime_seconds", (double)(int64_t)(ps.uptime * 1000) / 1000);
	json_obj_end(&w);
	strbuf_addch(sb, '\n');
	return 0;
}

static int page_metrics_json(struct pinch_server *s, struct strbuf *sb)
{
	struct lib_procstat ps;
	struct json_writer w;
	double wall = (double)clock_real_ns() / 1e9, cpu_pct;

	if (lib_procstat_read(&ps) < 0)
		return -EIO;
	/* Like psutil's cpu_percent(): since the previous call, or since
	 * the process started for the first one. */
	pthread_mutex_lock(&s->lock);
	if (!s->last_wall) {
		s->last_wall = ps.start_time;
		s->last_cpu = 0;
	}
	cpu_pct = wall > s->last_wall ? (ps.cpu_seconds - s->last_cpu) / (wall - s->last_wall) * 100 : 0;
	s->last_wall = wall;
	s->last_cpu = ps.cpu_seconds;
	pthread_mutex_unlock(&s->lock);
	if (cpu_pct < 0)
		cpu_pct = 0;
	json_init(&w, sb, 0);
	json_obj_begin(&w);
	json_kdouble(&w, "uptime_seconds", (double)(int64_t)(ps.uptime * 1000) / 1000);
	json_kdouble(&w, "cpu_percent", (double)(int64_t)(cpu_pct * 100) / 100);
	json_kdouble(&w, "memory_mb", (double)(int64_t)((double)ps.rss_bytes / 1048576.0 * 100) / 100);
	json_kuint(&w, "threads", ps.threads);
	json_kuint(&w, "open_files", ps.open_files);
	json_kuint(&w, "connections", ps.sockets);
	json_obj_end(&w);
	strbuf_addch(sb, '\n');
	return 0;
}

/* lib_page_fn: the three pages, 404 and 405. */
static char *page(void *ctx, const char *url, const char *method, const char *accept,
		  size_t *len, unsigned int *code, const char **type)
{
	struct pinch_server *s = ctx;
	struct strbuf sb = STRBUF_INIT;

	*code = 200;
	*type = "application/json";
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		*code = 405;
		*type = "text/plain";
		strbuf_addstr(&sb, "method not allowed\n");
	} else if (!strcmp(url, "/health")) {
		page_health(&sb);
	} else if (!strcmp(url, "/metrics")) {
		/* OpenMetrics when the scraper lists it (Prometheus does,
		 * first); the 0.0.4 text format otherwise */
		int om = accept && strstr(accept, "application/openmetrics-text");

		*type = om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
			   : "text/plain; version=0.0.4; charset=utf-8";
		if (page_metrics(s, &sb, om) < 0) {
			strbuf_reset(&sb);
			*code = 500;
			*type = "text/plain";
			strbuf_addstr(&sb, "cannot render metrics\n");
		}
	} else if (!strcmp(url, "/metrics.json")) {
		if (page_metrics_json(s, &sb) < 0) {
			strbuf_reset(&sb);
			*code = 500;
			*type = "text/plain";
			strbuf_addstr(&sb, "cannot read process statistics\n");
		}
	} else {
		*code = 404;
		*type = "text/plain";
		strbuf_addstr(&sb, "not found: try /health, /metrics, /metrics.json\n");
	}
	return strbuf_detach(&sb, len);
}

PINCH_API int pinch_serve_page(struct pinch_registry *reg, const char *path, const char *accept,
			       char **body, size_t *len, const char **type)
{
	unsigned int code = 0;
	size_t n = 0;
	char *b;

	if (!path || !body || !type)
		return lib_err(-EINVAL, "pinch_serve_page: NULL path, body or type");
	if (!reg)
		reg = pinch_registry_default();
	if (!reg)
		return lib_err(-ENOMEM, "out of memory");
	/* /metrics reads only reg, /metrics.json only the baseline */
	if (!strcmp(path, "/metrics.json")) {
		b = page(&page_state, path, "GET", accept, &n, &code, type);
	} else {
		struct pinch_server view = { .reg = reg, .fd = -1, .epoll_fd = -1 };

		b = page(&view, path, "GET", accept, &n, &code, type);
	}
	if (!b)
		return lib_err(-ENOMEM, "out of memory");
	*body = b;
	if (len)
		*len = n;
	return (int)code;
}

/* The HTTP daemon's functions: linked in, or from the module next to
 * libpinch.so, loaded once (PINCH_SERVE_MODULE overrides its path). */
static const struct lib_http_ops *http;
static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static char http_error[512];

static void http_load(void)
{
#ifdef PINCH_HTTP_BUILTIN
	http = &lib_http_mhd;
#else
	const struct lib_http_ops *(*entry)(void);
	const char *env = getenv("PINCH_SERVE_MODULE");
	char path[4096];
	Dl_info info;
	void *h;

	if (env && *env) {
		snprintf(path, sizeof(path), "%s", env);
	} else if (dladdr((void *)pinch_serve_ex, &info) && info.dli_fname && strrchr(info.dli_fname, '/')) {
		snprintf(path, sizeof(path), "%.*s/libpinch-serve.so",
			 (int)(strrchr(info.dli_fname, '/') - info.dli_fname), info.dli_fname);
	} else {
		snprintf(path, sizeof(path), "libpinch-serve.so");
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(http_error, sizeof(http_error), "cannot load the HTTP module: %s", dlerror());
		return;
	}
	entry = (const struct lib_http_ops *(*)(void))dlsym(h, "pinch_http_module");
	if (!entry || !entry() || entry()->abi != LIB_HTTP_ABI) {
		snprintf(http_error, sizeof(http_error), "%.400s is not a pinch %s HTTP module", path,
			 PINCH_VERSION);
		dlclose(h);
		return;
	}
	http = entry();	/* never unloaded: its thread may outlive a stop */
#endif
}

PINCH_API int pinch_serve_ex(const char *addr, const struct pinch_serve_opts *opts,
			     struct pinch_server **out)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct pinch_server *s;
	int fd, rc;

	if (!out)
		return lib_err(-EINVAL, "pinch_serve: NULL out");
	*out = NULL;
	rc = lib_parse_addr(addr, opts && opts->allow_remote, &ss, &sslen);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return lib_err(-ENOMEM, "out of memory");
	s->reg = opts && opts->registry ? opts->registry : pinch_registry_default();
	if (!s->reg) {
		free(s);
		return lib_err(-ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->lock, NULL);
	fd = listen_on(&ss, sslen, addr, &s->port);
	if (fd < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return fd;
	}
	pthread_once(&http_once, http_load);
	if (!http) {
		close(fd);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return lib_err(-EIO, "%s", http_error);
	}
	s->daemon = http->start(fd, ss.ss_family == AF_INET6, page, s);
	if (!s->daemon) {
		close(fd);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return lib_err(-EIO, "the HTTP daemon did not start on '%s'", addr);
	}
	s->fd = fd;
	s->epoll_fd = http->epoll_fd(s->daemon);
	if (s->epoll_fd == fd)
		s->epoll_fd = -1;
	lib_fork_init();
	pthread_mutex_lock(&servers_lock);
	s->next = servers;
	servers = s;
	pthread_mutex_unlock(&servers_lock);
	*out = s;
	return 0;
}

PINCH_API int pinch_serve(const char *addr, struct pinch_server **out)
{
	return pinch_serve_ex(addr, NULL, out);
}

PINCH_API int pinch_server_port(const struct pinch_server *s)
{
	if (!s)
		return lib_err(-EINVAL, "pinch_server_port: NULL server");
	return s->port;
}

PINCH_API void pinch_serve_stop(struct pinch_server *s)
{
	struct pinch_server **pp;
	int found = 0;

	if (!s)
		return;
	pthread_mutex_lock(&servers_lock);
	for (pp = &servers; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			found = 1;
			break;
		}
	pthread_mutex_unlock(&servers_lock);
	if (!found) {
		lib_err(-EINVAL, "pinch_serve_stop: not a running server (stopped twice?)");
		return;
	}
	/* A server copied by fork(): the thread and the daemon are the
	 * parent's; the sockets were closed by the fork handler. */
	if (!s->inherited)
		http->stop(s->daemon);	/* joins its thread, closes the socket */
	pthread_mutex_destroy(&s->lock);
	free(s);
}
