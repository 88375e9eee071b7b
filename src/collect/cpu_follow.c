/*
 * cpu_follow.c - the descendants of the recorded process (collect layer,
 * see cpu_sampler.h): found every 100 ms from /proc/PID/task/TID/children,
 * and at once when perf reports a fork,
 * each given a Python stack reader and a "cmdline.PID" meta entry, and,
 * when attached, perf events of its own unless perf already inherited
 * it. Whether perf inherited a new process is known from its FORK record:
 * a process is decided one poll after it is first seen, when the rings
 * have been drained at least once since.
 */
#include "cpu_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/proctree.h"
#include "collect/python/pysampler.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

#define FOLLOW_NS (100ull * 1000000ull)
#define FOLLOW_MAX 256		/* processes followed in all */

struct fproc {
	pid_t pid;
	int pending;		/* attached: not yet known whether perf inherited it */
	struct py_sampler *py;
	char *cmd;		/* the command line last written, or NULL */
};

struct cpu_follow {
	pid_t root;
	int attach;
	struct fproc v[FOLLOW_MAX];
	size_t n;
	pid_t *forked;		/* processes perf reported forked */
	size_t nforked, forkcap;
	struct tidset ts;
	uint64_t next;
	pid_t scan[FOLLOW_MAX];
};

static struct fproc *find(struct cpu_follow *f, pid_t pid)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].pid == pid)
			return &f->v[i];
	return NULL;
}

/* Writes "cmdline.PID" when the command line is new or changed (exec). */
static int write_cmdline(struct sampler *s, struct fproc *p, uint64_t now)
{
	struct strbuf kv = STRBUF_INIT;
	size_t at;
	int rc = 0;

	strbuf_addf(&kv, "cmdline.%d", (int)p->pid);
	strbuf_addch(&kv, '\0');
	at = kv.len;
	if (proc_cmdline(p->pid, &kv) || kv.len == at ||
	    (p->cmd && !strcmp(p->cmd, kv.buf + at))) {
		strbuf_release(&kv);
		return 0;	/* gone, a zombie, or unchanged */
	}
	free(p->cmd);
	p->cmd = strdup(kv.buf + at);
	strbuf_addch(&kv, '\0');
	rc = cpu_queue_push(&s->q, REC_META, now, kv.buf, kv.len, NULL, 0, NULL, 0);
	strbuf_release(&kv);
	return rc;
}

/* Events for a process perf does not sample yet. A process that ended
 * meanwhile is fine. */
static int attach_one(struct sampler *s, pid_t pid, uint64_t now)
{
	int rc, tries;

	for (tries = 0; tries < 4; tries++) {
		rc = cpu_attach_threads(s, pid, &s->follow->ts, now);
		if (rc <= 0)
			break;
	}
	if (rc == -ESRCH || rc == -EACCES || rc == -EPERM)
		return 0;	/* gone, or another user's: left out */
	if (rc < 0)
		return rc;
	rc = cpu_synth_maps(s, pid, now, NULL);
	return rc == -ESRCH || rc == -ENOENT || rc == -EACCES ? 0 : rc;
}

static int add(struct sampler *s, pid_t pid, int pending, uint64_t now)
{
	struct cpu_follow *f = s->follow;
	struct fproc *p;
	int rc;

	if (f->n == FOLLOW_MAX)
		return 0;
	if (f->n == 1 && (rc = write_cmdline(s, &f->v[0], now)))
		return rc;	/* the root is labelled once it has a child */
	p = &f->v[f->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->pending = pending;
	if (s->cfg->python) {
		struct py_sampler_config pc = { .pid = pid, .freq = s->cfg->freq,
						.idle = s->cfg->idle,
						.next_string_id = &s->py_string_id,
						.probe_cache = s->py_cache };

		if (py_sampler_start(&p->py, &pc) < 0)
			p->py = NULL;
	}
	return write_cmdline(s, p, now);
}

int cpu_follow_init(struct sampler *s, pid_t root, int attach, uint64_t now)
{
	struct cpu_follow *f = calloc(1, sizeof(*f));
	size_t n;
	int rc = 0;

	if (!f)
		return -ENOMEM;
	s->follow = f;
	f->root = root;
	f->attach = attach;
	f->v[0].pid = root;
	f->n = 1;
	f->next = now + FOLLOW_NS;
	/* Found before the root's events are opened: none of these can be
	 * inherited, so each gets events of its own. */
	n = proc_descendants(root, f->scan, FOLLOW_MAX);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = add(s, f->scan[i], 0, now);
		if (!rc && attach)
			rc = attach_one(s, f->scan[i], now);
	}
	return rc;
}

