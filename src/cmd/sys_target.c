/*
 * sys_target.c - see sys_target.h.
 */
#include "cmd/sys_target.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "collect/cpu.h"
#include "core/strbuf.h"
#include "core/banned.h"

int sys_target_prepare(const char *cmd, int nargs, char **argv, long pid, struct strbuf *exe,
		       struct strbuf *cmdline)
{
	int rc;

	if (nargs) {
		rc = cpu_resolve_command(argv[0], exe);
		if (rc) {
			fprintf(stderr, "pinch %s: cannot run '%s': %s\n", cmd, argv[0], strerror(-rc));
			return EXIT_USAGE;
		}
		for (int i = 0; i < nargs; i++)
			strbuf_addf(cmdline, "%s%s", i ? " " : "", argv[i]);
		return -1;
	}
	strbuf_addf(cmdline, "pid %ld", pid);
	if (kill((pid_t)pid, 0) < 0) {
		fprintf(stderr, "pinch %s: %s %ld\n", cmd, errno == EPERM ?
			"permission denied: another user's process, pid" : "no process with pid", pid);
		return EXIT_FAIL;
	}
	return -1;
}
