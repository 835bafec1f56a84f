/*
 * vaultshim — the command's front (see vs_cli.h): `exec` runs here, with
 * libc alone; every other command is loaded from vaultshim-client.so.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "vs_common.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef VS_PKGLIBDIR
#define VS_PKGLIBDIR "/usr/local/lib/vaultshim"
#endif

void vs_exe_dir(char *buf, unsigned long n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	char *slash;

	if (len <= 0) {
		buf[0] = 0;
		return;
	}
	buf[len] = 0;
	slash = strrchr(buf, '/');
	if (slash)
		slash[1] = 0;
	else
		buf[0] = 0;
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
		if (access(path, F_OK) == 0)
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

	/* installed as a link named vaultshim-exec: the launcher, with no
	 * shell in front (one program start less per launch) */
	base = base ? base + 1 : argc ? argv[0] : "";
	if (!strcmp(base, "vaultshim-exec"))
		return vs_cmd_exec(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "exec"))
		return vs_cmd_exec(argc - 1, argv + 1);
	return vs_client_run(argc, argv);
}
