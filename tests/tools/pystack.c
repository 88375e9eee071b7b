/*
 * pystack.c - test tool over src/collect/python (like `py-spy dump`):
 * prints every Python thread of a running process with its stack, leaf
 * first, as "  function (file:line)". Used by the Python integration
 * tests; --bench N measures the cost of N whole-process stack reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/python/pyreader.h"
#include "core/clock.h"
#include "core/banned.h"

static int dump(struct py_reader *r, const struct py_target *t, int quiet)
{
	struct py_thread th[256];
	static struct py_frame fr[PY_MAX_DEPTH];
	size_t nt, nf;
	int ret = py_reader_threads(r, th, 256, &nt);

	if (ret < 0)
		return ret;
	if (!quiet)
		printf("python %u.%u.%u at 0x%llx in %s%s\n", t->version_hex >> 24,
		       (t->version_hex >> 16) & 0xff, (t->version_hex >> 8) & 0xff,
		       (unsigned long long)t->runtime, t->path,
		       t->from_section ? " (.PyRuntime section)" : "");
	for (size_t i = 0; i < nt; i++) {
		ret = py_reader_stack(r, th[i].tstate, fr, PY_MAX_DEPTH, &nf);
		if (quiet)
			continue;
		printf("thread %u%s\n", th[i].tid, th[i].holds_gil ? " (gil)" : "");
		if (ret < 0) {
			printf("  <unreadable: %s>\n", strerror(-ret));
			continue;
		}
		for (size_t j = 0; j < nf; j++)
			printf("  %s (%s:%d)%s\n", fr[j].function, fr[j].file, fr[j].line,
			       fr[j].flags & 1 ? " [entry]" : "");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct py_target t;
	struct py_reader *r;
	char err[512] = "";
	unsigned flags = 0;
	long bench = 0;
	int argi = 1, ret;
	pid_t pid;

	while (argi < argc && argv[argi][0] == '-') {
		if (!strcmp(argv[argi], "--no-symbols"))
			flags |= PY_PROBE_NO_SYMBOLS;
		else if (!strcmp(argv[argi], "--bench") && argi + 1 < argc)
			bench = strtol(argv[++argi], NULL, 10);
		else
			break;
		argi++;
	}
	if (argi + 1 != argc) {
		fprintf(stderr, "usage: pystack [--no-symbols] [--bench N] PID\n");
		return 2;
	}
	pid = (pid_t)strtol(argv[argi], NULL, 10);
	ret = py_probe(pid, flags, &t, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "pystack: %s\n", err);
		return ret == -EPROTONOSUPPORT ? 3 : 1;
	}
	ret = py_reader_new_pid(&r, &t, pid, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "pystack: %s\n", err);
		return 1;
	}
	if (bench > 0) {
		uint64_t t0 = clock_mono_ns();
		struct py_reader_stats s;

		for (long i = 0; i < bench; i++)
			dump(r, &t, 1);
		py_reader_stats(r, &s);
		printf("%ld reads of all stacks: %.1f us each, %.1f syscalls each, code cache %llu hits %llu misses\n",
		       bench, (double)(clock_mono_ns() - t0) / 1e3 / (double)bench,
		       (double)s.reads / (double)bench, (unsigned long long)s.code_hits,
		       (unsigned long long)s.code_misses);
	}
	ret = dump(r, &t, 0);
	py_reader_free(r);
	if (ret < 0) {
		fprintf(stderr, "pystack: cannot read threads: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
