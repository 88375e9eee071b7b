/*
 * cpu_agent.c - the CPU sampler's fallback when perf_event_open is
 * refused (collect layer): the command runs with libpinch-cpuagent.so
 * preloaded (src/agent/cpu), which samples itself with SIGPROF on thread
 * CPU time into a stream file; at the end the stream is copied into the
 * recording, build-ids filled in.
 */
#include "cpu_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cpu/wire.h"
#include "agentstream.h"
#include "buildid.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "model/recfile.h"
#include "core/banned.h"

/* ---- the agent fallback ----------------------------------------------------- */

/* Copies the agent's record stream into the recording, sorted by time,
 * build-ids filled in. Counts samples and lost. */
static int agent_merge(struct sampler *s, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct agentstream_rec *v = NULL;
	size_t n = 0, i;
	int torn, rc = strbuf_read_file(&sb, path, 0);

	if (rc == -ENOENT)
		rc = 0;	/* the program never ran a sample */
	if (!rc)
		rc = agentstream_index(sb.buf, sb.len, &v, &n, &torn);
	for (i = 0; !rc && i < n; i++) {
		unsigned char *payload = (unsigned char *)sb.buf + v[i].off;

		if (v[i].type == PCW_SAMPLE) {
			s->samples++;
		} else if (v[i].type == PCW_LOST) {
			struct pcw_lost l;

			memcpy(&l, payload, sizeof(l));
			s->lost += l.lost;
		} else if (v[i].type == PCW_MMAP) {
			struct pcw_mmap m;
			const char *p = (const char *)payload + sizeof(m);

			memcpy(&m, payload, sizeof(m));
			if (!memchr(p, 0, v[i].size - sizeof(m)))
				continue;	/* a path without its NUL */
			if (!m.build_id_len) {
				int b = buildid_cache_get(s->bids, p, m.build_id);

				m.build_id_len = b > 0 ? (uint8_t)b : 0;
				memcpy(payload, &m, sizeof(m));
			}
		}
		rc = rec_writer_add(s->w, v[i].type, payload, v[i].size, NULL, 0, NULL, 0);
		if (!rc && (i & 1023) == 1023)
			rc = rec_writer_flush(s->w);
	}
	free(v);
	strbuf_release(&sb);
	return rc;
}

static char **agent_env(const struct cpu_record_config *cfg, const char *file,
			uint32_t stack_size, struct strbuf *store)
{
	extern char **environ;
	size_t n = 0, i, k = 0;
	char **env;
	const char *old_preload = getenv("LD_PRELOAD");

	while (environ[n])
		n++;
	env = calloc(n + 8, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "PINCH_CPUAGENT_", 15))
			env[k++] = environ[i];
	/* store holds the new strings, NUL-separated; pointers fixed below. */
	strbuf_addf(&store[0], "LD_PRELOAD=%s%s%s", cfg->agent_path,
		    old_preload && *old_preload ? ":" : "", old_preload ? old_preload : "");
	strbuf_addf(&store[1], "%s=%s", PCW_ENV_FILE, file);
	strbuf_addf(&store[2], "%s=%u", PCW_ENV_FREQ, cfg->freq);
	strbuf_addf(&store[3], "%s=%u", PCW_ENV_STACK, stack_size);
	strbuf_addf(&store[4], "%s=%s", PCW_ENV_REGS, cfg->call_graph != CPU_CG_FP ? "all" : "fp");
	for (i = 0; i < 5; i++)
		env[k++] = store[i].buf;
	{
		const char *t = getenv(PCW_ENV_TIMER);

		if (t) {
			strbuf_addf(&store[5], "%s=%s", PCW_ENV_TIMER, t);
			env[k++] = store[5].buf;
		}
	}
	env[k] = NULL;
	return env;
}

int cpu_record_agent(struct sampler *s, const sigset_t *oldmask,
			struct cpu_record_result *res, const char *why, char *err, size_t errlen)
{
	const struct cpu_record_config *cfg = s->cfg;
	struct strbuf file = STRBUF_INIT, store[6];
	struct target t = { .pidfd = -1, .launched = 1 };
	struct child ch = { 0, -1, -1 };
	char **env = NULL;
	int rc, i;

	for (i = 0; i < 6; i++)
		strbuf_init(&store[i], 0);
	res->mode = CPU_MODE_AGENT;
	s->agent = 1;
	s->kernel = 0;	/* SIGPROF samples land in user space */
	if (!cfg->agent_path || access(cfg->agent_path, R_OK)) {
		snprintf(err, errlen, "the fallback agent '%s' is missing",
			 cfg->agent_path ? cfg->agent_path : "libpinch-cpuagent.so");
		rc = -ENOENT;
		goto out;
	}
	strbuf_addf(&file, "%s.agent-%d", cfg->output, (int)getpid());
	unlink(file.buf);
	env = agent_env(cfg, file.buf, s->stack_size, store);
	if (!env) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cpu_write_meta(s->w, cfg, "agent", s->stack_size);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		goto out;
	}
	rc = cpu_child_start(cfg, oldmask, env, s->nofile_raised ? &s->nofile_old : NULL, &ch);
	if (rc) {
		snprintf(err, errlen, "cannot start '%s': %s", cfg->argv[0], strerror(-rc));
		goto out;
	}
	t.pid = ch.pid;
	t.pidfd = cpu_pidfd_open(ch.pid);
	cpu_describe(cfg, "mode agent (LD_PRELOAD sampler, SIGPROF on thread CPU time, %u Hz asked, %s call graph)%s%s",
		 cfg->freq, cpu_call_graph_name(cfg->call_graph == CPU_CG_CFI ? CPU_CG_DWARF : cfg->call_graph),
		 why ? ": " : "",
		 why ? why : "");
	rc = cpu_child_go(&ch);
	if (rc) {
		snprintf(err, errlen, "cannot run '%s': %s", cfg->argv[0], strerror(-rc));
		waitpid(ch.pid, &t.status, 0);
		ch.pid = 0;
		goto out;
	}
	rc = cpu_wait_loop(s, &t, cfg->duration_ns ? clock_mono_ns() + cfg->duration_ns : 0,
		       cpu_sampler_round);
	if (!t.gone) {
		/* The duration ended: stop the program, then merge. */
		res->timed_out = 1;
		kill(t.pid, SIGTERM);
		wait4(t.pid, &t.status, 0, &t.ru);
		t.gone = 1;
	}
	ch.pid = 0;
	if (!rc)
		rc = agent_merge(s, file.buf);
	unlink(file.buf);
	if (rc) {
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
		goto out;
	}
	rc = cpu_finish_recording(s, &t, res, 0);
	if (rc)
		snprintf(err, errlen, "cannot write '%s': %s", cfg->output, strerror(-rc));
out:
	if (ch.pid > 0)
		cpu_child_abort(&ch);
	if (t.pidfd >= 0)
		close(t.pidfd);
	free(env);
	for (i = 0; i < 6; i++)
		strbuf_release(&store[i]);
	strbuf_release(&file);
	return rc;
}

