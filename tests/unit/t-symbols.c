/*
 * t-symbols.c - the symbolizer on this test's own process: known
 * functions resolve to their names, files and lines; an inlined call is
 * reported as an extra inlined frame; anonymous memory, unmapped
 * addresses and a changed binary give module+0xoff; fork shares maps.
 */
#include <gelf.h>
#include <inttypes.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "model/profile.h"
#include "model/recfile.h"
#include "model/symbols.h"
#include "tap.h"

enum { KNOWN_LINE = __LINE__ + 1 };
__attribute__((noinline)) int t_symbols_known(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

enum { INNER_LINE = __LINE__ + 5 };
static inline __attribute__((always_inline)) uint64_t t_symbols_inner(void)
{
	uint64_t pc;

	__asm__ volatile("1: leaq 1b(%%rip), %0" : "=r"(pc));
	return pc;
}

enum { CALL_LINE = __LINE__ + 4 };
__attribute__((noinline)) uint64_t t_symbols_outer(void)
{
	__asm__ volatile("" ::: "memory");
	return t_symbols_inner();
}

static const char *base(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;

	return b ? b + 1 : p;
}

static void test_known(struct symbolizer *s, struct sym_space *sp)
{
	uint32_t n, id = sym_lookup(s, sp, (uint64_t)(uintptr_t)&t_symbols_known);
	const struct sym_frame *f = sym_result(s, id, &n);

	is_uint(n, 1, "a plain function is one frame");
	is_str(f[0].function, "t_symbols_known", "function name from the symbol table");
	is_str(base(f[0].file), "t-symbols.c", "file from DWARF");
	ok(f[0].line >= KNOWN_LINE && f[0].line <= KNOWN_LINE + 4, "line within the function (%u)",
	   f[0].line);
	is_str(f[0].module, "t-symbols", "module is the executable's basename");
	is_int(f[0].kind, LOC_NATIVE, "kind native");
	is_uint(sym_lookup(s, sp, (uint64_t)(uintptr_t)&t_symbols_known), id, "cached: same result id");
	/* Inside the function, not at its start. */
	id = sym_lookup(s, sp, (uint64_t)(uintptr_t)&t_symbols_known + 3);
	f = sym_result(s, id, &n);
	is_str(f[0].function, "t_symbols_known", "an address inside the function");
}

static void test_inline(struct symbolizer *s, struct sym_space *sp)
{
	uint64_t pc = t_symbols_outer();
	uint32_t n, id = sym_lookup(s, sp, pc);
	const struct sym_frame *f = sym_result(s, id, &n);

	is_uint(n, 2, "an inlined call gives two frames");
	if (n < 2)
		return;
	is_str(f[0].function, "t_symbols_inner", "innermost frame is the inlined function");
	is_int(f[0].inlined, 1, "marked inlined");
	is_uint(f[0].line, INNER_LINE, "innermost line is the sampled line");
	is_str(f[1].function, "t_symbols_outer", "then the function it was inlined into");
	is_int(f[1].inlined, 0, "outer frame not inlined");
	is_uint(f[1].line, CALL_LINE, "outer frame's line is the call site");
	is_str(base(f[1].file), "t-symbols.c", "outer frame's file");
}

static void test_libc(struct symbolizer *s, struct sym_space *sp)
{
	uint32_t n, id = sym_lookup(s, sp, (uint64_t)(uintptr_t)&getppid);
	const struct sym_frame *f = sym_result(s, id, &n);

	ok(n >= 1 && f[0].kind == LOC_NATIVE, "a libc function resolves");
	ok(n >= 1 && strstr(f[0].function, "getppid") != NULL, "libc name is getppid (%s)",
	   n ? f[0].function : "");
	ok(n >= 1 && !strncmp(f[0].module, "libc", 4), "module is libc (%s)", n ? f[0].module : "");
}

/* The vdso's clock_gettime, found in the vdso image's own .dynsym. */
static void test_vdso(struct symbolizer *s, struct sym_space *sp)
{
	char *base = (char *)getauxval(AT_SYSINFO_EHDR);
	Elf *elf;
	Elf_Scn *scn = NULL;
	uint64_t addr = 0;

	if (!base) {
		ok(1, "# SKIP no vdso");
		return;
	}
	elf_version(EV_CURRENT);
	elf = elf_memory(base, 1 << 16);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (gelf_getsym(d, (int)i, &sym) &&
			    (name = elf_strptr(elf, sh.sh_link, sym.st_name)) &&
			    !strcmp(name, "__vdso_clock_gettime"))
				addr = (uint64_t)(uintptr_t)base + sym.st_value;
		}
	}
	if (elf)
		elf_end(elf);
	ok(addr != 0, "found __vdso_clock_gettime in the vdso image");
	if (addr) {
		uint32_t n;
		const struct sym_frame *f = sym_result(s, sym_lookup(s, sp, addr + 1), &n);

		is_str(f[n - 1].module, "[vdso]", "vdso module");
		ok(strstr(f[n - 1].function, "clock_gettime") != NULL, "vdso function named (%s)",
		   f[n - 1].function);
	}
}

