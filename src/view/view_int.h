/*
 * view_int.h - what the renderers in src/view share: functions
 * aggregated from locations (name + module), per-stack sums of the shown
 * value, a function-level call tree, unit formatting and name matching.
 * Private to src/view.
 */
#ifndef PINCH_VIEW_VIEW_INT_H
#define PINCH_VIEW_VIEW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/hmap.h"

struct profile;
struct strbuf;
struct view_opts;
struct json_writer;
struct vtree_node;

/* A function: every location with the same function name and module. */
struct vfunc {
	uint32_t name, module;	/* profile string ids */
	uint32_t file, line;	/* its most-sampled line (innermost frame), 0 if none */
	uint32_t first_line;	/* lowest sampled line, 0 if none */
	uint16_t kind;		/* enum loc_kind of its first location */
	int64_t self, total;	/* shown value: leaf frame / anywhere (once per sample) */
	int64_t self_n, total_n;/* the same for the count type */
};

struct vctx {
	const struct profile *p;
	const struct view_opts *o;
	size_t n_locs, n_stacks;
	uint32_t *loc_func;	/* location id -> function index */
	struct vfunc *f;
	size_t n_funcs;
	struct hmap func_index;
	/* filled by vctx_sum() */
	int64_t *sval, *scnt;	/* per stack: value and count */
	int64_t total, total_n;
	int64_t *loc_val, *loc_n;/* per location: value where it is its function's innermost frame */
	uint32_t *stamp;	/* per function scratch */
	uint32_t *name_rank;	/* per function: rank of its name (vctx_rank_names) */
	int has_count;
};

/* Checks o (types in range) and builds the function table. */
int vctx_init(struct vctx *c, const struct profile *p, const struct view_opts *o,
	      char *err, size_t errlen);
void vctx_release(struct vctx *c);
/* Sums samples of thread (or all when thread == UINT32_MAX) per stack and
 * fills every function's self/total and best line. */
int vctx_sum(struct vctx *c, uint32_t thread);
const char *vctx_fname(const struct vctx *c, uint32_t f);
/* Fills name_rank: functions ordered by name (equal names, equal ranks). */
int vctx_rank_names(struct vctx *c);
/* vtree_children() with siblings in name order (threads by id); needs
 * vctx_rank_names() first. */
struct vtree;
int vtree_children_by_name(const struct vctx *c, const struct vtree *t, uint32_t **first,
			   uint32_t **next);

/* Finds the function matching o->func: exact name first (the hottest one
 * if several modules have it), then a unique substring. Returns the
 * function index or -ENOENT / -EINVAL with the reason in err. */
int vctx_match(const struct vctx *c, const char *want, char *err, size_t errlen);

/* Units: appends v in the unit of the shown type ("1.25 s", "1.5 MiB", "42"). */
void view_add_value(struct strbuf *sb, const char *unit, int64_t v);
/* Column heading word for a unit: "Time", "Bytes" or "Value". */
const char *view_unit_label(const char *unit);
/* Appends a frame name for a text form: invalid UTF-8 replaced, control
 * characters to '?'; and, when nosemi, ';' to ':' (folded stacks). */
void view_add_name(struct strbuf *sb, const char *s, int nosemi);
/* Appends s padded (or truncated with an ellipsis) to width display
 * columns (code points); right-aligned when right. */
void view_add_col(struct strbuf *sb, const char *s, size_t width, int right);
size_t view_utf8_width(const char *s);
/* "N noun" with a plural noun made singular for one ("1 sample"). */
void view_add_count(struct strbuf *sb, long long n, const char *noun);
double view_pct(int64_t v, int64_t total);
/* Orders (function, file, line) keys of interned strings: the one rule
 * by which report's and mem report's rows group a source line. */
int view_line_key_cmp(uint32_t func_a, uint32_t file_a, uint32_t line_a, uint32_t func_b,
		      uint32_t file_b, uint32_t line_b);
const char *view_kind_name(unsigned kind);
/* Flame graph pieces shared by view_flamegraph.c and view_diff.c: a name
 * sanitized and XML-escaped; the label of a w-pixel-wide frame. */
void view_add_xml_name(struct strbuf *sb, const char *s);
void view_add_fg_label(struct strbuf *sb, const char *name, double w);
void view_json_types(const struct vctx *c, struct json_writer *w);

/* A function-level call tree (nodes keyed by parent + key). */
struct vtree_node {
	uint32_t parent, key, func;	/* key: what merges siblings (function or name id) */
	uint32_t depth;
	int64_t value, self, n, self_n;	/* inclusive / ending here; value and count */
};

struct vtree {
	struct vtree_node *nodes;	/* node 0 is the root */
	size_t n, alloc;
	struct hmap index;
};

int vtree_init(struct vtree *t);
void vtree_release(struct vtree *t);
/* Child of parent with key (created with func when absent); UINT32_MAX on ENOMEM. */
uint32_t vtree_child(struct vtree *t, uint32_t parent, uint32_t key, uint32_t func);
/* Adds value/count along the path ending at node. */
void vtree_add(struct vtree *t, uint32_t node, int64_t v, int64_t n);
/* Children lists: first[] and next[] arrays (n entries each, UINT32_MAX
 * terminated), siblings sorted by cmp. Caller frees both. */
int vtree_children(const struct vtree *t, uint32_t **first, uint32_t **next,
		   int (*cmp)(const void *ctx, const struct vtree_node *a, const struct vtree_node *b),
		   const void *ctx);
/* Builds the root-first call tree of all samples: siblings merged by
 * function name (key_by_name) or by function; with by_thread the root's
 * children are threads (key = thread id, func = UINT32_MAX). */
/* Appends a tree node's name: the function, or "NAME-TID" for a thread. */
void view_add_frame_name(const struct vctx *c, const struct vtree_node *nd, struct strbuf *sb,
			 int nosemi);
int vctx_tree(const struct vctx *c, struct vtree *t, int key_by_name, int by_thread);

#endif
