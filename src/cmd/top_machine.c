/*
 * top_machine.c - `pinch top` for the whole machine: every process from
 * /proc, each interval, with its CPU % (of one CPU) over the interval,
 * RSS, threads and I/O rate, busiest first. Interactive: j/k (or the
 * arrow keys) move the selection (or digits type a pid), Enter drills into the selected process
 * with the per-process view (pinch top --pid; q there comes back), s
 * changes the sort, q quits. --once/--duration/--json print one table.
 */
#include "cmd/top_machine.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collect/proctree.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/banned.h"

struct row {
	struct proc_info pi;
	double cpu_pct;		/* of one CPU over the interval */
	double read_bps, write_bps;
	int io_known;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *sort_key = "cpu";

static double key_of(const struct row *r)
{
	if (!strcmp(sort_key, "rss"))
		return (double)r->pi.rss_bytes;
	if (!strcmp(sort_key, "io"))
		return r->read_bps + r->write_bps;
	if (!strcmp(sort_key, "threads"))
		return (double)r->pi.threads;
	return r->cpu_pct;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double kx = key_of(x), ky = key_of(y);

	if (kx != ky)
		return kx < ky ? 1 : -1;
	if (x->pi.rss_bytes != y->pi.rss_bytes)
		return x->pi.rss_bytes < y->pi.rss_bytes ? 1 : -1;
	return x->pi.pid - y->pi.pid;
}

static const struct proc_info *find_prev(const struct proc_info *v, size_t n, const struct proc_info *p)
{
	size_t lo = 0, hi = n;

	/* proc_list's order is /proc's: ascending pids, mostly; search */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].pid == p->pid)
			return v[mid].start_ticks == p->start_ticks ? &v[mid] : NULL;
		if (v[mid].pid < p->pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == p->pid && v[i].start_ticks == p->start_ticks)
			return &v[i];
	return NULL;
}

