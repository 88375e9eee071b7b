/*
 * service.c - an example HTTP service (libmicrohttpd + jansson) that
 * instruments itself with every part of libpinch: request counters and
 * latency histograms, a gauge, scopes and async spans, JSON performance
 * log lines, the /metrics + /health endpoint and an optional Chrome trace.
 * `pinch load` drives it in the load tests and the demo.
 *
 *   GET  /items        all items, JSON array
 *   GET  /items/{id}   one item or 404
 *   POST /items        {"name": "...", "price": 1.5} -> 201 and the item
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pinch/pinch.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BODY (64 * 1024)

struct item {
	long id;
	char *name;
	double price;
};

static struct {
	pthread_rwlock_t lock;
	struct item *v;
	size_t n, alloc;
	long next_id;
} store = { .lock = PTHREAD_RWLOCK_INITIALIZER, .next_id = 1 };

static struct pinch_histogram *lat_list, *lat_get, *lat_post, *lat_other;
static struct pinch_gauge *items_gauge, *in_flight;
static struct pinch_log *perf_log;
static volatile sig_atomic_t stop;

/* Per-request state: the upload buffer and the request's async span,
 * ended in the completion callback (possibly after the handler returned). */
struct request {
	char *body;
	size_t len;
	int too_big;
	uint64_t span;
	uint64_t start_ns;
	struct pinch_histogram *lat;
	const char *route;
	unsigned int code;
	char method[8];
};

static int store_insert(const char *name, double price, long *id)
{
	PINCH_TIME_SCOPE("store_insert");
	int rc = 0;

	pthread_rwlock_wrlock(&store.lock);
	if (store.n == store.alloc) {
		size_t na = store.alloc ? store.alloc * 2 : 64;
		struct item *nv = realloc(store.v, na * sizeof(*nv));

		if (!nv) {
			rc = -ENOMEM;
			goto out;
		}
		store.v = nv;
		store.alloc = na;
	}
	store.v[store.n].name = strdup(name);
	if (!store.v[store.n].name) {
		rc = -ENOMEM;
		goto out;
	}
	store.v[store.n].price = price;
	*id = store.v[store.n].id = store.next_id++;
	store.n++;
	pinch_gauge_set(items_gauge, (double)store.n);
out:
	pthread_rwlock_unlock(&store.lock);
	return rc;
}

static json_t *item_json(const struct item *it)
{
	return json_pack("{s:I, s:s, s:f}", "id", (json_int_t)it->id, "name", it->name, "price", it->price);
}

static int store_list(char **out)
{
	PINCH_TIME_SCOPE("store_list");
	json_t *arr = json_array();
	size_t i;

	pthread_rwlock_rdlock(&store.lock);
	for (i = 0; i < store.n; i++)
		json_array_append_new(arr, item_json(&store.v[i]));
	pthread_rwlock_unlock(&store.lock);
	*out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return *out ? 0 : -ENOMEM;
}

static int store_get(long id, char **out)
{
	PINCH_TIME_SCOPE("store_get");
	int rc = -ENOENT;
	size_t i;

	*out = NULL;
	pthread_rwlock_rdlock(&store.lock);
	for (i = 0; i < store.n; i++)
		if (store.v[i].id == id) {
			json_t *j = item_json(&store.v[i]);

			*out = json_dumps(j, JSON_COMPACT);
			json_decref(j);
			rc = *out ? 0 : -ENOMEM;
			break;
		}
	pthread_rwlock_unlock(&store.lock);
	return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *c, struct request *r, unsigned int code,
				 char *body, const char *type)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!body)
		body = strdup("");
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	r->code = code;
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, struct request *r, unsigned int code,
				  const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return send_text(c, r, code, s, "application/json");
}

static enum MHD_Result handle_post(struct MHD_Connection *c, struct request *r)
{
	json_t *j, *name, *price;
	json_error_t err;
	char *out;
	long id = 0;
	int rc;

