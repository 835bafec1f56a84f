/*
 * vs_common.h — error reporting, exit codes and small helpers shared by every
 * part of vaultshim, including the preload (nothing here links libcurl or cJSON).
 *
 * Ownership: functions returning `char *` return a malloc'd string the caller
 * frees; functions taking `const char *` never keep the pointer.
 */
#ifndef VS_COMMON_H
#define VS_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit codes follow sysexits(3); every library error carries one. */
enum {
	VS_OK = 0,
	VS_EX_USAGE = 64,       /* command line misuse */
	VS_EX_MISSING = 65,     /* a required secret has no value (EX_DATAERR) */
	VS_EX_UNAVAILABLE = 69, /* Vault unreachable, sealed, failing */
	VS_EX_SOFTWARE = 70,    /* internal error, out of memory */
	VS_EX_OSERR = 71,       /* fork/exec/pipe failure */
	VS_EX_IOERR = 74,       /* cannot read or write a file */
	VS_EX_TEMPFAIL = 75,    /* a concurrent change: try again (KV check-and-set) */
	VS_EX_NOPERM = 77,      /* permission denied (Vault 403, no token, unsafe file) */
	VS_EX_CONFIG = 78,      /* config error */
};

#define VS_ERR_MAX 512

/* One error: a sysexits code and a one-line message (no trailing newline).
 * Messages never contain secret values or tokens. */
typedef struct vs_error {
	int code;
	char msg[VS_ERR_MAX];
} vs_error;

/* Sets err (when non-NULL) and returns code, so callers can `return vs_fail(...)`. */
int vs_fail(vs_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Environment lookup used by the parser and the resolver, so the preload can
 * pass libc's real getenv and tests can pass a fake environment. */
typedef const char *(*vs_getenv_fn)(const char *name, void *ctx);

/* Plain getenv wrapper usable as a vs_getenv_fn. */
const char *vs_libc_getenv(const char *name, void *ctx);

/* Parses a duration: "5s", "250ms", "2m", "1h" or a bare number of seconds
 * ("1.5"). Returns 0 and sets *ms, or -1 on a bad or negative value. */
int vs_parse_duration_ms(const char *s, long *ms);

/* Parses a boolean as Go's strconv.ParseBool does (1/t/true/TRUE/True, 0/f/...),
 * plus yes/no/on/off. Returns 0 and sets *out, or -1. */
int vs_parse_bool(const char *s, bool *out);

/* True when s is a valid environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool vs_valid_env_name(const char *s, size_t len);

/*
 * Opens `path` for reading and refuses it, as ssh does, when it is not a
 * regular file, is writable by group or others, or is owned by a user other
 * than the caller and root. `what` names the file in messages ("config file").
 * Returns the fd (>= 0) or -1 with err set (VS_EX_NOPERM, VS_EX_IOERR).
 */
int vs_open_private(const char *path, const char *what, vs_error *err);

/*
 * The same rule for a file (or, with dir, a directory) that someone else
 * opens by its path later (a CA file for libcurl, the helper for exec):
 * owned by the caller or root, not writable by group or others. 0, or
 * VS_EX_NOPERM / VS_EX_IOERR with err "PATH: refusing WHAT …".
 */
int vs_check_trusted(const char *path, const char *what, bool dir, vs_error *err);

/* That rule on what fstat or stat said of path (one check for the
 * config, the token files, the helper and the audit trail). */
struct stat;
int vs_check_stat(const struct stat *st, const char *path, const char *what, bool dir, vs_error *err);

/*
 * Reads a whole file opened by vs_open_private into a NUL-terminated malloc'd
 * buffer of at most `max` bytes; closes fd. Returns 0 or an error code.
 * *out is freed by the caller (explicit_bzero first when it holds secrets).
 */
int vs_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
	       vs_error *err);

/*
 * A growable byte buffer for secrets: growing copies into a new block and
 * clears the old one (realloc would leave a copy in freed memory), and the
 * buffer is cleared before it is freed. p is NUL-terminated when not NULL.
 * An allocation failure sets oom and makes further puts no-ops.
 */
typedef struct vs_buf {
	char *p;
	size_t len, cap;
	bool oom;
} vs_buf;

/* Makes room for `extra` more bytes (plus the NUL); false on failure. */
bool vs_buf_reserve(vs_buf *b, size_t extra);
void vs_buf_put(vs_buf *b, const void *s, size_t n);
/* Appends printf-formatted text (no allocation of its own beyond the buffer). */
void vs_buf_printf(vs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the content, keeps the memory. */
void vs_buf_reset(vs_buf *b);
/* Clears and frees; the buffer is empty and reusable afterwards. */
void vs_buf_free(vs_buf *b);

/* Copies src[0..n) and a NUL into dst (size bytes) when they fit (n <
 * size): true; otherwise false and dst is left as it was. The one rule for
 * a name, a number or a line taken into a fixed buffer: refused whole,
 * never cut. */
bool vs_copy_bounded(char *dst, size_t size, const char *src, size_t n);

/* 3 when text[0..len) starts with a UTF-8 byte order mark, which the
 * config and dotenv parsers skip; else 0. */
size_t vs_bom_len(const char *text, size_t len);

/* explicit_bzero then free; NULL is fine. */
void vs_free_secret(char *s);

/* Monotonic clock in milliseconds (fractional). */
double vs_now_ms(void);

/* Writes all n bytes to fd, through short writes and EINTR: 0, or -1
 * (errno set). */
int vs_write_all(int fd, const void *p, size_t n);
/* The same at an offset (pwrite), for files written in place. */
int vs_pwrite_all(int fd, const void *p, size_t n, long long off);

/* path made absolute against the current directory into out (outsz
 * bytes; an absolute path is copied): 0, or an errno value: getcwd's
 * (ERANGE: the current directory is longer than PATH_MAX) or ENAMETOOLONG
 * when the result does not fit. The one rule for the preload's config and
 * own path, the launcher's VAULTSHIM_LIB and migrate's written paths.
 * Neither allocates nor sets errno. */
int vs_path_absolute(const char *path, char *out, size_t outsz);

/* A comma list ("a,b,c"; no spaces are trimmed): the next item from *p into
 * *item and *len, *p moved past it and its comma; false at the end. An empty
 * item ("a,,b") is an item of length 0; a trailing comma ends the list.
 * Neither allocates (the preload uses them before malloc is safe). */
bool vs_list_next(const char **p, const char **item, size_t *len);
/* True when name[0..len) is one of list's items (list may be NULL). */
bool vs_list_has(const char *list, const char *name, size_t len);

#endif
