/*
 * out.h - pinch bench's outputs: the text report, the relative summary,
 * JSON (kind "bench", schema 1, the shape libpinch's pinch_bench_json
 * writes plus every raw run), Markdown and CSV.
 */
#ifndef PINCH_BENCH_OUT_H
#define PINCH_BENCH_OUT_H

#include <stddef.h>

struct strbuf;
struct bench_cmd;
struct bench_cfg;
struct bench_shell_cost;
struct machine_facts;

/* One command's block: mean ± σ, user/system, range, median, RSS, warnings. */
void bench_text_cmd(struct strbuf *sb, const struct bench_cmd *c, size_t index);
/* "Summary: 'A' ran 1.84 ± 0.05 times faster than 'B'" (n >= 2). */
void bench_text_summary(struct strbuf *sb, const struct bench_cmd *c, size_t n);
void bench_json(struct strbuf *sb, const struct bench_cmd *c, size_t n, const struct bench_cfg *cfg,
		const struct bench_shell_cost *shell, const struct machine_facts *m);
void bench_markdown(struct strbuf *sb, const struct bench_cmd *c, size_t n);
void bench_csv(struct strbuf *sb, const struct bench_cmd *c, size_t n);
/* Formats seconds in a unit fit for `ref` seconds: "101.2 ms". */
const char *bench_unit(double ref, double *scale);

#endif
