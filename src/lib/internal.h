/*
 * internal.h - what the files of libpinch (src/lib) share and the public
 * headers hide: the thread-slot allocator, the registry's families and
 * series, the error helpers. Not installed; nothing here is exported.
 */
#ifndef PINCH_LIB_INTERNAL_H
#define PINCH_LIB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hmap.h"
#include "pinch/pinch.h"

struct strbuf;

/* ---- errors (error.c) ---- */
/* Stores a formatted message as the thread's last error; returns code. */
int lib_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- fork (fork.c) ----
 * Each module with locks or threads takes its locks at PREPARE (in the
 * order registries, spans, slots, servers) and releases them at PARENT and
 * CHILD; at CHILD it also forgets what the parent's other threads owned. */
enum lib_fork_phase { LIB_FORK_PREPARE, LIB_FORK_PARENT, LIB_FORK_CHILD };
void lib_registries_atfork(enum lib_fork_phase phase);	/* metrics.c */
void lib_span_atfork(enum lib_fork_phase phase);	/* span.c */
void lib_slot_atfork(enum lib_fork_phase phase);	/* slot.c */
void lib_serve_atfork(enum lib_fork_phase phase);	/* serve.c */
/* Registers the handlers, once. */
void lib_fork_init(void);

/* ---- thread slots (slot.c) ----
 * Every thread that updates a metric owns one slot index in [0, LIB_SLOTS)
 * while it lives (returned at thread exit), so a slot has one writer and
 * updates are plain relaxed load + store. Threads beyond LIB_SLOTS share
 * LIB_SLOT_SHARED and use read-modify-write atomics or a lock. */
#define LIB_SLOTS 64
#define LIB_SLOT_SHARED LIB_SLOTS
#define LIB_CACHELINE 64

extern __thread int lib_tls_slot __attribute__((tls_model("initial-exec")));
int lib_slot_assign(void);

static inline int lib_slot(void)
{
	int s = lib_tls_slot;

	return s >= 0 ? s : lib_slot_assign();
}

/* ---- strings ----
 * Length of the UTF-8 sequence at p (1..4), 0 when invalid (metrics.c). */
size_t lib_utf8_seq(const unsigned char *p);
/* Appends s as an RFC 8259 string: '"', '\\' and every control character
 * escaped, each byte of invalid UTF-8 as U+FFFD, every other byte kept
 * (perflog.c). */
void lib_json_quote(struct strbuf *sb, const char *s);

/* ---- spans (span.c) ----
 * The id of the outermost scope open on this thread, the "trace" the
 * current span (pinch_span_current()) belongs to; 0 outside scopes. */
uint64_t lib_trace_current(void);

/* ---- registry (metrics.c) ---- */
/* The spans' histogram (span.c), label "span", default buckets: the only
 * registration that name accepts. */
#define LIB_SPAN_FAMILY "pinch_span_duration_seconds"
enum lib_type { LIB_COUNTER, LIB_GAUGE, LIB_HISTOGRAM, LIB_SUMMARY };
/* Summaries are histograms underneath, exposed as quantiles. */
#define LIB_HIST_LIKE(t) ((t) == LIB_HISTOGRAM || (t) == LIB_SUMMARY)

static inline const char *lib_type_name(enum lib_type t)
{
	return t == LIB_COUNTER ? "counter" : t == LIB_GAUGE ? "gauge"
		: t == LIB_HISTOGRAM ? "histogram" : "summary";
}

struct lib_family;

/* Common head of every series. */
struct lib_series {
	struct lib_family *fam;
	char **label_values;		/* fam->n_labels strings */
};

struct lib_family {
	char *name, *help;
	enum lib_type type;
	char **label_names;
	size_t n_labels;
	/* histograms */
	double *bounds;			/* n_bounds upper bounds, unit */
	uint64_t *bound_ticks;		/* the same in ticks */
	size_t n_bounds;
	double scale;			/* ticks per unit */
	uint64_t max_ticks;
	uint32_t n_counts;		/* HDR buckets */
	uint16_t *le_of_index;		/* HDR bucket -> first le that may hold it */
	struct lib_family *next;
	/* series in creation order, indexed by hash of their label values
	 * (id = index in series) */
	struct hmap series_idx;
	struct lib_series **series;
	size_t n_series, cap_series;
	struct lib_series *overflow;	/* past the registry's series limit */
};

struct counter_shard {
	_Atomic uint64_t v;
	char pad[LIB_CACHELINE - sizeof(uint64_t)];
};

/* A counter's shards come in chunks of LIB_CHUNK slots, allocated when a
 * thread of one of those slots first updates it: a counter one thread
 * updates costs one chunk, not LIB_SLOTS + 1 cache lines. */
#define LIB_CHUNK 4
#define LIB_CHUNKS ((LIB_SLOTS + 1 + LIB_CHUNK - 1) / LIB_CHUNK)

struct pinch_counter {
	struct lib_series s;
	_Atomic(struct counter_shard *) chunks[LIB_CHUNKS];
};

struct pinch_gauge {
	struct lib_series s;
	_Atomic uint64_t bits;		/* a double */
	double (*fn)(void *arg);	/* callback gauge: read at scrape time */
	void *arg;
};

/* One thread's part of a histogram, written by its owner only. Its HDR
 * bucket counts come in pages of LIB_HIST_PAGE, allocated by the owner on
 * first use: values of one latency range touch a few pages, not all
 * n_counts (~36 KB) of them. */
