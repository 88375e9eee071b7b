/*
 * dump.c - `pinch dump --pid PID`: what every thread of a process is doing
 * right now, like py-spy dump. Python threads show their Python stack
 * (file:line), the name threading gave them, whether they hold the GIL
 * and whether they are running or idle (the state in
 * /proc/PID/task/TID/stat); --locals adds each frame's arguments and
 * locals as short reprs read from memory (pyobjects.c), --native the
 * native stack of each thread. A process without Python gets native
 * stacks, and says so.
 *
 * Consistency: Python stacks are read without stopping the process
 * (process_vm_readv; the reader re-walks a stack that tore under it), so
 * a dump works on an interpreter that is stuck and never perturbs it.
 * Native stacks need each thread's registers: only for --native (or a
 * non-Python process) is each thread stopped, one at a time, with
 * PTRACE_SEIZE + PTRACE_INTERRUPT for the few microseconds of copying its
 * registers and the top of its stack, then detached.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collect/proctree.h"
#include "collect/python/pyobjects.h"
#include "collect/python/pyreader.h"
#include "core/json.h"
#include "core/opt.h"
#include "core/strbuf.h"
#include "model/symbols.h"
#include "model/unwind.h"
#include "core/banned.h"

#define MAX_TASKS 4096
#define NATIVE_STACK (64u << 10)	/* bytes of stack copied per thread for --native */
#define NATIVE_MAX 64			/* native frames shown per thread */

static const char *const dump_usage[] = {
	"usage: pinch dump --pid <pid> [--native] [--locals] [--json]",
	"",
	"Prints the current stack of every thread of a running process (like",
	"py-spy dump): Python frames with file:line, the thread's name, whether",
	"it holds the GIL and whether it is running or idle. Reads memory only:",
	"works on a hung interpreter. A process without Python gets native stacks.",
	NULL,
};

struct task {
	uint32_t tid;
	char os_name[32];
	char state;		/* from /proc/PID/task/TID/stat */
	char name[PY_THREAD_NAME_MAX];	/* threading name, else os_name */
	int python;		/* a Python thread */
	int gil;		/* holds the GIL */
	uint64_t tstate, ident;
	struct py_frame *frames;
	size_t nframes;
	int stack_err;		/* reading its Python stack failed: -errno */
	struct py_local **locals;	/* per frame */
	size_t *nlocals;
	uint64_t *pcs;		/* native stack, leaf first */
	int npcs;
	int native_err;
};

