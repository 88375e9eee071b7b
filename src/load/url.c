/*
 * url.c - parses and resolves the target URL of pinch load (load layer).
 * Only http and https, an optional port, no user info; the resolver runs
 * once, before the engine starts, so a bad host never reaches the run.
 */
#include "url.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

int load_url_parse(const char *url, struct load_url *u, char *err, size_t errlen)
{
	const char *p, *host, *host_end, *port_s = NULL, *path;
	size_t hlen;

	memset(u, 0, sizeof(*u));
	if (!strncmp(url, "http://", 7)) {
		p = url + 7;
	} else if (!strncmp(url, "https://", 8)) {
		p = url + 8;
		u->https = 1;
	} else {
		snprintf(err, errlen, "'%s' is not an http:// or https:// URL", url);
		return -EINVAL;
	}
	path = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(path - p))) {
		snprintf(err, errlen, "user info in '%s' is not supported", url);
		return -EINVAL;
	}
	host = p;
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(path - host));
		if (!host_end) {
			snprintf(err, errlen, "unclosed '[' in '%s'", url);
			return -EINVAL;
		}
		host++;
		if (host_end + 1 < path) {
			if (host_end[1] != ':') {
				snprintf(err, errlen, "junk after ']' in '%s'", url);
				return -EINVAL;
			}
			port_s = host_end + 2;
		}
	} else {
		host_end = memchr(host, ':', (size_t)(path - host));
		if (host_end)
			port_s = host_end + 1;
		else
			host_end = path;
	}
	hlen = (size_t)(host_end - host);
	if (!hlen || hlen >= sizeof(u->host)) {
		snprintf(err, errlen, "no host in '%s'", url);
		return -EINVAL;
	}
	for (size_t i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)host[i];

		if (c <= ' ' || c == '%' || c == '\\' || c >= 0x7f) {
			snprintf(err, errlen, "bad character in the host of '%s'", url);
			return -EINVAL;
		}
	}
	memcpy(u->host, host, hlen);
	u->port = u->https ? 443 : 80;
	if (port_s) {
		unsigned long v = 0;
		const char *q;

		if (port_s == path) {
			snprintf(err, errlen, "empty port in '%s'", url);
			return -EINVAL;
		}
		for (q = port_s; q < path; q++) {
			if (*q < '0' || *q > '9' || v > 65535) {
				snprintf(err, errlen, "bad port in '%s'", url);
				return -EINVAL;
			}
			v = v * 10 + (unsigned long)(*q - '0');
		}
		if (!v || v > 65535) {
			snprintf(err, errlen, "port out of range in '%s'", url);
			return -EINVAL;
		}
		u->port = (unsigned)v;
	}
	if (strchr(u->host, ':'))
		snprintf(u->hostport, sizeof(u->hostport), "[%s]", u->host);
	else
		snprintf(u->hostport, sizeof(u->hostport), "%s", u->host);
	if (port_s) {
		size_t l = strlen(u->hostport);

		snprintf(u->hostport + l, sizeof(u->hostport) - l, ":%u", u->port);
	}
	if (!*path || *path == '#') {
		u->path[0] = '/';
	} else {
		size_t plen = strcspn(path, "#");

		for (size_t i = 0; i < plen; i++) {
			unsigned char c = (unsigned char)path[i];

			if (c <= ' ' || c == 0x7f) {
				snprintf(err, errlen, "bad character in the path of '%s'", url);
				return -EINVAL;
			}
		}
		if (plen + 2 >= sizeof(u->path)) {
			snprintf(err, errlen, "path too long in '%s'", url);
			return -EINVAL;
		}
		if (*path == '?')
			u->path[0] = '/';
		memcpy(u->path + (*path == '?'), path, plen);
	}
	return 0;
}

int load_url_resolve(struct load_url *u, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", u->port);
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "cannot resolve '%s': %s", u->host,
			 rc ? gai_strerror(rc) : "no address");
		return -EHOSTUNREACH;
	}
	memcpy(&u->addr, res->ai_addr, res->ai_addrlen);
	u->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
