/*
 * fuzz-load-scenario.c - fuzz target for scenario files (src/load/
 * scenario.c over libyaml), their templates and thresholds.
 */
#include <stddef.h>
#include <stdint.h>

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
	if (!load_scenario_parse(&s, "fuzz.yaml", (const char *)data, size, err, sizeof(err))) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < s.n_tasks; i++) {
			load_tmpl_expand(&s.tasks[i].path, &sb, &rng, i, 1);
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
	return 0;
}
