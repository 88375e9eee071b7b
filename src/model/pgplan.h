/*
 * pgplan.h - a PostgreSQL EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) plan
 * read into a tree (model layer), with each node's inclusive and own
 * time, and the findings pinch db explain reports: sequential scans that
 * filter most rows away (with the CREATE INDEX that serves the filter),
 * row estimates off by more than 10x (not below a Limit that stopped the
 * scan early), sorts and hashes that spilled to disk, nested loops that
 * ran their inner side many times, and time spent in triggers (an
 * unindexed foreign key's checks), which sits outside the tree.
 *
 * "Actual Rows", "Actual Total Time" and "Rows Removed by Filter" are per
 * loop in the JSON: the figures here are totals (times loops).
 * The input is untrusted (a file from elsewhere): anything unexpected is
 * an error with a message, never a crash.
 */
#ifndef PINCH_MODEL_PGPLAN_H
#define PINCH_MODEL_PGPLAN_H

#include <stddef.h>
#include <stdint.h>

struct pgplan_node {
	char *type;		/* "Seq Scan", "Hash Join", ... */
	char *relation;		/* NULL when none */
	char *alias;
	char *index;		/* "Index Name" */
	char *filter;		/* "Filter" */
	char *cond;		/* "Index Cond", "Hash Cond", "Join Filter", ... (first found) */
	char *sort_method;	/* "Sort Method" */
	char *sort_space;	/* "Sort Space Type" ("Disk", "Memory") */
	double plan_rows;	/* estimate per loop */
	double rows;		/* actual rows, all loops */
	double loops;
	double time_ms;		/* inclusive, all loops */
	double self_ms;		/* time_ms minus the children's */
	double removed;		/* rows removed by the filter, all loops */
	double hash_batches, orig_hash_batches;
	uint64_t hit, read, temp_read, temp_written;	/* shared buffers, temp blocks */
	int analyzed;		/* "Actual Loops" present */
	int under_limit;	/* a Limit above it may stop it early */
	int depth;
	size_t parent;		/* SIZE_MAX for the root */
};

struct pgplan_trigger {
	char *name, *relation;
	double time_ms, calls;
};

enum pgplan_finding_kind {
	PGF_SEQ_FILTER = 1,	/* a seq scan removing most rows: an index would serve it */
	PGF_MISESTIMATE,
	PGF_SPILL,		/* sort or hash on disk */
	PGF_NESTED_LOOPS,	/* the inner side ran many times */
	PGF_TRIGGER,		/* time in a trigger (a foreign key check) */
};

struct pgplan_finding {
	enum pgplan_finding_kind kind;
	size_t node;		/* SIZE_MAX for a trigger */
	double time_ms;		/* what it costs: its node's or trigger's time */
	char *text;		/* plain words */
	char *sql;		/* CREATE INDEX suggestion, or NULL */
};

struct pgplan {
	struct pgplan_node *nodes;	/* depth-first, root first */
	size_t n_nodes;
	struct pgplan_trigger *triggers;
	size_t n_triggers;
	struct pgplan_finding *findings;	/* costliest first */
	size_t n_findings;
	double planning_ms, execution_ms;	/* 0 when absent */
	int analyzed;
};

/* Parses the JSON text (buf, len; leading text before the first '[' or
 * '{' is skipped). 0, or -EINVAL with a reason in err. */
int pgplan_parse(struct pgplan *p, const char *buf, size_t len, char *err, size_t errlen);
void pgplan_release(struct pgplan *p);

/* Columns a filter expression compares with constants, in the order an
 * index should take them (equalities first), written to out as
 * "a, b" (empty when none). Returns the count. */
int pgplan_filter_columns(const char *filter, char *out, size_t cap);

#endif
