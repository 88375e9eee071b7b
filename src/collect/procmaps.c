/*
 * procmaps.c - reads a process's mappings from /proc/PID/maps (collect
 * layer); used to synthesize REC_MMAP records when attaching to a process.
 */
#include "procmaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cpu/wire.h"
#include "core/strbuf.h"
#include "core/banned.h"

static int procmaps_push(struct procmaps *m, const struct pcw_maps_entry *e)
{
	struct procmap *p;

	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 32;
		struct procmap *nv = realloc(m->v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->v = nv;
		m->alloc = na;
	}
	p = &m->v[m->n];
	p->path = malloc(e->path_len + 1);
	if (!p->path)
		return -ENOMEM;
	memcpy(p->path, e->path, e->path_len);
	p->path[e->path_len] = '\0';
	p->start = e->start;
	p->end = e->end;
	p->pgoff = e->pgoff;
	p->prot = e->prot;
	m->n++;
	return 0;
}

int procmaps_parse(struct procmaps *m, const char *text, size_t len, int exec_only, size_t *bad)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct pcw_maps_entry e;

		if (le > p) {
			if (pcw_maps_parse_line(p, (size_t)(le - p), &e)) {
				if (bad)
					(*bad)++;
			} else if (!exec_only || (e.prot & 4)) {
				int rc = procmaps_push(m, &e);

				if (rc)
					return rc;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int procmaps_read(struct procmaps *m, pid_t pid, int exec_only)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	rc = strbuf_read_file(&sb, path, 64u << 20);
	if (rc) {
		strbuf_release(&sb);
		return rc == -ENOENT ? -ESRCH : rc;
	}
	rc = procmaps_parse(m, sb.buf, sb.len, exec_only, NULL);
	strbuf_release(&sb);
	return rc;
}

void procmaps_release(struct procmaps *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = m->alloc = 0;
}
