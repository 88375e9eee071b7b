/*
 * view_stat.c - `pinch stat`'s result as text, a text chart, JSON and
 * SVG (see view_stat.h).
 */
#include "view/view_stat.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/sysstat.h"
#include "core/banned.h"

static double sec(uint64_t ns)
{
	return (double)ns / 1e9;
}

double stat_cpu_pct(const struct stat_result *r)
{
	if (!r->wall_ns)
		return 0;
	return (double)(r->user_ns + r->sys_ns) / (double)r->wall_ns / (double)(r->ncpu ? r->ncpu : 1) * 100.0;
}

static uint64_t mem_cap(const struct stat_result *r)
{
	if (r->mem_limit && (!r->mem_total || r->mem_limit < r->mem_total))
		return r->mem_limit;
	return r->mem_total;
}

double stat_memory_pct(const struct stat_result *r)
{
	uint64_t cap = mem_cap(r);

	return cap ? (double)r->max_rss_bytes / (double)cap * 100.0 : 0;
}

/* 1234567 -> "1,234,567" */
static void add_count(struct strbuf *out, uint64_t v)
{
	char buf[32], res[48];
	int n, i, j = 0;

	n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	for (i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			res[j++] = ',';
		res[j++] = buf[i];
	}
	res[j] = 0;
	strbuf_addstr(out, res);
}

static const char *const perf_names[STAT_PERF_N] = {
	"task-clock", "context-switches", "cpu-migrations", "page-faults",
};

void stat_render_text(const struct stat_result *r, const char *command, struct strbuf *out)
{
	if (r->launched)
		strbuf_addf(out, "pinch stat: %s (pid %d", command, (int)r->pid);
	else
		strbuf_addf(out, "pinch stat: pid %d (", (int)r->pid);
	if (r->launched) {
		if (r->term_signal)
			strbuf_addf(out, ", killed by signal %d", r->term_signal);
		else
			strbuf_addf(out, ", exit %d", r->exit_status);
	} else {
		strbuf_addstr(out, r->gone ? "attached, exited during the run" : "attached");
	}
	if (r->processes > 1)
		strbuf_addf(out, ", %u processes", r->processes);
	strbuf_addstr(out, ")\n");
	strbuf_addf(out, "  wall time          %.3f s\n", sec(r->wall_ns));
	strbuf_addf(out, "  user CPU           %.3f s\n", sec(r->user_ns));
	strbuf_addf(out, "  system CPU         %.3f s\n", sec(r->sys_ns));
	strbuf_addf(out, "  CPU utilisation    %.1f %% of one CPU, %.1f %% of the machine (%d CPUs)\n",
		    r->wall_ns ? (double)(r->user_ns + r->sys_ns) / (double)r->wall_ns * 100.0 : 0.0,
		    stat_cpu_pct(r), r->ncpu);
	strbuf_addstr(out, "  max RSS            ");
	strbuf_add_bytes(out, (double)r->max_rss_bytes);
	strbuf_addf(out, " (%.2f %% of ", stat_memory_pct(r));
	strbuf_add_bytes(out, (double)mem_cap(r));
	strbuf_addstr(out, r->mem_limit && r->mem_limit < r->mem_total ? ", the cgroup limit)\n" : ")\n");
	strbuf_addstr(out, "  page faults        ");
	add_count(out, r->minflt);
	strbuf_addstr(out, " minor, ");
	add_count(out, r->majflt);
	strbuf_addstr(out, " major\n");
	if (r->have_ctxsw) {
		strbuf_addstr(out, "  context switches   ");
		add_count(out, r->nvcsw);
		strbuf_addstr(out, " voluntary, ");
		add_count(out, r->nivcsw);
		strbuf_addstr(out, " involuntary\n");
	}
	if (r->io_ok) {
		strbuf_addstr(out, "  read               ");
		strbuf_add_bytes(out, (double)r->rchar);
		strbuf_addstr(out, " (");
		strbuf_add_bytes(out, (double)r->read_bytes);
		strbuf_addstr(out, " from storage)\n");
		strbuf_addstr(out, "  written            ");
		strbuf_add_bytes(out, (double)r->wchar);
		strbuf_addstr(out, " (");
		strbuf_add_bytes(out, (double)r->write_bytes);
		strbuf_addstr(out, " to storage)\n");
	} else {
		strbuf_addstr(out, "  read, written      unknown (/proc/PID/io unreadable)\n");
	}
	strbuf_addf(out, "  peak threads       %ld\n", r->peak_threads);
	strbuf_addf(out, "  peak open fds      %d\n", r->peak_fds);
	if (r->perf_ok) {
		strbuf_addstr(out, "perf counters (software, all threads and children):\n");
		for (int i = 0; i < STAT_PERF_N; i++) {
			strbuf_addf(out, "  %-18s ", perf_names[i]);
			if (i == STAT_TASK_CLOCK)
				strbuf_addf(out, "%.3f s", sec(r->perf[i]));
			else
				add_count(out, r->perf[i]);
			strbuf_addch(out, '\n');
		}
	} else if (r->perf_errno) {
		strbuf_addf(out, "perf counters: not available (%s; see kernel.perf_event_paranoid)\n",
			    strerror(r->perf_errno));
	}
	if (r->timed_out)
		strbuf_addstr(out, "note: --duration ended the run\n");
}

