/*
 * pyreader.c - walks a CPython's threads and frames through a read
 * callback (process_vm_readv for a live process) and resolves frames to
 * (qualname, file, line). Every pointer is checked, every walk bounded;
 * code objects are cached by address and re-validated on each use
 * because freed code objects can be reallocated. Used by the recorder
 * and tests/tools/pystack.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "model/pylinetable.h"
#include "collect/python/pyoffsets.h"
#include "collect/python/pyreader.h"
#include "core/hmap.h"
#include "core/banned.h"

#define CODE_SLOTS 4096		/* direct-mapped code cache */
#define BLOCK_SIZE 4096u
#define BLOCKS 4		/* frame read cache, per walk */
#define MAX_NAME 1024		/* characters of a name or path kept */
#define MAX_LINETABLE (1u << 20)
#define MAX_INTERPS 64
#define MAX_STRINGS_BYTES (64u << 20)

struct code_entry {
	uint64_t code;		/* 0: empty slot */
	uint64_t qualname, filename, linetable;
	int32_t firstlineno, firsttraceable;
	const char *function, *file;	/* interned */
	struct py_linerange *ranges;
	size_t nranges;
};

struct block {
	uint64_t addr;		/* aligned; 0: empty */
	uint8_t data[BLOCK_SIZE];
};

struct py_reader {
	struct py_target t;
	const struct py_offsets *o;
	py_read_fn read;
	void *ctx;
	pid_t pid;
	struct code_entry *codes;	/* CODE_SLOTS */
	/* interned strings: stable pointers for the reader's lifetime */
	struct hmap str_index;
	char **strs;
	size_t nstrs, str_alloc, str_bytes;
	struct block blocks[BLOCKS];
	unsigned next_block;
	struct py_thread *threads;	/* cached thread list for _stack_tid */
	size_t nthreads;
	struct py_reader_stats stats;
	uint8_t scratch[MAX_LINETABLE];
};

static int rd(struct py_reader *r, uint64_t addr, void *dst, size_t len)
{
	if (!addr || addr + len < addr)
		return -EFAULT;
	r->stats.reads++;
	return r->read(r->ctx, addr, dst, len);
}

static int rd_ptr(struct py_reader *r, uint64_t addr, uint64_t *out)
{
	return rd(r, addr, out, sizeof(*out));
}

/* Reads through the per-walk block cache (frames are contiguous in a
 * thread's data stack, so one block serves many of them). */
static int rd_cached(struct py_reader *r, uint64_t addr, void *dst, size_t len)
{
	uint8_t *out = dst;

	if (!addr || addr + len < addr)
		return -EFAULT;
	while (len) {
		uint64_t base = addr & ~(uint64_t)(BLOCK_SIZE - 1);
		size_t off = addr - base, take = BLOCK_SIZE - off;
		struct block *b = NULL;

		if (take > len)
			take = len;
		for (unsigned i = 0; i < BLOCKS; i++)
			if (r->blocks[i].addr == base)
				b = &r->blocks[i];
		if (!b) {
			int ret;

			b = &r->blocks[r->next_block++ % BLOCKS];
			b->addr = 0;
			ret = rd(r, base, b->data, BLOCK_SIZE);
			if (ret < 0)
				return rd(r, addr, out, len);	/* a partly mapped block */
			b->addr = base;
		}
		memcpy(out, b->data + off, take);
		out += take;
		addr += take;
		len -= take;
	}
	return 0;
}

static void blocks_reset(struct py_reader *r)
{
	for (unsigned i = 0; i < BLOCKS; i++)
		r->blocks[i].addr = 0;
}

static int str_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct py_reader *r = ctx;

	return !strcmp(r->strs[id], key);
}

static const char *intern(struct py_reader *r, const char *s)
{
	uint64_t h = hash_bytes(s, strlen(s), 0);
	uint32_t id = hmap_find(&r->str_index, h, s, str_eq, r);
	char *copy;

	if (id != UINT32_MAX)
		return r->strs[id];
	if (r->str_bytes > MAX_STRINGS_BYTES)
		return "?";
	if (r->nstrs == r->str_alloc) {
		size_t na = r->str_alloc ? r->str_alloc * 2 : 256;
		char **v = realloc(r->strs, na * sizeof(*v));

		if (!v)
			return "?";
		r->strs = v;
		r->str_alloc = na;
	}
	copy = strdup(s);
	if (!copy)
		return "?";
	if (hmap_insert(&r->str_index, h, (uint32_t)r->nstrs) < 0) {
		free(copy);
		return "?";
	}
	r->strs[r->nstrs++] = copy;
	r->str_bytes += strlen(s) + 1;
	return copy;
}

