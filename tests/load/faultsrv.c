/*
 * faultsrv.c - a small HTTP/1.1 server for the pinch load tests that
 * misbehaves on request: the path picks the fault (slow answers, resets,
 * closes mid-body, malformed status lines, chunked bodies, 500s). One
 * thread, epoll, loopback only; it counts what it served and writes the
 * counts to --stats FILE when it gets SIGTERM.
 *
 *   /ok /chunked /500 /404 /slow?ms=N /reset /close /close-mid /bad-status
 *   /eof-body /bad-chunk /keepalive-close  (anything else: 200 "ok")
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 4096

struct client {
	int fd;
	char buf[16384];
	size_t len;
	long long due_ms;	/* a slow answer waiting */
	char pending[256];	/* its path */
};

static struct client *clients[65536];
static int max_fd;
static volatile sig_atomic_t quit;
static const char *stats_path;
static unsigned long n_total, n_get, n_post, n_other;
static struct { char path[64]; unsigned long n; } paths[64];
static int n_paths;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void count_path(const char *method, const char *path)
{
	char key[64];
	size_t l = strcspn(path, "?");
	int i;

	/* /items/123 counts as /items/_ */
	if (!strncmp(path, "/items/", 7))
		l = 7;
	snprintf(key, sizeof(key), "%s %.*s%s", method, (int)l, path, l == 7 && !strncmp(path, "/items/", 7) ? "_" : "");
	for (i = 0; i < n_paths; i++)
		if (!strcmp(paths[i].path, key)) {
			paths[i].n++;
			return;
		}
	if (n_paths < 64) {
		snprintf(paths[n_paths].path, sizeof(paths[0].path), "%s", key);
		paths[n_paths++].n = 1;
	}
}

static void write_stats(void)
{
	FILE *f;

	if (!stats_path || !(f = fopen(stats_path, "w")))
		return;
	fprintf(f, "total %lu\nGET %lu\nPOST %lu\nother %lu\n", n_total, n_get, n_post, n_other);
	for (int i = 0; i < n_paths; i++)
		fprintf(f, "path %s %lu\n", paths[i].path, paths[i].n);
	fclose(f);
}

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static void drop(int ep, struct client *c, int rst)
{
	if (rst) {
		struct linger lg = { 1, 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	clients[c->fd] = NULL;
	free(c);
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;	/* small responses: spin is fine here */
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_str(int fd, const char *s)
{
	return send_all(fd, s, strlen(s));
}

/* Answers one request; returns 0 to keep the connection, 1 to close it
 * gracefully, 2 to reset it. */
static int answer(struct client *c, const char *path)
{
	int fd = c->fd;

	if (!strncmp(path, "/slow", 5)) {
		const char *q = strstr(path, "ms=");
		long ms = q ? atol(q + 3) : 100;

		c->due_ms = now_ms() + ms;
		snprintf(c->pending, sizeof(c->pending), "/ok");
		return 0;
	}
	if (!strcmp(path, "/chunked"))
		return send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5\r\nhello\r\n7\r\n, world\r\n1\r\n\n\r\n0\r\n\r\n") ? 2 : 0;
	if (!strcmp(path, "/500"))
		return send_str(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 6\r\n\r\nerror\n") ? 2 : 0;
	if (!strcmp(path, "/404"))
		return send_str(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n") ? 2 : 0;
	if (!strcmp(path, "/reset"))
		return 2;
	if (!strcmp(path, "/close"))
		return 1;
	if (!strcmp(path, "/close-mid")) {
		send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
		return 1;
	}
	if (!strcmp(path, "/bad-status")) {
		send_str(fd, "HTTP/1.1 2x0 Whatever\r\nContent-Length: 0\r\n\r\n");
		return 1;
	}
	if (!strcmp(path, "/bad-chunk")) {
		send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
		return 1;
	}
	if (!strcmp(path, "/eof-body")) {
		send_str(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until the close\n");
		return 1;
	}
	if (!strcmp(path, "/keepalive-close"))
		return send_str(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nok\n") ? 2 : 1;
	return send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n") ? 2 : 0;
}

/* Handles every complete request in the buffer. */
static void serve(int ep, struct client *c)
{
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		char method[16], path[256];
		size_t hlen, blen = 0, total;
		char *cl;
		int r;

		if (!end || c->due_ms)
			return;
		hlen = (size_t)(end - c->buf) + 4;
		c->buf[hlen - 1] = 0;
		if (sscanf(c->buf, "%15s %255s", method, path) != 2) {
			drop(ep, c, 1);
			return;
		}
		cl = strcasestr(c->buf, "\ncontent-length:");
		if (cl)
			blen = strtoul(cl + 16, NULL, 10);
		total = hlen + blen;
		if (total > sizeof(c->buf)) {
			drop(ep, c, 1);
			return;
		}
		if (c->len < total) {
			c->buf[hlen - 1] = '\n';
			return;
		}
		n_total++;
		if (!strcmp(method, "GET"))
			n_get++;
		else if (!strcmp(method, "POST"))
			n_post++;
		else
			n_other++;
		count_path(method, path);
		r = answer(c, path);
		memmove(c->buf, c->buf + total, c->len - total);
		c->len -= total;
		if (r) {
			if (r == 1)
				shutdown(c->fd, SHUT_WR);
			drop(ep, c, r == 2);
			return;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd, ep, one = 1, port = 0;
	struct epoll_event ev;
	struct sigaction sig;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
			stats_path = argv[++i];
		else {
			fprintf(stderr, "usage: faultsrv [--port N] [--stats FILE]\n");
			return 2;
		}
	}
	memset(&sig, 0, sizeof(sig));
	sig.sa_handler = on_term;
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1024)) {
		perror("faultsrv: bind");
		return 1;
	}
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!quit) {
		struct epoll_event evs[128];
		long long now = now_ms(), next = -1;
		int n;

		for (int fd = 0; fd <= max_fd; fd++) {
			struct client *c = clients[fd];

			if (!c || !c->due_ms)
				continue;
			if (c->due_ms <= now) {
				c->due_ms = 0;
				if (answer(c, c->pending)) {
					drop(ep, c, 1);
					continue;
				}
				serve(ep, c);
			} else if (next < 0 || c->due_ms - now < next) {
				next = c->due_ms - now;
			}
		}
		n = epoll_wait(ep, evs, 128, next < 0 ? 100 : (int)next + 1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int cfd;

				while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct client *c;

					if (cfd >= 65536) {
						close(cfd);
						continue;
					}
					c = calloc(1, sizeof(*c));
					c->fd = cfd;
					clients[cfd] = c;
					if (cfd > max_fd)
						max_fd = cfd;
					setsockopt(cfd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = cfd;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			{
				struct client *c = clients[fd];
				ssize_t r;

				if (!c)
					continue;
				r = read(fd, c->buf + c->len, sizeof(c->buf) - c->len);
				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					drop(ep, c, 0);
					continue;
				}
				c->len += (size_t)r;
				serve(ep, c);
			}
		}
	}
	write_stats();
	return 0;
}
