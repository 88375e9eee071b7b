/*
 * fuzz-memprof.c - the pinch mem recording reader on arbitrary bytes:
 * every record type, sizes and stack ids checked, snapshots diffed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/memprof.h"
#include "model/recfile.h"

volatile uint64_t sink;	/* keeps the reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader *r;
	struct memprof *m;
	char err[256];

	if (rec_reader_open_mem(&r, data, size, err, sizeof(err)))
		return 0;
	if (memprof_read(&m, r, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < m->n_procs; i++) {
			struct memprof_proc *p = &m->procs[i];
			struct memprof_diff_row *rows;

			for (uint32_t s = 0; s < p->n_stacks + 1; s++) {
				uint32_t nr;
				const uint64_t *ips = memprof_stack(p, s, &nr);

				for (uint32_t k = 0; k < nr; k++)
					sink += ips[k];
			}
			if (p->n_snaps >= 2 &&
			    memprof_diff(&p->snaps[0], &p->snaps[p->n_snaps - 1], NULL, 0, 1024, &rows) >= 0)
				free(rows);
		}
		sink += memprof_main(m, 0) != NULL;
		memprof_free(m);
	}
	rec_reader_close(r);
	return 0;
}
