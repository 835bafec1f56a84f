#define _GNU_SOURCE
#include "vs_common.h"

#include <errno.h>
#include <fcntl.h>
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
	if (!S_ISREG(st.st_mode)) {
		vs_fail(err, VS_EX_IOERR, "%s: %s is not a regular file", path, what);
		goto bad;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		vs_fail(err, VS_EX_NOPERM,
			"%s: refusing %s writable by group or others (mode %04o); chmod go-w it",
			path, what, (unsigned)(st.st_mode & 07777));
		goto bad;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		vs_fail(err, VS_EX_NOPERM,
			"%s: refusing %s owned by uid %u (expected uid %u or root)",
			path, what, (unsigned)st.st_uid, (unsigned)geteuid());
		goto bad;
	}
	return fd;
bad:
	close(fd);
	return -1;
}

int vs_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
	       vs_error *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int rc = VS_OK;

	if (!buf) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			size_t ncap = cap * 2;
			char *nb;
			if (cap > max + 1) {
				rc = vs_fail(err, VS_EX_CONFIG, "%s: file larger than %zu bytes", path, max);
				goto out;
			}
			/* Grow by copy so a secret-bearing buffer never lingers in freed memory. */
			nb = malloc(ncap);
			if (!nb) {
				rc = vs_fail(err, VS_EX_SOFTWARE, "%s: out of memory", path);
				goto out;
			}
			memcpy(nb, buf, n);
			explicit_bzero(buf, cap);
			free(buf);
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = vs_fail(err, VS_EX_IOERR, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = vs_fail(err, VS_EX_CONFIG, "%s: file larger than %zu bytes", path, max);
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	buf = NULL;
out:
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	close(fd);
	return rc;
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