	if (r->too_big)
		return send_error(c, r, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
	{
		PINCH_TIME_SCOPE("parse_body");
		j = json_loadb(r->body ? r->body : "", r->len, 0, &err);
	}
	name = json_object_get(j, "name");
	price = json_object_get(j, "price");
	if (!j || !json_is_string(name) || !json_is_number(price)) {
		json_decref(j);
		return send_error(c, r, MHD_HTTP_BAD_REQUEST, "want {\"name\": string, \"price\": number}");
	}
	rc = PINCH_LOG_CALL(perf_log, "store_insert",
			    store_insert(json_string_value(name), json_number_value(price), &id),
			    PINCH_FIELD_STR("name", json_string_value(name)));
	json_decref(j);
	if (rc < 0)
		return send_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-rc));
	rc = store_get(id, &out);
	if (rc < 0)
		return send_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-rc));
	return send_text(c, r, MHD_HTTP_CREATED, out, "application/json");
}

static enum MHD_Result route(struct MHD_Connection *c, struct request *r, const char *url,
			     const char *method);

/* MHD calls this once for the headers, once per body chunk, then once
 * more to answer. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct request *r = *con_cls;

	(void)cls, (void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->start_ns = pinch_now_ns();
		snprintf(r->method, sizeof(r->method), "%s", method);
		pinch_span_begin("request", 0, &r->span);	/* ended in completed() */
		pinch_gauge_add(in_flight, 1);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->len + *upload_size > MAX_BODY) {
			r->too_big = 1;
		} else {
			char *nb = realloc(r->body, r->len + *upload_size + 1);

			if (!nb)
				return MHD_NO;
			memcpy(nb + r->len, upload, *upload_size);
			r->body = nb;
			r->len += *upload_size;
			r->body[r->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	{
		/* scopes run while answering nest under the request span */
		uint64_t prev = pinch_span_set_current(r->span);
		enum MHD_Result ret = route(c, r, url, method);

		pinch_span_set_current(prev);
		return ret;
	}
}

static enum MHD_Result route(struct MHD_Connection *c, struct request *r, const char *url,
			     const char *method)
{
	char *out = NULL, *end;
	long id;
	int rc;

	if (!strcmp(url, "/items") && !strcmp(method, "GET")) {
		r->route = "/items";
		r->lat = lat_list;
		rc = PINCH_LOG_CALL(perf_log, "store_list", store_list(&out));
		if (rc < 0)
			return send_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-rc));
		return send_text(c, r, MHD_HTTP_OK, out, "application/json");
	}
	if (!strcmp(url, "/items") && !strcmp(method, "POST")) {
		r->route = "/items";
		r->lat = lat_post;
		return handle_post(c, r);
	}
	if (!strncmp(url, "/items/", 7) && !strcmp(method, "GET")) {
		r->route = "/items/{id}";
		r->lat = lat_get;
		errno = 0;
		id = strtol(url + 7, &end, 10);
		if (!url[7] || *end || errno)
			return send_error(c, r, MHD_HTTP_BAD_REQUEST, "id must be a number");
		rc = PINCH_LOG_CALL(perf_log, "store_get", store_get(id, &out), PINCH_FIELD_INT("id", id));
		if (rc == -ENOENT)
			return send_error(c, r, MHD_HTTP_NOT_FOUND, "no such item");
		if (rc < 0)
			return send_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-rc));
		return send_text(c, r, MHD_HTTP_OK, out, "application/json");
	}
	r->route = "other";
	r->lat = lat_other;
	return send_error(c, r, MHD_HTTP_NOT_FOUND, "not found");
}

