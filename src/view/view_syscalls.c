/*
 * view_syscalls.c - pinch syscalls' table, JSON and traced-call lines
 * (see view_syscalls.h).
 */
#include "view/view_syscalls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "model/sysc.h"
#include "core/banned.h"

static const char *mech_name(int m)
{
	return m == SYSC_MECH_BPF ? "bpf" : m == SYSC_MECH_PTRACE ? "ptrace" : "none";
}

static int by_time(const void *a, const void *b, void *ctx)
{
	const struct sysc_stat *s = ctx;
	const struct sysc_stat *x = &s[*(const unsigned *)a], *y = &s[*(const unsigned *)b];

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return *(const unsigned *)a < *(const unsigned *)b ? -1 : 1;
}

/* the syscalls with calls, by total time */
static unsigned sorted(const struct sysc_result *r, unsigned *idx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SYSC_MAX_NR; i++)
		if (r->stats[i].count)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), by_time, (void *)r->stats);
	return n;
}

static void add_us(struct strbuf *out, uint64_t ns)
{
	if (ns < 10000)
		strbuf_addf(out, " %8.2f", (double)ns / 1e3);
	else
		strbuf_addf(out, " %8.0f", (double)ns / 1e3);
}

void sysc_render_table(const struct sysc_result *r, const char *command, struct strbuf *out)
{
	unsigned idx[SYSC_MAX_NR], n = sorted(r, idx);
	uint64_t total_ns = 0, calls = 0, errors = 0;
	char buf[32];

	for (unsigned i = 0; i < n; i++) {
		total_ns += r->stats[idx[i]].total_ns;
		calls += r->stats[idx[i]].count;
		errors += r->stats[idx[i]].errors;
	}
	strbuf_addf(out, "pinch syscalls: %s (pid %d", command, (int)r->pid);
	if (r->launched) {
		if (r->term_signal)
			strbuf_addf(out, ", killed by signal %d", r->term_signal);
		else
			strbuf_addf(out, ", exit %d", r->exit_status);
	} else {
		strbuf_addstr(out, r->gone ? ", attached, exited" : ", attached");
	}
	strbuf_addf(out, ", %u process%s, %.3f s), mechanism %s", r->processes,
		    r->processes == 1 ? "" : "es", (double)r->wall_ns / 1e9, mech_name((int)r->mechanism));
	if (r->mechanism == SYSC_MECH_PTRACE && r->bpf_refused[0])
		strbuf_addf(out, " (%s)", r->bpf_refused);
	strbuf_addch(out, '\n');
	strbuf_addstr(out, "% time     seconds  usecs/call     calls    errors      p50 us   p99 us   max us  syscall\n");
	strbuf_addstr(out, "------ ----------- ----------- --------- --------- -------- -------- --------  ----------------\n");
	for (unsigned i = 0; i < n; i++) {
		const struct sysc_stat *s = &r->stats[idx[i]];
		uint64_t timed = 0;

		for (int b = 0; b < SYSC_HIST; b++)
			timed += s->hist[b];
		strbuf_addf(out, "%6.2f %11.6f %11.0f %9llu ", total_ns ? (double)s->total_ns * 100.0 / (double)total_ns : 0.0,
			    (double)s->total_ns / 1e9, timed ? (double)s->total_ns / 1e3 / (double)timed : 0.0,
			    (unsigned long long)s->count);
		if (s->errors)
			strbuf_addf(out, "%9llu", (unsigned long long)s->errors);
		else
			strbuf_addf(out, "%9s", "");
		if (timed) {
			add_us(out, sysc_percentile(s, 50));
			add_us(out, sysc_percentile(s, 99));
			add_us(out, s->max_ns);
		} else {
			strbuf_addf(out, " %8s %8s %8s", "-", "-", "-");
		}
		strbuf_addf(out, "  %s\n", sysc_name(idx[i], buf, sizeof(buf)));
	}
	strbuf_addstr(out, "------ ----------- ----------- --------- --------- -------- -------- --------  ----------------\n");
	strbuf_addf(out, "100.00 %11.6f %11.0f %9llu ", (double)total_ns / 1e9,
		    calls ? (double)total_ns / 1e3 / (double)calls : 0.0, (unsigned long long)calls);
	if (errors)
		strbuf_addf(out, "%9llu", (unsigned long long)errors);
	else
		strbuf_addf(out, "%9s", "");
	strbuf_addf(out, " %8s %8s %8s  total\n", "", "", "");
	if (r->lost)
		strbuf_addf(out, "note: %llu traced calls did not fit the ring buffer and were not listed (they are counted)\n",
			    (unsigned long long)r->lost);
	if (r->timed_out)
		strbuf_addstr(out, "note: --duration ended the run\n");
}

