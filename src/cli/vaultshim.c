/*
 * vaultshim — the command's front (see vs_cli.h): `exec` runs here, with
 * libc alone; every other command is loaded from vaultshim-client.so.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_common.h"
#include "core/vs_log.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VS_PKGLIBDIR
#define VS_PKGLIBDIR "/usr/local/lib/vaultshim"
#endif

bool vs_exe_path(char *buf, unsigned long n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	const char *fn;

	if (len > 0) {
		buf[len] = 0;
		return true;
	}
	/* no /proc: the path this program was started by, as the kernel kept it
	 * (the preload starts its helper by an absolute path) */
	fn = (const char *)getauxval(AT_EXECFN);
	if (fn && strchr(fn, '/') && strlen(fn) < PATH_MAX && realpath(fn, buf))
		return true;
	buf[0] = 0;
	return false;
}

void vs_exe_dir(char *buf, unsigned long n)
{
	char *slash;

	if (!vs_exe_path(buf, n))
		return;
	slash = strrchr(buf, '/');
	if (slash)
		slash[1] = 0;
	else
		buf[0] = 0;
}

static bool safe_owner(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

bool vs_safe_lib(const char *path)
{
	struct stat dir;
	char d[PATH_MAX], *slash;
	vs_error err;

	/* the file itself: the rule the config and the CA files follow */
	if (vs_check_trusted(path, "library", false, &err))
		return false;
	/* the file is opened again by name later (dlopen, the loader): its
	 * directory must not let anyone else put another file in its place
	 * (a sticky directory such as /tmp lets only the file's owner) */
	if (!realpath(path, d) || !(slash = strrchr(d, '/')))
		return false;
	slash[slash == d] = 0;
	return stat(d, &dir) == 0 && (safe_owner(&dir) || (dir.st_mode & S_ISVTX)) &&
	       (!(dir.st_mode & 022) || (dir.st_mode & S_ISVTX));
}

int vs_client_run(int argc, char **argv)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	/* beside the executable (the build tree), then the installed layout
	 * relative to it (PREFIX/bin -> PREFIX/lib/vaultshim), then where
	 * this build was configured to install it */
	static const char *const where[] = {"", "../lib/vaultshim/"};
	void *h = NULL;
	vs_client_main_fn *entry;

	vs_exe_dir(dir, sizeof dir);
	for (size_t i = 0; *dir && !h && i < sizeof where / sizeof *where; i++) {
		snprintf(path, sizeof path, "%s%svaultshim-client.so", dir, where[i]);
		if (access(path, F_OK) != 0)
			continue;
		/* code this program runs: never a file someone else could
		 * have put or changed there */
		if (!vs_safe_lib(path)) {
			fprintf(stderr, "vaultshim: %s: refusing a library that is not a regular file owned by "
					"root or you and writable only by its owner (chmod go-w, or reinstall)\n",
				path);
			return VS_EX_NOPERM;
		}
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		snprintf(path, sizeof path, "%s/vaultshim-client.so", VS_PKGLIBDIR);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		const char *why = dlerror();
		fprintf(stderr,
			"vaultshim: %s: cannot load vaultshim-client.so (beside %s, in ../lib/vaultshim/ or %s): "
			"%s; reinstall vaultshim\n",
			argc > 1 ? argv[1] : "client", *dir ? dir : "the executable", VS_PKGLIBDIR,
			why ? why : "not found");
		return VS_EX_UNAVAILABLE;
	}
	entry = (vs_client_main_fn *)dlsym(h, VS_CLIENT_ENTRY);
	if (!entry) {
		fprintf(stderr, "vaultshim: %s has no %s; reinstall vaultshim\n", path, VS_CLIENT_ENTRY);
		return VS_EX_SOFTWARE;
	}
	return entry(argc, argv);
}

int main(int argc, char **argv)
{
	const char *base = argc ? strrchr(argv[0], '/') : NULL;

	/* the launcher's lines (exec runs here; vaultshim-client.so sets up its
	 * own for the other commands and says a bad setting at once: here it
	 * comes with a line of the launcher's, if any, so it is said once) */
	vs_log_set_prog("vaultshim", 0);
	vs_log_setup(getenv("VAULTSHIM_LOG"), getenv("VAULTSHIM_LOG_FORMAT"), getenv("JOURNAL_STREAM"), true);
	/* installed as a link named vaultshim-exec: the launcher, with no
	 * shell in front (one program start less per launch) */
	base = base ? base + 1 : argc ? argv[0] : "";
	if (!strcmp(base, "vaultshim-exec")) {
		/* (run as `vaultshim-exec exec …` by a front given this link) */
		if (argc >= 2 && !strcmp(argv[1], "exec"))
			return vs_cmd_exec(argc - 1, argv + 1);
		return vs_cmd_exec(argc, argv);
	}
	if (argc >= 2 && !strcmp(argv[1], "exec"))
		return vs_cmd_exec(argc - 1, argv + 1);
	return vs_client_run(argc, argv);
}
