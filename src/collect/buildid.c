/*
 * buildid.c - build-id notes through libelf (collect layer). The recorder
 * stores each executable mapping's build-id so the report can tell when a
 * binary changed since it was recorded.
 */
#include "buildid.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hmap.h"
#include "core/banned.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

static int scan_notes(Elf_Data *d, uint8_t id[BUILDID_MAX])
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && off < d->d_size &&
	       (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && nh.n_descsz > 0 &&
		    !memcmp((const char *)d->d_buf + name_off, "GNU", 4)) {
			size_t n = nh.n_descsz > BUILDID_MAX ? BUILDID_MAX : nh.n_descsz;

			memcpy(id, (const char *)d->d_buf + desc_off, n);
			return (int)n;
		}
	}
	return -ENODATA;
}

static int buildid_from_elf(Elf *elf, uint8_t id[BUILDID_MAX])
{
	size_t nph = 0, i;
	Elf_Scn *scn = NULL;
	int rc;

	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -EINVAL;
	/* Program headers first: they survive stripping of section headers. */
	if (elf_getphdrnum(elf, &nph) == 0) {
		for (i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
				continue;
			rc = scan_notes(elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
							     ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR), id);
			if (rc > 0)
				return rc;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		rc = scan_notes(elf_getdata(scn, NULL), id);
		if (rc > 0)
			return rc;
	}
	return -ENODATA;
}

int buildid_from_mem(const void *data, size_t size, uint8_t id[BUILDID_MAX])
{
	Elf *elf;
	int rc;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	rc = buildid_from_elf(elf, id);
	elf_end(elf);
	return rc;
}

int buildid_from_file(const char *path, uint8_t id[BUILDID_MAX])
{
	Elf *elf;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	rc = buildid_from_elf(elf, id);
	elf_end(elf);
	close(fd);
	return rc;
}

struct buildid_entry {
	char *path;
	int rc;
	uint8_t id[BUILDID_MAX];
};

struct buildid_cache {
	struct hmap index;
	struct buildid_entry *v;
	size_t n, alloc;
};

struct buildid_cache *buildid_cache_new(void)
{
	struct buildid_cache *c = calloc(1, sizeof(*c));

	if (c)
		hmap_init(&c->index);
	return c;
}

static int entry_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct buildid_cache *c = ctx;

	return !strcmp(c->v[id].path, key);
}

int buildid_cache_get(struct buildid_cache *c, const char *path, uint8_t id[BUILDID_MAX])
{
	uint64_t h;
	uint32_t i;
	struct buildid_entry *e;

	if (!path[0] || path[0] == '[' || !strncmp(path, "//", 2) || path[0] != '/')
		return -ENODATA;
	h = hash_bytes(path, strlen(path), 0);
	i = hmap_find(&c->index, h, path, entry_eq, c);
	if (i != UINT32_MAX) {
		e = &c->v[i];
		if (e->rc > 0)
			memcpy(id, e->id, (size_t)e->rc);
		return e->rc;
	}
	if (c->n == c->alloc) {
		size_t na = c->alloc ? c->alloc * 2 : 64;
		struct buildid_entry *nv = realloc(c->v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->alloc = na;
	}
	e = &c->v[c->n];
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->rc = buildid_from_file(path, e->id);
	if (hmap_insert(&c->index, h, (uint32_t)c->n)) {
		free(e->path);
		return -ENOMEM;
	}
	c->n++;
	if (e->rc > 0)
		memcpy(id, e->id, (size_t)e->rc);
	return e->rc;
}

void buildid_cache_free(struct buildid_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	hmap_release(&c->index);
	free(c);
}
