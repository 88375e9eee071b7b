#ifndef PINCH_CORE_STRDIST_H
#define PINCH_CORE_STRDIST_H

#include <stddef.h>

/*
 * Levenshtein distance of two short strings, for "did you mean" hints
 * (commands, functions). icase compares ASCII letters case-insensitively.
 * Strings longer than 64 bytes are never close: SIZE_MAX.
 */
size_t str_distance(const char *a, const char *b, int icase);

#endif