static int pid_cmp(const void *a, const void *b)
{
	const struct proc_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* One interval: the rows, busiest first. */
static int sample(struct proc_info **prev, size_t *nprev, double dt, struct row **rows, size_t *nrows)
{
	struct proc_info *cur;
	size_t n;
	struct row *r;
	int rc = proc_list(PROC_IO | PROC_UID, &cur, &n);

	if (rc)
		return rc;
	qsort(cur, n, sizeof(*cur), pid_cmp);
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r) {
		free(cur);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct proc_info *p = find_prev(*prev, *nprev, &cur[i]);

		r[i].pi = cur[i];
		if (p && dt > 0) {
			uint64_t c0 = p->utime_ns + p->stime_ns, c1 = cur[i].utime_ns + cur[i].stime_ns;

			r[i].cpu_pct = c1 > c0 ? (double)(c1 - c0) / 1e9 / dt * 100.0 : 0;
			if (p->io_ok && cur[i].io_ok) {
				r[i].io_known = 1;
				r[i].read_bps = cur[i].rchar > p->rchar ? (double)(cur[i].rchar - p->rchar) / dt : 0;
				r[i].write_bps = cur[i].wchar > p->wchar ? (double)(cur[i].wchar - p->wchar) / dt : 0;
			}
		}
	}
	qsort(r, n, sizeof(*r), row_cmp);
	free(*prev);
	*prev = cur;
	*nprev = n;
	*rows = r;
	*nrows = n;
	return 0;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

static void render_text(const struct row *r, size_t n, int limit, int selected, double elapsed,
			int ncpu, int live, struct strbuf *out)
{
	double total = 0;
	char user[32];

	for (size_t i = 0; i < n; i++)
		total += r[i].cpu_pct;
	if (live)
		strbuf_addstr(out, "\033[H\033[2J");
	strbuf_addf(out, "pinch top: %zu processes, %.1f %% CPU of %d CPUs in use, %.1f s, sorted by %s%s\n\n",
		    n, total / ncpu, ncpu, elapsed, sort_key,
		    live ? " (j/k or a pid selects, Enter: its hottest functions, s: sort, q: quit)" : "");
	strbuf_addf(out, "%s%7s %-10s %6s %10s %4s %12s %12s  %s\n", live ? "  " : "", "PID", "USER", "%CPU",
		    "RSS", "THR", "READ/s", "WRITE/s", "COMMAND");
	for (size_t i = 0; i < n && (int)i < limit; i++) {
		struct strbuf cell = STRBUF_INIT;

		if (live)
			strbuf_addstr(out, (int)i == selected ? "\033[7m> " : "  ");
		strbuf_addf(out, "%7d %-10.10s %6.1f ", (int)r[i].pi.pid, user_name(r[i].pi.uid, user, sizeof(user)),
			    r[i].cpu_pct);
		strbuf_add_bytes(&cell, (double)r[i].pi.rss_bytes);
		strbuf_addf(out, "%10s %4ld ", cell.buf, r[i].pi.threads);
		if (r[i].io_known) {
			strbuf_reset(&cell);
			strbuf_add_bytes(&cell, r[i].read_bps);
			strbuf_addf(out, "%10s/s ", cell.buf);
			strbuf_reset(&cell);
			strbuf_add_bytes(&cell, r[i].write_bps);
			strbuf_addf(out, "%10s/s", cell.buf);
		} else {
			strbuf_addf(out, "%12s %12s", "-", "-");
		}
		strbuf_addf(out, "  %s%s\n", r[i].pi.comm, live && (int)i == selected ? "\033[0m" : "");
		strbuf_release(&cell);
	}
}

static void render_json(const struct row *r, size_t n, int limit, double interval, int ncpu,
			struct strbuf *out)
{
	struct json_writer w;
	char user[32];

	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "top");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "scope", "machine");
	json_kstr(&w, "sort", sort_key);
	json_kdouble(&w, "interval_s", interval);
	json_kint(&w, "ncpu", ncpu);
	json_kuint(&w, "nprocesses", n);
	json_key(&w, "processes");
	json_arr_begin(&w);
	for (size_t i = 0; i < n && (limit <= 0 || (int)i < limit); i++) {
		json_obj_begin(&w);
		json_kint(&w, "pid", r[i].pi.pid);
		json_kint(&w, "ppid", r[i].pi.ppid);
		json_kstr(&w, "user", user_name(r[i].pi.uid, user, sizeof(user)));
		json_kstr(&w, "comm", r[i].pi.comm);
		json_kdouble(&w, "cpu_pct", r[i].cpu_pct);
		json_kuint(&w, "rss_bytes", r[i].pi.rss_bytes);
		json_kint(&w, "threads", r[i].pi.threads);
		if (r[i].io_known) {
			json_kdouble(&w, "read_bps", r[i].read_bps);
			json_kdouble(&w, "write_bps", r[i].write_bps);
		}
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(out, '\n');
}

/* the keys typed since the last look: 'q', 's', 'j', 'k', '\n' (arrows mapped) */
static int read_keys(char *keys, int max)
{
	struct pollfd p = { 0, POLLIN, 0 };
	char buf[64];
	int n = 0;
	ssize_t got;

	while (n < max && poll(&p, 1, 0) == 1 && (got = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < got && n < max; i++) {
			if (buf[i] == '\033' && i + 2 < got && buf[i + 1] == '[') {
				keys[n++] = buf[i + 2] == 'A' ? 'k' : buf[i + 2] == 'B' ? 'j' : '?';
				i += 2;
			} else {
				keys[n++] = buf[i] == '\r' ? '\n' : buf[i];
			}
		}
	}
	return n;
}

