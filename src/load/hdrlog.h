/*
 * hdrlog.h - the histogram log of a load run, in HdrHistogram's own
 * interval log format (what HistogramLogWriter writes and
 * HistogramLogReader / HistogramLogProcessor read): one line per interval,
 * "start_s,length_s,max_ms,<V2 compressed histogram, base64>", values in
 * nanoseconds. pinch's run totals ride along in a comment line, so
 * 'pinch load merge' combines the logs of several machines into exact
 * percentiles (counts add bucket by bucket) and exact totals.
 *
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1765115400.000 (seconds since epoch), 2025-12-07T13:50:00Z]
 *   #[BaseTime: 1765115400.000 (seconds since epoch)]
 *   #[pinch load http://10.0.0.5/]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   0.000,1.000,12.345,HISTFAAAA...
 *   #[pinch totals duration_ns=... requests=... ok=... status.200=...]
 *
 * pinch's histogram has HdrHistogram's layout for a lowest discernible
 * value of 1 and 2 significant digits (256 sub-buckets), so its counts are
 * written and read index for index. The older pinch log ("#pinch-load-
 * hdrlog 1") is still read by merge.
 */
#ifndef PINCH_LOAD_HDRLOG_H
#define PINCH_LOAD_HDRLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hist;
struct load_result;
struct strbuf;

struct load_hdrlog {
	FILE *f;
};

int load_hdrlog_open(struct load_hdrlog *l, const char *path, const char *target,
		     char *err, size_t errlen);
void load_hdrlog_interval(struct load_hdrlog *l, uint64_t start_ns, uint64_t len_ns,
			  const struct hist *h);
/* Writes the totals line and closes. Returns 0 or -EIO. */
int load_hdrlog_finish(struct load_hdrlog *l, const struct load_result *r);

/* HdrHistogram's V2 compressed encoding of h (zlib, ZigZag LEB128 counts),
 * in base64. Returns 0 or -ENOMEM. */
int load_hdr_encode(const struct hist *h, struct strbuf *b64);
/* Decodes one into an uninitialized h. Returns 0 or -EINVAL with err set. */
int load_hdr_decode(struct hist *h, const char *b64, size_t len, char *err, size_t errlen);

/* Adds the log in text to acc (initialized by load_result_init with no
 * tasks): histograms merge, counts add, the duration is the longest,
 * rates add (the runs are taken to be concurrent). name is for messages. */
int load_hdrlog_merge(struct load_result *acc, const char *name, const char *text, size_t len,
		      char *err, size_t errlen);

/* The per-second CSV time series (--csv): "second,requests,errors,p50_ms,
 * p90_ms,p99_ms". */
int load_csv_open(struct load_hdrlog *l, const char *path, char *err, size_t errlen);
void load_csv_row(struct load_hdrlog *l, uint64_t end_ns, uint64_t requests, uint64_t errors,
		  const struct hist *h);
int load_csv_finish(struct load_hdrlog *l);

#endif