static void trim_nl(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static int list_tasks(pid_t pid, struct task **out, size_t *n)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	struct task *v = NULL;
	size_t cnt = 0, cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && cnt < MAX_TASKS) {
		struct strbuf sb = STRBUF_INIT;
		char p[96];
		const char *s;
		long tid = strtol(de->d_name, NULL, 10);

		if (tid <= 0)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct task *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		memset(&v[cnt], 0, sizeof(v[cnt]));
		v[cnt].tid = (uint32_t)tid;
		v[cnt].state = '?';
		snprintf(p, sizeof(p), "/proc/%d/task/%ld/comm", (int)pid, tid);
		if (strbuf_read_file(&sb, p, 64) == 0) {
			snprintf(v[cnt].os_name, sizeof(v[cnt].os_name), "%s", sb.buf);
			trim_nl(v[cnt].os_name);
		}
		strbuf_reset(&sb);
		snprintf(p, sizeof(p), "/proc/%d/task/%ld/stat", (int)pid, tid);
		if (strbuf_read_file(&sb, p, 1024) == 0 && (s = strrchr(sb.buf, ')')) && s[1] == ' ')
			v[cnt].state = s[2];
		strbuf_release(&sb);
		cnt++;
	}
	closedir(d);
	/* Thread ids in creation order (the kernel lists them so, but sort to be sure). */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && v[j - 1].tid > v[j].tid; j--) {
			struct task t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- native stacks (ptrace: only with --native or without Python) ---------- */

static int native_stack(struct symbolizer *sym, pid_t pid, struct task *t)
{
	struct user_regs_struct regs;
	uint64_t r[17], stack_addr;
	struct unwind_input in = { .pid = (uint32_t)pid, .tid = t->tid };
	uint8_t *stack = malloc(NATIVE_STACK);
	struct iovec local, remote;
	ssize_t got = -1;
	int status, ret = 0;

	if (!stack)
		return -ENOMEM;
	if (ptrace(PTRACE_SEIZE, (pid_t)t->tid, NULL, NULL) < 0) {
		ret = -errno;
		free(stack);
		return ret;
	}
	if (ptrace(PTRACE_INTERRUPT, (pid_t)t->tid, NULL, NULL) < 0 ||
	    waitpid((pid_t)t->tid, &status, __WALL) < 0 ||
	    ptrace(PTRACE_GETREGS, (pid_t)t->tid, NULL, &regs) < 0) {
		ret = -errno;
	} else {
		stack_addr = regs.rsp;
		for (uint32_t size = NATIVE_STACK; size >= 4096 && got < 0; size /= 2) {
			local.iov_base = stack;
			local.iov_len = size;
			remote.iov_base = (void *)(uintptr_t)stack_addr;
			remote.iov_len = size;
			got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		}
	}
	ptrace(PTRACE_DETACH, (pid_t)t->tid, NULL, NULL);
	if (ret < 0) {
		free(stack);
		return ret;
	}
	/* PERF_REG_X86 order: ax bx cx dx si di bp sp ip, then r8..r15. */
	r[0] = regs.rax; r[1] = regs.rbx; r[2] = regs.rcx; r[3] = regs.rdx;
	r[4] = regs.rsi; r[5] = regs.rdi; r[6] = regs.rbp; r[7] = regs.rsp;
	r[8] = regs.rip; r[9] = regs.r8; r[10] = regs.r9; r[11] = regs.r10;
	r[12] = regs.r11; r[13] = regs.r12; r[14] = regs.r13; r[15] = regs.r14;
	r[16] = regs.r15;
	in.regs_mask = 0x1ffull | (0xffull << UNWIND_PERF_R8);
	in.regs = r;
	in.stack = stack;
	in.stack_size = got > 0 ? (uint32_t)got : 0;
	t->pcs = calloc(NATIVE_MAX, sizeof(*t->pcs));
	if (!t->pcs) {
		free(stack);
		return -ENOMEM;
	}
	t->npcs = unwind_dwarf(sym, symbolizer_space(sym, (uint32_t)pid), &in, t->pcs, NATIVE_MAX);
	if (t->npcs < 0) {
		ret = t->npcs;
		t->npcs = 0;
	}
	free(stack);
	return ret;
}

/* ---- output -------------------------------------------------------------------- */

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static const char *state_word(const struct task *t)
{
	return t->state == 'R' ? "running" : t->state == '?' ? "unknown" : "idle";
}

static void text_thread(struct strbuf *o, struct symbolizer *sym, pid_t pid, const struct task *t,
			int locals)
{
	strbuf_addf(o, "Thread %u \"", t->tid);
	strbuf_add_utf8_sanitized(o, t->name, strlen(t->name));
	strbuf_addf(o, "\" (%s%s)\n", state_word(t), t->gil ? ", holds the GIL" : "");
	if (t->python && t->stack_err)
		strbuf_addf(o, "    <python stack unreadable: %s>\n", strerror(-t->stack_err));
	for (size_t i = 0; i < t->nframes; i++) {
		const struct py_frame *f = &t->frames[i];

		strbuf_addf(o, "    %s (%s:%d)\n", f->function, f->file, f->line);
		if (!locals || !t->nlocals[i])
			continue;
		for (int arg = 1; arg >= 0; arg--) {
			int head = 0;

			for (size_t j = 0; j < t->nlocals[i]; j++) {
				const struct py_local *l = &t->locals[i][j];

				if (l->is_arg != arg)
					continue;
				if (!head++)
					strbuf_addstr(o, arg ? "        Arguments:\n" : "        Locals:\n");
				strbuf_addf(o, "            %s: %s\n", l->name, l->repr);
			}
		}
	}
	if (t->python && !t->nframes && !t->stack_err)
		strbuf_addstr(o, "    <no python frames>\n");
	if (t->native_err)
		strbuf_addf(o, "    <native stack unreadable: %s>\n", strerror(-t->native_err));
	if (t->npcs)
		strbuf_addstr(o, t->python ? "    native:\n" : "");
	for (int i = 0; i < t->npcs; i++) {
		uint32_t n = 0, id = sym_lookup(sym, symbolizer_space(sym, (uint32_t)pid),
						 i ? t->pcs[i] - 1 : t->pcs[i]);
		const struct sym_frame *fr = sym_result(sym, id, &n);

		for (uint32_t k = 0; k < n; k++) {
			strbuf_addf(o, "    %s%s (%s", t->python ? "  " : "", fr[k].function,
				    fr[k].module ? fr[k].module : "?");
			if (fr[k].file && fr[k].line)
				strbuf_addf(o, ", %s:%u", basename_of(fr[k].file), fr[k].line);
			strbuf_addstr(o, ")\n");
		}
	}
	strbuf_addch(o, '\n');
}

static void json_thread(struct json_writer *w, struct symbolizer *sym, pid_t pid,
			const struct task *t, int locals)
{
	json_obj_begin(w);
	json_kuint(w, "tid", t->tid);
	json_kstr(w, "name", t->name);
	json_kstr(w, "os_name", t->os_name);
	json_kbool(w, "python", t->python);
	json_kstr(w, "state", state_word(t));
	json_kbool(w, "gil", t->gil);
	if (t->python && t->stack_err)
		json_kstr(w, "error", strerror(-t->stack_err));
	json_key(w, "frames");
	json_arr_begin(w);
	for (size_t i = 0; i < t->nframes; i++) {
		const struct py_frame *f = &t->frames[i];

		json_obj_begin(w);
		json_kstr(w, "function", f->function);
		json_kstr(w, "file", f->file);
		json_kint(w, "line", f->line);
		if (locals) {
			json_key(w, "locals");
			json_arr_begin(w);
			for (size_t j = 0; j < t->nlocals[i]; j++) {
				json_obj_begin(w);
				json_kstr(w, "name", t->locals[i][j].name);
				json_kstr(w, "repr", t->locals[i][j].repr);
				json_kbool(w, "arg", t->locals[i][j].is_arg);
				json_obj_end(w);
			}
			json_arr_end(w);
		}
		json_obj_end(w);
	}
	json_arr_end(w);
	if (t->npcs || t->native_err) {
		json_key(w, "native");
		json_arr_begin(w);
		for (int i = 0; i < t->npcs; i++) {
			uint32_t n = 0, id = sym_lookup(sym, symbolizer_space(sym, (uint32_t)pid),
							 i ? t->pcs[i] - 1 : t->pcs[i]);
			const struct sym_frame *fr = sym_result(sym, id, &n);

			for (uint32_t k = 0; k < n; k++) {
				json_obj_begin(w);
				json_kstr(w, "function", fr[k].function);
				json_kstr(w, "module", fr[k].module ? fr[k].module : "");
				if (fr[k].file)
					json_kstr(w, "file", fr[k].file);
				json_kuint(w, "line", fr[k].line);
				json_obj_end(w);
			}
		}
		json_arr_end(w);
		if (t->native_err)
			json_kstr(w, "native_error", strerror(-t->native_err));
	}
	json_obj_end(w);
}

static void free_tasks(struct task *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; v[i].locals && j < v[i].nframes; j++)
			free(v[i].locals[j]);
		free(v[i].locals);
		free(v[i].nlocals);
		free(v[i].frames);
		free(v[i].pcs);
	}
	free(v);
}

