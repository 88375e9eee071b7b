/*
 * wire.h - what the CPU fallback agent (libpinch-cpuagent.so) writes and
 * how pinch reads it back. The agent links only libc, so it cannot include
 * src/model/recfile.h; the structs below are byte-for-byte the same
 * records (t-cpuwire checks every size and offset), written without a file
 * header: a plain stream of whole, 8-byte padded records that pinch sorts
 * by time and copies into the final recording.
 *
 * Also holds the one /proc/PID/maps line parser, shared by the agent and
 * the perf collector (src/collect/procmaps.c); it is libc-only on purpose.
 */
#ifndef PINCH_AGENT_CPU_WIRE_H
#define PINCH_AGENT_CPU_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Environment the agent reads (set by pinch record --mode agent). */
#define PCW_ENV_FILE "PINCH_CPUAGENT_FILE"	/* path the records are appended to */
#define PCW_ENV_FREQ "PINCH_CPUAGENT_FREQ"	/* samples per CPU-second wanted */
#define PCW_ENV_STACK "PINCH_CPUAGENT_STACK"	/* bytes of user stack copied per sample */
#define PCW_ENV_REGS "PINCH_CPUAGENT_REGS"	/* "all" (dwarf) or "fp" (IP, SP, BP) */
#define PCW_ENV_TIMER "PINCH_CPUAGENT_TIMER"	/* "auto", "perf" or "posix" (tests) */

/* Record types: the same numbers as enum rec_type. */
enum {
	PCW_COMM = 2,
	PCW_MMAP = 3,
	PCW_SAMPLE = 4,
	PCW_FORK = 5,
	PCW_EXIT = 6,
	PCW_LOST = 7,
	PCW_META = 1,
};

#define PCW_SAMPLE_REGS (1u << 0)
#define PCW_SAMPLE_STACK (1u << 1)
#define PCW_SAMPLE_AGENT (1u << 2)

/* perf_event x86-64 register numbers (PERF_REG_X86_*), the regs order. */
enum {
	PCW_REG_AX, PCW_REG_BX, PCW_REG_CX, PCW_REG_DX, PCW_REG_SI, PCW_REG_DI,
	PCW_REG_BP, PCW_REG_SP, PCW_REG_IP, PCW_REG_FLAGS, PCW_REG_CS, PCW_REG_SS,
	PCW_REG_DS, PCW_REG_ES, PCW_REG_FS, PCW_REG_GS,
	PCW_REG_R8, PCW_REG_R9, PCW_REG_R10, PCW_REG_R11,
	PCW_REG_R12, PCW_REG_R13, PCW_REG_R14, PCW_REG_R15,
};
#define PCW_REGS_FP ((1ull << PCW_REG_BP) | (1ull << PCW_REG_SP) | (1ull << PCW_REG_IP))
/* All user registers valid on x86-64 (the segment registers DS..GS are not). */
#define PCW_REGS_ALL (((1ull << 24) - 1) & ~(0xfull << PCW_REG_DS))

struct pcw_hdr {
	uint32_t type;
	uint32_t size;		/* payload bytes, without this header and padding */
};

struct pcw_comm {
	uint32_t pid, tid;
	uint64_t time_ns;
	/* char name[] follows, NUL-terminated */
};

struct pcw_mmap {
	uint32_t pid;
	uint32_t prot;
	uint64_t start, len, pgoff;
	uint64_t time_ns;
	uint8_t build_id_len;	/* the agent leaves 0: pinch fills it when merging */
	uint8_t build_id[20];
	uint8_t pad[3];
	/* char path[] follows, NUL-terminated */
};

struct pcw_sample {
	uint32_t pid, tid;
	uint64_t time_ns;
	uint64_t period;	/* nanoseconds of thread CPU time since the last sample */
	uint32_t cpu;
	uint16_t nr_ips;
	uint16_t flags;
	uint64_t regs_mask;
	uint32_t stack_size;
	uint32_t pad;
	/* uint64_t ips[nr_ips]; uint64_t regs[popcount(regs_mask)]; uint8_t stack[stack_size] */
};

struct pcw_task {
	uint32_t pid, ppid, tid, ptid;
	uint64_t time_ns;
};

struct pcw_lost {
	uint64_t lost;
	uint64_t unreadable;
};

/* Total on-disk size of a record with a payload of size bytes. */
static inline size_t pcw_record_bytes(size_t size)
{
	return sizeof(struct pcw_hdr) + ((size + 7) & ~(size_t)7);
}

/* Every record begins (after its header) with a timestamp at a known
 * offset, or has none: pinch sorts the agent's stream with this. */
static inline int pcw_time_offset(uint32_t type)
{
	switch (type) {
	case PCW_COMM: return (int)offsetof(struct pcw_comm, time_ns);
	case PCW_MMAP: return (int)offsetof(struct pcw_mmap, time_ns);
	case PCW_SAMPLE: return (int)offsetof(struct pcw_sample, time_ns);
	case PCW_FORK:
	case PCW_EXIT: return (int)offsetof(struct pcw_task, time_ns);
	default: return -1;
	}
}

/* ---- /proc/PID/maps ----------------------------------------------------
 * One line: "start-end perms offset dev inode   path". */
struct pcw_maps_entry {
	uint64_t start, end, pgoff, inode;
	uint32_t prot;		/* PROT_READ 1 | PROT_WRITE 2 | PROT_EXEC 4 */
	int shared;
	const char *path;	/* points into the line; "" for anonymous maps */
	size_t path_len;
};

static inline int pcw_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses a hex (base 16) or decimal (base 10) number at *p, advancing it.
 * Returns 0, or -1 when there is no digit or it overflows. */
static inline int pcw_parse_num(const char **p, const char *end, int base, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0, d;

	while (s < end && (d = pcw_hexval(*s)) >= 0 && d < base) {
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		s++, n++;
	}
	if (!n)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

static inline int pcw_skip(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

/*
 * Parses one line of /proc/PID/maps (line need not be NUL-terminated and
 * must not include the newline). Returns 0, or -1 on a malformed line.
 * The path excludes a trailing " (deleted)" marker's absence check: it is
 * returned as the kernel printed it.
 */
static inline int pcw_maps_parse_line(const char *line, size_t len, struct pcw_maps_entry *e)
{
	const char *p = line, *end = line + len;
	uint64_t dummy;

	if (pcw_parse_num(&p, end, 16, &e->start) || pcw_skip(&p, end, '-') ||
	    pcw_parse_num(&p, end, 16, &e->end) || pcw_skip(&p, end, ' '))
		return -1;
	if (end - p < 5)
		return -1;
	e->prot = (p[0] == 'r' ? 1u : 0u) | (p[1] == 'w' ? 2u : 0u) | (p[2] == 'x' ? 4u : 0u);
	e->shared = p[3] == 's';
	p += 4;
	if (pcw_skip(&p, end, ' ') || pcw_parse_num(&p, end, 16, &e->pgoff) ||
	    pcw_skip(&p, end, ' ') || pcw_parse_num(&p, end, 16, &dummy) ||
	    pcw_skip(&p, end, ':') || pcw_parse_num(&p, end, 16, &dummy) ||
	    pcw_skip(&p, end, ' ') || pcw_parse_num(&p, end, 10, &e->inode))
		return -1;
	if (e->end < e->start)
		return -1;
	while (p < end && *p == ' ')
		p++;
	e->path = p;
	e->path_len = (size_t)(end - p);
	return 0;
}

#endif
