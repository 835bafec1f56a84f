/*
 * testlib — what the Check suites of tests/unit/ share: scratch
 * directories, files written with exact bytes and mode, a fake environment
 * for the vs_getenv_fn parameters, and a config text that must parse.
 * Depends on libc, Check and src/core/ (vs_config.h); the suites alone use
 * it (the fuzz targets and benchmarks link no Check).
 */
#ifndef VS_TESTLIB_H
#define VS_TESTLIB_H

#include "core/vs_config.h"

#include <stddef.h>
#include <sys/types.h>

/* ---- scratch directories and files ---- */

/* Creates /tmp/<prefix>-XXXXXX into dir (size n); aborts the run on failure
 * (it also serves unchecked fixtures, where a Check assertion cannot). */
void tl_tmpdir_make(char *dir, size_t n, const char *prefix);
/* Removes dir and everything below it; an empty dir name is a no-op. */
void tl_tmpdir_remove(const char *dir);
/* "dir/name", malloc'd: the caller frees it. */
char *tl_path(const char *dir, const char *name);
/* Writes path afresh (an old file there is removed first, whatever its mode)
 * with exactly these bytes, then sets exactly this mode (not the umask's). */
void tl_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* The same for a C string (without its NUL). */
void tl_write_text(const char *path, const char *text, mode_t mode);

/* ---- a fake environment: never the process's own ---- */

/* A vs_getenv_fn: ctx is a NULL-terminated array of "NAME=value" strings,
 * as environ is (const char *const *); a NULL ctx is an empty environment. */
const char *tl_getenv(const char *name, void *ctx);

/* An environment a test builds up: pass vars as tl_getenv's ctx. */
#define TL_ENV_MAX 15
typedef struct tl_env {
	const char *vars[TL_ENV_MAX + 1];
	char text[TL_ENV_MAX][512];
} tl_env;

void tl_env_clear(tl_env *e);
/* Adds NAME=value (a name already there keeps its first value, as getenv
 * finds the first). */
void tl_env_add(tl_env *e, const char *name, const char *value);

/* ---- configs ---- */

/* Parses text as the config file path; a refusal fails the test with the
 * parser's message. */
vs_config *tl_config(const char *path, const char *text, vs_getenv_fn env, void *ctx);

#endif