void sysc_render_json(const struct sysc_result *r, const char *command, struct strbuf *out)
{
	unsigned idx[SYSC_MAX_NR], n = sorted(r, idx);
	struct json_writer w;
	char buf[32];

	json_init(&w, out, 1);
	json_obj_begin(&w);
	json_kstr(&w, "kind", "syscalls");
	json_kint(&w, "schema", 1);
	json_kstr(&w, "command", command);
	json_kint(&w, "pid", r->pid);
	json_kstr(&w, "mechanism", mech_name((int)r->mechanism));
	if (r->bpf_refused[0])
		json_kstr(&w, "bpf_refused", r->bpf_refused);
	json_kbool(&w, "attached", !r->launched);
	if (r->launched) {
		json_kint(&w, "exit_status", r->exit_status);
		json_kint(&w, "term_signal", r->term_signal);
	}
	json_kbool(&w, "timed_out", r->timed_out);
	json_kdouble(&w, "wall_s", (double)r->wall_ns / 1e9);
	json_kuint(&w, "processes", r->processes);
	json_kuint(&w, "trace_lost", r->lost);
	json_key(&w, "syscalls");
	json_arr_begin(&w);
	for (unsigned i = 0; i < n; i++) {
		const struct sysc_stat *s = &r->stats[idx[i]];

		json_obj_begin(&w);
		json_kstr(&w, "name", sysc_name(idx[i], buf, sizeof(buf)));
		json_kuint(&w, "nr", idx[i]);
		json_kuint(&w, "calls", s->count);
		json_kuint(&w, "errors", s->errors);
		json_kuint(&w, "total_ns", s->total_ns);
		json_kuint(&w, "p50_ns", sysc_percentile(s, 50));
		json_kuint(&w, "p99_ns", sysc_percentile(s, 99));
		json_kuint(&w, "max_ns", s->max_ns);
		json_key(&w, "log2_hist");
		json_arr_begin(&w);
		for (int b = 0; b < SYSC_HIST; b++)
			json_uint(&w, s->hist[b]);
		json_arr_end(&w);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	strbuf_addch(out, '\n');
}

/* ---- one traced call ---------------------------------------------------- */

static void add_open_flags(struct strbuf *out, uint64_t f)
{
	static const struct { unsigned long bit; const char *name; } fl[] = {
		{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" }, { O_DIRECT, "O_DIRECT" }, { O_LARGEFILE, "O_LARGEFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" },
		{ O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" },
	};
	unsigned long rest = (unsigned long)f & ~(unsigned long)O_ACCMODE;

	strbuf_addstr(out, (f & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : (f & O_ACCMODE) == O_RDWR ? "O_RDWR" : "O_RDONLY");
	if ((rest & O_TMPFILE) == O_TMPFILE) {
		strbuf_addstr(out, "|O_TMPFILE");
		rest &= ~(unsigned long)O_TMPFILE;
	}
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (rest & fl[i].bit) {
			strbuf_addf(out, "|%s", fl[i].name);
			rest &= ~fl[i].bit;
		}
	if (rest)
		strbuf_addf(out, "|%#lx", rest);
}

static void add_quoted(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_addf(out, "\\%c", c);
		else if (c < 32 || c == 127)
			strbuf_addf(out, "\\x%02x", c);
		else
			strbuf_addch(out, (char)c);
	}
	strbuf_addch(out, '"');
}

static void add_dirfd(struct strbuf *out, uint64_t fd)
{
	if ((int)fd == AT_FDCWD)
		strbuf_addstr(out, "AT_FDCWD");
	else
		strbuf_addf(out, "%d", (int)fd);
}

static void add_sockaddr(struct strbuf *out, const struct sysc_event *e)
{
	sa_family_t fam;
	char ip[INET6_ADDRSTRLEN];
	size_t len = e->args[2] < SYSC_BUF ? (size_t)e->args[2] : SYSC_BUF;

	if (e->buf_kind != SYSC_BUF_SOCKADDR || len < sizeof(fam)) {
		strbuf_addf(out, "%#llx", (unsigned long long)e->args[1]);
		return;
	}
	memcpy(&fam, e->buf, sizeof(fam));
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in a;

		memcpy(&a, e->buf, sizeof(a));
		inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
		strbuf_addf(out, "{AF_INET, %s:%u}", ip, ntohs(a.sin_port));
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 a;

		memcpy(&a, e->buf, sizeof(a));
		inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof(ip));
		strbuf_addf(out, "{AF_INET6, [%s]:%u}", ip, ntohs(a.sin6_port));
	} else if (fam == AF_UNIX) {
		char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
		size_t pl = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;

		if (pl >= sizeof(path))
			pl = sizeof(path) - 1;
		memcpy(path, e->buf + offsetof(struct sockaddr_un, sun_path), pl);
		path[pl] = 0;
		if (pl && !path[0]) {
			strbuf_addstr(out, "{AF_UNIX, @");
			strbuf_add(out, path + 1, strnlen(path + 1, pl - 1));
			strbuf_addstr(out, "}");
		} else {
			strbuf_addstr(out, "{AF_UNIX, ");
			add_quoted(out, path);
			strbuf_addstr(out, "}");
		}
	} else {
		strbuf_addf(out, "{family %u}", fam);
	}
}

void sysc_render_event(const struct sysc_event *e, uint64_t t0_ns, struct strbuf *out)
{
	char buf[32];
	const char *name = sysc_name(e->nr, buf, sizeof(buf));
	unsigned layout = sysc_arg_layout(e->nr);
	const char *path = e->buf_kind == SYSC_BUF_PATH ? e->buf : NULL;

	strbuf_addf(out, "%10.6f [%u] %s(", e->start_ns > t0_ns ? (double)(e->start_ns - t0_ns) / 1e9 : 0.0,
		    e->pid == e->tid ? e->pid : e->tid, name);
	if (layout & SYSC_PATH0) {
		if (path)
			add_quoted(out, path);
		else
			strbuf_addf(out, "%#llx", (unsigned long long)e->args[0]);
		if (!strcmp(name, "open"))
			strbuf_addstr(out, ", "), add_open_flags(out, e->args[1]);
		else if (!strcmp(name, "creat") || !strcmp(name, "mkdir") || !strcmp(name, "chmod"))
			strbuf_addf(out, ", %#llo", (unsigned long long)e->args[1]);
	} else if (layout & SYSC_PATH1) {
		add_dirfd(out, e->args[0]);
		strbuf_addstr(out, ", ");
		if (path)
			add_quoted(out, path);
		else
			strbuf_addf(out, "%#llx", (unsigned long long)e->args[1]);
		if (!strcmp(name, "openat"))
			strbuf_addstr(out, ", "), add_open_flags(out, e->args[2]);
	} else if (layout & SYSC_SOCKADDR1) {
		strbuf_addf(out, "%d, ", (int)e->args[0]);
		add_sockaddr(out, e);
		strbuf_addf(out, ", %llu", (unsigned long long)e->args[2]);
	} else if (!strcmp(name, "socket")) {
		uint64_t type = e->args[1] & 0xf;

		strbuf_addf(out, "%s, %s%s%s, %llu", e->args[0] == AF_INET ? "AF_INET" : e->args[0] == AF_INET6 ? "AF_INET6" :
			    e->args[0] == AF_UNIX ? "AF_UNIX" : "?",
			    type == SOCK_STREAM ? "SOCK_STREAM" : type == SOCK_DGRAM ? "SOCK_DGRAM" :
			    type == SOCK_RAW ? "SOCK_RAW" : type == SOCK_SEQPACKET ? "SOCK_SEQPACKET" : "?",
			    (e->args[1] & SOCK_NONBLOCK) ? "|SOCK_NONBLOCK" : "",
			    (e->args[1] & SOCK_CLOEXEC) ? "|SOCK_CLOEXEC" : "", (unsigned long long)e->args[2]);
	} else if (!strcmp(name, "exit") || !strcmp(name, "exit_group") || !strcmp(name, "close") ||
		   !strcmp(name, "listen") || !strcmp(name, "kill") || !strcmp(name, "shutdown")) {
		strbuf_addf(out, "%lld", (long long)e->args[0]);
		if (strcmp(name, "exit") && strcmp(name, "exit_group") && strcmp(name, "close"))
			strbuf_addf(out, ", %lld", (long long)e->args[1]);
	} else {
		strbuf_addf(out, "%#llx, %#llx, %#llx", (unsigned long long)e->args[0],
			    (unsigned long long)e->args[1], (unsigned long long)e->args[2]);
	}
	if (e->ret < 0 && e->ret >= -4095) {
		const char *en = strerrorname_np((int)-e->ret);

		strbuf_addf(out, ") = -1 %s (%s)", en ? en : "E?", strerror((int)-e->ret));
	} else if (e->ret > 0xffff || e->ret < -4095) {
		strbuf_addf(out, ") = %#llx", (unsigned long long)e->ret);
	} else {
		strbuf_addf(out, ") = %lld", (long long)e->ret);
	}
	strbuf_addf(out, " <%.6f>\n", (double)e->dur_ns / 1e9);
}