static void test_unknown(struct symbolizer *s, struct sym_space *sp)
{
	uint32_t n, id = sym_lookup(s, sp, 0x10);
	const struct sym_frame *f = sym_result(s, id, &n);
	char want[64];

	is_uint(n, 1, "unmapped address: one frame");
	is_int(f[0].kind, LOC_UNKNOWN, "unmapped address is unknown");
	is_str(f[0].function, "[unknown]+0x10", "unmapped address named by its value");
	id = sym_lookup(s, NULL, 0x1234);
	f = sym_result(s, id, &n);
	is_str(f[0].function, "[unknown]+0x1234", "no address space at all");

	/* A build-id that is not the file's: warn, never trust the names. */
	{
		struct symbolizer *s2 = symbolizer_new();
		struct rec_mmap m;
		char exe[4096];
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		uint64_t a = (uint64_t)(uintptr_t)&t_symbols_known;
		FILE *maps = fopen("/proc/self/maps", "r");
		char line[4096];

		exe[len > 0 ? len : 0] = '\0';
		memset(&m, 0, sizeof(m));
		while (maps && fgets(line, sizeof(line), maps)) {
			uint64_t lo, hi, off;
			char perm[8];

			if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64, &lo, &hi, perm, &off) == 4 &&
			    lo <= a && a < hi) {
				m.start = lo;
				m.len = hi - lo;
				m.pgoff = off;
			}
		}
		if (maps)
			fclose(maps);
		m.pid = 1;
		m.prot = PROT_READ | PROT_EXEC;
		m.build_id_len = 20;
		memset(m.build_id, 0xab, 20);
		symbolizer_mmap(s2, &m, exe);
		id = sym_lookup(s2, symbolizer_space(s2, 1), a);
		f = sym_result(s2, id, &n);
		is_int(f[0].kind, LOC_UNKNOWN, "changed binary: unknown frame");
		snprintf(want, sizeof(want), "t-symbols+0x%" PRIx64, a - m.start + m.pgoff);
		is_str(f[0].function, want, "changed binary: module+0xoff");
		is_uint(sym_n_warnings(s2), 1, "one warning");
		ok(sym_n_warnings(s2) && strstr(sym_warning(s2, 0), "build-id differs"),
		   "warning says the build-id differs");
		sym_lookup(s2, symbolizer_space(s2, 1), a + 1);
		is_uint(sym_n_warnings(s2), 1, "still one warning after another lookup");

		/* Fork: the child sees the parent's maps; its own maps stay its own. */
		symbolizer_fork(s2, 2, 1);
		ok(symbolizer_space(s2, 2) == symbolizer_space(s2, 1), "fork shares the space");
		m.pid = 2;
		m.start = 0x100000;
		m.len = 0x1000;
		symbolizer_mmap(s2, &m, "//anon");
		ok(symbolizer_space(s2, 2) != symbolizer_space(s2, 1), "a child mmap copies the space");
		id = sym_lookup(s2, symbolizer_space(s2, 2), 0x100010);
		f = sym_result(s2, id, &n);
		is_str(f[0].function, "[anon]+0x100010", "anonymous memory: [anon]+address");
		id = sym_lookup(s2, symbolizer_space(s2, 1), 0x100010);
		f = sym_result(s2, id, &n);
		is_str(f[0].function, "[unknown]+0x100010", "the parent did not get the child's map");
		id = sym_lookup(s2, symbolizer_space(s2, 2), a);
		f = sym_result(s2, id, &n);
		is_int(f[0].kind, LOC_UNKNOWN, "the child inherited the parent's file map");
		/* exec drops everything. */
		symbolizer_exec(s2, 2);
		ok(symbolizer_space(s2, 2) == NULL, "exec clears the space");
		symbolizer_free(s2);
	}
}

