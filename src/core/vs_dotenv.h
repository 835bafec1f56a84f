/*
 * vs_dotenv.h — a .env parser following python-dotenv's rules: KEY=VALUE,
 * optional "export ", '#' comments, single quotes (only \' and \\ escapes),
 * double quotes (\\ \' \" \a \b \f \n \r \t \v), multi-line quoted values,
 * CRLF, a UTF-8 BOM, later duplicates win. ${VAR} and $(cmd) are never
 * expanded or run: such values are kept literally and flagged.
 *
 * Ownership: a vs_dotenv owns its keys, values and issue strings; free it
 * with vs_dotenv_free (values are cleared first). No libcurl, no cJSON.
 */
#ifndef VS_DOTENV_H
#define VS_DOTENV_H

#include "vs_common.h"

#define VS_DOTENV_MAX (4 * 1024 * 1024)

typedef struct vs_dotenv_entry {
	char *key;
	char *value;         /* NULL for a bare "KEY" line (no '='): unset */
	int line;            /* first line of the statement */
	size_t start, end;   /* byte range of the statement, end after its newline */
	bool interpolation;  /* value holds ${…} or $(…) that was NOT expanded */
} vs_dotenv_entry;

typedef struct vs_dotenv {
	vs_dotenv_entry *entries;
	size_t n;
	char **issues;       /* "FILE:LINE: reason", one per statement not understood */
	size_t n_issues;
} vs_dotenv;

/*
 * Parses len bytes of text (path names it in issues). Statements that cannot
 * be parsed are skipped and reported in out->issues; parsing goes on at the
 * next line. Returns 0 with *out set, or VS_EX_SOFTWARE (out of memory) /
 * VS_EX_CONFIG (too large).
 */
int vs_dotenv_parse(const char *path, const char *text, size_t len,
		    vs_dotenv **out, vs_error *err);

/* Opens (ownership/mode checks of vs_open_private) and parses a file. */
int vs_dotenv_load(const char *path, vs_dotenv **out, vs_error *err);

/* The value of the LAST statement setting key, or NULL. Borrowed pointer. */
const char *vs_dotenv_get(const vs_dotenv *d, const char *key);

void vs_dotenv_free(vs_dotenv *d);

#endif
