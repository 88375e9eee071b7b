/*
 * buildid.h - GNU build-ids of ELF files, read from their notes with
 * libelf (collect layer), and a small per-path cache so each library is
 * opened once per recording.
 */
#ifndef PINCH_COLLECT_BUILDID_H
#define PINCH_COLLECT_BUILDID_H

#include <stddef.h>
#include <stdint.h>

#define BUILDID_MAX 20

/* Reads the NT_GNU_BUILD_ID note of an ELF image in memory. Returns the
 * id length (1..20; longer ids are cut to 20), -ENODATA when there is no
 * build-id note, or -EINVAL when the bytes are not ELF. */
int buildid_from_mem(const void *data, size_t size, uint8_t id[BUILDID_MAX]);
/* The same for a file. -errno from open() as well. */
int buildid_from_file(const char *path, uint8_t id[BUILDID_MAX]);

struct buildid_cache;
struct buildid_cache *buildid_cache_new(void);
/* Cached buildid_from_file(); pseudo paths ("[vdso]", "//anon", "") are
 * answered -ENODATA without touching the file system. */
int buildid_cache_get(struct buildid_cache *c, const char *path, uint8_t id[BUILDID_MAX]);
void buildid_cache_free(struct buildid_cache *c);

#endif
