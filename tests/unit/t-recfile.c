#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/recfile.h"
#include "tap.h"

static int count_records(const char *path, int *truncated, uint32_t *last_type)
{
	struct rec_reader *r;
	struct rec rec;
	char err[256];
	int n = 0;

	if (rec_reader_open(&r, path, err, sizeof(err)))
		return -1;
	while (rec_reader_next(r, &rec) == 1) {
		n++;
		*last_type = rec.type;
	}
	*truncated = rec_reader_truncated(r);
	rec_reader_close(r);
	return n;
}

int main(void)
{
	char path[] = "/tmp/t-recfile.XXXXXX";
	int fd = mkstemp(path);
	struct rec_writer *w;
	struct rec_reader *r;
	struct rec rec;
	struct rec_sample s = { .pid = 10, .tid = 11, .time_ns = 5, .period = 1000000, .nr_ips = 3 };
	uint64_t ips[3] = { 0x401000, 0x401100, 0x401200 };
	struct rec_sample_view v;
	char err[256];
	int i, n, trunc;
	uint32_t last = 0;
	off_t size;

	close(fd);
	ok(rec_writer_open(&w, path, REC_KIND_CPU) == 0, "open writer");
	rec_writer_meta(w, "command", "./prog arg");
	for (i = 0; i < 1000; i++)
		rec_writer_add(w, REC_SAMPLE, &s, sizeof(s), ips, sizeof(ips), NULL, 0);
	ok(rec_writer_close(w) == 0, "close writer");

	ok(rec_reader_open(&r, path, err, sizeof(err)) == 0, "open reader");
	is_int(rec_reader_header(r)->kind, REC_KIND_CPU, "kind survives");
	ok(rec_reader_next(r, &rec) == 1 && rec.type == REC_META, "first record is meta");
	is_str((const char *)rec.data, "command", "meta key");
	is_str((const char *)rec.data + 8, "./prog arg", "meta value");
	ok(rec_reader_next(r, &rec) == 1 && rec_sample_parse(&rec, &v) == 0, "sample parses");
	is_uint(v.s->tid, 11, "sample tid");
	is_uint(v.ips[2], 0x401200, "sample ips");
	ok(((uintptr_t)rec.data & 7) == 0, "records are 8-byte aligned");
	rec_reader_close(r);

	/* Cut the file inside the last record: everything before stays readable. */
	fd = open(path, O_RDWR);
	size = lseek(fd, 0, SEEK_END);
	ok(ftruncate(fd, size - 5) == 0, "truncate");
	close(fd);
	n = count_records(path, &trunc, &last);
	is_int(n, 1000, "truncated file keeps all whole records (meta + 999 samples)");
	ok(trunc, "truncation is reported");

	/* Garbage size in a record header stops reading there. */
	fd = open(path, O_RDWR);
	{
		uint32_t big[2] = { REC_SAMPLE, 0xfffffff0u };
		ok(pwrite(fd, big, 8, 64) == 8, "corrupt first record header");
	}
	close(fd);
	n = count_records(path, &trunc, &last);
	is_int(n, 0, "corrupt size: no record is trusted past it");
	ok(trunc, "corruption reported as truncation");

	/* Empty file, bad magic, newer version. */
	fd = open(path, O_RDWR | O_TRUNC);
	close(fd);
	is_int(rec_reader_open(&r, path, err, sizeof(err)), -ENODATA, "empty file refused");
	is_str(err, "the file is empty", "empty file message");
	fd = open(path, O_RDWR | O_TRUNC);
	ok(write(fd, "hello world, this is not a recording at all, not even close......", 64) == 64, "write junk");
	close(fd);
	is_int(rec_reader_open(&r, path, err, sizeof(err)), -EPROTO, "bad magic refused");
	{
		struct rec_file_header h = { .version = 99, .header_size = 64 };

		memcpy(h.magic, REC_MAGIC, 8);
		fd = open(path, O_RDWR | O_TRUNC);
		ok(write(fd, &h, sizeof(h)) == sizeof(h), "write future header");
		close(fd);
	}
	is_int(rec_reader_open(&r, path, err, sizeof(err)), -EPROTONOSUPPORT, "newer version refused");
	ok(strstr(err, "newer") != NULL, "newer version message");
	is_int(rec_reader_open(&r, "/nonexistent/x.rec", err, sizeof(err)), -ENOENT, "missing file");
	unlink(path);
	return done_testing();
}
