/*
 * vs_migrate.h — `vaultshim migrate`: move secrets from a .env file into
 * Vault (see src/cli/migrate.c for the order of steps and why).
 */
#ifndef VS_MIGRATE_H
#define VS_MIGRATE_H

#include <stdio.h>

#include "core/vs_config.h"
#include "vault/vs_vault.h"

typedef struct vs_migrate_opts {
	const char *env_file;    /* the .env to read */
	const char *path;        /* Vault destination, as `vault kv put` takes it */
	const char *keys;        /* comma-separated names, or NULL */
	const char *match;       /* comma-separated words marking secret names, or NULL */
	bool all;                /* every name, not only secret-looking ones */
	const char *config_out;  /* mapping config to write or extend, or NULL */
	const char *backup_dir;  /* where --strip backs the .env up; NULL: the
				  * default, $XDG_STATE_HOME/vaultshim or
				  * ~/.local/state/vaultshim */
	bool strip, dry_run, yes, overwrite;
} vs_migrate_opts;

/* Runs a migration; conn (may be NULL) gives the [vault] connection settings.
 * Prints the plan and the outcome to out, errors to stderr (never values).
 * Returns 0 or a sysexits code. */
int vs_migrate(const vs_migrate_opts *o, const vs_config *conn, FILE *out);

/* Writes v to f as the inside of a quoted config value the parser reads
 * back as v: '\\', '"', '$' and newline, tab, CR escaped. */
void vs_migrate_put_escaped(FILE *f, const char *v);

/* Writes to f a [vault] section reaching Vault as s does (src/cli/migrate_conf.c),
 * credentials excepted; conn is the config s came from (may be NULL).
 * cannot and env_only (len bytes each) get the comma-separated variables the
 * section could not carry: credentials ("VAULT_TOKEN") and settings that
 * have no config key ("VAULT_PROXY_ADDR"); "" when none. */
void vs_migrate_vault_section(FILE *f, const vs_vault_settings *s, const vs_config *conn,
			      char *cannot, char *env_only, size_t len);

#endif