static void test_overlap(void)
{
	struct symbolizer *s = symbolizer_new();
	struct rec_mmap m;
	uint32_t n;
	const struct sym_frame *f;

	memset(&m, 0, sizeof(m));
	m.pid = 5;
	m.start = 0x10000;
	m.len = 0x10000;
	symbolizer_mmap(s, &m, "/nonexistent/libold.so");
	m.start = 0x14000;
	m.len = 0x1000;
	symbolizer_mmap(s, &m, "/nonexistent/libnew.so");
	f = sym_result(s, sym_lookup(s, symbolizer_space(s, 5), 0x14010), &n);
	is_str(f[0].function, "libnew.so+0x10", "a new map replaces what it overlaps");
	f = sym_result(s, sym_lookup(s, symbolizer_space(s, 5), 0x16000), &n);
	is_str(f[0].function, "libold.so+0x6000", "the rest of the old map stays, offset kept");
	f = sym_result(s, sym_lookup(s, symbolizer_space(s, 5), 0x12000), &n);
	is_str(f[0].function, "libold.so+0x2000", "left part of the old map");
	ok(sym_n_warnings(s) >= 1 && strstr(sym_warning(s, 0), "cannot open"), "missing file warned");
	symbolizer_free(s);
}

static void test_demangle(void)
{
	struct strbuf sb = STRBUF_INIT;

	is_int(sym_demangle("_ZN3foo3barEi", &sb), 0, "demangles");
	is_str(sb.buf, "foo::bar(int)", "C++ name");
	strbuf_reset(&sb);
	ok(sym_demangle("main", &sb) < 0, "plain C names are left alone");
	ok(sym_demangle("_Zgarbage!", &sb) < 0, "garbage is not demangled");
	strbuf_release(&sb);
}

/*
 * The maps of this process given one by one, libc's last, with k lookups
 * in ld.so before libc arrives (a sample in the dynamic loader before
 * libc's MMAP record): whatever k, the executable and libc resolve after.
 * Before the fix, k == 1 lost every function of the main executable.
 */
