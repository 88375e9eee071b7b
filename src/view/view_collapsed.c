/*
 * view_collapsed.c - Brendan Gregg's folded stacks (view layer):
 * "root;child;leaf VALUE", one line per distinct stack of names, threads
 * merged (or prefixed with the thread). Values sum to profile_total().
 * With --json: {"view": "collapsed", "stacks": [{"stack", "value"}...]}.
 */
#include "view/view.h"
#include "view/view_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/profile.h"
#include "core/banned.h"

void view_add_frame_name(const struct vctx *c, const struct vtree_node *nd, struct strbuf *sb,
			 int nosemi)
{
	if (nd->func == UINT32_MAX) {
		const struct profile_thread *t = profile_thread(c->p, nd->key);
		const char *name = profile_string(c->p, t->name);

		view_add_name(sb, *name ? name : "thread", nosemi);
		strbuf_addf(sb, "-%u", t->tid);
		return;
	}
	view_add_name(sb, vctx_fname(c, nd->func), nosemi);
}

/* The folded lines as JSON: each line's last space separates the value. */
static int collapsed_json(const struct profile *p, const struct view_opts *o, struct strbuf *out,
			  char *err, size_t errlen)
{
	struct view_opts text = *o;
	struct strbuf folded = STRBUF_INIT;
	struct json_writer w;
	const char *l;
	int rc;

	text.json = 0;
	rc = view_collapsed(p, &text, &folded, err, errlen);
	if (rc)
		goto out;
	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "view", "collapsed");
	json_kint(&w, "total", profile_total(p, o->value));
	json_key(&w, "stacks");
	json_arr_begin(&w);
	for (l = folded.buf; *l;) {
		const char *nl = strchr(l, '\n'), *end = nl ? nl : l + strlen(l), *sp = end;

		while (sp > l && sp[-1] != ' ')
			sp--;
		if (sp > l) {
			json_obj_begin(&w);
			json_key(&w, "stack");
			json_strn(&w, l, (unsigned long)(sp - 1 - l));
			json_kint(&w, "value", strtoll(sp, NULL, 10));
			json_obj_end(&w);
		}
		l = nl ? nl + 1 : end;
	}
	json_arr_end(&w);
	json_obj_end(&w);
out:
	strbuf_release(&folded);
	return rc;
}

int view_collapsed(const struct profile *p, const struct view_opts *o, struct strbuf *out,
		   char *err, size_t errlen)
{
	struct vctx c;
	struct vtree t;
	struct strbuf path = STRBUF_INIT;
	uint32_t *first = NULL, *next = NULL, *stk = NULL;
	size_t *plen = NULL, sp = 0;
	int rc;

	if (o->json)
		return collapsed_json(p, o, out, err, errlen);
	rc = vctx_init(&c, p, o, err, errlen);
	if (rc)
		return rc;
	rc = vctx_tree(&c, &t, 1, o->by_thread);
	if (rc)
		goto nomem;
	rc = vctx_rank_names(&c);
	if (!rc)
		rc = vtree_children_by_name(&c, &t, &first, &next);
	stk = malloc(t.n * sizeof(*stk));
	plen = malloc(t.n * sizeof(*plen));
	if (rc || !stk || !plen) {
		rc = -ENOMEM;
		goto nomem_tree;
	}
	/* depth-first, children in name order; plen[node] = path length after it */
	if (t.nodes[0].self)	/* samples without any frame */
		strbuf_addf(out, "[unknown] %lld\n", (long long)t.nodes[0].self);
	plen[0] = 0;
	/* push root's children in reverse so the first is visited first */
	{
		uint32_t ch, n = 0;

		for (ch = first[0]; ch != UINT32_MAX; ch = next[ch])
			n++;
		sp = n;
		for (ch = first[0]; ch != UINT32_MAX; ch = next[ch])
			stk[--n] = ch;
	}
	while (sp) {
		uint32_t id = stk[--sp], ch, n = 0, base;
		const struct vtree_node *nd = &t.nodes[id];

		strbuf_setlen(&path, plen[nd->parent]);
		if (path.len)
			strbuf_addch(&path, ';');
		view_add_frame_name(&c, nd, &path, 1);
		plen[id] = path.len;
		if (nd->self)
			strbuf_addf(out, "%s %lld\n", path.buf, (long long)nd->self);
		for (ch = first[id]; ch != UINT32_MAX; ch = next[ch])
			n++;
		base = (uint32_t)sp;
		sp += n;
		for (ch = first[id]; ch != UINT32_MAX; ch = next[ch])
			stk[base + --n] = ch;
	}
	rc = 0;
	goto out;
nomem_tree:
nomem:
	snprintf(err, errlen, "out of memory");
out:
	free(first);
	free(next);
	free(stk);
	free(plen);
	strbuf_release(&path);
	if (t.nodes)
		vtree_release(&t);
	vctx_release(&c);
	return rc;
}
