/*
 * http.c - the libmicrohttpd part of libpinch's endpoint (src/lib): starts
 * a daemon on a listening socket made by serve.c, answers each GET/HEAD
 * with what serve.c's page function builds, stops it. Built into the
 * static libraries, and on its own as the module libpinch-serve.so that
 * the shared libpinch loads on the first pinch_serve(), so a program that
 * never serves does not load libmicrohttpd and gnutls.
 */
#include "internal.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

struct http_daemon {
	struct MHD_Daemon *mhd;
	lib_page_fn page;
	void *ctx;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct http_daemon *d = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *type = "text/plain";
	unsigned int code = 500;
	size_t len = 0;
	char *body;

	(void)version, (void)upload, (void)upload_size;
	if (!*con_cls) {	/* first call: headers only */
		*con_cls = d;
		return MHD_YES;
	}
	body = d->page(d->ctx, url, method, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"),
		       &len, &code, &type);
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static void *http_start(int fd, int ipv6, lib_page_fn page, void *ctx)
{
	struct http_daemon *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->page = page;
	d->ctx = ctx;
	d->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
				  (ipv6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, handle, d,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
				  MHD_OPTION_END);
	if (!d->mhd) {
		free(d);
		return NULL;
	}
	return d;
}

static void http_stop(void *daemon)
{
	struct http_daemon *d = daemon;

	MHD_stop_daemon(d->mhd);	/* joins its thread, closes the socket */
	free(d);
}

static int http_epoll_fd(void *daemon)
{
	struct http_daemon *d = daemon;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return di ? di->epoll_fd : -1;
}

const struct lib_http_ops lib_http_mhd = {
	.abi = LIB_HTTP_ABI,
	.start = http_start,
	.stop = http_stop,
	.epoll_fd = http_epoll_fd,
};

#ifdef PINCH_HTTP_MODULE
/* The module's one entry point (libpinch-serve.so). */
__attribute__((visibility("default"))) const struct lib_http_ops *pinch_http_module(void)
{
	return &lib_http_mhd;
}
#endif