static void test_late_map(int k)
{
	struct symbolizer *s = symbolizer_new();
	char line[4096], late[64][512];
	uint64_t lstart[64], llen[64], loff[64];
	size_t nlate = 0;
	FILE *f = fopen("/proc/self/maps", "re");
	uint64_t ldso = getauxval(AT_BASE);
	struct sym_space *sp;
	uint32_t n, id;
	const struct sym_frame *fr;

	if (!s || !f) {
		ok(0, "late map %d: set-up", k);
		if (f)
			fclose(f);
		symbolizer_free(s);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		uint64_t lo, hi, off;
		char perm[8];
		int at = 0;
		struct rec_mmap m;
		char *name;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", &lo, &hi, perm,
			   &off, &at) < 4 || !at || perm[2] != 'x')
			continue;
		name = line + at;
		name[strcspn(name, "\n")] = '\0';
		if (strstr(name, "/libc.so") && nlate < 64) {
			snprintf(late[nlate], sizeof(late[nlate]), "%s", name);
			lstart[nlate] = lo;
			llen[nlate] = hi - lo;
			loff[nlate++] = off;
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.pid = (uint32_t)getpid();
		m.start = lo;
		m.len = hi - lo;
		m.pgoff = off;
		symbolizer_mmap(s, &m, name);
	}
	fclose(f);
	sp = symbolizer_space(s, (uint32_t)getpid());
	for (int i = 0; i < k; i++)
		sym_lookup(s, sp, ldso + 0x1000 + 0x40 * (uint64_t)i);
	for (size_t i = 0; i < nlate; i++) {
		struct rec_mmap m;

		memset(&m, 0, sizeof(m));
		m.pid = (uint32_t)getpid();
		m.start = lstart[i];
		m.len = llen[i];
		m.pgoff = loff[i];
		symbolizer_mmap(s, &m, late[i]);
	}
	ok(nlate > 0, "late map %d: libc mapped late", k);
	sp = symbolizer_space(s, (uint32_t)getpid());
	id = sym_lookup(s, sp, (uint64_t)(uintptr_t)&t_symbols_known);
	fr = sym_result(s, id, &n);
	is_str(n ? fr[0].function : "", "t_symbols_known",
	       "late map %d: the executable still resolves after %d loader lookups", k, k);
	id = sym_lookup(s, sp, (uint64_t)(uintptr_t)&getppid);
	fr = sym_result(s, id, &n);
	ok(n >= 1 && strstr(fr[0].function, "getppid") != NULL,
	   "late map %d: the late libc resolves (%s)", k, n ? fr[0].function : "");
	symbolizer_free(s);
}

/* Three levels: t_symbols_l3 (inlined) in t_symbols_l2 (inlined) in
 * t_symbols_chain. Every level is a frame, innermost first (dwarf_getscopes
 * alone skips the middle ones). */
static inline __attribute__((always_inline)) uint64_t t_symbols_l3(void)
{
	uint64_t pc;

	__asm__ volatile("1: leaq 1b(%%rip), %0" : "=r"(pc));
	return pc;
}

static inline __attribute__((always_inline)) uint64_t t_symbols_l2(void)
{
	__asm__ volatile("" ::: "memory");
	return t_symbols_l3() + 1;
}

__attribute__((noinline)) uint64_t t_symbols_chain(void)
{
	__asm__ volatile("" ::: "memory");
	return t_symbols_l2() - 1;
}

static void test_inline_chain(struct symbolizer *s, struct sym_space *sp)
{
	uint64_t pc = t_symbols_chain();
	uint32_t n, id = sym_lookup(s, sp, pc);
	const struct sym_frame *f = sym_result(s, id, &n);

	is_uint(n, 3, "a two-level inline chain gives three frames");
	if (n < 3)
		return;
	is_str(f[0].function, "t_symbols_l3", "innermost: the inner inline");
	is_str(f[1].function, "t_symbols_l2", "then the middle inline");
	is_int(f[1].inlined, 1, "the middle one is marked inlined");
	is_str(f[2].function, "t_symbols_chain", "then the real function");
	is_int(f[2].inlined, 0, "the real function is not inlined");
}

int main(void)
{
	struct symbolizer *s = symbolizer_new();
	struct sym_space *sp;

	ok(s != NULL, "new symbolizer");
	is_int(symbolizer_load_proc_maps(s, (uint32_t)getpid()), 0, "maps of this process");
	sp = symbolizer_space(s, (uint32_t)getpid());
	ok(sp != NULL, "an address space");
	test_known(s, sp);
	test_inline(s, sp);
	test_inline_chain(s, sp);
	test_libc(s, sp);
	test_vdso(s, sp);
	test_unknown(s, sp);
	is_uint(sym_n_warnings(s), 0, "no warnings for our own process");
	symbolizer_free(s);
	test_overlap();
	test_demangle();
	for (int k = 0; k <= 3; k++)
		test_late_map(k);
	return done_testing();
}
