/*
 * import_file.c - another tool's profile where a command expects a pinch
 * recording (pinch report, pinch diff): perf.data (through perf script),
 * perf script text, folded stacks or pprof, told apart by content
 * (model/import.c parses).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/strbuf.h"
#include "model/import.h"
#include "model/profile.h"
#include "core/banned.h"

/* perf.data as perf script text: runs perf (the one reader of its format). */
static int run_perf_script(const char *path, struct strbuf *out, char *err, size_t errlen)
{
	int outp[2], errp[2], status;
	struct strbuf e = STRBUF_INIT;
	pid_t pid;
	char buf[65536];
	ssize_t n;

	if (pipe(outp))
		return -errno;
	if (pipe(errp)) {
		close(outp[0]);
		close(outp[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot run perf: %s", strerror(errno));
		return -EIO;
	}
	if (pid == 0) {
		char *argv[] = { "perf", "script", "-i", (char *)path, "-F",
				 "comm,pid,tid,time,period,event,ip,sym,dso", NULL };

		dup2(outp[1], 1);
		dup2(errp[1], 2);
		close(outp[0]);
		close(errp[0]);
		execvp("perf", argv);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	while ((n = read(outp[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && strbuf_add(out, buf, (size_t)n))
			break;
	close(outp[0]);
	while ((n = read(errp[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && e.len < 4096)
			strbuf_add(&e, buf, (size_t)n);
	close(errp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(err, errlen, "reading perf.data needs perf, which is not installed (Debian: linux-perf)");
		strbuf_release(&e);
		return -ENOENT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		const char *nl;

		strbuf_rtrim(&e);
		nl = strrchr(e.buf ? e.buf : "", '\n');
		snprintf(err, errlen, "perf script failed: %s", e.len ? (nl ? nl + 1 : e.buf) : "no message");
		strbuf_release(&e);
		return -EIO;
	}
	strbuf_release(&e);
	return 0;
}

int cmd_import_profile(const char *cmd, const char *path, struct profile **p, uint64_t *samples)
{
	struct strbuf data = STRBUF_INIT;
	enum import_format f;
	char err[256] = "";
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC), perf_data;
	char head[8];
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n <= 0 || (n == 8 && !memcmp(head, "PINCHREC", 8)))
		return -1;
	rc = strbuf_read_file(&data, path, (size_t)1 << 31);
	if (rc) {
		fprintf(stderr, "pinch %s: cannot read '%s': %s\n", cmd, path, strerror(-rc));
		return EXIT_FAIL;
	}
	f = import_detect(data.buf, data.len);
	if (f == IMPORT_PINCH) {
		strbuf_release(&data);
		return -1;
	}
	if (f == IMPORT_UNKNOWN) {
		fprintf(stderr, "pinch %s: cannot read '%s': not a pinch recording, perf.data, perf script output, folded stacks or pprof\n",
			cmd, path);
		strbuf_release(&data);
		return EXIT_FAIL;
	}
	perf_data = f == IMPORT_PERF_DATA;
	if (perf_data) {
		struct strbuf text = STRBUF_INIT;

		rc = run_perf_script(path, &text, err, sizeof(err));
		strbuf_release(&data);
		if (rc) {
			fprintf(stderr, "pinch %s: cannot read '%s': %s\n", cmd, path, err);
			strbuf_release(&text);
			return EXIT_FAIL;
		}
		data = text;
		f = IMPORT_PERF_SCRIPT;
	}
	rc = import_profile(f, data.buf, data.len, p, samples, err, sizeof(err));
	strbuf_release(&data);
	if (rc) {
		fprintf(stderr, "pinch %s: cannot read '%s' (%s): %s\n", cmd, path, import_format_name(f), err);
		return EXIT_FAIL;
	}
	{
		struct strbuf mode = STRBUF_INIT;

		strbuf_addf(&mode, "imported from %s", perf_data ? "perf.data (perf script)" : import_format_name(f));
		profile_set_meta(*p, "mode", mode.buf);
		strbuf_release(&mode);
	}
	return EXIT_OK;
}
