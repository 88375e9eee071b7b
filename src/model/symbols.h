/*
 * symbols.h - symbolization of raw addresses recorded by pinch record,
 * through elfutils (libdwfl/libdw). Keeps one address-space model per
 * process, built from the recording's REC_MMAP records in file order
 * (fork shares the parent's maps copy-on-write, a new mapping replaces
 * whatever it overlaps, like the kernel does), reports each mapped ELF
 * file to libdwfl at its load bias, and resolves an address to a chain
 * of frames: the inlined calls at that address (innermost first) and
 * the function that contains them, with DWARF file:line for each.
 *
 * Separate debug info is found through dwfl's standard callbacks
 * (/usr/lib/debug/.build-id/xx/yyyy.debug, .debug directories). A file
 * whose build-id differs from the recorded one is not trusted: it gives
 * a warning (once) and module+0xoff frames, never wrong names. Anything
 * unresolvable (stripped, anonymous/JIT memory, a missing file) becomes
 * one LOC_UNKNOWN frame named "module+0xoff".
 *
 * Results are cached per (address space, address). Not thread-safe.
 */
#ifndef PINCH_MODEL_SYMBOLS_H
#define PINCH_MODEL_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct rec_mmap;
struct symbolizer;
struct sym_space;

/* One frame of a resolved address. Strings live as long as the symbolizer. */
struct sym_frame {
	const char *function;	/* demangled name, or "module+0xoff" for LOC_UNKNOWN */
	const char *file;	/* source path from DWARF, NULL when unknown */
	uint32_t line;		/* 0 when unknown */
	const char *module;	/* basename of the mapped file ("[vdso]", "[unknown]"...) */
	uint64_t rel;		/* address relative to the module's link-time layout */
	uint16_t kind;		/* enum loc_kind (profile.h) */
	uint16_t inlined;	/* 1: inlined into the next frame of the same result */
};

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/* Address-space events, fed in recording (timestamp) order. */
/* A mapping of path (NUL-terminated, as recorded) into m->pid. 0 or -ENOMEM. */
int symbolizer_mmap(struct symbolizer *s, const struct rec_mmap *m, const char *path);
/* A new process pid forked from ppid: it starts with a copy of the parent's maps. */
int symbolizer_fork(struct symbolizer *s, uint32_t pid, uint32_t ppid);
/* pid called exec: its old maps are gone. */
void symbolizer_exec(struct symbolizer *s, uint32_t pid);
/* Reads /proc/PID/maps of a live process into its address space (tests,
 * attach mode). 0 or -errno. */
int symbolizer_load_proc_maps(struct symbolizer *s, uint32_t pid);

/* The current address space of pid, or NULL when nothing is mapped. The
 * pointer is valid until the next event for pid. */
struct sym_space *symbolizer_space(struct symbolizer *s, uint32_t pid);
/* 1 when addr lies in a recorded mapping of sp (code can only run there). */
int sym_space_maps(const struct sym_space *sp, uint64_t addr);
/* A small number identifying an address space for caching. */
uint32_t sym_space_id(const struct sym_space *sp);

/*
 * Resolves addr in sp (sp may be NULL: everything is unknown). A caller's
 * return address should be passed minus one so the call line is found.
 * Returns a result id (dense, from 0) that is the same for the same
 * (space, address); sym_result() gives its frames, innermost first.
 */
uint32_t sym_lookup(struct symbolizer *s, struct sym_space *sp, uint64_t addr);
const struct sym_frame *sym_result(const struct symbolizer *s, uint32_t id, uint32_t *n);
size_t sym_n_results(const struct symbolizer *s);

/* Warnings gathered so far (binary changed since recording, file missing,
 * no symbols...), one line each, each reported once. */
size_t sym_n_warnings(const struct symbolizer *s);
const char *sym_warning(const struct symbolizer *s, size_t i);

/* ---- for the unwinder (unwind.c) ---------------------------------------- */

/* libdwfl session of the space with every mapped module reported at its
 * load bias (a Dwfl *), or NULL when no module could be reported. */
void *sym_space_dwfl(struct symbolizer *s, struct sym_space *sp);
/* A slot the unwinder owns per space (its attach-state context) and the
 * function that frees it with the space. */
void **sym_space_unwind_slot(struct sym_space *sp, void (**free_fn)(void *));
/* The unwinder attaches a thread state to sym_space_dwfl(): it says so
 * here and gets the Dwfl's generation. A later change of the maps makes
 * a new Dwfl (a re-report would free modules under the attached state):
 * when the generation differs, attach again. */
uint64_t sym_space_dwfl_attached(struct sym_space *sp);
/* Reads len bytes at addr from the file mapped there (read-only data such
 * as code and constants). 0, or -EFAULT when nothing readable is mapped. */
int sym_space_read(struct symbolizer *s, struct sym_space *sp, uint64_t addr, void *buf,
		   size_t len);

/* Demangles a C++ (Itanium ABI) name into out; 0, or -EINVAL if not mangled. */
struct strbuf;
int sym_demangle(const char *name, struct strbuf *out);

#endif
