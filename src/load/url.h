/*
 * url.h - the target of a load run: an http:// or https:// URL split into
 * scheme, host, port and path, and resolved once before any traffic.
 */
#ifndef PINCH_LOAD_URL_H
#define PINCH_LOAD_URL_H

#include <stddef.h>
#include <sys/socket.h>

struct load_url {
	int https;
	char host[256];		/* without brackets for IPv6 literals */
	char hostport[300];	/* the Host header value */
	unsigned port;
	char path[2048];	/* path and query, "/" when empty */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* Parses url. Returns 0 or -EINVAL with a reason in err. */
int load_url_parse(const char *url, struct load_url *u, char *err, size_t errlen);
/* Resolves u->host (first address). Returns 0 or -EHOSTUNREACH with the
 * resolver's reason in err. */
int load_url_resolve(struct load_url *u, char *err, size_t errlen);

#endif
