/*
 * io.c - `pinch io`: per block device I/O rates like iostat -x (from
 * /proc/diskstats, one line per device per interval), or one process's
 * I/O rates (--pid, from /proc/PID/io), or a block I/O latency histogram
 * (--latency, BPF on the block_rq tracepoints, like biolatency).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collect/biolat.h"
#include "collect/proctree.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/diskstats.h"
#include "core/banned.h"

static const char *const io_usage[] = {
	"usage: pinch io [--interval TIME] [--count N] [--json] [-d DEVICE]",
	"   or: pinch io --pid PID [--interval TIME] [--count N]",
	"   or: pinch io --latency [--interval TIME] [--count N]",
	"",
	"Block device I/O per interval, with iostat -x's columns (from",
	"/proc/diskstats): requests, kB and merges per second, average wait",
	"(ms) and request size (kB) for reads and writes, queue size and",
	"utilisation. --pid shows one process's I/O rates instead; --latency a",
	"block I/O latency histogram (BPF, root).",
	NULL,
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int read_diskstats(struct disk_stat **d, size_t *n, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = strbuf_read_file(&sb, "/proc/diskstats", 1 << 20);

	if (rc) {
		snprintf(err, errlen, "cannot read /proc/diskstats: %s", strerror(-rc));
		strbuf_release(&sb);
		return rc;
	}
	rc = diskstats_parse(sb.buf, sb.len, d, n);
	strbuf_release(&sb);
	if (!rc && !*n) {
		snprintf(err, errlen, "no block devices in /proc/diskstats");
		return -ENODEV;
	}
	return rc;
}

/* the JSON result's head, up to the opened "intervals" array */
static void json_head(struct json_writer *w, struct strbuf *out, uint64_t interval)
{
	json_init(w, out, 1);
	json_obj_begin(w);
	json_kstr(w, "kind", "io");
	json_kint(w, "schema", 1);
	json_kdouble(w, "interval_s", (double)interval / 1e9);
}

static void json_intervals(struct json_writer *w)
{
	json_key(w, "intervals");
	json_arr_begin(w);
}

static void json_tail(struct json_writer *w, struct strbuf *out)
{
	json_arr_end(w);
	json_obj_end(w);
	strbuf_addch(out, '\n');
	fwrite(out->buf, 1, out->len, stdout);
}

