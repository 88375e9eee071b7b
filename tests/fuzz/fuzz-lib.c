/*
 * fuzz-lib.c - fuzz target for libpinch's input parsing: the bind address
 * parser, and metric/label names and values through registration, updates
 * and all three renderings; performance-log lines (first byte 'L': function,
 * error, field key and value), which must stay one line of valid UTF-8
 * with no raw control character. Input: first byte picks the mode; the
 * rest is NUL-or-newline separated fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/internal.h"

#define MAX_FIELDS 16

/* One pinch_log_call with the fields as strings, checked byte by byte. */
static void fuzz_perflog(char **fields, size_t n)
{
	struct pinch_field f = PINCH_FIELD_STR(n > 2 ? fields[2] : "k", n > 3 ? fields[3] : "v");
	struct pinch_log *l;
	char *out;
	off_t len, i;
	size_t k;
	int fd = memfd_create("fuzz-perflog", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (pinch_log_open_fd(fd, NULL, &l) == 0) {
		pinch_log_call(l, fields[0], 1, n > 1 ? -5 : 0, n > 1 ? fields[1] : NULL, &f, 1);
		pinch_log_close(l);
	}
	len = lseek(fd, 0, SEEK_END);
	out = len > 0 ? malloc((size_t)len + 1) : NULL;
	if (out && pread(fd, out, (size_t)len, 0) == len) {
		out[len] = 0;
		if (out[len - 1] != '\n' || out[0] != '{')
			abort();
		for (i = 0; i < len - 1; i += (off_t)k) {
			k = lib_utf8_seq((const unsigned char *)out + i);
			if (!k || (unsigned char)out[i] < 0x20)
				abort();	/* invalid UTF-8 or a raw control character */
		}
	}
	free(out);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *fields[MAX_FIELDS + 1] = { 0 };
	const char *labels[MAX_FIELDS + 1] = { 0 };
	struct pinch_registry *r;
	size_t i, n = 0;
	int mode;

	if (!size)
		return 0;
	mode = data[0] % 4;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	fields[n++] = buf;
	for (i = 0; i + 1 < size && n < MAX_FIELDS; i++)
		if (buf[i] == '\n' || buf[i] == 0) {
			buf[i] = 0;
			fields[n++] = buf + i + 1;
		}
	if (data[0] == 'L') {
		fuzz_perflog(fields, n);
		free(buf);
		return 0;
	}
	if (mode == 0) {
		struct sockaddr_storage ss;
		unsigned int len;

		lib_parse_addr(fields[0], data[0] & 4, &ss, &len);
		free(buf);
		return 0;
	}
	if (pinch_registry_new(&r) < 0) {
		free(buf);
		return 0;
	}
	for (i = 2; i < n; i++)
		labels[i - 2] = fields[i];
	labels[n > 2 ? ((n - 2) & ~1u) : 0] = NULL;
	for (i = 0; i < 2; i++) {	/* twice: the second is double registration */
		struct pinch_counter *c;
		struct pinch_gauge *g;
		struct pinch_histogram *h;
		const char *help = n > 1 ? fields[1] : NULL;

		if (mode == 1 && pinch_counter_new(r, fields[0], help, labels, &c) == 0)
			pinch_counter_add(c, size);
		if (mode == 2 && pinch_gauge_get(r, fields[0], help, labels, &g) == 0)
			pinch_gauge_set(g, (double)size / 3);
		if (mode == 3 && pinch_histogram_get(r, fields[0], help, labels, NULL, &h) == 0)
			pinch_histogram_observe(h, (double)size / 1000);
	}
	for (i = 0; i < 3; i++) {
		char *out = NULL;

		if (pinch_registry_format(r, (enum pinch_format)i, &out, NULL) == 0)
			pinch_free(out);
	}
	pinch_registry_free(r);
	free(buf);
	return 0;
}
