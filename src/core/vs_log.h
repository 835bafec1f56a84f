/*
 * vs_log.h — leveled logging to stderr, one line per message, one write(2)
 * per line (lines from the processes of a tree do not interleave):
 *
 *   vaultshim[1234] psql: warn: 1 of 2 names not from Vault (…)
 *
 * the pid and name of the program served (the preload's host; the helper's
 * host, which it is told with `resolve --for`; else "vaultshim"). When stderr
 * is the journal (JOURNAL_STREAM names stderr's device:inode), each line
 * starts with its syslog priority, sd-daemon(3) style ("<4>"), and drops the
 * level word the priority carries. VAULTSHIM_LOG_FORMAT=json makes each line
 * one JSON object: {"time","pid","prog","level","msg"}.
 *
 * Library code logs names, paths, sources and timings — never a value, never
 * a token. Nothing is printed until vs_log_setup() is called (by the CLI and
 * the preload), so the library stays silent when embedded. The formatter
 * neither allocates nor locks (the preload logs from its getenv path).
 */
#ifndef VS_LOG_H
#define VS_LOG_H

#include "vs_common.h"

typedef enum {
	VS_LOG_DEBUG,
	VS_LOG_INFO,
	VS_LOG_WARN,
	VS_LOG_ERROR,
	VS_LOG_OFF
} vs_log_level;

typedef enum {
	VS_LOG_TEXT,
	VS_LOG_JSON
} vs_log_format;

/* Bits of vs_log_setup's answer: which setting was not understood. */
#define VS_LOG_BAD_LEVEL 1
#define VS_LOG_BAD_FORMAT 2

/*
 * Sets the level (debug|info|warn|error|off, any case; NULL or "" = warn),
 * the format (text|json, any case; NULL or "" = text) and where stderr
 * would be the journal (JOURNAL_STREAM's value, or NULL), and enables
 * output. A bad value keeps the default and is said in one warning line:
 * at once, or (defer) with the process's first log line, so that a
 * preloaded program with nothing to say says nothing of it either.
 * Returns the VS_LOG_BAD_* bits.
 */
int vs_log_setup(const char *level, const char *format, const char *journal, bool defer);

/* The program the lines speak for: its name and pid (pid 0: this
 * process's own, at each line). Unset, the name is /proc/self/comm's —
 * the executable's file name as the kernel set it at exec (a script's own
 * name under its interpreter), which argv[0] rewriting (setproctitle)
 * does not change. */
void vs_log_set_prog(const char *prog, long pid);
/* The name in use (computed once; no allocation). */
const char *vs_log_prog(void);

bool vs_log_enabled(vs_log_level lvl);
/* Silences this thread's log lines (a caller that reports for itself). */
void vs_log_mute(bool on);

void vs_log(vs_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line printed whatever the level and muting: the one line a process
 * prints before it exits for a refused secret or a broken config. */
void vs_log_always(vs_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats one line as vs_log writes it (journal: with the priority prefix),
 * into buf (always NUL-terminated, '\n'-ended, cut to size); returns its
 * length. For the tests and for callers that write elsewhere. */
size_t vs_log_format_line(char *buf, size_t size, vs_log_level lvl, const char *msg, bool journal);

/* Appends s as the body of a JSON string (no quotes) to buf at *pos, cut at
 * size - 1: quotes, backslashes and control bytes escaped, bytes that are
 * not UTF-8 written as U+FFFD. */
void vs_json_escape(char *buf, size_t size, size_t *pos, const char *s);

/* The time as RFC 3339 UTC with milliseconds ("2026-01-02T03:04:05.678Z")
 * into buf (room: 32), from the realtime clock, without tzset's lock. */
void vs_log_time(char *buf, size_t size);

#endif