/* Reads everything about pid into the tasks; 0 or an exit status. */
static int read_python(struct task *tasks, size_t ntasks, int locals,
		       struct py_reader *r, char *err, size_t errlen)
{
	struct py_thread *th = calloc(PY_MAX_THREADS, sizeof(*th));
	struct py_thread_name *names = calloc(256, sizeof(*names));
	size_t nth = 0, nnames = 0;
	int ret;

	if (!th || !names) {
		free(th);
		free(names);
		return -ENOMEM;
	}
	ret = py_reader_threads(r, th, PY_MAX_THREADS, &nth);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read the python threads: %s", strerror(-ret));
		goto out;
	}
	if (nth)
		py_thread_names(r, th[0].interp, names, 256, &nnames);
	for (size_t i = 0; i < ntasks; i++) {
		struct task *t = &tasks[i];

		for (size_t j = 0; j < nth; j++) {
			if (th[j].tid != t->tid)
				continue;
			t->python = 1;
			t->gil = th[j].holds_gil;
			t->tstate = th[j].tstate;
			t->ident = th[j].ident;
		}
		for (size_t j = 0; t->python && j < nnames; j++)
			if (names[j].ident == t->ident)
				snprintf(t->name, sizeof(t->name), "%s", names[j].name);
		if (!t->python)
			continue;
		t->frames = calloc(PY_MAX_DEPTH, sizeof(*t->frames));
		if (!t->frames) {
			ret = -ENOMEM;
			goto out;
		}
		t->stack_err = py_reader_stack(r, t->tstate, t->frames, PY_MAX_DEPTH, &t->nframes);
		if (t->stack_err == -ESRCH) {
			t->nframes = 0;
			ret = -ESRCH;
			goto out;
		}
		if (t->stack_err)
			t->nframes = 0;
		/* The strings of a stack live until the reader's next walk: keep copies. */
		for (size_t k = 0; k < t->nframes; k++) {
			t->frames[k].function = strdup(t->frames[k].function);
			t->frames[k].file = strdup(t->frames[k].file);
		}
		if (locals && t->nframes) {
			t->locals = calloc(t->nframes, sizeof(*t->locals));
			t->nlocals = calloc(t->nframes, sizeof(*t->nlocals));
			if (!t->locals || !t->nlocals) {
				ret = -ENOMEM;
				goto out;
			}
			for (size_t k = 0; k < t->nframes; k++) {
				t->locals[k] = calloc(PY_LOCALS_MAX, sizeof(**t->locals));
				if (!t->locals[k]) {
					ret = -ENOMEM;
					goto out;
				}
				if (py_frame_locals(r, &t->frames[k], t->locals[k], PY_LOCALS_MAX,
						    &t->nlocals[k]) < 0)
					t->nlocals[k] = 0;
			}
		}
	}
	ret = 0;
