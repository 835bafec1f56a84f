/*
 * vaultshim get — print the value of one mapped name (vaultshim-client.so),
 * the one command whose purpose is to put a value on the terminal. Uses the
 * commands' shared helpers (src/cli/client.c) and the core's resolution.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_config.h"
#include "core/vs_resolve.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage_get[] =
	"usage: vaultshim get [-c FILE] NAME\n"
	"\n"
	"Resolve NAME (which must be mapped in [env]) through the same sources and\n"
	"policy as a program would, and print its value followed by a newline.\n"
	"Exit 65 when it has no value from any source.\n"
	"\n"
	"  -c, --config FILE   config file (default: see 'vaultshim --help')\n";

int vs_cmd_get(int argc, char **argv)
{
	const char *cfg_opt = NULL;
	int first = vs_cli_parse_opts(argc, argv, usage_get, &cfg_opt, "get");
	const char *name;
	char *path;
	vs_config *cfg;
	vs_resolution res;
	int status;

	if (first != argc - 1)
		vs_cli_usage_error("get", first >= argc ? "missing NAME" : "too many arguments", usage_get);
	name = argv[first];
	path = vs_cli_config_path(cfg_opt);
	cfg = vs_cli_load_config(path);
	if (!vs_config_find(cfg, name)) {
		fprintf(stderr, "vaultshim: get: '%s' is not mapped in [env] of %s; add a line '%s = path#field' "
			"to its [env]\n", name, path, name);
		exit(VS_EX_USAGE);
	}
	vs_cli_resolve_or_die(cfg, &name, 1, VS_DYN_READ, &res);
	vs_cli_audit(cfg, "get", NULL, &res);
	status = res.status;
	if (status) {
		fprintf(stderr, "vaultshim: get: %s\n", res.message);
	} else if (!res.values[0].value) {
		fprintf(stderr, "vaultshim: get: %s: no value from Vault (%s), the environment, dotenv or a default; "
			"fix Vault's answer, or give it a fallback (set %s in the environment, or default= on its "
			"line in [env])\n", name, res.values[0].vault_err, name);
		status = VS_EX_MISSING;
	} else {
		fputs(res.values[0].value, stdout);
		putchar('\n');
	}
	vs_resolution_clear(&res);
	vs_config_free(cfg);
	free(path);
	return status;
}
