/*
 * fuzz-cpuprof.c - recording -> profile on arbitrary bytes: maps, forks,
 * thread names, samples with registers and stack copies (the unwinder
 * and the leaf fix read them), lost and finish records. Seeds are small
 * real recordings (fp, dwarf, fork) from pinch record.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "model/cpuprof.h"
#include "model/profile.h"
#include "model/recfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader *r;
	struct profile *p = NULL;
	struct cpuprof_stats st;
	struct strbuf warn = STRBUF_INIT;
	char err[256];

	if (rec_reader_open_mem(&r, data, size, err, sizeof(err)))
		return 0;
	if (cpuprof_build(r, NULL, &p, &st, &warn, err, sizeof(err)) == 0) {
		/* Every stack must point at real locations. */
		for (size_t i = 0; i < profile_n_samples(p); i++) {
			uint32_t n;
			const uint32_t *s = profile_stack(p, profile_sample(p, i)->stack, &n);

			for (uint32_t k = 0; k < n; k++)
				if (s[k] >= profile_n_locations(p))
					__builtin_trap();
		}
		profile_free(p);
	}
	strbuf_release(&warn);
	rec_reader_close(r);
	return 0;
}
