/*
 * src/vault/settings.c — where the client connects and how it
 * authenticates: vs_vault_settings from the config, then the VAULT_*
 * variables, then the defaults; the token looked for when auth = token;
 * the proxy variables the client may use (src/vault/proxy.c picks among
 * them); and the credential files the login reads (src/vault/auth.c).
 * Depends on the core alone: no request is made here.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define CRED_MAX (64 * 1024)

static int dup_into(char **dst, const char *src, vs_error *err)
{
	*dst = NULL;
	if (!src)
		return 0;
	if (!(*dst = strdup(src)))
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	return 0;
}

/* A config key wins; then the variable (empty counts as unset); then NULL. */
static const char *pick(const char *conf, vs_getenv_fn env, void *ctx, const char *var)
{
	const char *v;
	if (conf)
		return conf;
	v = env ? env(var, ctx) : NULL;
	return (v && *v) ? v : NULL;
}

/* Reads a small credential file, trimming surrounding whitespace. The file
 * must be ours or root's (vs_open_private). A secret one (a token, a
 * secret_id) of our own that group or others may open is refused, as ssh
 * refuses such a key: whoever can read it holds the credential, and we can
 * fix it. As in ssh, a file someone else owns is taken as shared on purpose:
 * here root's, read by a program that is not root (a Docker secret 0444, a
 * Kubernetes secret volume 0644), which could not chmod it anyway; so is one
 * on a read-only mount, which no one there can chmod (those same secrets
 * read by root: Kubernetes and Docker mount them read-only). (A JWT is not
 * asked this: Kubernetes mounts service-account tokens 0644.) */