int top_machine(const struct top_machine_opts *o)
{
	struct proc_info *prev = NULL;
	size_t nprev = 0, nrows = 0;
	struct row *rows = NULL;
	struct strbuf out = STRBUF_INIT;
	struct termios saved, raw;
	struct sigaction sa;
	struct winsize ws;
	int live = !o->once && !o->duration_ns && !o->json && isatty(0) && isatty(1);
	int tty = 0, selected = 0, status = EXIT_OK, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	long typed = 0;		/* a pid typed with the digit keys */
	uint64_t start = clock_mono_ns(), last;

	if (o->sort)
		sort_key = o->sort;
	if (ncpu < 1)
		ncpu = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (proc_list(PROC_IO, &prev, &nprev)) {
		fprintf(stderr, "pinch top: cannot read /proc: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	qsort(prev, nprev, sizeof(*prev), pid_cmp);
	last = clock_mono_ns();
	if (live && tcgetattr(0, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tty = tcsetattr(0, TCSANOW, &raw) == 0;
	}
	while (!stop) {
		uint64_t wait = o->interval_ns, now;
		int limit = o->limit, quit = 0, drill = 0;
		pid_t drill_pid = 0;
		char keys[32];

		if (o->duration_ns && start + o->duration_ns - clock_mono_ns() < wait)
			wait = start + o->duration_ns > clock_mono_ns() ? start + o->duration_ns - clock_mono_ns() : 0;
		/* wait for the interval, answering keys at once */
		for (uint64_t end = clock_mono_ns() + wait; !stop && clock_mono_ns() < end;) {
			struct pollfd p = { tty ? 0 : -1, POLLIN, 0 };
			uint64_t left = end - clock_mono_ns();

			poll(&p, 1, (int)(left / 1000000 + 1));
			if (tty && (p.revents & POLLIN))
				break;
		}
		now = clock_mono_ns();
		free(rows);
		rows = NULL;
		if (sample(&prev, &nprev, (double)(now - last) / 1e9, &rows, &nrows)) {
			fprintf(stderr, "pinch top: cannot read /proc\n");
			status = EXIT_FAIL;
			break;
		}
		last = now;
		if (tty) {
			int nk = read_keys(keys, (int)sizeof(keys));

			for (int i = 0; i < nk; i++) {
				if (keys[i] == 'q' || keys[i] == 'Q')
					quit = 1;
				else if (keys[i] == 'j' && selected + 1 < (int)nrows)
					selected++;
				else if (keys[i] == 'k' && selected > 0)
					selected--;
				else if (keys[i] == 's')
					sort_key = !strcmp(sort_key, "cpu") ? "rss" : !strcmp(sort_key, "rss") ? "io" :
						   !strcmp(sort_key, "io") ? "threads" : "cpu";
				else if (keys[i] >= '0' && keys[i] <= '9' && typed < 100000000)
					typed = typed * 10 + (keys[i] - '0');
				else if (keys[i] == 127 || keys[i] == 8)
					typed /= 10;
				else if (keys[i] == '\n') {
					drill = 1;
					drill_pid = (pid_t)typed;
					typed = 0;
				}
			}
			if (quit)
				break;
		}
		if (!limit) {
			limit = 30;
			if (live && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 5)
				limit = ws.ws_row - 4;
		}
		if (selected >= limit)
			selected = limit - 1;
		if (drill && (drill_pid || selected < (int)nrows)) {
			char pidarg[32];
			char *argv[] = { "top", "--pid", pidarg, NULL };

			snprintf(pidarg, sizeof(pidarg), "%d", drill_pid ? (int)drill_pid : (int)rows[selected].pi.pid);
			tcsetattr(0, TCSANOW, &saved);
			cmd_top(3, argv);
			tcsetattr(0, TCSANOW, &raw);
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGTERM, &sa, NULL);
			stop = 0;
			last = clock_mono_ns();
			continue;
		}
		strbuf_reset(&out);
		if (o->json)
			render_json(rows, nrows, o->limit, (double)o->interval_ns / 1e9, ncpu, &out);
		else
			render_text(rows, nrows, limit, selected, (double)(now - start) / 1e9, ncpu, live, &out);
		if (live && typed)
			strbuf_addf(&out, "\npid: %ld (Enter: its hottest functions)\n", typed);
		if (live || o->once || o->json || !o->duration_ns || now >= start + o->duration_ns) {
			if (!live && o->duration_ns && now < start + o->duration_ns)
				continue;
			fwrite(out.buf, 1, out.len, stdout);
			fflush(stdout);
		}
		if (!live && (o->once || !o->duration_ns || now >= start + o->duration_ns))
			break;
	}
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	free(rows);
	free(prev);
	strbuf_release(&out);
	return status;
}
