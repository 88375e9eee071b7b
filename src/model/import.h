/*
 * import.h - other tools' profiles read into the profile model, so every
 * view works on them: folded (collapsed) stacks, `perf script` text and
 * pprof (profile.proto, gzipped or not). perf.data itself is turned into
 * perf script text by the caller (src/cmd/report.c runs perf).
 *
 * The profile always has ("samples", "count") at type index 0 and the
 * value shown at index 1: for perf script the event's period (cpu-clock
 * and task-clock: ("cpu", "nanoseconds")), for folded stacks the counts
 * again, for pprof its default sample type (the other types follow).
 * Metadata: "import" (the format), "samples", and what the input tells
 * ("command", "duration_ns", "event").
 *
 * Errors: -EINVAL with "line N: ..." (text) or "byte N: ..." (pprof) in
 * err, -ENOMEM. Never trusts the input.
 */
#ifndef PINCH_MODEL_IMPORT_H
#define PINCH_MODEL_IMPORT_H

#include <stddef.h>
#include <stdint.h>

struct profile;

enum import_format {
	IMPORT_UNKNOWN = 0,
	IMPORT_FOLDED,
	IMPORT_PERF_SCRIPT,
	IMPORT_PPROF,
	IMPORT_PERF_DATA,	/* perf.data: the caller runs perf script */
	IMPORT_PINCH,		/* a pinch recording (PINCHREC) */
};

/* The format of buf by its content (magic bytes, then the first lines). */
enum import_format import_detect(const char *buf, size_t len);
const char *import_format_name(enum import_format f);

/* Builds a profile from buf in format f (folded, perf script or pprof). */
int import_profile(enum import_format f, const char *buf, size_t len, struct profile **out,
		   uint64_t *samples, char *err, size_t errlen);

#endif
