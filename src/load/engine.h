/*
 * engine.h - the pinch load engine: one epoll loop per thread, keep-alive
 * HTTP/1.1 connections (plain or TLS), a closed model (each connection
 * sends when its last request was answered, optionally after a think time)
 * and an open model (a total rate, each request timed from its intended
 * send time: wrk2's coordinated-omission correction). Results are
 * per-thread histograms and counters merged by the calling thread.
 */
#ifndef PINCH_LOAD_ENGINE_H
#define PINCH_LOAD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "model/hist.h"

struct load_url;
struct load_scenario;

enum load_err_kind {
	LOAD_E_CONNECT,
	LOAD_E_TIMEOUT,
	LOAD_E_RESET,
	LOAD_E_READ,
	LOAD_E_PARSE,
	LOAD_E_STATUS,
	LOAD_E_UNFINISHED,	/* still in flight when the run ended */
	LOAD_E_COUNT
};
extern const char *const load_err_names[LOAD_E_COUNT];

#define LOAD_MAX_PIPELINE 64
#define LOAD_STATUS_SLOTS 600	/* status codes 100..599; slot 0 counts others */

struct load_config {
	const struct load_url *url;
	const struct load_scenario *sc;	/* at least one task */
	unsigned threads;
	unsigned connections;		/* users in a scenario */
	double rate;			/* requests/s in total; 0: closed model */
	uint64_t duration_ns;		/* 0: no time bound */
	uint64_t requests;		/* 0: no count bound */
	uint64_t timeout_ns;		/* per request */
	unsigned pipeline;		/* requests in flight per connection, >= 1 */
	int insecure;			/* skip TLS certificate checks */
	const char *cafile;		/* trust these CAs instead of the system's */
	uint64_t seed;
	uint64_t tick_ns;		/* how often the tick callback runs */
	volatile int *stop;		/* set (by a signal) to end the run early */
};

struct load_counts {
	uint64_t requests;		/* answered or failed */
	uint64_t ok, failed;
	uint64_t bytes;			/* read from the server */
	uint64_t err[LOAD_E_COUNT];
	uint64_t status[LOAD_STATUS_SLOTS];
	uint64_t resent;		/* unanswered when the server closed: sent again */
	uint64_t pipe_stopped;		/* connections that stopped pipelining (Connection: close) */
	uint64_t redirects;		/* redirects followed (within requests) */
	uint64_t check_pass[LOAD_MAX_CHECKS], check_fail[LOAD_MAX_CHECKS];
};

struct load_task_result {
	uint64_t requests, ok, failed;
	struct hist lat;
};

struct load_result {
	struct load_counts c;
	struct hist lat;		/* from intended send time in the open model */
	struct hist uncorrected;	/* open model: from the actual send */
	struct load_task_result *tasks;
	size_t n_tasks;
	uint64_t duration_ns;
	uint64_t sent;
	double rps;			/* requests / duration (summed over merged runs) */
	double target_rate;		/* 0: closed model */
	double achieved_rate;		/* open model: sends per second */
	unsigned threads, connections;
	unsigned pipeline;		/* requests in flight per connection */
	int interrupted;
};

struct load_tick {
	uint64_t elapsed_ns;
	uint64_t interval_ns;
	const struct hist *interval;	/* latencies of this interval */
	const struct load_counts *total;	/* everything so far */
	uint64_t interval_errors;
};

typedef void (*load_tick_fn)(void *ctx, const struct load_tick *t);

int load_result_init(struct load_result *r, size_t n_tasks);
/*
 * Closed model: an estimate of the latencies a steady client would have
 * seen (wrk's coordinated-omission correction). With E the mean interval
 * between one connection's requests (duration x connections / requests),
 * every recorded latency L > E adds the latencies L-E, L-2E, ... down to
 * E: the requests the stalled connection did not send. out is initialized
 * here. Returns 0, -EINVAL (open model or no data) or -ENOMEM.
 */
int load_result_corrected(const struct load_result *r, struct hist *out);
void load_result_release(struct load_result *r);
void load_counts_add(struct load_counts *dst, const struct load_counts *src);

/* Connects once (and completes the TLS handshake) to check the target
 * before any traffic. Returns 0, or a negative errno with err set. */
int load_probe(const struct load_config *cfg, char *err, size_t errlen);

/* Runs the load; fills res (initialized here). Calls tick every tick_ns
 * from the calling thread. Returns 0, or a negative errno with err set
 * when the run could not start. */
int load_run(const struct load_config *cfg, struct load_result *res, load_tick_fn tick,
	     void *ctx, char *err, size_t errlen);

#endif
