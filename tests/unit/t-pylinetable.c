/*
 * t-pylinetable.c - the co_linetable decoder against CPython itself:
 * pylines.py prints the line tables and co_lines() of every code object
 * in a few stdlib modules; every code unit's line must agree. Plus
 * hand-made tables for each entry form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/pylinetable.h"
#include "tap.h"
#include "core/banned.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!strcmp(s, "-"))
		return 0;
	while (s[0] && s[1] && n < max) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void against_cpython(const char *python, const char *script)
{
	char cmd[1024], *line = NULL;
	size_t cap = 0;
	FILE *f;
	long codes = 0, units = 0, bad = 0, decoded_bad = 0;
	static uint8_t tab[1 << 20];
	static struct py_linerange ranges[1 << 20];

	snprintf(cmd, sizeof(cmd), "%s %s", python, script);
	f = popen(cmd, "r");
	if (!f) {
		ok(0, "run %s", cmd);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok;
		int first;
		size_t len, nr;

		tok = strtok_r(line, " \n", &save);
		if (!tok)
			continue;
		first = atoi(tok);
		tok = strtok_r(NULL, " \n", &save);
		if (!tok)
			continue;
		len = unhex(tok, tab, sizeof(tab));
		if (py_linetable_decode(tab, len, first, ranges, 1 << 20, &nr) != 0)
			decoded_bad++;
		codes++;
		while ((tok = strtok_r(NULL, " \n", &save))) {
			long s, e, l;

			if (sscanf(tok, "%ld,%ld,%ld", &s, &e, &l) != 3)
				continue;
			for (long a = s; a < e; a += 2) {
				units++;
				if (py_linerange_find(ranges, nr, first, a) != l ||
				    py_linetable_line(tab, len, first, a) != l) {
					if (bad++ < 5)
						printf("# code at line %d: addr %ld want %ld got %d\n",
						       first, a, l,
						       py_linerange_find(ranges, nr, first, a));
				}
			}
		}
	}
	free(line);
	if (pclose(f) != 0) {
		printf("# %s failed\n", cmd);
	}
	ok(codes > 100, "%s: read %ld code objects", python, codes);
	is_int(decoded_bad, 0, "%s: every table decodes", python);
	is_int(bad, 0, "%s: all %ld code units map to co_lines()' line", python, units);
}

static void hand_made(void)
{
	/* code 13 (no columns) delta +3, 2 units; short form 1 unit; code 15
	 * (no location) 1 unit; code 11 (one line, delta 1) 3 units;
	 * code 14 (long) delta -2 with end line/columns, 1 unit. */
	const uint8_t t[] = {
		0x80 | (13 << 3) | 1, 6,		/* svarint 6 -> +3 */
		0x80 | (0 << 3) | 0, 5,			/* short form, one column byte */
		0x80 | (15 << 3) | 0,			/* no location */
		0x80 | (11 << 3) | 2, 1, 2,		/* +1, two column bytes */
		0x80 | (14 << 3) | 0, 5, 0, 1, 2,	/* svarint 5 -> -2 */
	};
	struct py_linerange r[16];
	size_t n;

	is_int(py_linetable_decode(t, sizeof(t), 10, r, 16, &n), 0, "hand-made table decodes");
	is_uint(n, 5, "five entries");
	is_int(py_linerange_find(r, n, 10, 0), 13, "addr 0 -> 13");
	is_int(py_linerange_find(r, n, 10, 2), 13, "addr 2 -> 13");
	is_int(py_linerange_find(r, n, 10, 4), 13, "short form keeps 13");
	is_int(py_linerange_find(r, n, 10, 6), -1, "no location");
	is_int(py_linerange_find(r, n, 10, 8), 14, "one-line form +1");
	is_int(py_linerange_find(r, n, 10, 12), 14, "3 units long");
	is_int(py_linerange_find(r, n, 10, 14), 12, "long form -2");
	is_int(py_linerange_find(r, n, 10, 16), 10, "past the end -> first line");
	is_int(py_linerange_find(r, n, 10, -2), 10, "negative (new frame) -> first line");
	is_int(py_linetable_line(t, sizeof(t), 10, 14), 12, "single lookup agrees");
	is_int(py_linetable_decode(t, 1, 10, r, 16, &n), -EBADMSG, "cut varint: -EBADMSG");
	is_int(py_linetable_decode(t, sizeof(t), 10, r, 2, &n), -EOVERFLOW, "too many entries");
	is_uint(n, 2, "the first two kept");
}

int main(int argc, char **argv)
{
	const char *script = argc > 1 ? argv[1] : "pylines.py";
	/* Debian's static 3.11 and whatever python3 is on PATH (pyenv's). */
	const char *pythons[] = { "/usr/bin/python3.11", "python3" };

	hand_made();
	for (size_t i = 0; i < 2; i++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd),
			 "%s -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null",
			 pythons[i]);
		if (system(cmd) != 0) {
			printf("ok %d - # SKIP no python 3.11 as %s\n", ++tap_count, pythons[i]);
			continue;
		}
		against_cpython(pythons[i], script);
	}
	return done_testing();
}
