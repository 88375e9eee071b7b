/* strdist.c - edit distance for the "did you mean" hints. */
#include "strdist.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/banned.h"

size_t str_distance(const char *a, const char *b, int icase)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = (unsigned char)a[i - 1], cb = (unsigned char)b[j - 1];
			size_t up = row[j], best;

			if (icase) {
				ca = tolower(ca);
				cb = tolower(cb);
			}
			best = diag + (ca != cb);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}
