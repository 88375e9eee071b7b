/*
 * agentstream.c - indexes and sorts the CPU agent's record stream
 * (collect layer); cpu.c copies the result into the recording.
 */
#include "agentstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cpu/wire.h"
#include "model/recfile.h"
#include "core/banned.h"

static size_t min_payload(uint32_t type)
{
	switch (type) {
	case PCW_COMM: return sizeof(struct pcw_comm) + 1;
	case PCW_MMAP: return sizeof(struct pcw_mmap) + 1;
	case PCW_SAMPLE: return sizeof(struct pcw_sample);
	case PCW_FORK:
	case PCW_EXIT: return sizeof(struct pcw_task);
	case PCW_LOST: return sizeof(struct pcw_lost);
	default: return 0;	/* not ours to copy (META, FINISH, ...) */
	}
}

static int rec_cmp(const void *x, const void *y)
{
	const struct agentstream_rec *a = x, *b = y;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

int agentstream_index(const void *buf, size_t len, struct agentstream_rec **out, size_t *n,
		      int *torn)
{
	const unsigned char *p = buf;
	struct agentstream_rec *v = NULL;
	size_t cnt = 0, cap = 0, off = 0;

	*out = NULL;
	*n = 0;
	*torn = 0;
	while (off < len) {
		struct pcw_hdr h;
		size_t need;
		int to;

		if (len - off < sizeof(h)) {
			*torn = 1;
			break;
		}
		memcpy(&h, p + off, sizeof(h));
		if (h.type == 0 || h.size > REC_MAX_RECORD || pcw_record_bytes(h.size) > len - off) {
			*torn = 1;	/* cut short (the program died mid-write) or garbage */
			break;
		}
		need = min_payload(h.type);
		if (need && h.size >= need) {
			if (cnt == cap) {
				size_t nc = cap ? cap * 2 : 1024;
				struct agentstream_rec *nv = realloc(v, nc * sizeof(*nv));

				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
				cap = nc;
			}
			v[cnt].off = off + sizeof(h);
			v[cnt].type = h.type;
			v[cnt].size = h.size;
			v[cnt].time = 0;
			to = pcw_time_offset(h.type);
			if (to >= 0)
				memcpy(&v[cnt].time, p + off + sizeof(h) + (size_t)to, 8);
			cnt++;
		}
		off += pcw_record_bytes(h.size);
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), rec_cmp);
	*out = v;
	*n = cnt;
	return 0;
}
