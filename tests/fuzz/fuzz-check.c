/*
 * fuzz-check.c - fuzz target for pinch check's and pinch bench's parsers
 * (src/bench): the same bytes as a YAML targets file, as a result JSON
 * judged against the targets, and as a command line split into words.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/run.h"
#include "bench/targets.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct targets ts;
	struct strbuf out = STRBUF_INIT;
	enum target_verdict worst = TV_NONE;
	size_t rows = 0;
	char err[512], *text = malloc(size + 1), **argv;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!targets_init_builtin(&ts)) {
		targets_load_yaml(&ts, "fuzz.yaml", text, size, err, sizeof(err));
		targets_check(&ts, "fuzz.json", text, &out, &worst, &rows, err, sizeof(err));
		targets_release(&ts);
	}
	if (bench_split_args(text, &argv, err, sizeof(err)) > 0)
		free(argv);
	strbuf_release(&out);
	free(text);
	return 0;
}
