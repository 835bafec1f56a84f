/*
 * vs_log.h — leveled logging to stderr, prefixed "vaultshim:".
 *
 * Library code logs names, paths, sources and timings — never a value, never
 * a token. Nothing is printed until vs_log_init() is called (by the CLI), so
 * the library stays silent when embedded.
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

/* Sets the level from `spec` (debug|info|warn|error|off; NULL or "" = warn)
 * and enables output. Returns -1 (and keeps warn) on an unknown level. */
int vs_log_init(const char *spec);

bool vs_log_enabled(vs_log_level lvl);
/* Silences this thread's log lines (a caller that reports for itself). */
void vs_log_mute(bool on);

void vs_log(vs_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
