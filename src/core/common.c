#define _GNU_SOURCE
#include "vs_common.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int vs_fail(vs_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

const char *vs_libc_getenv(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

int vs_parse_duration_ms(const char *s, long *ms)
{
	char *end;
	double v, mult = 1000.0;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || v != v)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1000.0;
	else if (!strcmp(end, "ms"))
		mult = 1.0;
	else if (!strcmp(end, "m"))
		mult = 60000.0;
	else if (!strcmp(end, "h"))
		mult = 3600000.0;
	else
		return -1;
	v *= mult;
	if (v > 86400000.0 * 365)
		return -1;
	*ms = (long)(v + 0.5);
	return 0;
}

int vs_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True", "yes", "on", NULL};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False", "no", "off", NULL};

	for (int i = 0; yes[i]; i++)
		if (!strcmp(s, yes[i]))
			return *out = true, 0;
	for (int i = 0; no[i]; i++)
		if (!strcmp(s, no[i]))
			return *out = false, 0;
	return -1;
}

bool vs_valid_env_name(const char *s, size_t len)
{
	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

int vs_check_stat(const struct stat *st, const char *path, const char *what, bool dir, vs_error *err)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return vs_fail(err, VS_EX_IOERR, "%s: %s is not a %s", path, what, dir ? "directory" : "regular file");
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return vs_fail(err, VS_EX_NOPERM, "%s: refusing %s writable by group or others (mode %04o); chmod go-w it",
			       path, what, (unsigned)(st->st_mode & 07777));
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return vs_fail(err, VS_EX_NOPERM, "%s: refusing %s owned by uid %u (expected uid %u or root); "
			       "chown it to one of them", path, what, (unsigned)st->st_uid, (unsigned)geteuid());
	return 0;
}

int vs_check_trusted(const char *path, const char *what, bool dir, vs_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vs_fail(err, errno == EACCES ? VS_EX_NOPERM : VS_EX_IOERR, "%s: cannot use %s: %s", path,
			       what, strerror(errno));
	return vs_check_stat(&st, path, what, dir, err);
}

int vs_open_private(const char *path, const char *what, vs_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		int code = (errno == EACCES) ? VS_EX_NOPERM : VS_EX_IOERR;
		vs_fail(err, code, "%s: cannot open %s: %s", path, what, strerror(errno));
		return -1;
	}
	/* fstat on the opened fd: no window between the check and the read. */
	if (fstat(fd, &st) < 0) {
		vs_fail(err, VS_EX_IOERR, "%s: cannot stat %s: %s", path, what, strerror(errno));
		goto bad;
	}
	if (vs_check_stat(&st, path, what, false, err))
		goto bad;
	return fd;
bad:
	close(fd);
	return -1;
}

bool vs_buf_reserve(vs_buf *b, size_t extra)
{
	size_t cap;
	char *np;

	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	if (!(np = malloc(cap))) {
		b->oom = true;
		return false;
	}
	if (b->p) {
		memcpy(np, b->p, b->len + 1);
		explicit_bzero(b->p, b->cap);
		free(b->p);
	} else {
		np[0] = '\0';
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void vs_buf_put(vs_buf *b, const void *s, size_t n)
{
	if (!vs_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void vs_buf_printf(vs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !vs_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void vs_buf_reset(vs_buf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->cap);
		b->p[0] = '\0';
	}
	b->len = 0;
	b->oom = false;
}

void vs_buf_free(vs_buf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

int vs_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
	       vs_error *err)
{
	vs_buf b = {0};
	int rc = VS_OK;

	for (;;) {
		ssize_t r;
		if (!vs_buf_reserve(&b, 4096)) {
			rc = vs_fail(err, VS_EX_SOFTWARE, "%s: out of memory", path);
			goto out;
		}
		r = read(fd, b.p + b.len, b.cap - 1 - b.len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = vs_fail(err, VS_EX_IOERR, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		b.p[b.len] = '\0';
		if (b.len > max) {
			rc = vs_fail(err, VS_EX_CONFIG, "%s: file larger than %zu bytes", path, max);
			goto out;
		}
	}
	*out = b.p;
	if (len)
		*len = b.len;
	b.p = NULL;
out:
	vs_buf_free(&b);
	close(fd);
	return rc;
}

bool vs_copy_bounded(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return false;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

size_t vs_bom_len(const char *text, size_t len)
{
	return len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0;
}

void vs_free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

double vs_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* off < 0: write(2) at the file's offset; else pwrite(2) at off */
static int write_all_at(int fd, const void *p, size_t n, long long off)
{
	const char *c = p;

	while (n) {
		ssize_t w = off < 0 ? write(fd, c, n) : pwrite(fd, c, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* (a file that takes nothing has no room: never loop on it) */
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		c += w;
		n -= (size_t)w;
		if (off >= 0)
			off += w;
	}
	return 0;
}

int vs_write_all(int fd, const void *p, size_t n)
{
	return write_all_at(fd, p, n, -1);
}

int vs_pwrite_all(int fd, const void *p, size_t n, long long off)
{
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	return write_all_at(fd, p, n, off);
}

int vs_path_absolute(const char *path, char *out, size_t outsz)
{
	char cwd[PATH_MAX];
	int saved = errno, n = 0, rc = 0;

	if (*path == '/')
		n = snprintf(out, outsz, "%s", path);
	else if (getcwd(cwd, sizeof cwd))
		n = snprintf(out, outsz, "%s/%s", cwd, path);
	else
		rc = errno;
	if (!rc && (n < 0 || (size_t)n >= outsz))
		rc = ENAMETOOLONG;
	errno = saved;
	return rc;
}

bool vs_list_next(const char **p, const char **item, size_t *len)
{
	const char *s = *p;

	if (!s || !*s)
		return false;
	*item = s;
	*len = strcspn(s, ",");
	*p = s + *len + (s[*len] == ',');
	return true;
}

bool vs_list_has(const char *list, const char *name, size_t len)
{
	const char *it;
	size_t n;

	while (vs_list_next(&list, &it, &n))
		if (n == len && !memcmp(it, name, len))
			return true;
	return false;
}
