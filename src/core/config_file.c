/*
 * Where a config comes from (see vs_config.h): the file a person's command
 * means (vs_config_locate), and a file opened with the ownership and mode
 * checks, read and handed to the parser (vs_config_load). The parser
 * itself (config.c) reads text and does no I/O. libc only.
 */
#define _GNU_SOURCE
#include "vs_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vs_config_load(const char *path, vs_getenv_fn env, void *env_ctx,
		   vs_config **out, vs_error *err)
{
	return vs_config_load_text(path, env, env_ctx, out, NULL, NULL, err);
}

int vs_config_load_text(const char *path, vs_getenv_fn env, void *env_ctx,
			vs_config **out, char **keep, size_t *keep_len, vs_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc, fd;

	*out = NULL;
	fd = vs_open_private(path, "config file", err);
	if (fd < 0) {
		/* a config that is missing or not a file is a config error (78)
		 * wherever it is loaded; unsafe or unreadable ones stay 77 */
		if (err && err->code == VS_EX_IOERR)
			err->code = VS_EX_CONFIG;
		return err ? err->code : VS_EX_CONFIG;
	}
	rc = vs_read_fd(fd, path, VS_CONFIG_MAX, &text, &len, err);
	if (rc)
		return rc;
	rc = vs_config_parse(path, text, len, env, env_ctx, out, err);
	if (!rc && keep) {
		*keep = text;
		*keep_len = len;
		return 0;
	}
	explicit_bzero(text, len);
	free(text);
	return rc;
}

int vs_config_locate(const char *opt, char *out, vs_error *err)
{
	const char *p = opt;

	if (!p) {
		const char *env = getenv("VAULTSHIM_CONFIG");
		if (env && *env)
			p = env;
		else if (access("vaultshim.conf", F_OK) == 0)
			p = "vaultshim.conf";
		else
			p = VS_CONFIG_DEFAULT_PATH;
	}
	if (realpath(p, out))
		return 0;
	if (errno == ENOENT)
		return vs_fail(err, VS_EX_CONFIG,
			       "config file %s not found (give -c FILE, set VAULTSHIM_CONFIG, or create "
			       "./vaultshim.conf)", p);
	if (errno == EACCES)
		return vs_fail(err, VS_EX_NOPERM, "config file %s: %s; give uid %u search permission on its "
			       "directories (chmod o+x), or name another file with -c", p, strerror(errno),
			       (unsigned)geteuid());
	return vs_fail(err, VS_EX_CONFIG, "config file %s: %s", p, strerror(errno));
}