#define LIB_HIST_PAGE 64
struct hist_slot {
	_Atomic uint64_t count, sum_bits, sumsq_bits, min, max, clamped;
	_Atomic uint64_t *le;		/* n_bounds + 1 (the last is +Inf) */
	_Atomic(_Atomic uint64_t *) pages[];	/* n_counts / LIB_HIST_PAGE, rounded up */
};

struct pinch_histogram {
	struct lib_series s;
	_Atomic(struct hist_slot *) slots[LIB_SLOTS + 1];
	pthread_mutex_t shared_lock;	/* for LIB_SLOT_SHARED */
};

/* Default per-family series limit (pinch_registry_set_series_limit). */
#define LIB_SERIES_LIMIT 10000
#define LIB_DROPPED_FAMILY "pinch_series_dropped_total"
#define LIB_OVERFLOW_VALUE "_overflow_"

struct pinch_registry {
	pthread_mutex_t lock;		/* registration and snapshots */
	struct lib_family *families, **tail;
	struct hmap fam_idx;		/* families by hash of name; id = index in fams */
	struct lib_family **fams;
	size_t n_fams, cap_fams;
	size_t series_limit;
	/* renders reading a snapshot now; series removed meanwhile wait in
	 * graveyard until the last one is done (lib_registry_snapshot_done) */
	unsigned int renders;
	struct lib_series **graveyard;
	size_t n_graveyard, cap_graveyard;
	struct pinch_registry *next_reg;	/* every live registry (fork) */
};

struct hist;
/* Merges every slot of h into the uninitialized dst (hist_init'ed here;
 * caller releases) and, when le is not NULL, the cumulative-free per-bucket
 * counts (n_bounds + 1) into le. 0 or -ENOMEM. */
int lib_histogram_merge(const struct pinch_histogram *h, struct hist *dst, uint64_t *le);
/* Label value of a series' label i. */
static inline const char *lib_series_label(const struct lib_series *s, size_t i)
{
	return s->label_values[i];
}

/* Lock / unlock a registry for reading its families (format.c, span.c). */
void lib_registry_lock(struct pinch_registry *r);
void lib_registry_unlock(struct pinch_registry *r);

/* Every series of r, family by family, copied under the lock: series and
 * their families are immutable (but for their values) and live as long as
 * the registry, so the caller reads them without it. *out freed by the
 * caller. 0 or -ENOMEM. */
int lib_registry_snapshot(struct pinch_registry *r, struct lib_series ***out, size_t *n);
/* Ends a snapshot: frees *v and the series removed while it was read. */
void lib_registry_snapshot_done(struct pinch_registry *r, struct lib_series **v);

/* Prometheus / OpenMetrics (om) metadata lines of a family, and a sample's
 * name (OpenMetrics counters end in _total; their family does not). */
void lib_metadata(struct strbuf *sb, const char *name, const char *type, const char *help, int om);
void lib_sample_name(struct strbuf *sb, const char *name, int counter, int om);

/* Renders a registry (format.c): a snapshot, then no lock held; no
 * "# EOF" after OpenMetrics (the caller may add more families). */
int lib_format(struct pinch_registry *r, enum pinch_format fmt, struct strbuf *out);

/* Appends v in the shortest form that reads back exactly, or NaN/+Inf/-Inf
 * (the Prometheus text format's spelling). */
void lib_add_float(struct strbuf *sb, double v);

/* ---- endpoint (serve.c, http.c) ----
 * serve.c makes the socket and the pages; http.c runs the HTTP daemon,
 * linked in (static builds: PINCH_HTTP_BUILTIN) or loaded from the module
 * libpinch-serve.so next to libpinch.so (pinch_http_module()). */
/* Builds the reply to one request: a malloc'd body (*len bytes), the
 * status and content type; NULL when out of memory. */
typedef char *(*lib_page_fn)(void *ctx, const char *url, const char *method,
			     const char *accept, size_t *len, unsigned int *code,
			     const char **type);
#define LIB_HTTP_ABI 2
struct lib_http_ops {
	int abi;
	/* a daemon serving the listening fd (its own thread), or NULL */
	void *(*start)(int fd, int ipv6, lib_page_fn page, void *ctx);
	void (*stop)(void *daemon);	/* joins its thread, closes fd */
	int (*epoll_fd)(void *daemon);	/* -1 if none */
};
extern const struct lib_http_ops lib_http_mhd;	/* http.c */
struct sockaddr_storage;
/* Parses "HOST:PORT" / "[V6]:PORT" (IP or localhost); 0, -EINVAL, -EPERM. */
int lib_parse_addr(const char *addr, int allow_remote, struct sockaddr_storage *ss,
		   unsigned int *sslen);

/* ---- process statistics (procstat.c) ---- */
struct lib_procstat {
	double cpu_seconds;		/* user + system */
	uint64_t rss_bytes, vsize_bytes;
	uint64_t max_fds;		/* RLIMIT_NOFILE soft limit */
	uint64_t open_fds, open_files, sockets;
	uint64_t threads;
	double start_time;		/* seconds since the epoch */
	double uptime;			/* seconds */
};
int lib_procstat_read(struct lib_procstat *ps);

/* The process_* metrics /metrics adds to every registry it serves, in the
 * order of lib_process_values(); their names are reserved (metrics.c). */
#define LIB_PROCESS_METRICS 7
struct lib_process_metric { const char *name, *type, *help; };
extern const struct lib_process_metric lib_process_metrics[LIB_PROCESS_METRICS];
void lib_process_values(const struct lib_procstat *ps, double v[LIB_PROCESS_METRICS]);

#endif
