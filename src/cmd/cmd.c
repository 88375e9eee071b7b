/*
 * cmd.c - helpers shared by the subcommands.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "core/banned.h"

void cmd_errorf(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pinch %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
