/*
 * t-cpuwire.c - the fallback agent's wire.h must describe byte-for-byte
 * the records of src/model/recfile.h (pinch copies them unchanged), and
 * its /proc/PID/maps line parser must read every field exactly.
 */
#include <stddef.h>

#include "agent/cpu/wire.h"
#include "model/recfile.h"
#include "tap.h"

#define SAME(a, b) ok(sizeof(a) == sizeof(b), "sizeof " #a " == sizeof " #b)
#define SAME_OFF(a, b, f) is_uint(offsetof(a, f), offsetof(b, f), #a "." #f " offset")

static void test_layouts(void)
{
	SAME(struct pcw_hdr, struct rec_hdr);
	SAME(struct pcw_comm, struct rec_comm);
	SAME(struct pcw_mmap, struct rec_mmap);
	SAME(struct pcw_sample, struct rec_sample);
	SAME(struct pcw_task, struct rec_task);
	SAME(struct pcw_lost, struct rec_lost);
	SAME_OFF(struct pcw_comm, struct rec_comm, time_ns);
	SAME_OFF(struct pcw_mmap, struct rec_mmap, start);
	SAME_OFF(struct pcw_mmap, struct rec_mmap, pgoff);
	SAME_OFF(struct pcw_mmap, struct rec_mmap, time_ns);
	SAME_OFF(struct pcw_mmap, struct rec_mmap, build_id_len);
	SAME_OFF(struct pcw_mmap, struct rec_mmap, build_id);
	SAME_OFF(struct pcw_sample, struct rec_sample, time_ns);
	SAME_OFF(struct pcw_sample, struct rec_sample, period);
	SAME_OFF(struct pcw_sample, struct rec_sample, cpu);
	SAME_OFF(struct pcw_sample, struct rec_sample, nr_ips);
	SAME_OFF(struct pcw_sample, struct rec_sample, flags);
	SAME_OFF(struct pcw_sample, struct rec_sample, regs_mask);
	SAME_OFF(struct pcw_sample, struct rec_sample, stack_size);
	SAME_OFF(struct pcw_task, struct rec_task, time_ns);
	is_int(PCW_COMM, REC_COMM, "COMM type");
	is_int(PCW_MMAP, REC_MMAP, "MMAP type");
	is_int(PCW_SAMPLE, REC_SAMPLE, "SAMPLE type");
	is_int(PCW_FORK, REC_FORK, "FORK type");
	is_int(PCW_EXIT, REC_EXIT, "EXIT type");
	is_int(PCW_LOST, REC_LOST, "LOST type");
	is_int(PCW_META, REC_META, "META type");
	is_int(PCW_SAMPLE_REGS, REC_SAMPLE_REGS, "REGS flag");
	is_int(PCW_SAMPLE_STACK, REC_SAMPLE_STACK, "STACK flag");
	is_int(PCW_SAMPLE_AGENT, REC_SAMPLE_AGENT, "AGENT flag");
	is_uint(pcw_record_bytes(0), 8, "an empty record is one header");
	is_uint(pcw_record_bytes(1), 16, "records are padded to 8 bytes");
	is_uint(pcw_record_bytes(16), 24, "no padding when aligned");
	is_int(__builtin_popcountll(PCW_REGS_FP), 3, "fp mode keeps IP, SP, BP");
	is_int(__builtin_popcountll(PCW_REGS_ALL), 20, "dwarf mode keeps the 20 x86-64 user registers");
}

static void test_maps(void)
{
	static const char line[] =
		"7f1c2a400000-7f1c2a428000 r-xp 00028000 fd:01 1835023                    /usr/lib/x86_64-linux-gnu/libc.so.6";
	static const char anon[] = "7ffd5b3f2000-7ffd5b3f4000 r-xp 00000000 00:00 0";
	struct pcw_maps_entry e;

	ok(!pcw_maps_parse_line(line, sizeof(line) - 1, &e), "a library line parses");
	is_uint(e.start, 0x7f1c2a400000ull, "start");
	is_uint(e.end, 0x7f1c2a428000ull, "end");
	is_uint(e.pgoff, 0x28000, "offset");
	is_uint(e.inode, 1835023, "inode");
	is_uint(e.prot, 5, "r-x is PROT_READ|PROT_EXEC");
	is_int(e.shared, 0, "private");
	ok(e.path_len == strlen("/usr/lib/x86_64-linux-gnu/libc.so.6") &&
	   !memcmp(e.path, "/usr/lib/x86_64-linux-gnu/libc.so.6", e.path_len), "path");
	ok(!pcw_maps_parse_line(anon, sizeof(anon) - 1, &e), "an anonymous line parses");
	is_uint(e.path_len, 0, "no path");
	ok(pcw_maps_parse_line("", 0, &e), "an empty line is refused");
	ok(pcw_maps_parse_line("zzzz-1 r-xp 0 0:0 0", 19, &e), "a bad start is refused");
	ok(pcw_maps_parse_line("2-1 r-xp 0 0:0 0", 16, &e), "end before start is refused");
	ok(pcw_maps_parse_line("1-2 r-xp", 8, &e), "a short line is refused");
	ok(pcw_maps_parse_line("1-fffffffffffffffff r-xp 0 0:0 0", 32, &e), "an overflowing number is refused");
}

int main(void)
{
	test_layouts();
	test_maps();
	return done_testing();
}
