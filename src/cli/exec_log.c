/*
 * The launcher's lines, one rule for both forms of `vaultshim exec`: the
 * plain launch (exec.c, in the libc-only front) and the supervising one
 * (watch.c, in vaultshim-client.so). Linked into both, so it may use libc
 * and the core's log alone.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* the launcher's lines end up among its program's: the log format */
static void say(vs_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	vs_log_always(level, "exec: %s", msg);
}

void vs_exec_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(VS_LOG_WARN, fmt, ap);
	va_end(ap);
}

void vs_exec_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(VS_LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(code);
}
