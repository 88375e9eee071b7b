/*
 * view_syscalls.h - `pinch syscalls`' table (strace -c's columns with
 * latency percentiles), its JSON, and one line per traced call
 * (strace -e trace=file's form). Append to a strbuf; the command prints.
 */
#ifndef PINCH_VIEW_VIEW_SYSCALLS_H
#define PINCH_VIEW_VIEW_SYSCALLS_H

#include <stdint.h>

struct sysc_result;
struct sysc_event;
struct strbuf;

void sysc_render_table(const struct sysc_result *r, const char *command, struct strbuf *out);
void sysc_render_json(const struct sysc_result *r, const char *command, struct strbuf *out);
/* One traced call; t0_ns: the start, for the relative timestamp. */
void sysc_render_event(const struct sysc_event *e, uint64_t t0_ns, struct strbuf *out);

#endif