static void put_utf8(char *out, size_t *o, size_t cap, uint32_t c)
{
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x20 || c == 0x7f)
		c = '?';
	if (c < 0x80 && *o + 1 < cap) {
		out[(*o)++] = (char)c;
	} else if (c < 0x800 && *o + 2 < cap) {
		out[(*o)++] = (char)(0xc0 | (c >> 6));
		out[(*o)++] = (char)(0x80 | (c & 63));
	} else if (c < 0x10000 && *o + 3 < cap) {
		out[(*o)++] = (char)(0xe0 | (c >> 12));
		out[(*o)++] = (char)(0x80 | ((c >> 6) & 63));
		out[(*o)++] = (char)(0x80 | (c & 63));
	} else if (c >= 0x10000 && *o + 4 < cap) {
		out[(*o)++] = (char)(0xf0 | (c >> 18));
		out[(*o)++] = (char)(0x80 | ((c >> 12) & 63));
		out[(*o)++] = (char)(0x80 | ((c >> 6) & 63));
		out[(*o)++] = (char)(0x80 | (c & 63));
	}
}

int py_reader_str(struct py_reader *r, uint64_t addr, char *out, size_t cap, size_t max_chars,
		  uint64_t *length)
{
	const struct py_offsets *o = r->o;
	uint8_t hdr[80];
	uint64_t type, len;
	uint32_t state, kind;
	uint8_t raw[MAX_NAME * 4];
	size_t olen = 0;

	if (cap)
		out[0] = '\0';
	if (!cap || rd(r, addr, hdr, o->str_ascii_data) < 0)
		return -EFAULT;
	memcpy(&type, hdr + o->object_type, 8);
	memcpy(&len, hdr + o->str_length, 8);
	memcpy(&state, hdr + o->str_state, 4);
	if (r->t.unicode_type && type != r->t.unicode_type)
		return -EBADMSG;
	if (!(state & (1u << 5)))
		return -EBADMSG;	/* not compact: never the case for names */
	if (length)
		*length = len;
	kind = (state >> 2) & 7;
	if (max_chars > MAX_NAME)
		max_chars = MAX_NAME;
	if (len > max_chars)
		len = max_chars;
	if (state & (1u << 6)) {
		if (rd(r, addr + o->str_ascii_data, raw, len) < 0)
			return -EFAULT;
		for (size_t i = 0; i < len; i++)
			put_utf8(out, &olen, cap, raw[i] & 0x7f);
	} else {
		if (kind != 1 && kind != 2 && kind != 4)
			return -EBADMSG;
		if (rd(r, addr + o->str_compact_data, raw, len * kind) < 0)
			return -EFAULT;
		for (size_t i = 0; i < len; i++) {
			uint32_t c;

			if (kind == 1)
				c = raw[i];
			else if (kind == 2)
				c = (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
			else
				memcpy(&c, raw + 4 * i, 4);
			put_utf8(out, &olen, cap, c);
		}
	}
	out[olen] = '\0';
	return 0;
}

/* Reads a str object into an interned UTF-8 string ("?" if unreadable). */
static const char *read_str(struct py_reader *r, uint64_t addr)
{
	char out[MAX_NAME * 4 + 1];

	if (py_reader_str(r, addr, out, sizeof(out), MAX_NAME, NULL) < 0)
		return "?";
	return intern(r, out);
}

static int read_linetable(struct py_reader *r, struct code_entry *e)
{
	const struct py_offsets *o = r->o;
	uint8_t hdr[64];
	uint64_t type, size;
	int ret;

	if (rd(r, e->linetable, hdr, o->bytes_data) < 0)
		return -EFAULT;
	memcpy(&type, hdr + o->object_type, 8);
	memcpy(&size, hdr + o->varobject_size, 8);
	if ((r->t.bytes_type && type != r->t.bytes_type) || size > MAX_LINETABLE)
		return -EBADMSG;
	if (size && rd(r, e->linetable + o->bytes_data, r->scratch, size) < 0)
		return -EFAULT;
	e->ranges = malloc((size ? size : 1) * sizeof(*e->ranges));
	if (!e->ranges)
		return -ENOMEM;
	ret = py_linetable_decode(r->scratch, size, e->firstlineno, e->ranges, size, &e->nranges);
	/* A bad tail keeps the ranges before it. */
	return ret == -ENOMEM ? ret : 0;
}

static void code_release(struct code_entry *e)
{
	free(e->ranges);
	memset(e, 0, sizeof(*e));
}

/* The cache entry for the code object at addr, read or validated now. */
static int code_get(struct py_reader *r, uint64_t addr, struct code_entry **out)
{
	const struct py_offsets *o = r->o;
	uint8_t buf[256];
	uint64_t type, qualname, filename, linetable;
	int32_t firstlineno, firsttraceable;
	struct code_entry *e = &r->codes[(hash_mix(addr) & (CODE_SLOTS - 1))];
	int ret;

	if (addr & 7)
		return -EBADMSG;
	ret = rd(r, addr, buf, o->code_size);
	if (ret < 0)
		return ret == -ESRCH ? ret : -EBADMSG;
	memcpy(&type, buf + o->object_type, 8);
	memcpy(&qualname, buf + o->code_qualname, 8);
	memcpy(&filename, buf + o->code_filename, 8);
	memcpy(&linetable, buf + o->code_linetable, 8);
	memcpy(&firstlineno, buf + o->code_firstlineno, 4);
	memcpy(&firsttraceable, buf + o->code_firsttraceable, 4);
	if (r->t.code_type && type != r->t.code_type)
		return -EBADMSG;
	if (!qualname || !filename || !linetable || firsttraceable < 0 || firsttraceable > 1 << 20)
		return -EBADMSG;
	if (e->code == addr && e->qualname == qualname && e->filename == filename &&
	    e->linetable == linetable && e->firstlineno == firstlineno &&
	    e->firsttraceable == firsttraceable) {
		r->stats.code_hits++;
		*out = e;
		return 0;
	}
	r->stats.code_misses++;
	code_release(e);
	e->qualname = qualname;
	e->filename = filename;
	e->linetable = linetable;
	e->firstlineno = firstlineno;
	e->firsttraceable = firsttraceable;
	ret = read_linetable(r, e);
	if (ret < 0) {
		code_release(e);
		return ret == -ENOMEM ? ret : -EBADMSG;
	}
	e->function = read_str(r, qualname);
	e->file = read_str(r, filename);
	e->code = addr;
	*out = e;
	return 0;
}

static int read_pid(void *ctx, uint64_t addr, void *dst, size_t len)
{
	pid_t pid = (pid_t)(intptr_t)ctx;
	struct iovec local = { dst, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (got < 0)
		return errno == ESRCH ? -ESRCH : errno == EPERM ? -EPERM : -EFAULT;
	return (size_t)got == len ? 0 : -EFAULT;
}

int py_reader_new(struct py_reader **out, const struct py_target *t, py_read_fn read, void *ctx,
		  char *err, size_t errlen)
{
	struct py_reader *r;
	const struct py_offsets *o = py_offsets_find(t->version_hex);

	*out = NULL;
	if (!o) {
		snprintf(err, errlen, "python %u.%u is not supported (pinch reads %s)",
			 t->version_hex >> 24, (t->version_hex >> 16) & 0xff,
			 py_offsets_supported());
		return -EPROTONOSUPPORT;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->codes = calloc(CODE_SLOTS, sizeof(*r->codes));
	if (!r->codes) {
		free(r);
		return -ENOMEM;
	}
	r->t = *t;
	r->o = o;
	r->read = read;
	r->ctx = ctx;
	hmap_init(&r->str_index);
	*out = r;
	return 0;
}

int py_reader_new_pid(struct py_reader **r, const struct py_target *t, pid_t pid, char *err,
		      size_t errlen)
{
	int ret = py_reader_new(r, t, read_pid, (void *)(intptr_t)pid, err, errlen);

	if (ret == 0)
		(*r)->pid = pid;
	return ret;
}

void py_reader_free(struct py_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < CODE_SLOTS; i++)
		code_release(&r->codes[i]);
	free(r->codes);
	for (size_t i = 0; i < r->nstrs; i++)
		free(r->strs[i]);
	free(r->strs);
	hmap_release(&r->str_index);
	free(r->threads);
	free(r);
}

int py_reader_threads(struct py_reader *r, struct py_thread *out, size_t max, size_t *n)
{
	const struct py_offsets *o = r->o;
	uint64_t interp, gil = 0;
	size_t total = 0;
	int ret;

	*n = 0;
	ret = rd_ptr(r, r->t.runtime + o->runtime_interp_head, &interp);
	if (ret < 0)
		return ret;
	if (rd_ptr(r, r->t.runtime + o->runtime_gil_tstate, &gil) < 0)
		gil = 0;
	for (int ni = 0; interp; ni++) {
		uint64_t ts, next_interp;

		if (ni >= MAX_INTERPS)
			return -ELOOP;
		if ((ret = rd_ptr(r, interp + o->interp_threads_head, &ts)) < 0 ||
		    (ret = rd_ptr(r, interp + o->interp_next, &next_interp)) < 0)
			return ret;
		while (ts) {
			uint8_t buf[256];
			uint64_t next, tid;

			if (++total > PY_MAX_THREADS)
				return -ELOOP;
			if ((ret = rd(r, ts, buf, o->tstate_native_tid + 8)) < 0)
				return ret;
			memcpy(&next, buf + o->tstate_next, 8);
			memcpy(&tid, buf + o->tstate_native_tid, 8);
			if (next == ts)
				return -ELOOP;
			if (*n < max) {
				out[*n].tstate = ts;
				out[*n].interp = interp;
				out[*n].tid = (uint32_t)tid;
				out[*n].holds_gil = ts == gil;
				memcpy(&out[*n].ident, buf + o->tstate_thread_id, 8);
				memset(out[*n].pad, 0, sizeof(out[*n].pad));
				(*n)++;
			}
			ts = next;
		}
		if (next_interp == interp)
			return -ELOOP;
		interp = next_interp;
	}
	return 0;
}

/*
 * One walk of tstate's frames, leaf first. *top is the frame the walk
 * started from and *open_gen is set when it ended on a generator's frame
 * whose link to its caller was NULL: the target, which runs on while we
 * read, had just suspended that generator (its frame->previous is cleared
 * at each yield), so the callers were lost to the race, not absent.
 */
#define PY_WALK_TRIES 64

static int walk_stack(struct py_reader *r, uint64_t tstate, struct py_frame *out, size_t cap,
		      size_t *n, uint64_t *top, int *open_gen)
{
	const struct py_offsets *o = r->o;
	uint64_t cframe, frame, seen[64] = { 0 };
	size_t depth = 0;
	int ret;

	*n = 0;
	*top = 0;
	*open_gen = 0;
	blocks_reset(r);
	if ((ret = rd_ptr(r, tstate + o->tstate_cframe, &cframe)) < 0)
		return ret;
	if (!cframe)
		return 0;
	if ((ret = rd_ptr(r, cframe + o->cframe_current, &frame)) < 0)
		return ret;
	*top = frame;
	while (frame) {
		uint8_t buf[128];
		uint64_t code, previous, prev_instr, code_start;
		uint8_t is_entry, owner;
		struct code_entry *e;
		int64_t lasti;
		int32_t line;

		/* Bounded walk; a cycle shows as a frame seen before. */
		if (++depth > PY_MAX_DEPTH * 4)
			return -ELOOP;
		if (frame & 7)
			return -EFAULT;
		if (seen[hash_mix(frame) & 63] == frame)
			return -ELOOP;
		seen[hash_mix(frame) & 63] = frame;
		if ((ret = rd_cached(r, frame, buf, o->frame_size)) < 0)
			return ret;
		memcpy(&code, buf + o->frame_code, 8);
		memcpy(&previous, buf + o->frame_previous, 8);
		memcpy(&prev_instr, buf + o->frame_prev_instr, 8);
		is_entry = buf[o->frame_is_entry];
		owner = buf[o->frame_owner];
		if (previous == frame || owner > 3 || is_entry > 1)
			return -EBADMSG;
		if ((ret = code_get(r, code, &e)) < 0)
			return ret;
		code_start = code + o->code_adaptive;
		/* Incomplete frames (being set up) have no valid instruction yet. */
		if (owner != o->frame_owner_generator &&
		    prev_instr < code_start + 2 * (uint64_t)e->firsttraceable) {
			if (is_entry && *n > 0)
				out[*n - 1].flags |= PY_FRAME_ENTRY;
			frame = previous;
			continue;
		}
		if (*n >= cap) {
			out[*n - 1].flags |= PY_FRAME_TRUNCATED;
			return 0;
		}
		lasti = ((int64_t)(prev_instr - code_start)) / 2;
		line = py_linerange_find(e->ranges, e->nranges, e->firstlineno, lasti * 2);
		out[*n].function = e->function;
		out[*n].file = e->file;
		out[*n].line = line > 0 ? line : 0;
		out[*n].flags = (is_entry ? PY_FRAME_ENTRY : 0) |
				(owner == o->frame_owner_generator ? PY_FRAME_GENERATOR : 0);
		out[*n].code = code;
		out[*n].addr = frame;
		(*n)++;
		if (!previous && owner == o->frame_owner_generator)
			*open_gen = 1;
		frame = previous;
	}
	return 0;
}

int py_reader_stack(struct py_reader *r, uint64_t tstate, struct py_frame *out, size_t max,
		    size_t *n)
{
	size_t cap = max < PY_MAX_DEPTH ? max : PY_MAX_DEPTH;
	uint64_t top;
	int ret = 0, open_gen;

	*n = 0;
	if (!cap)
		return 0;
	/* The target runs while we read: a walk that raced with a yield (a
	 * generator's frame cut from its callers) is read again; a walk that
	 * reached the bottom is a stack the thread had, even if it has moved
	 * on since. In a program that yields every few hundred nanoseconds
	 * (json's encoder, generators.py) about 4 walks in 10 race, each
	 * independently of the last, and more when the reader is descheduled
	 * mid-walk on a loaded machine: 8 tries left ~0.2 % of such samples
	 * torn here and over 1 % under load; 64 leave none in practice and
	 * cost nothing where nothing races. */
	for (int tries = 0; tries < PY_WALK_TRIES; tries++) {
		ret = walk_stack(r, tstate, out, cap, n, &top, &open_gen);
		if (ret < 0 && ret != -EBADMSG && ret != -ELOOP && ret != -EFAULT)
			return ret;
		if (!ret && !open_gen)
			return 0;
	}
	return ret;
}

static int refresh_threads(struct py_reader *r)
{
	struct py_thread *v = malloc(256 * sizeof(*v));
	size_t n;
	int ret;

	if (!v)
		return -ENOMEM;
	ret = py_reader_threads(r, v, 256, &n);
	if (ret < 0) {
		free(v);
		return ret;
	}
	free(r->threads);
	r->threads = v;
	r->nthreads = n;
	return 0;
}

static uint64_t find_tstate(const struct py_reader *r, uint32_t tid)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].tid == tid)
			return r->threads[i].tstate;
	return 0;
}

