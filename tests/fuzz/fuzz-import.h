/*
 * fuzz-import.h - the body the fuzz-import-* targets share: import_detect,
 * then import_profile in one format; a profile that builds is rendered by
 * the top table and the folded stacks, whose sum must equal the total.
 */
#ifndef PINCH_FUZZ_IMPORT_H
#define PINCH_FUZZ_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "model/import.h"
#include "model/profile.h"
#include "view/view.h"

static volatile size_t sink;

static int fuzz_import(enum import_format fmt, const uint8_t *data, size_t size)
{
	struct profile *p = NULL;
	struct strbuf out = STRBUF_INIT;
	struct view_opts o;
	uint64_t samples;
	char err[256];

	sink += (size_t)import_detect((const char *)data, size);
	if (import_profile(fmt, (const char *)data, size, &p, &samples, err, sizeof(err)))
		return 0;
	view_opts_init(&o);
	o.value = 1;
	o.count_value = 0;
	if (!view_top(p, &o, &out, err, sizeof(err)))
		sink += out.len;
	strbuf_reset(&out);
	if (!view_collapsed(p, &o, &out, err, sizeof(err))) {
		long long sum = 0;
		const char *s = out.buf;

		while (s && *s) {
			const char *nl = strchr(s, '\n'), *sp = nl ? nl : s + strlen(s);

			while (sp > s && sp[-1] != ' ')
				sp--;
			sum += strtoll(sp, NULL, 10);
			s = nl ? nl + 1 : NULL;
		}
		if (sum != profile_total(p, 1))
			abort();
	}
	strbuf_release(&out);
	profile_free(p);
	return 0;
}

#endif
