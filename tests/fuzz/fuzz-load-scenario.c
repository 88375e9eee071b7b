/*
 * fuzz-load-scenario.c - fuzz target for scenario files (src/load/
 * scenario.c over libyaml), their templates, checks and thresholds, and
 * the CSV data feeder's parser (the same bytes read as CSV). Data files
 * are not read (no_files).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/strbuf.h"
#include "load/scenario.h"
#include "load/threshold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_scenario s;
	struct load_threshold t;
	char err[512];
	uint64_t rng = 1;

	load_scenario_init(&s);
	s.no_files = 1;
	if (!load_scenario_parse(&s, "fuzz.yaml", (const char *)data, size, err, sizeof(err))) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < s.n_tasks; i++) {
			load_tmpl_expand(&s.tasks[i].path, &sb, &rng, i, 1);
			load_tmpl_expand(&s.tasks[i].hdr, &sb, &rng, i, 1);
			if (s.tasks[i].has_body)
				load_tmpl_expand(&s.tasks[i].body, &sb, &rng, i, 1);
			strbuf_reset(&sb);
		}
		for (size_t i = 0; i < s.n_thresholds; i++)
			load_threshold_parse(s.thresholds[i], &t, err, sizeof(err));
		for (int i = 0; i < 8; i++)
			(void)load_scenario_pick(&s, load_rng_next(&rng));
		(void)load_scenario_users_at(&s, rng % 100000000000ull, 10);
		strbuf_release(&sb);
	}
	load_scenario_release(&s);
	{
		struct load_data d;

		memset(&d, 0, sizeof(d));
		if (!load_data_parse(&d, "fuzz.csv", (const char *)data, size, err, sizeof(err))) {
			struct load_tmpl t;
			struct strbuf sb = STRBUF_INIT;

			if (!load_tmpl_compile_cols(&t, "/{a}/{b}/{seq}", 14, d.cols, d.n_cols, err, sizeof(err))) {
				for (size_t r = 0; r < d.n_rows; r++)
					load_tmpl_expand_row(&t, &sb, &rng, r, 0, d.cells + r * d.n_cols);
				load_tmpl_release(&t);
			}
			strbuf_release(&sb);
		}
		load_data_release(&d);
	}
	return 0;
}
