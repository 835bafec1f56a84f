/* The Check suites' shared helpers (testlib.h says what each promises). */
#define _GNU_SOURCE
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tl_tmpdir_make(char *dir, size_t n, const char *prefix)
{
	snprintf(dir, n, "/tmp/%s-XXXXXX", prefix);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tl_tmpdir_remove(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tl_path(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

void tl_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *d = data;
	size_t off = 0;
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "cannot create %s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, d + off, len - off);
		ck_assert_msg(w > 0, "cannot write %s: %s", path, strerror(errno));
		off += (size_t)w;
	}
	/* fchmod, not the umask, decides the mode under test */
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

void tl_write_text(const char *path, const char *text, mode_t mode)
{
	tl_write_file(path, text, strlen(text), mode);
}

const char *tl_getenv(const char *name, void *ctx)
{
	size_t n = strlen(name);

	for (const char *const *v = ctx; v && *v; v++)
		if (!strncmp(*v, name, n) && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

void tl_env_clear(tl_env *e)
{
	e->vars[0] = NULL;
}

void tl_env_add(tl_env *e, const char *name, const char *value)
{
	size_t i = 0;
	int n;

	while (e->vars[i])
		i++;
	ck_assert_msg(i < TL_ENV_MAX, "more than %d variables in a fake environment", TL_ENV_MAX);
	n = snprintf(e->text[i], sizeof e->text[i], "%s=%s", name, value);
	ck_assert_msg(n > 0 && (size_t)n < sizeof e->text[i], "%s is too long for a fake environment", name);
	e->vars[i] = e->text[i];
	e->vars[i + 1] = NULL;
}

vs_config *tl_config(const char *path, const char *text, vs_getenv_fn env, void *ctx)
{
	vs_config *cfg = NULL;
	vs_error err = {0};
	int rc = vs_config_parse(path, text, strlen(text), env, ctx, &cfg, &err);

	ck_assert_msg(rc == VS_OK, "expected the config to parse, got %d: %s", rc, err.msg);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}
