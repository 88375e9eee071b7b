/*
 * pinch/serve.h - a background HTTP server (libmicrohttpd, its own thread;
 * the shared libpinch loads it from libpinch-serve.so on first use)
 * exposing the process to scrapers:
 *   GET /health        {"status":"healthy","uptime_seconds":12.3}
 *   GET /metrics       Prometheus text exposition format: the registry's
 *                      metrics plus process_cpu_seconds_total,
 *                      process_resident_memory_bytes, process_open_fds,
 *                      process_threads, process_start_time_seconds,
 *                      process_virtual_memory_bytes, process_max_fds
 *   GET /metrics.json  {"uptime_seconds":..,"cpu_percent":..,"memory_mb":..,
 *                       "threads":..,"open_files":..,"connections":..}
 */
#ifndef PINCH_SERVE_H
#define PINCH_SERVE_H

#include <stdint.h>

#ifndef PINCH_API
#define PINCH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct pinch_server;
struct pinch_registry;

struct pinch_serve_opts {
	/* The registry to expose; NULL means pinch_registry_default(). */
	struct pinch_registry *registry;
	/* Binding to an address other than loopback (127.0.0.0/8, ::1,
	 * localhost) is refused with -EPERM unless this is set. */
	int allow_remote;
};

/* Starts serving on addr, "HOST:PORT" or "[V6]:PORT" (PORT 0 picks a free
 * port: see pinch_server_port). opts may be NULL. Returns 0 and the server
 * in *out, or -EINVAL (malformed address), -EPERM (non-loopback without
 * allow_remote), -EADDRINUSE, -EACCES, -ENOMEM, -EIO (the HTTP daemon
 * did not start, or the shared libpinch could not load its HTTP module
 * libpinch-serve.so, looked for next to libpinch.so or at
 * $PINCH_SERVE_MODULE). */
PINCH_API int pinch_serve_ex(const char *addr, const struct pinch_serve_opts *opts,
			     struct pinch_server **out);
/* pinch_serve_ex(addr, NULL, out). */
PINCH_API int pinch_serve(const char *addr, struct pinch_server **out);
/* The TCP port the server listens on, or -EINVAL for NULL. */
PINCH_API int pinch_server_port(const struct pinch_server *s);
/* Stops the server: closes the socket, waits for the server thread and
 * in-flight requests, frees s. NULL is fine; a server already stopped is
 * left alone (pinch_last_error() says so). Call from one thread.
 * fork(): the child has none of the server's threads and closes its copies
 * of the listening sockets at fork time; pinch_serve_stop() in the child
 * frees the child's copy and leaves the parent's server serving. A
 * pre-fork worker calls pinch_serve() for a port of its own. */
PINCH_API void pinch_serve_stop(struct pinch_server *s);

/* Renders one page of the endpoint without serving it, for a program
 * whose own HTTP server (or web framework) serves the paths: path is
 * "/health", "/metrics" or "/metrics.json" (anything else gives the 404
 * text), accept the request's Accept header or NULL (OpenMetrics when it
 * names application/openmetrics-text, as for pinch_serve), reg NULL for
 * the default registry. The body (NUL-terminated; free with pinch_free)
 * goes to *body, its length to *len (when not NULL), the Content-Type (a
 * static string) to *type. Returns the HTTP status (200, 404, 500),
 * -EINVAL (NULL path, body or type) or -ENOMEM. Thread-safe (the
 * /metrics.json cpu_percent baseline is shared between its calls). */
PINCH_API int pinch_serve_page(struct pinch_registry *reg, const char *path, const char *accept,
			       char **body, size_t *len, const char **type);

#ifdef __cplusplus
}
#endif

#endif