/* ---- the series ------------------------------------------------------------- */

enum { SER_CPU, SER_RSS, SER_READ, SER_WRITE, SER_THREADS, SER_N };

static const char *const ser_names[SER_N] = {
	"CPU %", "RSS", "read/s", "write/s", "threads",
};

static double ser_value(const struct stat_point *p, int s)
{
	switch (s) {
	case SER_CPU: return p->cpu_pct;
	case SER_RSS: return (double)p->rss_bytes;
	case SER_READ: return p->read_bps;
	case SER_WRITE: return p->write_bps;
	default: return (double)p->threads;
	}
}

static void add_value(struct strbuf *out, int s, double v)
{
	if (s == SER_CPU)
		strbuf_addf(out, "%.0f%%", v);
	else if (s == SER_THREADS)
		strbuf_addf(out, "%.0f", v);
	else
		strbuf_add_bytes(out, v);
}

void stat_render_chart(const struct stat_result *r, int width, struct strbuf *out)
{
	static const char *const blocks[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	size_t n = r->nseries, cols;

	if (!n)
		return;
	if (width < 10)
		width = 60;
	cols = n < (size_t)width ? n : (size_t)width;
	strbuf_addf(out, "every %.3g s, %zu points, %.1f s (one column: max of %.3g s)\n",
		    sec(r->interval_ns), n, r->series[n - 1].t_s,
		    sec(r->interval_ns) * (double)n / (double)cols);
	for (int s = 0; s < SER_N; s++) {
		double max = 0;
		size_t i;
		struct strbuf lab = STRBUF_INIT;

		for (i = 0; i < n; i++)
			if (ser_value(&r->series[i], s) > max)
				max = ser_value(&r->series[i], s);
		strbuf_addf(out, "  %-8s ", ser_names[s]);
		for (size_t c = 0; c < cols; c++) {
			size_t a = c * n / cols, b = (c + 1) * n / cols;
			double v = 0;
			int level;

			for (i = a; i < b; i++)
				if (ser_value(&r->series[i], s) > v)
					v = ser_value(&r->series[i], s);
			level = max > 0 ? (int)ceil(v / max * 8.0) : 0;
			if (level > 8)
				level = 8;
			if (v > 0 && level == 0)
				level = 1;
			strbuf_addstr(out, blocks[level]);
		}
		strbuf_addstr(out, "  max ");
		add_value(&lab, s, max);
		strbuf_add(out, lab.buf, lab.len);
		strbuf_release(&lab);
		strbuf_addch(out, '\n');
	}
}

void stat_render_json(const struct stat_result *r, const char *command, struct strbuf *out)
{
	struct json_writer w;

	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "stat");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "command", command);
	json_kint(&w, "pid", r->pid);
	json_kbool(&w, "attached", !r->launched);
	if (r->launched) {
		json_kint(&w, "exit_status", r->exit_status);
		json_kint(&w, "term_signal", r->term_signal);
	} else {
		json_kbool(&w, "exited", r->gone);
	}
	json_kbool(&w, "timed_out", r->timed_out);
	json_kdouble(&w, "wall_s", sec(r->wall_ns));
	json_kdouble(&w, "user_s", sec(r->user_ns));
	json_kdouble(&w, "sys_s", sec(r->sys_ns));
	json_kint(&w, "ncpu", r->ncpu);
	json_kdouble(&w, "cpu_pct", stat_cpu_pct(r));
	json_kdouble(&w, "cpu_pct_one_cpu", r->wall_ns ? (double)(r->user_ns + r->sys_ns) / (double)r->wall_ns * 100.0 : 0);
	json_kuint(&w, "max_rss_bytes", r->max_rss_bytes);
	json_kuint(&w, "max_rss_process_bytes", r->max_rss_process_bytes);
	json_kdouble(&w, "memory_pct", stat_memory_pct(r));
	json_kuint(&w, "mem_total_bytes", r->mem_total);
	if (r->mem_limit)
		json_kuint(&w, "mem_limit_bytes", r->mem_limit);
	else {
		json_key(&w, "mem_limit_bytes");
		json_null(&w);
	}
	json_kuint(&w, "minor_faults", r->minflt);
	json_kuint(&w, "major_faults", r->majflt);
	if (r->have_ctxsw) {
		json_kuint(&w, "voluntary_ctxsw", r->nvcsw);
		json_kuint(&w, "involuntary_ctxsw", r->nivcsw);
	}
	if (r->io_ok) {
		json_kuint(&w, "read_bytes", r->rchar);
		json_kuint(&w, "write_bytes", r->wchar);
		json_kuint(&w, "storage_read_bytes", r->read_bytes);
		json_kuint(&w, "storage_write_bytes", r->write_bytes);
	}
	json_kint(&w, "peak_threads", r->peak_threads);
	json_kint(&w, "peak_fds", r->peak_fds);
	json_kuint(&w, "processes", r->processes);
	json_kuint(&w, "samples", r->samples);
	json_key(&w, "perf");
	if (r->perf_ok) {
		json_obj_begin(&w);
		json_kuint(&w, "task_clock_ns", r->perf[STAT_TASK_CLOCK]);
		json_kuint(&w, "context_switches", r->perf[STAT_CONTEXT_SWITCHES]);
		json_kuint(&w, "cpu_migrations", r->perf[STAT_CPU_MIGRATIONS]);
		json_kuint(&w, "page_faults", r->perf[STAT_PAGE_FAULTS]);
		json_obj_end(&w);
	} else {
		json_null(&w);
		if (r->perf_errno)
			json_kstr(&w, "perf_note", strerror(r->perf_errno));
	}
	if (r->interval_ns) {
		json_kdouble(&w, "interval_s", sec(r->interval_ns));
		json_key(&w, "series");
		json_arr_begin(&w);
		for (size_t i = 0; i < r->nseries; i++) {
			const struct stat_point *p = &r->series[i];

			json_obj_begin(&w);
			json_kdouble(&w, "t_s", p->t_s);
			json_kdouble(&w, "cpu_pct", p->cpu_pct);
			json_kuint(&w, "rss_bytes", p->rss_bytes);
			json_kdouble(&w, "read_bps", p->read_bps);
			json_kdouble(&w, "write_bps", p->write_bps);
			json_kint(&w, "threads", p->threads);
			json_obj_end(&w);
		}
		json_arr_end(&w);
	}
	json_obj_end(&w);
	strbuf_addch(out, '\n');
}

