/*
 * sqlnorm.h - SQL statement normalization shared by the db agent
 * (src/agent/db/agent.c) and pinch db: literals and parameters become
 * '?', comments go, whitespace runs fold into one space. Depends only on
 * libc; never allocates.
 *
 *   SELECT * FROM t WHERE id = 42 AND name = 'x''y'   -- hi
 *   -> SELECT * FROM t WHERE id = ? AND name = ?
 *
 * Replaced: '...' strings (with '' and, after E, backslash escapes),
 * $tag$...$tag$ bodies, X'..'/B'..' literals, numbers (integers, decimals,
 * exponents, 0x hex) that do not continue an identifier, and the
 * placeholders $1, ?, ?NNN, :name and @name. "Quoted identifiers" and
 * `backquoted` ones are kept. IN-lists keep their length (as in
 * pg_stat_statements).
 */
#ifndef PINCH_AGENT_DB_SQLNORM_H
#define PINCH_AGENT_DB_SQLNORM_H

#include <stddef.h>
#include <stdint.h>

/* Writes the normalized form of sql[0..len) (stops early at a NUL) to
 * out (cap >= 1 bytes, always NUL-terminated). A result longer than
 * cap - 1 is cut at a character boundary and ends in "...". Returns the
 * length written. */
size_t sqlnorm(const char *sql, size_t len, char *out, size_t cap);

/* FNV-1a of s[0..len). */
static inline uint64_t sqlnorm_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif
