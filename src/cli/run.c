/*
 * vaultshim run — environment mode (vaultshim-client.so): resolve every
 * mapped name, export the values and exec the command, for programs the
 * preload cannot reach. Uses the commands' shared helpers (src/cli/client.c),
 * the core's resolution and its target inspection (src/core/target.c).
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_config.h"
#include "core/vs_log.h"
#include "core/vs_resolve.h"
#include "core/vs_target.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_run[] =
	"usage: vaultshim run [-c FILE] -- CMD [ARGS...]\n"
	"\n"
	"Resolve every mapped name, place the values in the environment and exec\n"
	"CMD (environment mode: for programs that cannot take the preload, such as\n"
	"static binaries). VAULTSHIM_CONFIG is set to the config's absolute path.\n"
	"When the policy refuses (a required secret missing, on_error = fail and\n"
	"Vault failing) CMD is not started. The exit status is CMD's own; 126 when\n"
	"it cannot be executed, 127 when it is not found.\n"
	"\n"
	"  -c, --config FILE   config file (default: see 'vaultshim --help')\n";

static int exec_status(const char *cmd, int e)
{
	vs_log_always(VS_LOG_ERROR, "run: %s: %s", cmd, strerror(e));
	return e == ENOENT ? 127 : 126;
}

/* A setuid, setgid or file-capability CMD is never given the values:
 * privileged programs reset the environment or, worse, keep it (`sudo -E`
 * would hand every secret to root). Says so once. */
static bool secure_target(const char *cmd)
{
	char path[PATH_MAX];
	vs_target t;
	const char *p = getenv("PATH");

	if (vs_target_lookup(cmd, p, path, sizeof path) || vs_target_inspect(path, p, &t) || !t.secure)
		return false;
	vs_log_always(VS_LOG_WARN,
		      "run: %s is %s (%s): it runs without its secrets, since exporting them "
		      "would hand every one of them to a privileged program; run the unprivileged program it "
		      "starts under vaultshim instead",
		      cmd, t.secure, t.secure_file);
	return true;
}

int vs_cmd_run(int argc, char **argv)
{
	const char *cfg_opt = NULL;
	int first = vs_cli_parse_opts(argc, argv, usage_run, &cfg_opt, "run");
	char *path;
	vs_config *cfg;
	vs_resolution res;

	if (first >= argc)
		vs_cli_usage_error("run", "missing command (vaultshim run [-c FILE] -- CMD...)", usage_run);
	vs_cli_log_errors();
	path = vs_cli_config_path(cfg_opt);
	cfg = vs_cli_load_config(path);
	if (secure_target(argv[first])) {
		/* nothing to export into it: start it as it is */
		vs_config_free(cfg);
		free(path);
		fflush(NULL);
		execvp(argv[first], argv + first);
		return exec_status(argv[first], errno);
	}
	vs_cli_resolve_or_die(cfg, NULL, 0, VS_DYN_READ, &res);
	vs_cli_audit(cfg, "run", argv[first], &res);
	if (res.status)
		vs_cli_die(res.status, "run", res.message);
	for (size_t i = 0; i < res.n; i++) {
		const vs_value *v = &res.values[i];
		/* env-sourced names are already in the environment as they were */
		if (v->value && v->source != VS_SRC_ENV && setenv(v->entry->name, v->value, 1))
			vs_cli_die(VS_EX_OSERR, "run", "setenv failed");
	}
	if (setenv("VAULTSHIM_CONFIG", path, 1))
		vs_cli_die(VS_EX_OSERR, "run", "setenv failed");
	vs_resolution_clear(&res);
	vs_config_free(cfg);
	free(path);
	fflush(NULL);
	execvp(argv[first], argv + first);
	return exec_status(argv[first], errno);
}