out:
	free(th);
	free(names);
	return ret;
}

/* 1 when pid is gone, a zombie or on its way out (PF_EXITING): what made
 * a read of it fail is then its exit (its mappings are already empty, a
 * ptrace of a zombie is refused with EPERM). */
static int process_ended(long pid)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	char state = 0;
	unsigned flags = 0;
	int ended = 1;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (strbuf_read_file(&sb, path, 4096) == 0 && (p = strrchr(sb.buf, ')')) &&
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", &state, &flags) == 2)
		ended = state == 'Z' || state == 'X' || (flags & 0x4u);	/* PF_EXITING */
	strbuf_release(&sb);
	return ended;
}

/* Dumps one process into o: as text, or as a JSON object when w is set.
 * Returns an exit status. */
static int dump_one(long pid, int native, int locals, struct json_writer *jw, struct strbuf *o)
{
	int rc, status = EXIT_OK, python = 0, json = jw != NULL;
	struct task *tasks = NULL;
	size_t ntasks = 0;
	struct py_target tgt;
	struct py_reader *r = NULL;
	struct symbolizer *sym = NULL;
	struct strbuf cmdline = STRBUF_INIT;
	char err[768] = "", pyerr[512] = "";

	proc_cmdline((pid_t)pid, &cmdline);
	{
		struct proc_info pi;

		if (proc_info_read((pid_t)pid, PROC_STAT, &pi) == 0 &&
		    (pi.state == 'Z' || pi.state == 'X')) {
			/* Its threads are gone: nothing to read or stop. */
			fprintf(stderr, "pinch dump: process %ld has exited (a zombie its parent has not reaped): nothing to dump\n",
				pid);
			status = EXIT_FAIL;
			goto out;
		}
	}
	rc = list_tasks((pid_t)pid, &tasks, &ntasks);
	if (rc < 0 || !ntasks) {
		fprintf(stderr, "pinch dump: cannot list the threads of %ld: %s\n", pid,
			rc == -ENOENT || !ntasks ? "it exited" : strerror(-rc));
		status = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < ntasks; i++)
		snprintf(tasks[i].name, sizeof(tasks[i].name), "%s",
			 tasks[i].os_name[0] ? tasks[i].os_name : "?");
	rc = py_probe((pid_t)pid, 0, &tgt, pyerr, sizeof(pyerr));
	if (rc == 0)
		rc = py_reader_new_pid(&r, &tgt, (pid_t)pid, pyerr, sizeof(pyerr));
	if (rc == 0) {
		python = 1;
		rc = read_python(tasks, ntasks, locals, r, err, sizeof(err));
		if (rc == -ESRCH) {
			fprintf(stderr, "pinch dump: process %ld exited during the dump\n", pid);
			status = EXIT_FAIL;
			goto out;
		}
		if (rc == -EPERM) {
			fprintf(stderr, "pinch dump: permission denied reading process %ld (another user, or ptrace_scope): run as its user or as root\n", pid);
			status = EXIT_FAIL;
			goto out;
		}
		if (rc < 0) {
			fprintf(stderr, "pinch dump: %s\n", err[0] ? err : strerror(-rc));
			status = EXIT_FAIL;
			goto out;
		}
	} else if (rc == -EACCES || rc == -EPERM) {
		fprintf(stderr, "pinch dump: permission denied reading process %ld (another user, or ptrace_scope): run as its user or as root\n", pid);
		status = EXIT_FAIL;
		goto out;
	} else if (rc == -ESRCH) {
		fprintf(stderr, "pinch dump: process %ld exited during the dump\n", pid);
		status = EXIT_FAIL;
		goto out;
	} else if (!json) {
		fprintf(stderr, "pinch dump: %s: dumping native stacks\n", pyerr);
	}
	if (native || !python) {
		int done = 0, denied = 0;

		sym = symbolizer_new();
		if (!sym || symbolizer_load_proc_maps(sym, (uint32_t)pid) < 0) {
			if (sym && process_ended(pid))
				fprintf(stderr, "pinch dump: process %ld exited during the dump\n", pid);
			else
				fprintf(stderr, "pinch dump: cannot read the mappings of %ld\n", pid);
			status = EXIT_FAIL;
			goto out;
		}
		for (size_t i = 0; i < ntasks; i++) {
			tasks[i].native_err = native_stack(sym, (pid_t)pid, &tasks[i]);
			done += tasks[i].npcs > 0;
			denied += tasks[i].native_err == -EPERM;
		}
		if (!python && !done && process_ended(pid)) {
			/* Python's runtime was not found because it was going away. */
			fprintf(stderr, "pinch dump: process %ld exited during the dump\n", pid);
			status = EXIT_FAIL;
			goto out;
		}
		if (!python && !done) {
			fprintf(stderr, "pinch dump: cannot read the native stacks of %ld: %s\n", pid,
				denied ? "permission denied (ptrace_scope, or another user)" : "no thread could be stopped");
			status = EXIT_FAIL;
			goto out;
		}
	}
	if (json) {
		struct json_writer *w = jw;

		json_kint(w, "pid", pid);
		json_kstr(w, "command", cmdline.buf ? cmdline.buf : "");
		if (python) {
			char ver[32];

			snprintf(ver, sizeof(ver), "%u.%u.%u", tgt.version_hex >> 24,
				 (tgt.version_hex >> 16) & 0xff, (tgt.version_hex >> 8) & 0xff);
			json_kstr(w, "python", ver);
			json_kstr(w, "python_path", tgt.path);
		} else {
			json_key(w, "python");
			json_null(w);
			json_kstr(w, "note", pyerr);
		}
		json_key(w, "threads");
		json_arr_begin(w);
		for (size_t i = 0; i < ntasks; i++)
			json_thread(w, sym, (pid_t)pid, &tasks[i], locals);
		json_arr_end(w);
	} else {
		strbuf_addf(o, "Process %ld: ", pid);
		strbuf_add_utf8_sanitized(o, cmdline.buf ? cmdline.buf : "", cmdline.len);
		strbuf_addch(o, '\n');
		if (python)
			strbuf_addf(o, "Python %u.%u.%u (%s)\n\n", tgt.version_hex >> 24,
				    (tgt.version_hex >> 16) & 0xff, (tgt.version_hex >> 8) & 0xff,
				    tgt.path);
		else
			strbuf_addf(o, "No Python: %s (native stacks)\n\n", pyerr);
		for (size_t i = 0; i < ntasks; i++)
			text_thread(o, sym, (pid_t)pid, &tasks[i], locals);
	}
out:
	if (tasks)
		for (size_t i = 0; i < ntasks; i++)
			for (size_t k = 0; k < tasks[i].nframes; k++) {
				free((char *)tasks[i].frames[k].function);
				free((char *)tasks[i].frames[k].file);
			}
	free_tasks(tasks, ntasks);
	py_reader_free(r);
	symbolizer_free(sym);
	strbuf_release(&cmdline);
	return status;
}