int vv_read_cred_file(const char *path, const char *what, bool secret, char **out, vs_error *err)
{
	char *text = NULL, *b, *e;
	size_t len = 0;
	struct stat st;
	struct statvfs fs;
	int rc, fd = vs_open_private(path, what, err);

	*out = NULL;
	if (fd < 0)
		return err->code;
	if (secret && fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & (S_IRWXG | S_IRWXO)) &&
	    !(fstatvfs(fd, &fs) == 0 && (fs.f_flag & ST_RDONLY))) {
		close(fd);
		return vs_fail(err, VS_EX_NOPERM,
			       "%s: refusing %s open to group or others (mode %04o); chmod 600 it "
			       "(a mounted secret: mode 0400)",
			       path, what, (unsigned)(st.st_mode & 07777));
	}
	if ((rc = vs_read_fd(fd, path, CRED_MAX, &text, &len, err)))
		return rc;
	for (b = text; *b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'; b++)
		;
	for (e = text + len; e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	if (e == b) {
		vs_free_secret(text);
		return vs_fail(err, VS_EX_NOPERM, "%s: %s is empty; write the credential into it, or point the "
			       "config at the file that holds it", path, what);
	}
	*out = strndup(b, (size_t)(e - b));
	explicit_bzero(text, len);
	free(text);
	if (!*out)
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	return 0;
}

bool vv_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

static int find_token(vs_vault_settings *s, const vs_config *cfg, vs_getenv_fn env,
		      void *ctx, vs_error *err)
{
	const char *v, *home;
	char *path = NULL;
	int rc = 0;

	if (cfg && cfg->vault.token_file) {
		if ((rc = vv_read_cred_file(cfg->vault.token_file, "token file", true, &s->token, err)) == VS_EX_IOERR) {
			/* a token file that is not there is no token: 77, as for none
			 * (README, exit codes), not an I/O error of ours */
			char why[VS_ERR_MAX];
			snprintf(why, sizeof why, "%s", err->msg);
			return vs_fail(err, VS_EX_NOPERM, "%s; point token_file in [vault] at the token's file", why);
		}
		if (rc)
			return rc;
		rc = dup_into(&s->token_source, "token_file", err);
	} else if ((v = env ? env("VAULT_TOKEN", ctx) : NULL) && *v) {
		if (!(s->token = strdup(v)))
			return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		rc = dup_into(&s->token_source, "VAULT_TOKEN", err);
	} else if ((home = env ? env("HOME", ctx) : NULL) && *home) {
		if (asprintf(&path, "%s/.vault-token", home) < 0)
			return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		if (access(path, F_OK) == 0) {
			if ((rc = vv_read_cred_file(path, "token file", true, &s->token, err)))
				goto out;
			rc = dup_into(&s->token_source, "~/.vault-token", err);
		}
	}
	if (!rc && s->token && !vv_printable(s->token))
		rc = vs_fail(err, VS_EX_NOPERM, "the Vault token from %s holds spaces or control characters; "
			     "give the token alone, with nothing around it",
			     s->token_source ? s->token_source : "?");
out:
	free(path);
	return rc;
}

/* The first of two variables that is set, skipping a name the config maps
 * (its value may be a secret served to a parent, not the operator's). */
static const char *proxy_var(const vs_config *cfg, vs_getenv_fn env, void *ctx, const char *a, const char *b)
{
	const char *names[2] = {a, b};
	for (int i = 0; i < 2; i++) {
		const char *v;
		if (!names[i])
			continue;
		if (cfg && vs_config_find(cfg, names[i])) {
			vs_log(VS_LOG_DEBUG, "%s is mapped in the config: not used for the connection to Vault",
			       names[i]);
			continue;
		}
		if ((v = pick(NULL, env, ctx, names[i])))
			return v;
	}
	return NULL;
}

static int proxy_settings(vs_vault_settings *s, const vs_config *cfg, vs_getenv_fn env, void *ctx,
			  vs_error *err)
{
	const char *vp = pick(NULL, env, ctx, "VAULT_PROXY_ADDR");
	/* under CGI, HTTP_PROXY is the client's Proxy: header (httpoxy), as Go knows */
	bool cgi = pick(NULL, env, ctx, "REQUEST_METHOD") != NULL;
	int rc;

	if ((rc = dup_into(&s->proxy_vault, vp ? vp : pick(NULL, env, ctx, "VAULT_HTTP_PROXY"), err)) ||
	    (rc = dup_into(&s->proxy_https, proxy_var(cfg, env, ctx, "HTTPS_PROXY", "https_proxy"), err)) ||
	    (rc = dup_into(&s->proxy_http, proxy_var(cfg, env, ctx, cgi ? NULL : "HTTP_PROXY", "http_proxy"), err)) ||
	    (rc = dup_into(&s->no_proxy, proxy_var(cfg, env, ctx, "NO_PROXY", "no_proxy"), err)))
		return rc;
	return 0;
}

/* The address: the config's, else VAULT_AGENT_ADDR (which overrides
 * VAULT_ADDR, as in the Go client), else VAULT_ADDR, else the default;
 * *from names where it came from, for messages. */
static const char *pick_address(const vs_vault_conf *vc, vs_getenv_fn env, void *ctx, const char **from)
{
	const char *addr;

	*from = "address";
	if (vc->address)
		return vc->address;
	if ((addr = pick(NULL, env, ctx, "VAULT_AGENT_ADDR"))) {
		*from = "VAULT_AGENT_ADDR";
		return addr;
	}
	if ((addr = pick(NULL, env, ctx, "VAULT_ADDR"))) {
		*from = "VAULT_ADDR";
		return addr;
	}
	return VS_DEFAULT_ADDR;
}

/* s->address as the URLs of requests use it: a unix socket's path and
 * http://localhost, or the address without its trailing slashes. */
static int parse_address(vs_vault_settings *s, const char *addr_from, vs_error *err)
{
	const char *addr = s->address;
	int rc;

	if (!strncmp(addr, "unix://", 7)) {
		if (!addr[7])
			return vs_fail(err, VS_EX_CONFIG, "%s '%s' names no socket path; write unix:// and the "
				       "socket's absolute path (unix:///run/vault/agent.sock)", addr_from, addr);
		if ((rc = dup_into(&s->unix_socket, addr + 7, err)) ||
		    (rc = dup_into(&s->base_url, "http://localhost", err)))
			return rc;
		s->agent = true;
	} else if (!strncmp(addr, "http://", 7) || !strncmp(addr, "https://", 8)) {
		size_t n = strlen(addr);
		while (n > 8 && addr[n - 1] == '/')
			n--;
		if (!(s->base_url = strndup(addr, n)))
			return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		/* requests go to <address>/v1/…: an address whose path ends in /v1
		 * asks for /v1/v1/ (the host alone may be named v1: https://v1) */
		const char *path = strchr(strstr(s->base_url, "://") + 3, '/');
		if (path && n >= 3 && !strcmp(s->base_url + n - 3, "/v1"))
			return vs_fail(err, VS_EX_CONFIG, "%s '%s' ends in /v1; give the server's address without it: %.*s",
				       addr_from, addr, (int)(n - 3), addr);
		s->agent = !strcmp(addr_from, "VAULT_AGENT_ADDR");
	} else {
		return vs_fail(err, VS_EX_CONFIG, "%s '%s' must start with http://, https:// or unix://",
			       addr_from, addr);
	}
	return 0;
}

/* The auth method and what it needs: the token (auth = token), the
 * AppRole IDs from the environment when no file names them. */
static int auth_settings(vs_vault_settings *s, const vs_config *cfg, const vs_vault_conf *vc,
			 vs_getenv_fn env, void *ctx, vs_error *err)
{
	int rc;

	s->auth = vc->auth_set ? vc->auth : VS_AUTH_TOKEN;
	if ((rc = dup_into(&s->auth_mount, vc->auth_mount ? vc->auth_mount : vs_auth_name(s->auth), err)) ||
	    (rc = dup_into(&s->role, vc->role, err)) ||
	    (rc = dup_into(&s->role_id_file, vc->role_id_file, err)) ||
	    (rc = dup_into(&s->secret_id_file, vc->secret_id_file, err)) ||
	    (rc = dup_into(&s->jwt_file, vc->jwt_file, err)))
		return rc;
	if (s->auth == VS_AUTH_TOKEN && (rc = find_token(s, cfg, env, ctx, err)))
		return rc;
	if (s->auth == VS_AUTH_APPROLE &&
	    ((!s->role_id_file && (rc = dup_into(&s->role_id, pick(NULL, env, ctx, "VAULT_ROLE_ID"), err))) ||
	     (!s->secret_id_file && (rc = dup_into(&s->secret_id, pick(NULL, env, ctx, "VAULT_SECRET_ID"), err)))))
		return rc;
	s->token_wrapped = vc->token_wrapped;
	s->secret_id_wrapped = vc->secret_id_wrapped;
	return 0;
}

/* Verify the certificate against another name than the address's host:
 * address the server by that name and pin the connection to the real
 * host with CONNECT_TO. */
static int pin_server_name(vs_vault_settings *s, vs_error *err)
{
	const char *hp = s->base_url + 8, *colon = strrchr(hp, ':'), *bracket = strchr(hp, ']');
	char *url = NULL;
	int hl = (colon && (!bracket || colon > bracket)) ? (int)(colon - hp) : (int)strlen(hp);
	const char *port = (colon && (!bracket || colon > bracket)) ? colon + 1 : "443";

	if (asprintf(&s->connect_to, "%s:%s:%.*s:%s", s->tls_server_name, port, hl, hp, port) < 0 ||
	    asprintf(&url, "https://%s:%s", s->tls_server_name, port) < 0)
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	free(s->base_url);
	s->base_url = url;
	return 0;
}

/* The CA, the client certificate and the name to verify. */
static int tls_settings(vs_vault_settings *s, const vs_vault_conf *vc, vs_getenv_fn env, void *ctx,
			vs_error *err)
{
	int rc;

	if ((rc = dup_into(&s->ca_cert, pick(vc->ca_cert, env, ctx, "VAULT_CACERT"), err)) ||
	    (rc = dup_into(&s->ca_path, pick(vc->ca_path, env, ctx, "VAULT_CAPATH"), err)) ||
	    (rc = dup_into(&s->client_cert, pick(vc->client_cert, env, ctx, "VAULT_CLIENT_CERT"), err)) ||
	    (rc = dup_into(&s->client_key, pick(vc->client_key, env, ctx, "VAULT_CLIENT_KEY"), err)) ||
	    (rc = dup_into(&s->tls_server_name, pick(vc->tls_server_name, env, ctx, "VAULT_TLS_SERVER_NAME"), err)))
		return rc;
	if (s->tls_server_name && !strncmp(s->base_url, "https://", 8) && (rc = pin_server_name(s, err)))
		return rc;
	if (!s->client_cert != !s->client_key)
		return vs_fail(err, VS_EX_CONFIG, "a client certificate needs both client_cert and client_key "
			       "(or VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)");
	/* libcurl opens these by path: whoever can write one can intercept
	 * the token (a CA) or impersonate the client (a key) */
	if ((s->ca_cert && (rc = vs_check_trusted(s->ca_cert, "CA file (ca_cert, VAULT_CACERT)", false, err))) ||
	    (s->ca_path && (rc = vs_check_trusted(s->ca_path, "CA directory (ca_path, VAULT_CAPATH)", true, err))) ||
	    (s->client_cert &&
	     (rc = vs_check_trusted(s->client_cert, "client certificate (client_cert, VAULT_CLIENT_CERT)", false, err))) ||
	    (s->client_key &&
	     (rc = vs_check_trusted(s->client_key, "client key (client_key, VAULT_CLIENT_KEY)", false, err))))
		return rc;
	return 0;
}

/* skip_verify, the timeouts and the retries. */
static int limit_settings(vs_vault_settings *s, const vs_vault_conf *vc, vs_getenv_fn env, void *ctx,
			  vs_error *err)
{
	const char *v;

	if (vc->skip_verify >= 0) {
		s->skip_verify = vc->skip_verify;
	} else if ((v = pick(NULL, env, ctx, "VAULT_SKIP_VERIFY"))) {
		if (vs_parse_bool(v, &s->skip_verify))
			return vs_fail(err, VS_EX_CONFIG, "VAULT_SKIP_VERIFY '%s' is not a boolean; set it to true or "
				       "false, or unset it", v);
	}

	v = vc->timeout_ms > 0 ? NULL : pick(NULL, env, ctx, "VAULT_CLIENT_TIMEOUT");
	if (vs_timeout_ms(vc->timeout_ms, v, &s->timeout_ms))
		return vs_fail(err, VS_EX_CONFIG, "VAULT_CLIENT_TIMEOUT '%s' is not a duration (e.g. 30 or 30s)", v);
	s->connect_timeout_ms = s->timeout_ms < VS_DEFAULT_CONNECT_TIMEOUT_MS ? s->timeout_ms
									      : VS_DEFAULT_CONNECT_TIMEOUT_MS;

	s->max_retries = VS_DEFAULT_MAX_RETRIES;
	if (vc->max_retries >= 0) {
		s->max_retries = vc->max_retries;
	} else if ((v = pick(NULL, env, ctx, "VAULT_MAX_RETRIES"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 0 || n > 100)
			return vs_fail(err, VS_EX_CONFIG, "VAULT_MAX_RETRIES '%s' is not a number from 0 to 100", v);
		s->max_retries = (int)n;
	}
	return 0;
}

int vs_vault_settings_init(vs_vault_settings *s, const vs_config *cfg,
			   vs_getenv_fn env, void *ctx, vs_error *err)
{
	static const vs_vault_conf none = {.skip_verify = -1, .timeout_ms = -1, .max_retries = -1};
	const vs_vault_conf *vc = cfg ? &cfg->vault : &none;
	const char *addr_from, *v;
	int rc;

	memset(s, 0, sizeof *s);

	if ((rc = dup_into(&s->address, pick_address(vc, env, ctx, &addr_from), err)))
		goto fail;
	/* a supervising launcher holds the dynamic secrets (vault/held.c) */
	if ((v = pick(NULL, env, ctx, "VAULTSHIM_SUPERVISOR")) && *v == '/' &&
	    (rc = dup_into(&s->held_socket, v, err)))
		goto fail;
	if ((rc = parse_address(s, addr_from, err)) || (rc = auth_settings(s, cfg, vc, env, ctx, err)))
		goto fail;

	/* namespace = "" in the config deliberately clears VAULT_NAMESPACE */
	v = vc->namespace_ ? vc->namespace_ : pick(NULL, env, ctx, "VAULT_NAMESPACE");
	if ((rc = dup_into(&s->namespace_, (v && *v) ? v : NULL, err)) ||
	    (rc = tls_settings(s, vc, env, ctx, err)) || (rc = limit_settings(s, vc, env, ctx, err)))
		goto fail;
	s->kv_version = vc->kv_version;
	if ((rc = proxy_settings(s, cfg, env, ctx, err)))
		goto fail;
	return 0;
fail:
	vs_vault_settings_clear(s);
	return rc;
}

void vs_vault_settings_clear(vs_vault_settings *s)
{
	vs_free_secret(s->token);
	free(s->address);
	free(s->base_url);
	free(s->unix_socket);
	free(s->auth_mount);
	free(s->token_source);
	free(s->role);
	free(s->role_id_file);
	free(s->secret_id_file);
	free(s->jwt_file);
	free(s->namespace_);
	free(s->ca_cert);
	free(s->ca_path);
	free(s->client_cert);
	free(s->client_key);
	free(s->tls_server_name);
	free(s->connect_to);
	free(s->proxy_vault);
	free(s->proxy_https);
	free(s->proxy_http);
	free(s->no_proxy);
	free(s->held_socket);
	vs_free_secret(s->role_id);
	vs_free_secret(s->secret_id);
	memset(s, 0, sizeof *s);
}
