/*
 * The launcher's fatal line, one rule for both forms of `vaultshim exec`:
 * the plain launch (exec.c, in the libc-only front) and the supervising one
 * (watch.c, in vaultshim-client.so). Linked into both, so it may use libc
 * and the core's log alone.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void vs_exec_die(int code, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	/* the launcher's lines end up among its program's: the log format */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vs_log_always(VS_LOG_ERROR, "exec: %s", msg);
	exit(code);
}