static const struct disk_stat *find_dev(const struct disk_stat *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static void sleep_interval(uint64_t ns)
{
	uint64_t end = clock_mono_ns() + ns;

	while (!interrupted && clock_mono_ns() < end) {
		uint64_t left = end - clock_mono_ns();

		clock_sleep_ns(left > 50000000ull ? 50000000ull : left, NULL);
	}
}

static int io_devices(uint64_t interval, long count, int json, int all, const char *dev)
{
	struct disk_stat *prev = NULL, *cur = NULL;
	size_t np = 0, nc = 0;
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	char err[256];
	uint64_t t0, tp;
	int shown_any = 0;

	if (read_diskstats(&prev, &np, err, sizeof(err))) {
		fprintf(stderr, "pinch io: %s\n", err);
		return EXIT_FAIL;
	}
	if (dev && !find_dev(prev, np, dev)) {
		fprintf(stderr, "pinch io: no device '%s' in /proc/diskstats; there are:", dev);
		for (size_t i = 0; i < np; i++)
			fprintf(stderr, " %s", prev[i].name);
		fprintf(stderr, "\n");
		free(prev);
		return EXIT_USAGE;
	}
	if (json) {
		json_head(&w, &out, interval);
		json_intervals(&w);
	}
	t0 = tp = clock_mono_ns();
	for (long k = 0; (!count || k < count) && !interrupted; k++) {
		uint64_t now;
		double dt;

		sleep_interval(interval);
		if (interrupted && k > 0)
			break;
		now = clock_mono_ns();
		dt = (double)(now - tp) / 1e9;
		tp = now;
		if (read_diskstats(&cur, &nc, err, sizeof(err))) {
			fprintf(stderr, "pinch io: %s\n", err);
			break;
		}
		if (json) {
			json_obj_begin(&w);
			json_kdouble(&w, "t_s", (double)(now - t0) / 1e9);
			json_key(&w, "devices");
			json_arr_begin(&w);
		} else {
			strbuf_addf(&out, "%s%-12s %8s %9s %8s %8s %8s %8s %9s %8s %8s %8s %7s %6s\n",
				    k ? "\n" : "", "Device", "r/s", "rkB/s", "rrqm/s", "r_await", "rareq-sz",
				    "w/s", "wkB/s", "wrqm/s", "w_await", "wareq-sz", "aqu-sz", "%util");
		}
		for (size_t i = 0; i < nc; i++) {
			const struct disk_stat *p = find_dev(prev, np, cur[i].name);
			struct disk_rate r;

			if (!p || (dev && strcmp(dev, cur[i].name)) || (!dev && !all && !diskstats_interesting(&cur[i])))
				continue;
			diskstats_rate(p, &cur[i], dt, &r);
			shown_any = 1;
			if (json) {
				json_obj_begin(&w);
				json_kstr(&w, "device", r.name);
				json_kdouble(&w, "r_s", r.r_s);
				json_kdouble(&w, "rkB_s", r.rkb_s);
				json_kdouble(&w, "rrqm_s", r.rrqm_s);
				json_kdouble(&w, "r_await_ms", r.r_await);
				json_kdouble(&w, "rareq_sz_kB", r.rareq_sz);
				json_kdouble(&w, "w_s", r.w_s);
				json_kdouble(&w, "wkB_s", r.wkb_s);
				json_kdouble(&w, "wrqm_s", r.wrqm_s);
				json_kdouble(&w, "w_await_ms", r.w_await);
				json_kdouble(&w, "wareq_sz_kB", r.wareq_sz);
				json_kdouble(&w, "aqu_sz", r.aqu_sz);
				json_kdouble(&w, "util_pct", r.util);
				json_obj_end(&w);
			} else {
				strbuf_addf(&out, "%-12s %8.2f %9.2f %8.2f %8.2f %8.2f %8.2f %9.2f %8.2f %8.2f %8.2f %7.2f %6.2f\n",
					    r.name, r.r_s, r.rkb_s, r.rrqm_s, r.r_await, r.rareq_sz, r.w_s, r.wkb_s,
					    r.wrqm_s, r.w_await, r.wareq_sz, r.aqu_sz, r.util);
			}
		}
		if (json) {
			json_arr_end(&w);
			json_obj_end(&w);
		} else {
			fwrite(out.buf, 1, out.len, stdout);
			fflush(stdout);
			strbuf_reset(&out);
		}
		free(prev);
		prev = cur;
		np = nc;
		cur = NULL;
	}
	if (json)
		json_tail(&w, &out);
	free(prev);
	strbuf_release(&out);
	if (!shown_any && !interrupted) {
		fprintf(stderr, "pinch io: no block device with I/O (--all shows idle loop and ram devices)\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int io_pid(pid_t pid, uint64_t interval, long count, int json)
{
	struct proc_info a, b;
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	uint64_t tp, t0;
	int rc = proc_info_read(pid, PROC_IO, &a), status = EXIT_OK;

	if (rc) {
		fprintf(stderr, "pinch io: no process with pid %d\n", (int)pid);
		return EXIT_FAIL;
	}
	if (!a.io_ok) {
		fprintf(stderr, "pinch io: cannot read /proc/%d/io (another user's process: permission denied)\n",
			(int)pid);
		return EXIT_FAIL;
	}
	if (json) {
		json_head(&w, &out, interval);
		json_kint(&w, "pid", pid);
		json_kstr(&w, "comm", a.comm);
		json_intervals(&w);
	} else {
		printf("pinch io: pid %d (%s), every %.3g s\n", (int)pid, a.comm, (double)interval / 1e9);
		printf("%10s %14s %14s %16s %16s\n", "time", "read/s", "write/s", "storage read/s", "storage write/s");
	}
	t0 = tp = clock_mono_ns();
	for (long k = 0; (!count || k < count) && !interrupted; k++) {
		uint64_t now;
		double dt;

		sleep_interval(interval);
		if (interrupted && k > 0)
			break;
		now = clock_mono_ns();
		dt = (double)(now - tp) / 1e9;
		tp = now;
		if (proc_info_read(pid, PROC_IO, &b) || !b.io_ok) {
			fprintf(stderr, "pinch io: pid %d exited\n", (int)pid);
			status = k ? EXIT_OK : EXIT_FAIL;
			break;
		}
#define RATE(f) (b.f >= a.f ? (double)(b.f - a.f) / dt : 0.0)
		if (json) {
			json_obj_begin(&w);
			json_kdouble(&w, "t_s", (double)(now - t0) / 1e9);
			json_kdouble(&w, "read_bps", RATE(rchar));
			json_kdouble(&w, "write_bps", RATE(wchar));
			json_kdouble(&w, "storage_read_bps", RATE(read_bytes));
			json_kdouble(&w, "storage_write_bps", RATE(write_bytes));
			json_obj_end(&w);
		} else {
			double v[4] = { RATE(rchar), RATE(wchar), RATE(read_bytes), RATE(write_bytes) };

			strbuf_reset(&out);
			strbuf_addf(&out, "%9.1fs", (double)(now - t0) / 1e9);
			for (int i = 0; i < 4; i++) {
				struct strbuf cell = STRBUF_INIT;

				strbuf_add_bytes(&cell, v[i]);
				strbuf_addstr(&cell, "/s");
				strbuf_addf(&out, " %*s", i < 2 ? 14 : 16, cell.buf);
				strbuf_release(&cell);
			}
			strbuf_addch(&out, '\n');
			fwrite(out.buf, 1, out.len, stdout);
			fflush(stdout);
		}
#undef RATE
		a = b;
	}
	if (json)
		json_tail(&w, &out);
	strbuf_release(&out);
	return status;
}

/* biolatency's histogram: one row per non-empty power-of-two bucket */
static void render_hist(const uint64_t *h, struct strbuf *out)
{
	uint64_t max = 0, total = 0;
	int lo = -1, hi = -1;

	for (int i = 0; i < BIOLAT_BUCKETS; i++) {
		if (h[i] > max)
			max = h[i];
		total += h[i];
		if (h[i]) {
			if (lo < 0)
				lo = i;
			hi = i;
		}
	}
	if (!total) {
		strbuf_addstr(out, "  no block I/O completed\n");
		return;
	}
	strbuf_addf(out, "%21s : %-8s %s\n", "usecs", "count", "distribution");
	for (int i = lo; i <= hi; i++) {
		int bar = (int)(h[i] * 40 / max);

		strbuf_addf(out, "%10.0f -> %-8.0f : %-8llu |", (double)(1ull << i) / 1e3,
			    (double)((2ull << i) - 1) / 1e3, (unsigned long long)h[i]);
		strbuf_addchars(out, '*', (size_t)bar);
		strbuf_addchars(out, ' ', (size_t)(40 - bar));
		strbuf_addstr(out, "|\n");
	}
	strbuf_addf(out, "  %llu requests\n", (unsigned long long)total);
}

static int io_latency(uint64_t interval, long count, int json)
{
	char err[512];
	struct biolat *b = biolat_open(err, sizeof(err));
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	uint64_t h[BIOLAT_BUCKETS], t0;
	int status = EXIT_OK;

	if (!b) {
		fprintf(stderr, "pinch io: --latency: %s\n", err);
		return EXIT_FAIL;
	}
	if (json) {
		json_head(&w, &out, interval);
		json_kstr(&w, "latency", "block_rq_issue -> block_rq_complete");
		json_intervals(&w);
	}
	t0 = clock_mono_ns();
	for (long k = 0; (!count || k < count); k++) {
		sleep_interval(interval);
		if (biolat_read(b, h)) {
			fprintf(stderr, "pinch io: cannot read the histogram: %s\n", strerror(errno));
			status = EXIT_FAIL;
			break;
		}
		if (json) {
			json_obj_begin(&w);
			json_kdouble(&w, "t_s", (double)(clock_mono_ns() - t0) / 1e9);
			json_key(&w, "log2_ns_hist");
			json_arr_begin(&w);
			for (int i = 0; i < BIOLAT_BUCKETS; i++)
				json_uint(&w, h[i]);
			json_arr_end(&w);
			json_obj_end(&w);
		} else {
			strbuf_reset(&out);
			strbuf_addf(&out, "%sblock I/O latency, issue to completion, %.1f s:\n", k ? "\n" : "",
				    (double)(clock_mono_ns() - t0) / 1e9);
			render_hist(h, &out);
			fwrite(out.buf, 1, out.len, stdout);
			fflush(stdout);
		}
		if (interrupted)
			break;
	}
	if (json)
		json_tail(&w, &out);
	strbuf_release(&out);
	biolat_close(b);
	return status;
}

int cmd_io(int argc, char **argv)
{
	long pid = 0, count = -1;
	uint64_t interval = 0;
	int json = 0, all = 0, latency = 0, nargs, rc;
	const char *dev = NULL;
	struct opt opts[] = {
		{ OPT_DURATION, 'i', "interval", &interval, "time", "one report per interval (default 1s)", NULL, 0 },
		{ OPT_INT, 'c', "count", &count, "N", "this many reports (default 1; 0 with --interval: until Ctrl-C)", NULL, 0 },
		{ OPT_STRING, 'd', "device", &dev, "name", "only this device (e.g. sda, nvme0n1)", NULL, 0 },
		{ OPT_FLAG, 'a', "all", &all, NULL, "also idle loop and ram devices", NULL, 0 },
		{ OPT_INT, 'p', "pid", &pid, "pid", "one process's I/O rates (/proc/PID/io)", NULL, 0 },
		{ OPT_FLAG, 'l', "latency", &latency, NULL, "block I/O latency histogram (BPF, root)", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "machine-readable output (\"kind\": \"io\")", NULL, 0 },
		OPT_END_(),
	};
	struct sigaction sa;

	nargs = opt_parse(argc, argv, opts, io_usage, 0, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (nargs) {
		fprintf(stderr, "pinch io: unexpected argument '%s'\n", argv[0]);
		return EXIT_USAGE;
	}
	if (pid < 0 || pid > INT_MAX || count < -1 || (interval && interval < 10000000ull)) {
		fprintf(stderr, "pinch io: bad option value: --pid, --count >= 0, --interval >= 10ms\n");
		return EXIT_USAGE;
	}
	if (count == -1)
		count = interval ? 0 : 1;
	if (!interval)
		interval = 1000000000ull;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (latency)
		return io_latency(interval, count, json);
	if (pid)
		return io_pid((pid_t)pid, interval, count, json);
	return io_devices(interval, count, json, all, dev);
}
