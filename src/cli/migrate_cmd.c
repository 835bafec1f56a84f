/*
 * vaultshim migrate's command line (vaultshim-client.so): its options into
 * a vs_migrate_opts for the migration itself (src/cli/migrate.c). Uses the
 * commands' shared helpers (src/cli/client.c) for usage errors and the
 * config.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "cli/vs_migrate.h"
#include "core/vs_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_migrate[] =
	"usage: vaultshim migrate --env-file FILE --path VAULT_PATH\n"
	"                         [--keys A,B | --all | --secrets-only] [--match WORDS]\n"
	"                         [--config-out FILE] [--strip] [--backup-dir DIR]\n"
	"                         [--overwrite]\n"
	"                         [--dry-run] [--yes] [-c FILE]\n"
	"\n"
	"Moves secrets from a .env file into Vault, then maps them so the program\n"
	"reads them through vaultshim unchanged. Steps: parse FILE (every line it\n"
	"cannot parse is reported as FILE:LINE and nothing happens); choose the\n"
	"names; show the plan (names and destinations, never values); ask (unless\n"
	"--yes); write them to VAULT_PATH in one KV write (v2: check-and-set);\n"
	"read them back through the resolver; then back up FILE (--strip: mode\n"
	"0600, in the backup directory), extend the config, strip FILE, and verify\n"
	"again through the config, restoring FILE on any mismatch. Run it twice:\n"
	"the second run changes nothing and says so. A new config gets a [vault]\n"
	"section reaching Vault as the migration did (never a token or secret_id)\n"
	"and its names are marked required. Files are replaced atomically, through\n"
	"symlinks, keeping their owner, group and mode.\n"
	"\n"
	"  --env-file FILE     the .env to migrate (python-dotenv syntax)\n"
	"  --path VAULT_PATH   destination, e.g. secret/myapp/production; each name\n"
	"                      becomes a field of that secret, named as the variable\n"
	"  --secrets-only      names containing SECRET, PASSWORD, PASSWD, TOKEN, KEY,\n"
	"                      CREDENTIAL or PRIVATE, and URLs holding a password\n"
	"                      (the default)\n"
	"  --match WORDS       comma-separated words replacing that list\n"
	"  --keys A,B          exactly these names (each must be in FILE)\n"
	"  --all               every name with a value\n"
	"  --config-out FILE   write or extend this mapping config ([env] lines)\n"
	"  --strip             remove the migrated lines from FILE, keeping every\n"
	"                      other byte (comments, order, other values)\n"
	"  --backup-dir DIR    where --strip keeps the original FILE (created 0700;\n"
	"                      refused if not yours or open to group or others);\n"
	"                      default $XDG_STATE_HOME/vaultshim, else\n"
	"                      ~/.local/state/vaultshim. The backup is named after\n"
	"                      FILE's path and the UTC time, mode 0600\n"
	"  --overwrite         replace different values already in Vault (refused\n"
	"                      otherwise)\n"
	"  --dry-run           show the plan; change nothing\n"
	"  --yes               do not ask (required when stdin is not a terminal)\n"
	"  -c, --config FILE   take [vault] connection settings from this config;\n"
	"                      otherwise VAULT_ADDR, VAULT_TOKEN, ...\n"
	"exit: 0 done or nothing to do; 64 usage; 65 FILE unparseable or values\n"
	"differ in Vault; 69/77 Vault unavailable/denied; 74 file errors.\n";

int vs_cmd_migrate(int argc, char **argv)
{
	vs_migrate_opts o = {0};
	const char *cfg_opt = NULL;
	vs_config *conn = NULL;
	int modes = 0, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_migrate, stdout);
			return 0;
		} else if (!strcmp(a, "--env-file")) {
			val = &o.env_file;
		} else if (!strcmp(a, "--path")) {
			val = &o.path;
		} else if (!strcmp(a, "--keys")) {
			val = &o.keys;
			modes++;
		} else if (!strcmp(a, "--match")) {
			val = &o.match;
		} else if (!strcmp(a, "--config-out")) {
			val = &o.config_out;
		} else if (!strcmp(a, "--backup-dir")) {
			val = &o.backup_dir;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			val = &cfg_opt;
		} else if (!strcmp(a, "--all")) {
			o.all = true;
			modes++;
		} else if (!strcmp(a, "--secrets-only")) {
			modes++;
		} else if (!strcmp(a, "--strip")) {
			o.strip = true;
		} else if (!strcmp(a, "--dry-run")) {
			o.dry_run = true;
		} else if (!strcmp(a, "--yes")) {
			o.yes = true;
		} else if (!strcmp(a, "--overwrite")) {
			o.overwrite = true;
		} else {
			char msg[256];
			snprintf(msg, sizeof msg, "unknown argument '%s'", a);
			vs_cli_usage_error("migrate", msg, usage_migrate);
		}
		if (val) {
			if (++i >= argc || !*argv[i]) {
				char msg[128];
				snprintf(msg, sizeof msg, "%s needs a value", a);
				vs_cli_usage_error("migrate", msg, usage_migrate);
			}
			*val = argv[i];
		}
	}
	if (!o.env_file || !o.path)
		vs_cli_usage_error("migrate", "--env-file and --path are required", usage_migrate);
	if (modes > 1)
		vs_cli_usage_error("migrate", "--keys, --all and --secrets-only exclude each other", usage_migrate);
	if (o.match && (o.keys || o.all))
		vs_cli_usage_error("migrate", "--match applies to --secrets-only only", usage_migrate);
	while (*o.path == '/')
		o.path++;
	if (cfg_opt) {
		char *path = vs_cli_config_path(cfg_opt);
		conn = vs_cli_load_config(path);
		free(path);
	}
	rc = vs_migrate(&o, conn, stdout);
	vs_config_free(conn);
	return rc;
}
