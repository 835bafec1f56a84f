/*
 * vaultshim-client.so, loaded by the front (src/cli/vaultshim.c) for the
 * commands that talk to Vault: its entry point and command table, and what
 * several of those commands share (the error line, the config, the options
 * -c and --help, the resolution through the failure policy). Each command
 * has a file of its own: check.c, get.c, run.c, resolve.c, migrate_cmd.c,
 * watch.c. Failures print one line "vaultshim: context: reason" and exit
 * with the sysexits code (see vs_common.h); values never reach the terminal
 * except through `get`, whose whole purpose is to print one.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_audit.h"
#include "core/vs_config.h"
#include "core/vs_log.h"
#include "core/vs_resolve.h"
#include "vault/vs_vault.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the Makefile passes it, from the VERSION file: no second copy here */
#ifndef VS_VERSION
#error "VS_VERSION is not defined (build with make)"
#endif

static const char usage_main[] =
	"usage: vaultshim COMMAND [OPTIONS]\n"
	"\n"
	"Give unmodified programs their secrets from HashiCorp Vault through the\n"
	"environment variables they already read.\n"
	"\n"
	"commands:\n"
	"  check [-c FILE] [--json] [--strict] [--dynamic]\n"
	"                             resolve every mapped name; show its source, path\n"
	"                             and time (never the value); exit non-zero when a\n"
	"                             program started now would be refused\n"
	"  get [-c FILE] NAME         print the value of one mapped name\n"
	"  exec [-c FILE] [--mode M] [--check] -- CMD...\n"
	"                             run CMD with the preload: its mapped names\n"
	"                             resolve when first read (see exec --help)\n"
	"  run [-c FILE] -- CMD...    resolve, export the values, exec CMD\n"
	"  migrate --env-file F --path P [...]\n"
	"                             move secrets from a .env file into Vault\n"
	"  version                    print the version\n"
	"  resolve -c FILE            the preload's helper (internal; see --help)\n"
	"\n"
	"Run 'vaultshim COMMAND --help' for a command's options.\n"
	"\n"
	"config file: -c FILE, else $VAULTSHIM_CONFIG, else ./vaultshim.conf, else\n"
	"/etc/vaultshim.conf. Logging: VAULTSHIM_LOG=debug|info|warn|error|off.\n"
	"exit codes: 64 usage, 65 required secret missing, 69 Vault unavailable,\n"
	"77 permission denied, 78 config error; run: the command's own status,\n"
	"126 not executable, 127 not found.\n";

/* run and resolve speak through the log format: their lines end up among
 * a program's or a service's own (the journal); the commands a person
 * types keep a Unix tool's "vaultshim: context: reason" */
static bool log_format_errors;

void vs_cli_log_errors(void)
{
	log_format_errors = true;
}

void vs_cli_die(int code, const char *ctx, const char *msg)
{
	if (log_format_errors)
		vs_log_always(VS_LOG_ERROR, "%s: %s", ctx, msg);
	else
		fprintf(stderr, "vaultshim: %s: %s\n", ctx, msg);
	exit(code);
}

void vs_cli_usage_error(const char *ctx, const char *msg, const char *usage)
{
	fprintf(stderr, "vaultshim: %s: %s\n%s", ctx, msg, usage);
	exit(VS_EX_USAGE);
}

char *vs_cli_config_path(const char *opt)
{
	char abs[PATH_MAX];
	vs_error err = {0};
	char *p;

	if (vs_config_locate(opt, abs, &err)) {
		if (log_format_errors)
			vs_log_always(VS_LOG_ERROR, "%s", err.msg);
		else
			fprintf(stderr, "vaultshim: %s\n", err.msg);
		exit(err.code);
	}
	if (!(p = strdup(abs)))
		vs_cli_die(VS_EX_SOFTWARE, "config", "out of memory");
	return p;
}

vs_config *vs_cli_load_config(const char *path)
{
	vs_config *cfg = NULL;
	vs_error err = {0};

	if (vs_config_load(path, vs_libc_getenv, NULL, &cfg, &err))
		vs_cli_die(err.code, "config", err.msg);
	return cfg;
}