static void svg_escape(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			strbuf_addstr(out, "&lt;");
		else if (*s == '>')
			strbuf_addstr(out, "&gt;");
		else if (*s == '&')
			strbuf_addstr(out, "&amp;");
		else
			strbuf_addch(out, *s);
	}
}

void stat_render_svg(const struct stat_result *r, const char *command, struct strbuf *out)
{
	const int W = 800, PH = 110, LM = 90, RM = 20, TOP = 40;
	int H = TOP + SER_N * (PH + 20) + 20;
	double tmax = r->nseries ? r->series[r->nseries - 1].t_s : 1;

	if (tmax <= 0)
		tmax = 1;
	strbuf_addf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		    "font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
	strbuf_addf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	strbuf_addstr(out, "<text x=\"10\" y=\"22\" font-size=\"15\">pinch stat: ");
	svg_escape(out, command);
	strbuf_addf(out, " (%.1f s, every %.3g s)</text>\n", tmax, sec(r->interval_ns));
	for (int s = 0; s < SER_N; s++) {
		int y0 = TOP + s * (PH + 20);
		double max = 0;
		struct strbuf lab = STRBUF_INIT;

		for (size_t i = 0; i < r->nseries; i++)
			if (ser_value(&r->series[i], s) > max)
				max = ser_value(&r->series[i], s);
		add_value(&lab, s, max);
		strbuf_addf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f6f6f6\" stroke=\"#ccc\"/>\n",
			    LM, y0, W - LM - RM, PH);
		strbuf_addf(out, "<text x=\"10\" y=\"%d\">%s</text>\n", y0 + PH / 2, ser_names[s]);
		strbuf_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#666\">", LM - 4, y0 + 12);
		svg_escape(out, lab.buf ? lab.buf : "0");
		strbuf_addf(out, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#666\">0</text>\n",
			    LM - 4, y0 + PH);
		strbuf_release(&lab);
		strbuf_addstr(out, "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" points=\"");
		for (size_t i = 0; i < r->nseries; i++) {
			double v = ser_value(&r->series[i], s);
			double x = LM + r->series[i].t_s / tmax * (W - LM - RM);
			double y = y0 + PH - (max > 0 ? v / max : 0) * (PH - 4);

			strbuf_addf(out, "%.1f,%.1f ", x, y);
		}
		strbuf_addstr(out, "\"/>\n");
	}
	strbuf_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#666\">%.1f s</text>\n",
		    W - RM, H - 6, tmax);
	strbuf_addstr(out, "</svg>\n");
}