int py_reader_stack_tid(struct py_reader *r, uint32_t tid, struct py_frame *out, size_t max,
			size_t *n)
{
	uint64_t ts = find_tstate(r, tid), got;
	int ret;

	*n = 0;
	/* A cached tstate may have been freed and reused: check its tid. */
	if (ts && (rd_ptr(r, ts + r->o->tstate_native_tid, &got) < 0 || (uint32_t)got != tid))
		ts = 0;
	if (!ts) {
		if ((ret = refresh_threads(r)) < 0)
			return ret;
		ts = find_tstate(r, tid);
		if (!ts)
			return -ENOENT;
	}
	return py_reader_stack(r, ts, out, max, n);
}

int py_reader_gil(struct py_reader *r, uint64_t *tstate, uint32_t *tid)
{
	uint64_t ts, t;
	int ret;

	if ((ret = rd_ptr(r, r->t.runtime + r->o->runtime_gil_tstate, &ts)) < 0)
		return ret;
	if (!ts)
		return 0;
	if ((ret = rd_ptr(r, ts + r->o->tstate_native_tid, &t)) < 0)
		return ret;
	*tstate = ts;
	*tid = (uint32_t)t;
	return 1;
}

int py_reader_read(struct py_reader *r, uint64_t addr, void *dst, size_t len)
{
	return rd(r, addr, dst, len);
}

const struct py_target *py_reader_target(const struct py_reader *r)
{
	return &r->t;
}

const struct py_offsets *py_reader_offsets(const struct py_reader *r)
{
	return r->o;
}

void py_reader_stats(const struct py_reader *r, struct py_reader_stats *s)
{
	*s = r->stats;
}