int vs_cli_parse_opts(int argc, char **argv, const char *usage, const char **cfg, const char *ctx)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			return i + 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (++i >= argc)
				vs_cli_usage_error(ctx, "-c needs a file", usage);
			*cfg = argv[i];
		} else if (!strncmp(a, "--config=", 9)) {
			*cfg = a + 9;
		} else if (a[0] == '-' && a[1]) {
			char msg[256];
			snprintf(msg, sizeof msg, "unknown option '%s'", a);
			vs_cli_usage_error(ctx, msg, usage);
		} else {
			return i;
		}
	}
	return i;
}

/* A failure of the connection settings (a token file that cannot be read
 * or is open to others, a bad VAULT_ADDR, a CA file refused) is Vault's
 * failure for every name, as the helper reports it to the preload
 * (src/cli/resolve.c): the policy decides, so check, get and run answer what a
 * program under the preload gets. */
static int settings_failed(void *ctx, const vs_vault_req *reqs, size_t n, vs_secret *out,
			   vs_vault_stats *stats, vs_error *err)
{
	const vs_error *why = ctx;

	(void)reqs;
	(void)n;
	(void)out;
	(void)stats;
	return vs_fail(err, why->code, "%s", why->msg);
}

void vs_cli_audit(const vs_config *cfg, const char *event, const char *cmd, const vs_resolution *res)
{
	vs_error err = {0};

	if (vs_audit_record(cfg, event, cmd, res, &err))
		vs_log_always(VS_LOG_ERROR, "%s; the values are served without this record", err.msg);
}

int vs_cli_resolve(const vs_config *cfg, const char *const *names, size_t n, enum vs_dynamic_reads dyn,
		   vs_resolution *res, vs_error *err)
{
	vs_vault_settings s;
	vs_error why = {0};
	int rc;

	if ((rc = vs_vault_settings_init(&s, cfg, vs_libc_getenv, NULL, &why))) {
		if (rc == VS_EX_SOFTWARE)
			return vs_fail(err, rc, "%s", why.msg);
		vs_log(VS_LOG_DEBUG, "connection settings refused: %s", why.msg);
		return vs_resolve(cfg, names, n, vs_libc_getenv, NULL, settings_failed, &why, res, err);
	}
	s.skip_dynamic = dyn == VS_DYN_SKIP;
	s.revoke_leases = dyn == VS_DYN_READ_REVOKE;
	rc = vs_resolve(cfg, names, n, vs_libc_getenv, NULL, vs_vault_fetch, &s, res, err);
	vs_vault_settings_clear(&s);
	return rc;
}

void vs_cli_resolve_or_die(const vs_config *cfg, const char *const *names, size_t n, enum vs_dynamic_reads dyn,
			   vs_resolution *res)
{
	vs_error err = {0};

	if (vs_cli_resolve(cfg, names, n, dyn, res, &err))
		vs_cli_die(err.code, "resolve", err.msg);
}

/* Loaded by the front (src/cli/vaultshim.c) for every command but exec;
 * the only symbol this library exports. */
__attribute__((visibility("default"))) int vs_client_main(int argc, char **argv);

int vs_client_main(int argc, char **argv)
{
	const char *cmd;

	vs_log_set_prog("vaultshim", 0);
	/* the helper says a bad setting only with a line of its own (the
	 * preload it serves says it with its first line) */
	vs_log_setup(getenv("VAULTSHIM_LOG"), getenv("VAULTSHIM_LOG_FORMAT"), getenv("JOURNAL_STREAM"),
		     argc > 1 && !strcmp(argv[1], "resolve"));
	if (argc < 2) {
		fputs(usage_main, stderr);
		return VS_EX_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("vaultshim %s (libcurl %s)\n", VS_VERSION, curl_version_info(CURLVERSION_NOW)->version);
		return 0;
	}
	vs_vault_global_init();
	/* the command is who asks Vault (resolve: the program it serves, --for) */
	vs_vault_user_agent(!strcmp(cmd, "__watch") ? "exec" : cmd);
	if (!strcmp(cmd, "check"))
		return vs_cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "get"))
		return vs_cmd_get(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return vs_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "resolve"))
		return vs_cmd_resolve(argc - 1, argv + 1);
	if (!strcmp(cmd, "__watch")) /* vaultshim exec with watch (src/cli/watch.c) */
		return vs_cmd_watch(argc - 1, argv + 1);
	if (!strcmp(cmd, "migrate"))
		return vs_cmd_migrate(argc - 1, argv + 1);
	fprintf(stderr, "vaultshim: unknown command '%s'\n%s", cmd, usage_main);
	return VS_EX_USAGE;
}
