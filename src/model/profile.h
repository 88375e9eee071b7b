/*
 * profile.h - the one profile model every collector produces and every
 * view consumes (pprof-like): sample types (name + unit), interned
 * strings, locations (function, file, line, module), interned stacks
 * (arrays of location ids, leaf first), threads, and samples (stack,
 * thread, one value per sample type). Samples with the same stack and
 * thread are merged. Views never see raw addresses, only locations.
 *
 * Not thread-safe. Ids are dense, 0-based and stable for the life of
 * the profile; string id 0 is always "".
 */
#ifndef PINCH_MODEL_PROFILE_H
#define PINCH_MODEL_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define PROFILE_MAX_TYPES 16
#define PROFILE_NO_LINE 0

enum loc_kind {
	LOC_NATIVE = 0,		/* machine code, symbolized through ELF/DWARF */
	LOC_PYTHON = 1,		/* an interpreter frame */
	LOC_KERNEL = 2,
	LOC_UNKNOWN = 3,	/* could not be symbolized: function is "module+0xoff" */
};

struct profile_location {
	uint32_t function;	/* string id: the function's (demangled, qualified) name */
	uint32_t file;		/* string id of the source file, 0 if unknown */
	uint32_t line;		/* source line, 0 if unknown */
	uint32_t module;	/* string id of the binary/library basename, or "python" */
	uint64_t address;	/* relative address in the module (0 for interpreter frames) */
	uint16_t kind;		/* enum loc_kind */
	uint16_t inlined;	/* 1: an inlined call inside the next (outer) location */
	uint32_t pad;
};

struct profile_thread {
	uint32_t pid, tid;
	uint32_t name;		/* string id */
	int32_t gil_permille;	/* share of the time it held the Python GIL, -1 unknown */
};

struct profile_sample {
	uint32_t stack;
	uint32_t thread;
	/* values: profile_sample_values() */
};

struct profile;

struct profile *profile_new(void);
void profile_free(struct profile *p);

/* Adds a sample type such as ("cpu", "nanoseconds") or ("samples",
 * "count"); returns its index or -E2BIG past PROFILE_MAX_TYPES. All types
 * are added before the first sample. */
int profile_add_type(struct profile *p, const char *name, const char *unit);
size_t profile_n_types(const struct profile *p);
const char *profile_type_name(const struct profile *p, size_t i);
const char *profile_type_unit(const struct profile *p, size_t i);

/* Interning. Each returns an id, or UINT32_MAX on allocation failure. */
uint32_t profile_intern_string(struct profile *p, const char *s);
uint32_t profile_intern_stringn(struct profile *p, const char *s, size_t len);
uint32_t profile_intern_location(struct profile *p, const struct profile_location *loc);
uint32_t profile_intern_stack(struct profile *p, const uint32_t *locs, uint32_t n);
uint32_t profile_intern_thread(struct profile *p, uint32_t pid, uint32_t tid, const char *name);
/* Sets the thread's GIL share (permille of the observed time). */
void profile_set_thread_gil(struct profile *p, uint32_t thread, int32_t permille);
/* Renames a thread (a later comm record names it better). */
void profile_set_thread_name(struct profile *p, uint32_t thread, const char *name);

/* Adds values (profile_n_types() of them) to the (stack, thread) sample. */
int profile_add_sample(struct profile *p, uint32_t stack, uint32_t thread, const int64_t *values);

/* Read access. Pointers stay valid until the next add/intern call. */
const char *profile_string(const struct profile *p, uint32_t id);
size_t profile_n_locations(const struct profile *p);
const struct profile_location *profile_location(const struct profile *p, uint32_t id);
size_t profile_n_stacks(const struct profile *p);
const uint32_t *profile_stack(const struct profile *p, uint32_t id, uint32_t *n);
size_t profile_n_threads(const struct profile *p);
const struct profile_thread *profile_thread(const struct profile *p, uint32_t id);
size_t profile_n_samples(const struct profile *p);
const struct profile_sample *profile_sample(const struct profile *p, size_t i);
const int64_t *profile_sample_values(const struct profile *p, size_t i);
/* Sum of value type t over all samples. */
int64_t profile_total(const struct profile *p, size_t t);

/* Free-form metadata shown in report headers ("command", "mode", ...). */
int profile_set_meta(struct profile *p, const char *key, const char *value);
const char *profile_meta(const struct profile *p, const char *key);
size_t profile_n_meta(const struct profile *p);
void profile_meta_at(const struct profile *p, size_t i, const char **key, const char **value);
/* The command line of process pid when the recording labels its processes
 * (meta "cmdline.PID", written for an attached process's subprocesses and
 * a launched command's children), else NULL. */
const char *profile_process_cmdline(const struct profile *p, uint32_t pid);

/*
 * A copy of p with its functions grouped differently, for `--sort dso`
 * (PROFILE_GROUP_MODULE: one location per binary, consecutive frames of
 * one binary merged) or `--sort dso,sym` (PROFILE_GROUP_MODULE_FUNCTION:
 * functions named "module`function"). NULL when out of memory.
 */
enum profile_group {
	PROFILE_GROUP_MODULE = 1,
	PROFILE_GROUP_MODULE_FUNCTION = 2,
};
struct profile *profile_regroup(const struct profile *p, enum profile_group g);

#endif
