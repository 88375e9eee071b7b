/*
 * strbuf.h - growable byte buffer with git's invariants: buf is never NULL,
 * always NUL-terminated, binary-safe; _detach() hands ownership over.
 * An optional cap bounds growth for buffers fed by untrusted input.
 */
#ifndef PINCH_CORE_STRBUF_H
#define PINCH_CORE_STRBUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	size_t alloc;
	size_t len;
	size_t cap;	/* 0: unbounded; else the most bytes len may reach */
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { .alloc = 0, .len = 0, .cap = 0, .buf = strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
/* Frees the contents; the strbuf is left initialized and empty. */
void strbuf_release(struct strbuf *sb);
/* Returns the buffer (caller frees) and re-initializes sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Ensures room for extra more bytes. Returns 0 or -ENOMEM/-E2BIG (cap). */
int strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
static inline void strbuf_reset(struct strbuf *sb) { strbuf_setlen(sb, 0); }

int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, int c);
int strbuf_addchars(struct strbuf *sb, int c, size_t n);
int strbuf_add_shell_word(struct strbuf *sb, const char *w);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Appends s with invalid UTF-8 bytes replaced by U+FFFD and control
 * characters (other than tab) replaced by '?'. */
int strbuf_add_utf8_sanitized(struct strbuf *sb, const char *s, size_t len);
/* Reads the whole file at path (at most max bytes when max > 0). */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);
/* Opens path for writing, created mode 0600 (or truncated): for outputs
 * that hold what was read from a process's memory (SQL text, syscall
 * arguments). NULL with errno set on failure. */
FILE *fopen_private(const char *path);
/* Writes sb to path (created or truncated): 0 or -errno. */
int strbuf_write_file(const struct strbuf *sb, const char *path);
/* Appends the human form of a byte count: "1.5 MiB". */
int strbuf_add_bytes(struct strbuf *sb, double bytes);
/* Appends a human duration from nanoseconds: "812 us", "1.25 s". */
int strbuf_add_duration(struct strbuf *sb, double ns);
void strbuf_rtrim(struct strbuf *sb);
/* Appends v as a LEB128/protobuf varint (7 bits a byte, low first). */
int strbuf_add_varint(struct strbuf *sb, uint64_t v);

#endif
