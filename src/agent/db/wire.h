/*
 * wire.h - what pinch db trace's LD_PRELOAD agent (src/agent/db/agent.c)
 * writes and pinch db reads (src/model/dbtrace.c). Depends only on libc.
 *
 * Per process image the agent writes one file in PINCH_DB_DIR,
 * <pid>-<n>.db: records framed as u32 type, u32 size, then size payload
 * bytes (no padding). DBW_PROC comes first; DBW_SLOW (and the DBW_PYCODE
 * records its Python frames need, before it) as slow statements finish;
 * at exit DBW_STMT per statement, DBW_MAPS and DBW_END. A process killed
 * before exit leaves its slow log only.
 */
#ifndef PINCH_AGENT_DB_WIRE_H
#define PINCH_AGENT_DB_WIRE_H

#include <stdint.h>

#define DBW_ENV_DIR "PINCH_DB_DIR"	/* where to write; the agent is idle without it */
#define DBW_ENV_SLOW "PINCH_DB_SLOW_NS"	/* slow-log threshold in ns (default 100 ms) */
#define DBW_MAX_DEPTH 64		/* native + Python frames per slow stack */
#define DBW_TEXT_MAX 2048		/* normalized statement bytes kept */
#define DBW_SLOW_TEXT_MAX 4096		/* a slow statement's own text bytes kept */
#define DBW_MAX_STMTS 16384		/* distinct statements; more fold into id 0 */

enum dbw_type {
	DBW_PROC = 1,	/* struct dbw_proc, then the executable path (no NUL) */
	DBW_SLOW = 2,	/* struct dbw_slow, uint64_t ips[nr], text[text_len] */
	DBW_PYCODE = 3,	/* struct memw_pycode (agent/mem/wire.h) and its bytes */
	DBW_STMT = 4,	/* struct dbw_stmt, text[text_len], struct dbw_bucket[n_buckets] */
	DBW_MAPS = 5,	/* /proc/self/maps text at exit */
	DBW_END = 6,	/* struct dbw_end */
};

enum dbw_api {
	DBW_API_PQ = 1,		/* libpq */
	DBW_API_SQLITE = 2,	/* libsqlite3 */
};

struct dbw_proc {
	uint32_t pid, ppid;
	uint64_t start_mono_ns;
};

struct dbw_slow {
	uint64_t ns;		/* the statement's duration */
	uint64_t end_mono_ns;	/* when it finished */
	uint64_t rows;
	uint32_t stmt;		/* its DBW_STMT id */
	uint32_t tid;
	uint32_t nr;		/* stack words: native leaf first, then Python innermost first */
	uint32_t text_len;
	uint32_t error;		/* 1: the statement failed */
	uint32_t api;		/* enum dbw_api */
};

struct dbw_stmt {
	uint32_t id;		/* 0: the statements beyond DBW_MAX_STMTS */
	uint32_t api;		/* enum dbw_api */
	uint64_t calls, errors, rows;
	uint64_t total_ns, max_ns;
	uint32_t text_len;
	uint32_t n_buckets;	/* hist.h bucket indexes with a non-zero count */
};

struct dbw_bucket {
	uint32_t index;		/* hist_index() of the duration in ns */
	uint32_t pad;
	uint64_t count;
};

struct dbw_end {
	uint64_t end_mono_ns;
	uint64_t untracked;	/* executions of statement handles the agent could not track */
	uint32_t flags;		/* 1: fork child (counts since the fork) */
	uint32_t pad;
};

#endif
