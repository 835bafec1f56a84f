/*
 * The [vault] section `vaultshim migrate` writes into a new config: how the
 * migration itself reached Vault, so that the config runs on its own — the
 * address, the auth method and its parameters, the files it read its
 * credentials from, TLS and timeouts. Never a credential: a token, a
 * role_id or a secret_id given in the environment cannot be written down,
 * and the caller says so (see vs_migrate_vault_section).
 */
#define _GNU_SOURCE
#include "cli/vs_migrate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void vs_migrate_put_escaped(FILE *f, const char *v)
{
	for (; *v; v++) {
		switch (*v) {
		case '"': case '\\': case '$': fputc('\\', f); fputc(*v, f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default: fputc(*v, f);
		}
	}
}

/* A value as the config parser reads it back: quoted, escaped. */
static void put_value(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s = \"", key);
	vs_migrate_put_escaped(f, v);
	fputs("\"\n", f);
}

/* A file the migration opened: absolute, so that the config names the same
 * file from any directory (a relative path in a config is taken from the
 * config's own directory). No realpath: a Kubernetes secret is a symlink
 * that is swapped on rotation, and the link is what must be named. */
static void put_file(FILE *f, const char *key, const char *path)
{
	char abs[PATH_MAX];

	if (path)
		put_value(f, key, vs_path_absolute(path, abs, sizeof abs) ? path : abs);
}

/* Appends name to the list of what the config cannot carry. */
static void missing(char *buf, size_t n, const char *name)
{
	size_t l = strlen(buf);
	snprintf(buf + l, n - l, "%s%s", l ? ", " : "", name);
}

void vs_migrate_vault_section(FILE *f, const vs_vault_settings *s, const vs_config *conn,
			      char *cannot, char *env_only, size_t len)
{
	const vs_vault_conf *vc = conn ? &conn->vault : NULL;
	const char *home = getenv("HOME");

	cannot[0] = env_only[0] = '\0';
	fputs("[vault]\n", f);
	/* an agent named by VAULT_AGENT_ADDR with no token: its requests go
	 * without one (the agent adds its own), which only that variable or a
	 * unix:// address tells the client */
	if (s->agent && !s->token && !s->unix_socket)
		missing(env_only, len, "VAULT_AGENT_ADDR");
	else
		put_value(f, "address", s->address);
	if (s->namespace_)
		put_value(f, "namespace", s->namespace_);
	if (s->auth != VS_AUTH_TOKEN)
		put_value(f, "auth", vs_auth_name(s->auth));
	if (s->auth_mount && strcmp(s->auth_mount, vs_auth_name(s->auth)))
		put_value(f, "auth_mount", s->auth_mount);
	switch (s->auth) {
	case VS_AUTH_TOKEN:
		if (!s->token_source)
			break;
		if (!strcmp(s->token_source, "token_file") && vc && vc->token_file) {
			put_file(f, "token_file", vc->token_file);
			if (vc->token_wrapped)
				put_value(f, "token_wrapped", "yes");
		} else if (!strcmp(s->token_source, "~/.vault-token") && home && *home) {
			/* the file the migration read, by its path: a program
			 * started with a bare environment has no HOME to find it by */
			char *p = NULL;
			if (asprintf(&p, "%s/.vault-token", home) >= 0) {
				put_file(f, "token_file", p);
				free(p);
			}
		} else {
			missing(cannot, len, s->token_source);
		}
		break;
	case VS_AUTH_APPROLE:
		if (s->role_id_file)
			put_file(f, "role_id_file", s->role_id_file);
		else
			missing(cannot, len, "VAULT_ROLE_ID");
		if (s->secret_id_file)
			put_file(f, "secret_id_file", s->secret_id_file);
		else
			missing(cannot, len, "VAULT_SECRET_ID");
		if (s->secret_id_wrapped)
			put_value(f, "secret_id_wrapped", "yes");
		break;
	default: /* kubernetes, jwt */
		if (s->role)
			put_value(f, "role", s->role);
		put_file(f, "jwt_file", s->jwt_file);
		break;
	}
	put_file(f, "ca_cert", s->ca_cert);
	put_file(f, "ca_path", s->ca_path);
	put_file(f, "client_cert", s->client_cert);
	put_file(f, "client_key", s->client_key);
	/* s->tls_server_name is the name the certificate is checked against;
	 * the address stays the real host (see vs_vault_settings_init) */
	if (s->tls_server_name)
		put_value(f, "tls_server_name", s->tls_server_name);
	if (s->skip_verify)
		put_value(f, "skip_verify", "true");
	if (s->timeout_ms != VS_DEFAULT_TIMEOUT_MS)
		fprintf(f, "timeout = %ldms\n", s->timeout_ms);
	if (s->max_retries != VS_DEFAULT_MAX_RETRIES)
		fprintf(f, "max_retries = %d\n", s->max_retries);
	if (s->kv_version)
		fprintf(f, "kv_version = %d\n", s->kv_version);
	/* the proxy for Vault has no key: the environment only */
	if (s->proxy_vault)
		missing(env_only, len, "VAULT_PROXY_ADDR");
}