int cmd_dump(int argc, char **argv)
{
	long pid = 0;
	int native = 0, locals = 0, json = 0, subprocesses = 0, nargs, rc, status;
	struct opt opts[] = {
		{ OPT_INT, 'p', "pid", &pid, "pid", "the process to dump", NULL, 0 },
		{ OPT_FLAG, 0, "native", &native, NULL, "also native stacks (stops each thread briefly with ptrace)", NULL, 0 },
		{ OPT_FLAG, 'l', "locals", &locals, NULL, "Python: arguments and locals of each frame", NULL, 0 },
		{ OPT_FLAG, 's', "subprocesses", &subprocesses, NULL, "also every child process and its descendants", NULL, 0 },
		{ OPT_FLAG, 0, "json", &json, NULL, "machine-readable output", NULL, 0 },
		OPT_END_(),
	};
	struct strbuf o = STRBUF_INIT;
	struct json_writer w;
	pid_t kids[1024];
	size_t nkids = 0;

	nargs = opt_parse(argc, argv, opts, dump_usage, 0, NULL);
	if ((rc = cmd_opt_exit(nargs)) >= 0)
		return rc;
	if (nargs || pid <= 0 || pid > INT_MAX) {
		fprintf(stderr, "pinch dump: give the process with --pid PID\n");
		return EXIT_USAGE;
	}
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "pinch dump: no process with pid %ld\n", pid);
		return EXIT_FAIL;
	}
	if (subprocesses)
		nkids = proc_descendants((pid_t)pid, kids, sizeof(kids) / sizeof(kids[0]));
	if (json) {
		json_init(&w, &o, 1);
		json_obj_begin(&w);
		json_kstr(&w, "kind", "dump");
		json_kint(&w, "schema", 1);
	}
	status = dump_one(pid, native, locals, json ? &w : NULL, &o);
	if (json && subprocesses) {
		json_key(&w, "subprocesses");
		json_arr_begin(&w);
	}
	for (size_t i = 0; i < nkids && status == EXIT_OK; i++) {
		struct strbuf one = STRBUF_INIT;

		/* A child that exited since it was listed is left out, not an error. */
		if (json) {
			struct json_writer saved = w;
			size_t len = o.len;

			json_obj_begin(&w);
			if (dump_one(kids[i], native, locals, &w, &one) == EXIT_OK) {
				json_obj_end(&w);
			} else {
				w = saved;	/* no empty object for it */
				strbuf_setlen(&o, len);
			}
		} else if (dump_one(kids[i], native, locals, NULL, &one) == EXIT_OK) {
			strbuf_add(&o, one.buf, one.len);
		}
		strbuf_release(&one);
	}
	if (json) {
		if (subprocesses)
			json_arr_end(&w);
		json_obj_end(&w);
		strbuf_addch(&o, '\n');
	}
	if (status == EXIT_OK)
		fwrite(o.buf, 1, o.len, stdout);
	strbuf_release(&o);
	return status;
}