/* Runs when the response went out (or the connection died): the end of
 * the request's async span, its latency and its counter. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;
	struct pinch_counter *cnt;
	char code[16];

	(void)cls, (void)c, (void)toe;
	if (!r)
		return;
	snprintf(code, sizeof(code), "%u", r->code ? r->code : 499);
	{
		const char *labels[] = { "method", r->method, "route", r->route ? r->route : "other",
					 "code", code, NULL };

		if (pinch_counter_get(NULL, "http_requests_total", "HTTP requests by method, route and status.",
				      labels, &cnt) == 0)
			pinch_counter_inc(cnt);
	}
	pinch_histogram_observe_ns(r->lat ? r->lat : lat_other, pinch_now_ns() - r->start_ns);
	pinch_span_end(r->span);
	pinch_gauge_add(in_flight, -1);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static int setup_metrics(void)
{
	static const char *const help = "HTTP request latency by route.";
	const char *l1[] = { "route", "/items", "method", "GET", NULL };
	const char *l2[] = { "route", "/items/{id}", "method", "GET", NULL };
	const char *l3[] = { "route", "/items", "method", "POST", NULL };
	const char *l4[] = { "route", "other", "method", "any", NULL };
	const double b[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1 };
	struct pinch_histogram_opts o = { .buckets = b, .n_buckets = sizeof(b) / sizeof(b[0]) };
	int rc = 0;

	rc = rc ? rc : pinch_histogram_new(NULL, "http_request_duration_seconds", help, l1, &o, &lat_list);
	rc = rc ? rc : pinch_histogram_new(NULL, "http_request_duration_seconds", help, l2, &o, &lat_get);
	rc = rc ? rc : pinch_histogram_new(NULL, "http_request_duration_seconds", help, l3, &o, &lat_post);
	rc = rc ? rc : pinch_histogram_new(NULL, "http_request_duration_seconds", help, l4, &o, &lat_other);
	rc = rc ? rc : pinch_gauge_new(NULL, "items_stored", "Items in the store.", NULL, &items_gauge);
	rc = rc ? rc : pinch_gauge_new(NULL, "http_requests_in_flight", "Requests being served.", NULL, &in_flight);
	return rc;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pinch-example-service [--port N] [--metrics ADDR] [--log FILE] [--slow-ms N]\n"
		   "                             [--trace FILE] [--threads N] [--seed N]\n"
		   "  --port N        HTTP port on 127.0.0.1 (default 8080, 0 picks one)\n"
		   "  --metrics ADDR  /metrics and /health address (default 127.0.0.1:9464, 0 picks a port)\n"
		   "  --log FILE      JSON performance log lines (default: none)\n"
		   "  --slow-ms N     log only calls slower than N ms\n"
		   "  --trace FILE    write a Chrome trace of the spans on exit\n"
		   "  --threads N     HTTP worker threads (default 4)\n"
		   "  --seed N        start with N items (default 10)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' }, { "metrics", required_argument, NULL, 'm' },
		{ "log", required_argument, NULL, 'l' }, { "slow-ms", required_argument, NULL, 's' },
		{ "trace", required_argument, NULL, 't' }, { "threads", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *metrics_addr = "127.0.0.1:9464", *log_path = NULL, *trace_path = NULL;
	struct pinch_log_opts lo = { 0 };
	struct pinch_server *msrv = NULL;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	int port = 8080, threads = 4, seed = 10, opt, rc, i;
	struct sigaction sa = { .sa_handler = on_signal };

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'm': metrics_addr = optarg; break;
		case 'l': log_path = optarg; break;
		case 's': lo.slow_ms = atof(optarg); break;
		case 't': trace_path = optarg; break;
		case 'n': threads = atoi(optarg); break;
		case 'S': seed = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (port < 0 || port > 65535 || threads < 1 || seed < 0) {
		usage(stderr);
		return 2;
	}
	if ((rc = setup_metrics()) < 0) {
		fprintf(stderr, "service: metrics: %s\n", pinch_last_error());
		return 1;
	}
	rc = log_path ? pinch_log_open_file(log_path, &lo, &perf_log) : 0;
	if (rc < 0) {
		fprintf(stderr, "service: log: %s\n", pinch_last_error());
		return 1;
	}
	if (trace_path && pinch_trace_start(0) < 0) {
		fprintf(stderr, "service: trace: %s\n", pinch_last_error());
		return 1;
	}
	for (i = 0; i < seed; i++) {
		char name[32];
		long id;

		snprintf(name, sizeof(name), "item-%d", i + 1);
		store_insert(name, 1.5 * (i + 1), &id);
	}
	if ((rc = pinch_serve(metrics_addr, &msrv)) < 0) {
		fprintf(stderr, "service: metrics endpoint: %s\n", pinch_last_error());
		return 1;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, (uint16_t)port, NULL, NULL,
			     handle, NULL,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
			     MHD_OPTION_SOCK_ADDR, &(struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(0x7f000001) },
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "service: cannot listen on 127.0.0.1:%d\n", port);
		pinch_serve_stop(msrv);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("service: http://127.0.0.1:%u/items metrics: http://127.0.0.1:%d/metrics\n",
	       info ? info->port : (unsigned)port, pinch_server_port(msrv));
	fflush(stdout);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	pinch_serve_stop(msrv);
	if (trace_path && pinch_trace_write(trace_path) < 0)
		fprintf(stderr, "service: trace: %s\n", pinch_last_error());
	pinch_spans_report(2);
	pinch_log_close(perf_log);
	for (i = 0; i < (int)store.n; i++)
		free(store.v[i].name);
	free(store.v);
	return 0;
}
