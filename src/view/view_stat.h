/*
 * view_stat.h - the text, JSON and SVG forms of a `pinch stat` result
 * (view layer). Every function appends to a strbuf; the command prints.
 */
#ifndef PINCH_VIEW_VIEW_STAT_H
#define PINCH_VIEW_VIEW_STAT_H

struct stat_result;
struct strbuf;

/* CPU use as a percentage of the whole machine (all cores) and max RSS as
 * a percentage of MemTotal (or the cgroup limit when lower): the numbers
 * `pinch check` compares with its targets. */
double stat_cpu_pct(const struct stat_result *r);
double stat_memory_pct(const struct stat_result *r);

void stat_render_text(const struct stat_result *r, const char *command, struct strbuf *out);
/* The --interval series as rows of block characters, width columns. */
void stat_render_chart(const struct stat_result *r, int width, struct strbuf *out);
void stat_render_json(const struct stat_result *r, const char *command, struct strbuf *out);
void stat_render_svg(const struct stat_result *r, const char *command, struct strbuf *out);

#endif