void cpu_follow_forked(struct sampler *s, pid_t pid)
{
	struct cpu_follow *f = s->follow;

	if (!f)
		return;
	/* Look for it in this round, not up to FOLLOW_NS later: its Python
	 * reader starts at once, so that few of its samples go without
	 * Python frames. */
	f->next = 0;
	if (!f->attach)
		return;
	if (f->nforked == f->forkcap) {
		size_t nc = f->forkcap ? f->forkcap * 2 : 64;
		pid_t *nv = realloc(f->forked, nc * sizeof(*nv));

		if (!nv)
			return;
		f->forked = nv;
		f->forkcap = nc;
	}
	f->forked[f->nforked++] = pid;
}

static int was_forked(const struct cpu_follow *f, pid_t pid)
{
	for (size_t i = 0; i < f->nforked; i++)
		if (f->forked[i] == pid)
			return 1;
	return 0;
}

int cpu_follow_poll(struct sampler *s, uint64_t now)
{
	struct cpu_follow *f = s->follow;
	size_t n;
	int rc = 0;

	if (!f || now < f->next)
		return 0;
	f->next = now + FOLLOW_NS;
	/* Seen at the last poll, the rings drained since: perf's FORK
	 * record says whether it inherited the process. */
	for (size_t i = 0; i < f->n && !rc; i++) {
		if (!f->v[i].pending)
			continue;
		f->v[i].pending = 0;
		if (!was_forked(f, f->v[i].pid))
			rc = attach_one(s, f->v[i].pid, now);
	}
	if (f->n > 1 && (rc = write_cmdline(s, &f->v[0], now)))
		return rc;	/* the root may have exec'd too */
	n = proc_descendants(f->root, f->scan, FOLLOW_MAX);
	for (size_t i = 0; i < n && !rc; i++) {
		struct fproc *p = find(f, f->scan[i]);

		if (p)
			rc = write_cmdline(s, p, now);	/* it may have exec'd */
		else
			rc = add(s, f->scan[i], f->attach, now);
	}
	return rc;
}

int cpu_follow_drain(struct sampler *s)
{
	struct cpu_follow *f = s->follow;
	int rc = 0;

	for (size_t i = 0; f && i < f->n && !rc; i++)
		if (f->v[i].py)
			rc = py_sampler_drain(f->v[i].py, cpu_py_emit, s);
	return rc;
}

void cpu_follow_finish(struct sampler *s, struct cpu_record_result *res)
{
	struct cpu_follow *f = s->follow;

	for (size_t i = 0; f && i < f->n; i++) {
		struct py_sampler_status st;

		if (!f->v[i].py)
			continue;
		py_sampler_stop(f->v[i].py);
		py_sampler_status(f->v[i].py, &st);
		if (st.state != PY_SAMPLER_READING && st.ticks == 0)
			continue;
		if (res->python_state != PY_SAMPLER_READING && st.state == PY_SAMPLER_READING) {
			/* The root runs no Python (a shell, say): the children's tell. */
			res->python_state = (int)st.state;
			snprintf(res->python, sizeof(res->python), "%s", st.message);
		}
		res->python_stacks += st.stacks;
		res->python_unreadable += st.unreadable;
	}
}

void cpu_follow_free(struct cpu_follow *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		py_sampler_free(f->v[i].py);
		free(f->v[i].cmd);
	}
	free(f->forked);
	free(f->ts.v);
	free(f);
}
