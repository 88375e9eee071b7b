/*
 * sys_target.h - what pinch stat and pinch syscalls do alike with their
 * target: a command to resolve (argv[0] like execvp) or a --pid to check,
 * and the command line shown in headers and JSON.
 */
#ifndef PINCH_CMD_SYS_TARGET_H
#define PINCH_CMD_SYS_TARGET_H

struct strbuf;

/* -1 to go on (exe holds the resolved path when nargs > 0, cmdline the
 * command or "pid N"), else the exit status after a message. */
int sys_target_prepare(const char *cmd, int nargs, char **argv, long pid, struct strbuf *exe,
		       struct strbuf *cmdline);

#endif
