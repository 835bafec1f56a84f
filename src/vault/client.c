#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define K8S_JWT_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount/token"
#define CRED_MAX (64 * 1024)
#define MAX_HOST_CONNECTIONS 8L

/* ------------------------------------------------------------------ */
/* global init                                                         */

/* "vaultshim/VERSION (PROG)": the program the request is made for (the
 * preload's host, which its helper is told; a command's name), so that
 * Vault's audit log and a proxy's access log say who asks */
static char user_agent[128] = "vaultshim/" VS_VERSION " (vaultshim)";

void vs_vault_user_agent(const char *prog)
{
	char clean[64];
	size_t n = 0;

	/* a header value: printable ASCII only, no parentheses of its own */
	for (const char *p = prog ? prog : ""; *p && n < sizeof clean - 1; p++)
		clean[n++] = *p > 0x20 && *p < 0x7f && *p != '(' && *p != ')' ? *p : '_';
	clean[n] = '\0';
	snprintf(user_agent, sizeof user_agent, "vaultshim/%s (%s)", VS_VERSION, n ? clean : "vaultshim");
}

static void zero_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

static void global_init_once(void)
{
	cJSON_Hooks hooks = {.malloc_fn = malloc, .free_fn = zero_free};
	struct timespec ts;

	/* retries of many processes started together must not fall in step */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	srand((unsigned)getpid() ^ (unsigned)ts.tv_nsec ^ (unsigned)ts.tv_sec);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cJSON_InitHooks(&hooks);
}

void vs_vault_global_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init_once);
}

/* ------------------------------------------------------------------ */
/* settings                                                            */

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
static int read_cred_file(const char *path, const char *what, bool secret, char **out, vs_error *err)
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

static bool printable(const char *s)
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
		if ((rc = read_cred_file(cfg->vault.token_file, "token file", true, &s->token, err)) == VS_EX_IOERR) {
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
			if ((rc = read_cred_file(path, "token file", true, &s->token, err)))
				goto out;
			rc = dup_into(&s->token_source, "~/.vault-token", err);
		}
	}
	if (!rc && s->token && !printable(s->token))
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

int vs_vault_settings_init(vs_vault_settings *s, const vs_config *cfg,
			   vs_getenv_fn env, void *ctx, vs_error *err)
{
	static const vs_vault_conf none = {.skip_verify = -1, .timeout_ms = -1, .max_retries = -1};
	const vs_vault_conf *vc = cfg ? &cfg->vault : &none;
	const char *addr, *addr_from = "address", *v;
	int rc;

	memset(s, 0, sizeof *s);

	/* VAULT_AGENT_ADDR overrides VAULT_ADDR, as in the Go client */
	if (vc->address) {
		addr = vc->address;
	} else if ((addr = pick(NULL, env, ctx, "VAULT_AGENT_ADDR"))) {
		addr_from = "VAULT_AGENT_ADDR";
	} else if ((addr = pick(NULL, env, ctx, "VAULT_ADDR"))) {
		addr_from = "VAULT_ADDR";
	} else {
		addr = VS_DEFAULT_ADDR;
	}
	if ((rc = dup_into(&s->address, addr, err)))
		goto fail;
	/* a supervising launcher holds the dynamic secrets (vault/held.c) */
	if ((v = pick(NULL, env, ctx, "VAULTSHIM_SUPERVISOR")) && *v == '/' &&
	    (rc = dup_into(&s->held_socket, v, err)))
		goto fail;
	if (!strncmp(addr, "unix://", 7)) {
		if (!addr[7]) {
			rc = vs_fail(err, VS_EX_CONFIG, "%s '%s' names no socket path; write unix:// and the "
				     "socket's absolute path (unix:///run/vault/agent.sock)", addr_from, addr);
			goto fail;
		}
		if ((rc = dup_into(&s->unix_socket, addr + 7, err)) ||
		    (rc = dup_into(&s->base_url, "http://localhost", err)))
			goto fail;
		s->agent = true;
	} else if (!strncmp(addr, "http://", 7) || !strncmp(addr, "https://", 8)) {
		size_t n = strlen(addr);
		while (n > 8 && addr[n - 1] == '/')
			n--;
		if (!(s->base_url = strndup(addr, n))) {
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
			goto fail;
		}
		/* requests go to <address>/v1/…: an address whose path ends in /v1
		 * asks for /v1/v1/ (the host alone may be named v1: https://v1) */
		const char *path = strchr(strstr(s->base_url, "://") + 3, '/');
		if (path && n >= 3 && !strcmp(s->base_url + n - 3, "/v1")) {
			rc = vs_fail(err, VS_EX_CONFIG, "%s '%s' ends in /v1; give the server's address without it: %.*s",
				     addr_from, addr, (int)(n - 3), addr);
			goto fail;
		}
		s->agent = !strcmp(addr_from, "VAULT_AGENT_ADDR");
	} else {
		rc = vs_fail(err, VS_EX_CONFIG, "%s '%s' must start with http://, https:// or unix://",
			     addr_from, addr);
		goto fail;
	}

	s->auth = vc->auth_set ? vc->auth : VS_AUTH_TOKEN;
	if ((rc = dup_into(&s->auth_mount, vc->auth_mount ? vc->auth_mount : vs_auth_name(s->auth), err)) ||
	    (rc = dup_into(&s->role, vc->role, err)) ||
	    (rc = dup_into(&s->role_id_file, vc->role_id_file, err)) ||
	    (rc = dup_into(&s->secret_id_file, vc->secret_id_file, err)) ||
	    (rc = dup_into(&s->jwt_file, vc->jwt_file, err)))
		goto fail;
	if (s->auth == VS_AUTH_TOKEN && (rc = find_token(s, cfg, env, ctx, err)))
		goto fail;
	if (s->auth == VS_AUTH_APPROLE &&
	    ((!s->role_id_file && (rc = dup_into(&s->role_id, pick(NULL, env, ctx, "VAULT_ROLE_ID"), err))) ||
	     (!s->secret_id_file && (rc = dup_into(&s->secret_id, pick(NULL, env, ctx, "VAULT_SECRET_ID"), err)))))
		goto fail;
	s->token_wrapped = vc->token_wrapped;
	s->secret_id_wrapped = vc->secret_id_wrapped;

	/* namespace = "" in the config deliberately clears VAULT_NAMESPACE */
	v = vc->namespace_ ? vc->namespace_ : pick(NULL, env, ctx, "VAULT_NAMESPACE");
	if ((rc = dup_into(&s->namespace_, (v && *v) ? v : NULL, err)) ||
	    (rc = dup_into(&s->ca_cert, pick(vc->ca_cert, env, ctx, "VAULT_CACERT"), err)) ||
	    (rc = dup_into(&s->ca_path, pick(vc->ca_path, env, ctx, "VAULT_CAPATH"), err)) ||
	    (rc = dup_into(&s->client_cert, pick(vc->client_cert, env, ctx, "VAULT_CLIENT_CERT"), err)) ||
	    (rc = dup_into(&s->client_key, pick(vc->client_key, env, ctx, "VAULT_CLIENT_KEY"), err)) ||
	    (rc = dup_into(&s->tls_server_name, pick(vc->tls_server_name, env, ctx, "VAULT_TLS_SERVER_NAME"), err)))
		goto fail;
	if (s->tls_server_name && !strncmp(s->base_url, "https://", 8)) {
		/* Verify the certificate against another name than the address's
		 * host: address the server by that name and pin the connection to
		 * the real host with CONNECT_TO. */
		const char *hp = s->base_url + 8, *colon = strrchr(hp, ':'), *bracket = strchr(hp, ']');
		char *url = NULL;
		int hl = (colon && (!bracket || colon > bracket)) ? (int)(colon - hp) : (int)strlen(hp);
		const char *port = (colon && (!bracket || colon > bracket)) ? colon + 1 : "443";
		if (asprintf(&s->connect_to, "%s:%s:%.*s:%s", s->tls_server_name, port, hl, hp, port) < 0 ||
		    asprintf(&url, "https://%s:%s", s->tls_server_name, port) < 0) {
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
			goto fail;
		}
		free(s->base_url);
		s->base_url = url;
	}
	if (!s->client_cert != !s->client_key) {
		rc = vs_fail(err, VS_EX_CONFIG, "a client certificate needs both client_cert and client_key "
			     "(or VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)");
		goto fail;
	}
	/* libcurl opens these by path: whoever can write one can intercept
	 * the token (a CA) or impersonate the client (a key) */
	if ((s->ca_cert && (rc = vs_check_trusted(s->ca_cert, "CA file (ca_cert, VAULT_CACERT)", false, err))) ||
	    (s->ca_path && (rc = vs_check_trusted(s->ca_path, "CA directory (ca_path, VAULT_CAPATH)", true, err))) ||
	    (s->client_cert &&
	     (rc = vs_check_trusted(s->client_cert, "client certificate (client_cert, VAULT_CLIENT_CERT)", false, err))) ||
	    (s->client_key &&
	     (rc = vs_check_trusted(s->client_key, "client key (client_key, VAULT_CLIENT_KEY)", false, err))))
		goto fail;

	if (vc->skip_verify >= 0) {
		s->skip_verify = vc->skip_verify;
	} else if ((v = pick(NULL, env, ctx, "VAULT_SKIP_VERIFY"))) {
		if (vs_parse_bool(v, &s->skip_verify)) {
			rc = vs_fail(err, VS_EX_CONFIG, "VAULT_SKIP_VERIFY '%s' is not a boolean; set it to true or "
				     "false, or unset it", v);
			goto fail;
		}
	}

	v = vc->timeout_ms > 0 ? NULL : pick(NULL, env, ctx, "VAULT_CLIENT_TIMEOUT");
	if (vs_timeout_ms(vc->timeout_ms, v, &s->timeout_ms)) {
		rc = vs_fail(err, VS_EX_CONFIG, "VAULT_CLIENT_TIMEOUT '%s' is not a duration (e.g. 30 or 30s)", v);
		goto fail;
	}
	s->connect_timeout_ms = s->timeout_ms < VS_DEFAULT_CONNECT_TIMEOUT_MS ? s->timeout_ms
									      : VS_DEFAULT_CONNECT_TIMEOUT_MS;

	s->max_retries = VS_DEFAULT_MAX_RETRIES;
	if (vc->max_retries >= 0) {
		s->max_retries = vc->max_retries;
	} else if ((v = pick(NULL, env, ctx, "VAULT_MAX_RETRIES"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 0 || n > 100) {
			rc = vs_fail(err, VS_EX_CONFIG, "VAULT_MAX_RETRIES '%s' is not a number from 0 to 100", v);
			goto fail;
		}
		s->max_retries = (int)n;
	}
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

/* ------------------------------------------------------------------ */
/* transfers                                                           */



static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;

	if (x->body.len + n > VS_RESPONSE_MAX) {
		x->too_big = true;
		return 0; /* aborts the transfer */
	}
	vs_buf_put(&x->body, ptr, n);
	return x->body.oom ? 0 : n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	xfer *x = ud;
	size_t n = size * nitems;

	if (n > 12 && !strncasecmp(buf, "Retry-After:", 12)) {
		long secs = strtol(buf + 12, NULL, 10);
		if (secs > 0) /* capped: the deadline bounds any wait anyway */
			x->retry_after_ms = (secs > 3600 ? 3600 : secs) * 1000;
	}
	return n;
}

/* Percent-encodes a Vault path, keeping '/' and the unreserved set. */
static int append_path(char **url, const char *base, const char *path, const char *query)
{
	size_t n = strlen(base) + 4 + strlen(path) * 3 + (query ? strlen(query) + 1 : 0) + 1;
	char *u = malloc(n), *p;

	if (!u)
		return -1;
	p = u + sprintf(u, "%s/v1/", base);
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '-' || *c == '_' || *c == '.' || *c == '~' || *c == '/')
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	if (query)
		p += sprintf(p, "?%s", query);
	*p = '\0';
	*url = u;
	return 0;
}

void vv_xfer_free(client *c, xfer *x)
{
	if (!x)
		return;
	if (x->h) {
		if (x->running)
			curl_multi_remove_handle(c->multi, x->h);
		curl_easy_cleanup(x->h);
	}
	if (x->hdrs) {
		/* the token header is a copy libcurl made; clear it before it is freed */
		for (struct curl_slist *l = x->hdrs; l; l = l->next)
			explicit_bzero(l->data, strlen(l->data));
		curl_slist_free_all(x->hdrs);
	}
	curl_slist_free_all(x->connect_to);
	vs_buf_free(&x->body);
	vs_free_secret(x->post);
	free(x->url);
	free(x->what);
	free(x);
}

/* curl_slist_append returns NULL on failure and the list is then lost (with
 * the token in it): keep it on x so xfer_free clears it either way. */
static int add_header(xfer *x, const char *h)
{
	struct curl_slist *l = curl_slist_append(x->hdrs, h);
	if (!l)
		return -1;
	x->hdrs = l;
	return 0;
}

/* The proxy for x's URL, or none: "" keeps libcurl from reading the
 * environment's proxy variables itself, and NOPROXY "" from reading the
 * process's NO_PROXY (src/vault/proxy.c decides, from the settings alone).
 * While CONNECT_TO pins the connection to the address's host (a
 * tls_server_name), that host decides, not the name in the URL: a loopback
 * Vault stays unproxied whatever name its certificate carries. */
static void set_proxy(const vs_vault_settings *s, xfer *x, bool may_proxy, bool pinned)
{
	const char *px = may_proxy ? vv_proxy_for(s, pinned && s->connect_to ? s->address : x->url) : NULL;
	curl_easy_setopt(x->h, CURLOPT_PROXY, px ? px : "");
	curl_easy_setopt(x->h, CURLOPT_NOPROXY, "");
	if (px)
		vs_log(VS_LOG_DEBUG, "%s: through the proxy from %s", x->what,
		       px == s->proxy_vault ? "VAULT_PROXY_ADDR/VAULT_HTTP_PROXY" : "the proxy variables");
}

xfer *vv_xfer_new(client *c, const char *method, const char *path, const char *query,
		      char *post_body, bool with_token)
{
	const vs_vault_settings *s = c->s;
	xfer *x = calloc(1, sizeof *x);
	char *hdr = NULL;

	if (!x) {
		vs_free_secret(post_body);
		return NULL;
	}
	x->post = post_body;
	if (append_path(&x->url, s->base_url, path, query) < 0 ||
	    asprintf(&x->what, "%s %s", method, path) < 0 || !(x->h = curl_easy_init()))
		goto fail;

	if (add_header(x, "X-Vault-Request: true") < 0)
		goto fail;
	if (with_token && c->token) {
		int r;
		if (asprintf(&hdr, "X-Vault-Token: %s", c->token) < 0)
			goto fail;
		r = add_header(x, hdr);
		vs_free_secret(hdr);
		if (r < 0)
			goto fail;
	}
	if (s->namespace_) {
		int r;
		if (asprintf(&hdr, "X-Vault-Namespace: %s", s->namespace_) < 0)
			goto fail;
		r = add_header(x, hdr);
		free(hdr);
		if (r < 0)
			goto fail;
	}
	if (post_body && add_header(x, "Content-Type: application/json") < 0)
		goto fail;

	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	set_proxy(s, x, !s->unix_socket, true);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(x->h, CURLOPT_SHARE, c->share);
	if (s->unix_socket)
		curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, s->unix_socket);
	if (post_body) {
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, post_body);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)strlen(post_body));
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, method);
	}
	if (s->ca_cert)
		curl_easy_setopt(x->h, CURLOPT_CAINFO, s->ca_cert);
	if (s->ca_path)
		curl_easy_setopt(x->h, CURLOPT_CAPATH, s->ca_path);
	if (s->client_cert) {
		curl_easy_setopt(x->h, CURLOPT_SSLCERT, s->client_cert);
		curl_easy_setopt(x->h, CURLOPT_SSLKEY, s->client_key);
	}
	if (s->connect_to) {
		if (!(x->connect_to = curl_slist_append(NULL, s->connect_to)))
			goto fail;
		curl_easy_setopt(x->h, CURLOPT_CONNECT_TO, x->connect_to);
	}
	if (s->skip_verify) {
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(x->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	return x;
fail:
	vv_xfer_free(c, x);
	return NULL;
}

static double remaining_ms(const client *c)
{
	return c->deadline - vs_now_ms();
}

static int xfer_start(client *c, xfer *x)
{
	double left = remaining_ms(c);
	long conn = c->s->connect_timeout_ms;

	if (left < 1)
		left = 1;
	if (conn > (long)left)
		conn = (long)left;
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, conn);
	vs_buf_reset(&x->body);
	x->too_big = false;
	x->status = 0;
	x->cc = CURLE_OK;
	x->errbuf[0] = '\0';
	x->retry_after_ms = 0;
	x->not_before = 0;
	if (c->st)
		c->st->requests++;
	if (curl_multi_add_handle(c->multi, x->h) != CURLM_OK)
		return -1;
	x->running = true;
	return 0;
}

static bool is_redirect(const xfer *x)
{
	return x->cc == CURLE_OK &&
	       (x->status == 301 || x->status == 302 || x->status == 307 || x->status == 308);
}

/* A standby answers 307 with the active node's address: follow one redirect,
 * re-sending the same request — without the token when https would drop to
 * http, where it could be read on the wire. */
static int follow_redirect(const client *c, xfer *x)
{
	char *loc = NULL, *url;
	bool downgrade;

	curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
	if (!loc || (strncmp(loc, "http://", 7) && strncmp(loc, "https://", 8)) || !(url = strdup(loc)))
		return -1;
	downgrade = !strncmp(x->url, "https://", 8) && !strncmp(url, "http://", 7);
	if (downgrade) {
		struct curl_slist *kept = NULL;
		for (struct curl_slist *l = x->hdrs; l; l = l->next)
			if (strncasecmp(l->data, "X-Vault-Token:", 14))
				kept = curl_slist_append(kept, l->data);
		for (struct curl_slist *l = x->hdrs; l; l = l->next)
			explicit_bzero(l->data, strlen(l->data));
		curl_slist_free_all(x->hdrs);
		x->hdrs = kept;
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
		vs_log(VS_LOG_WARN, "%s: redirected from https to http; the token is not sent there", x->what);
	}
	free(x->url);
	x->url = url;
	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	/* the new host is reached directly, not through the agent socket or pin */
	curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, NULL);
	curl_easy_setopt(x->h, CURLOPT_CONNECT_TO, NULL);
	set_proxy(c->s, x, true, false);
	x->redirected = true;
	vs_log(VS_LOG_DEBUG, "%s: following a %ld redirect", x->what, x->status);
	return 0;
}

static bool is_sealed(const xfer *x)
{
	return x->status == 503 && x->body.p && strstr(x->body.p, "Vault is sealed");
}

/* Transient failures worth another try: connection-level errors that are not
 * TLS verdicts, 412, 429 and every 5xx but 501 — and not a sealed Vault,
 * which will not unseal itself within a retry window. */
static bool retryable(const xfer *x)
{
	if (x->cc != CURLE_OK) {
		switch (x->cc) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
			return true;
		default:
			return false;
		}
	}
	if (x->status == 412 || x->status == 429)
		return true;
	return x->status >= 500 && x->status != 501 && !is_sealed(x);
}

static long backoff_ms(const xfer *x)
{
	/* 100 ms, 200 ms, 400 ms … capped at 1.5 s, plus up to 50% jitter */
	long base = 100L << (x->attempts - 1 < 4 ? x->attempts - 1 : 4);
	if (base > 1500)
		base = 1500;
	/* A rate-limit quota (429) sends Retry-After only when Vault's
	 * enable_rate_limit_response_headers is on (off by default), and its
	 * default window is 1 s: without the header, wait past a window —
	 * 1 s, 2 s … per attempt, as the Go client's linear backoff does. */
	if (x->status == 429 && x->cc == CURLE_OK)
		base = 1000L * x->attempts;
	base += (long)((double)base * 0.5 * ((double)rand() / RAND_MAX));
	if (x->retry_after_ms > base)
		base = x->retry_after_ms;
	return base;
}

/* Runs transfers to completion (or the deadline), retrying transient failures. */
void vv_run_all(client *c, xfer **xs, size_t n)
{
	size_t open = 0;

	for (size_t i = 0; i < n; i++) {
		if (!xs[i] || xs[i]->done)
			continue;
		xs[i]->attempts = 1;
		xs[i]->t0 = vs_now_ms();
		if (xfer_start(c, xs[i]) < 0) {
			xs[i]->cc = CURLE_OUT_OF_MEMORY;
			xs[i]->done = true;
			continue;
		}
		open++;
	}
	while (open > 0) {
		int still, msgs, timeout = 100;
		CURLMsg *m;
		double now;

		curl_multi_perform(c->multi, &still);
		while ((m = curl_multi_info_read(c->multi, &msgs))) {
			xfer *x = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			x->cc = m->data.result;
			curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
			curl_multi_remove_handle(c->multi, x->h);
			x->running = false;
			vs_log(VS_LOG_DEBUG, "%s -> %ld%s%s (attempt %d)", x->what, x->status,
			       x->cc ? " " : "", x->cc ? curl_easy_strerror(x->cc) : "", x->attempts);
			if (is_redirect(x) && !x->redirected && follow_redirect(c, x) == 0) {
				x->not_before = vs_now_ms(); /* re-sent at once below */
				continue;
			}
			if (retryable(x) && x->attempts <= c->s->max_retries) {
				long wait = backoff_ms(x);
				if (remaining_ms(c) > (double)wait + 1) {
					x->not_before = vs_now_ms() + (double)wait;
					x->attempts++;
					if (c->st)
						c->st->retries++;
					continue;
				}
			}
			x->done = true;
			x->t1 = vs_now_ms();
			open--;
		}
		now = vs_now_ms();
		for (size_t i = 0; i < n; i++) {
			xfer *x = xs[i];
			if (!x || x->done || x->running || x->not_before <= 0)
				continue;
			if (now >= x->not_before) {
				if (xfer_start(c, x) < 0) {
					x->done = true;
					open--;
				}
			} else if (x->not_before - now < timeout) {
				timeout = (int)(x->not_before - now) + 1;
			}
		}
		if (open == 0)
			break;
		if (now >= c->deadline) {
			for (size_t i = 0; i < n; i++) {
				xfer *x = xs[i];
				if (!x || x->done)
					continue;
				if (x->running) {
					curl_multi_remove_handle(c->multi, x->h);
					x->running = false;
				}
				if (x->cc == CURLE_OK || x->not_before > 0)
					x->cc = CURLE_OPERATION_TIMEDOUT;
				x->status = 0;
				x->done = true;
				x->t1 = now;
			}
			break;
		}
		curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
	}
}

/* Text from the server is printed to a terminal or a log: a server or a
 * proxy that echoes the request would print the token, and escape
 * sequences would drive the terminal. Occurrences of `secret` become
 * "[token]" and control bytes '?'. */
static void tame(char *s, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	char *hit;

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	while (sl >= 4 && (hit = strstr(s, secret))) {
		static const char mark[] = "[token]";
		size_t keep = strlen(hit + sl);
		if (sl >= sizeof mark - 1) {
			memcpy(hit, mark, sizeof mark - 1);
			memmove(hit + sizeof mark - 1, hit + sl, keep + 1);
		} else {
			memset(hit, '*', sl);
		}
	}
}

/* Vault's "errors" array on one line: "2 errors occurred:\n\t* a\n\t* b" -> "a; b". */
void vv_vault_errors(const client *c, const xfer *x, char *out, size_t sz)
{
	cJSON *root, *errs, *e;
	size_t used = 0;

	out[0] = '\0';
	if (!x->body.p || !(root = cJSON_ParseWithLength(x->body.p, x->body.len)))
		return;
	errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
	cJSON_ArrayForEach(e, errs) {
		const char *s = cJSON_GetStringValue(e);
		char line[VS_ERR_MAX], *w = line;
		if (!s)
			continue;
		if (strstr(s, "error occurred:") || strstr(s, "errors occurred:"))
			s = strchr(s, ':') + 1;
		for (; *s && w < line + sizeof line - 3; s++) {
			if (*s == '\n' || *s == '\t' || *s == '*') {
				if (w > line && w[-1] != ' ' && w[-1] != ';' && (s[1] == '\t' || s[1] == '*' || s[1] == ' '))
					*w++ = ';', *w++ = ' ';
				continue;
			}
			if (*s == ' ' && (w == line || w[-1] == ' '))
				continue;
			*w++ = *s;
		}
		while (w > line && (w[-1] == ' ' || w[-1] == ';'))
			w--;
		*w = '\0';
		if (!*line)
			continue;
		used += (size_t)snprintf(out + used, used < sz ? sz - used : 0, "%s%s", used ? "; " : "", line);
		if (used >= sz)
			break;
	}
	cJSON_Delete(root);
	tame(out, c->token);
}

/* Turns a failed transfer into a sysexits code and a one-line message. */
int vv_failure(const client *c, const xfer *x, char *msg, size_t sz)
{
	char verr[VS_ERR_MAX];

	if (x->too_big)
		return snprintf(msg, sz, "%s: response larger than %d bytes", x->what, VS_RESPONSE_MAX),
		       VS_EX_UNAVAILABLE;
	if (x->cc == CURLE_OPERATION_TIMEDOUT)
		return snprintf(msg, sz, "%s: no answer from Vault at %s within %ld ms; raise timeout in [vault] "
				"(or VAULT_CLIENT_TIMEOUT) if it is slow, else check it is up", x->what,
				c->s->address, c->s->timeout_ms), VS_EX_UNAVAILABLE;
	/* OpenSSL's verdict on a plain-HTTP answer to its TLS hello */
	if (x->cc == CURLE_SSL_CONNECT_ERROR && strstr(x->errbuf, "wrong version number"))
		return snprintf(msg, sz, "%s: %s answered in plain HTTP, not TLS: write http:// in the address "
				"(or turn TLS on in the server's listener)", x->what, c->s->address), VS_EX_CONFIG;
	if (x->cc == CURLE_PEER_FAILED_VERIFICATION || x->cc == CURLE_SSL_CONNECT_ERROR ||
	    x->cc == CURLE_SSL_CERTPROBLEM || x->cc == CURLE_SSL_CACERT_BADFILE ||
	    x->cc == CURLE_SSL_CIPHER || x->cc == CURLE_SSL_ISSUER_ERROR)
		return snprintf(msg, sz, "%s: TLS failure talking to %s: %s; set ca_cert in [vault] (or "
				"VAULT_CACERT) to the CA that signed its certificate, tls_server_name to the "
				"name in it", x->what, c->s->address,
				x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->cc)), VS_EX_UNAVAILABLE;
	if (x->cc != CURLE_OK)
		return snprintf(msg, sz, "%s: cannot reach Vault at %s: %s; check address in [vault] (or "
				"VAULT_ADDR) and that Vault runs there", x->what, c->s->address,
				x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->cc)), VS_EX_UNAVAILABLE;
	/* Go's HTTP server (Vault) says this in plain text to plain HTTP on a TLS port */
	if (x->status == 400 && x->body.p && strstr(x->body.p, "HTTP request to an HTTPS server"))
		return snprintf(msg, sz, "%s: %s serves HTTPS: write https:// in the address", x->what,
				c->s->address), VS_EX_CONFIG;
	vv_vault_errors(c, x, verr, sizeof verr);
	if (x->status == 403)
		return snprintf(msg, sz, "%s: permission denied (403%s%s)", x->what, *verr ? ": " : "", verr),
		       VS_EX_NOPERM;
	/* OpenBao: an unknown namespace is 404 "namespace not found" — not a
	 * missing secret that a default may stand in for */
	if (x->status == 404 && strstr(verr, "namespace"))
		return snprintf(msg, sz, "%s: %s (404); check namespace in [vault] or VAULT_NAMESPACE", x->what,
				verr), VS_EX_CONFIG;
	if (x->status == 404)
		return snprintf(msg, sz, "%s: not found (404%s%s)", x->what, *verr ? ": " : "", verr),
		       VS_EX_MISSING;
	if (is_sealed(x))
		return snprintf(msg, sz, "%s: Vault at %s is sealed (503); unseal it (vault operator unseal)",
				x->what, c->s->address),
		       VS_EX_UNAVAILABLE;
	return snprintf(msg, sz, "%s: HTTP %ld from Vault%s%s", x->what, x->status, *verr ? ": " : "", verr),
	       VS_EX_UNAVAILABLE;
}

/* Parses a 2xx body; on failure writes a message and returns NULL. */
cJSON *vv_parse_body(const xfer *x, char *msg, size_t sz)
{
	cJSON *root = x->body.p ? cJSON_ParseWithLength(x->body.p, x->body.len) : NULL;
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		snprintf(msg, sz, "%s: malformed JSON in Vault's response (HTTP %ld, %zu bytes)", x->what,
			 x->status, x->body.len);
		return NULL;
	}
	return root;
}

static client *client_new(const vs_vault_settings *s, vs_vault_stats *st)
{
	client *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->s = s;
	c->token = s->token;
	c->st = st;
	c->deadline = vs_now_ms() + (double)s->timeout_ms;
	c->multi = curl_multi_init();
	c->share = curl_share_init();
	if (!c->multi || !c->share) {
		if (c->multi)
			curl_multi_cleanup(c->multi);
		if (c->share)
			curl_share_cleanup(c->share);
		free(c);
		return NULL;
	}
	/* one DNS cache for all transfers; connections are reused by the multi handle */
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, MAX_HOST_CONNECTIONS);
	return c;
}

static void client_free(client *c, char *login_token)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	curl_share_cleanup(c->share);
	vs_free_secret(login_token);
	free(c);
}

/* ------------------------------------------------------------------ */
/* login                                                               */

/*
 * Unwraps a response-wrapped credential (sys/wrapping/unwrap, with the
 * wrapping token as X-Vault-Token) and returns <block>.<key> of the original
 * response: data.secret_id for a wrapped AppRole secret_id, auth.client_token
 * for a wrapped token. A wrapping token works once: a second unwrap is 400.
 */
static int unwrap(client *c, const char *wrapping_token, const char *block, const char *key,
		  char **out, vs_error *err)
{
	const char *saved = c->token;
	xfer *x;
	cJSON *root = NULL;
	const char *v;
	char msg[VS_ERR_MAX];
	int rc = 0;

	*out = NULL;
	c->token = wrapping_token;
	x = vv_xfer_new(c, "POST", "sys/wrapping/unwrap", NULL, strdup("{}"), true);
	c->token = saved;
	if (!x)
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	vv_run_all(c, &x, 1);
	if (x->cc != CURLE_OK || x->status != 200) {
		rc = vv_failure(c, x, msg, sizeof msg);
		if (x->cc == CURLE_OK && x->status == 400)
			rc = VS_EX_NOPERM; /* used already, expired or not a wrapping token */
		vs_fail(err, rc, "unwrapping the %s: %s", key, msg);
		goto out;
	}
	if (!(root = vv_parse_body(x, msg, sizeof msg))) {
		rc = vs_fail(err, VS_EX_UNAVAILABLE, "%s", msg);
		goto out;
	}
	v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, block), key));
	if (!v || !*v || !printable(v)) {
		rc = vs_fail(err, VS_EX_UNAVAILABLE, "unwrapped response has no usable %s.%s", block, key);
		goto out;
	}
	if (!(*out = strdup(v)))
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
out:
	cJSON_Delete(root);
	vv_xfer_free(c, x);
	return rc;
}

static int login(client *c, char **token_out, vs_error *err)
{
	const vs_vault_settings *s = c->s;
	char *role_id = NULL, *secret_id = NULL, *jwt = NULL, *body = NULL, *path = NULL;
	cJSON *req = cJSON_CreateObject(), *root = NULL;
	xfer *x = NULL;
	int rc = 0;
	char msg[VS_ERR_MAX];

	*token_out = NULL;
	if (!req)
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	if (s->auth == VS_AUTH_APPROLE) {
		if (s->role_id_file) {
			if ((rc = read_cred_file(s->role_id_file, "role_id file", false, &role_id, err)))
				goto out;
		} else if (s->role_id) {
			role_id = strdup(s->role_id);
		} else {
			rc = vs_fail(err, VS_EX_CONFIG, "auth = approle needs role_id_file in [vault] or VAULT_ROLE_ID");
			goto out;
		}
		if (s->secret_id_file) {
			if ((rc = read_cred_file(s->secret_id_file, "secret_id file", true, &secret_id, err)))
				goto out;
		} else if (s->secret_id) {
			secret_id = strdup(s->secret_id);
		}
		if (secret_id && s->secret_id_wrapped) {
			char *unwrapped = NULL;
			if ((rc = unwrap(c, secret_id, "data", "secret_id", &unwrapped, err)))
				goto out;
			vs_free_secret(secret_id);
			secret_id = unwrapped;
		}
		cJSON_AddStringToObject(req, "role_id", role_id ? role_id : "");
		if (secret_id)
			cJSON_AddStringToObject(req, "secret_id", secret_id);
	} else {
		const char *jf = s->jwt_file ? s->jwt_file
					     : (s->auth == VS_AUTH_KUBERNETES ? K8S_JWT_DEFAULT : NULL);
		if (!jf) {
			rc = vs_fail(err, VS_EX_CONFIG, "auth = jwt needs jwt_file in [vault]");
			goto out;
		}
		if (!s->role && s->auth == VS_AUTH_KUBERNETES) {
			rc = vs_fail(err, VS_EX_CONFIG, "auth = kubernetes needs role in [vault]");
			goto out;
		}
		if ((rc = read_cred_file(jf, "JWT file", false, &jwt, err)))
			goto out;
		if (s->role)
			cJSON_AddStringToObject(req, "role", s->role);
		cJSON_AddStringToObject(req, "jwt", jwt);
	}
	if (!(body = cJSON_PrintUnformatted(req)) || asprintf(&path, "auth/%s/login", s->auth_mount) < 0) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	x = vv_xfer_new(c, "POST", path, NULL, strdup(body), false);
	if (!x) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (c->st)
		c->st->logins++;
	vv_run_all(c, &x, 1);
	if (x->cc != CURLE_OK || x->status != 200) {
		rc = vv_failure(c, x, msg, sizeof msg);
		/* a refused login is a permission problem, whatever the status */
		if (x->cc == CURLE_OK && x->status == 400)
			rc = VS_EX_NOPERM;
		vs_fail(err, rc, "%s login: %s", vs_auth_name(s->auth), msg);
		goto out;
	}
	if (!(root = vv_parse_body(x, msg, sizeof msg))) {
		rc = vs_fail(err, VS_EX_UNAVAILABLE, "%s", msg);
		goto out;
	}
	{
		cJSON *auth = cJSON_GetObjectItemCaseSensitive(root, "auth");
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(auth, "client_token"));
		if (!t || !*t || !printable(t)) {
			rc = vs_fail(err, VS_EX_UNAVAILABLE, "%s: login response has no usable auth.client_token",
				     x->what);
			goto out;
		}
		if (!(*token_out = strdup(t)))
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	}
out:
	cJSON_Delete(root);
	cJSON_Delete(req);
	vv_xfer_free(c, x);
	vs_free_secret(role_id);
	vs_free_secret(secret_id);
	vs_free_secret(jwt);
	vs_free_secret(body);
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* mounts and reads                                                    */


bool vv_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	/* "secret/" covers "secret/x"; the mount itself ("secret") is covered too */
	return !strncmp(path, prefix, n) || (strlen(path) == n - 1 && !strncmp(path, prefix, n - 1));
}

size_t vv_first_seg_len(const char *p)
{
	const char *s = strchr(p, '/');
	return s ? (size_t)(s - p) : strlen(p);
}

void vv_sec_fail(vs_secret *sec, int code, const char *msg)
{
	size_t n = strnlen(msg, sizeof sec->err - 1);
	sec->code = code;
	memcpy(sec->err, msg, n);
	sec->err[n] = '\0';
}

void vv_item_fail(item *it, int code, const char *msg)
{
	it->failed = true;
	vv_sec_fail(&it->sec, code, msg);
}

static char *json_value_string(const cJSON *v)
{
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	return cJSON_PrintUnformatted(v);
}

static int take_fields(vs_secret *sec, const cJSON *data)
{
	const cJSON *f;
	size_t n = 0;

	cJSON_ArrayForEach(f, data) n++;
	if (!n)
		return 0;
	if (!(sec->fields = calloc(n, sizeof *sec->fields)))
		return -1;
	cJSON_ArrayForEach(f, data) {
		vs_field *o;
		if (cJSON_IsNull(f) || !f->string)
			continue;
		o = &sec->fields[sec->n_fields];
		o->json = !cJSON_IsString(f);
		if (!(o->key = strdup(f->string)) || !(o->value = json_value_string(f))) {
			free(o->key);
			o->key = NULL;
			return -1;
		}
		sec->n_fields++;
	}
	return 0;
}

/* cJSON decodes the escape \u0000 into the string and ends the string
 * there: a value holding a NUL byte would be read cut short. Whether body
 * holds such an escape (JSON has backslashes only inside strings). */
static bool json_has_nul(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '\\') {
			if (p[i + 1] == 'u' && i + 6 <= n && !memcmp(p + i + 2, "0000", 4))
				return true;
			i++;
		}
	return false;
}

/* Marks the fields of sec (taken from data) that a NUL cut short: parsed
 * again with every \u0000 made \uffff, such a value comes out longer; any
 * other, the same. A key a NUL cut short is emptied: it names no field a
 * config can ask for, and must not pass for the key before its NUL. */
static void mark_nul_fields(vs_secret *sec, const cJSON *data, const char *body, size_t len, int kv)
{
	char *copy = malloc(len + 1);
	cJSON *root, *data2;
	const cJSON *a, *b;
	size_t i = 0;

	if (!copy)
		return;
	memcpy(copy, body, len);
	for (size_t i = 0; i + 1 < len; i++)
		if (copy[i] == '\\') {
			if (copy[i + 1] == 'u' && i + 6 <= len && !memcmp(copy + i + 2, "0000", 4))
				memcpy(copy + i + 2, "ffff", 4);
			i++;
		}
	root = cJSON_ParseWithLength(copy, len);
	data2 = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (kv == 2)
		data2 = cJSON_GetObjectItemCaseSensitive(data2, "data");
	/* the same members in the same order, skipped as take_fields does */
	b = data2 ? data2->child : NULL;
	for (a = data->child; a && i < sec->n_fields; a = a->next, b = b ? b->next : NULL) {
		vs_field *f;
		bool key_cut;
		char *whole;
		if (cJSON_IsNull(a) || !a->string)
			continue;
		f = &sec->fields[i++];
		/* (unparsable: every field counts as cut short) */
		key_cut = !b || !b->string || strlen(b->string) != strlen(a->string);
		whole = b ? json_value_string(b) : NULL;
		f->nul = key_cut || !whole || strlen(whole) != strlen(f->value);
		if (key_cut)
			f->key[0] = '\0';
		vs_free_secret(whole);
	}
	cJSON_Delete(root);
	explicit_bzero(copy, len);
	free(copy);
}

/* JSON numbers are doubles: clamp before converting (out-of-range or NaN
 * conversions are undefined behaviour). */
static long json_long(const cJSON *v)
{
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
	if (!(d >= 0))
		return 0;
	return d > 1e15 ? (long)1e15 : (long)d;
}

int vs_vault_parse_read(int kv, int version, const char *what, long status, const char *body,
			size_t len, vs_secret *sec)
{
	char msg[VS_ERR_MAX];
	cJSON *root = NULL, *data;

	sec->http_status = status;
	if (status == 404 && kv == 2) {
		/* a deleted or destroyed version answers 404 with its metadata; the
		 * version it names is what a check-and-set write must replace */
		cJSON *r = body ? cJSON_ParseWithLength(body, len) : NULL;
		cJSON *md = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "data"), "metadata");
		if (cJSON_IsObject(md)) {
			bool destroyed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(md, "destroyed"));
			sec->kv_version_no = json_long(cJSON_GetObjectItemCaseSensitive(md, "version"));
			if (version)
				snprintf(msg, sizeof msg, "%s: version %d is %s; %sname another version= in [env]",
					 what, version, destroyed ? "destroyed" : "deleted",
					 destroyed ? "" : "undelete it (vault kv undelete), or ");
			else
				snprintf(msg, sizeof msg, "%s: latest version (%ld) is %s; %s", what,
					 sec->kv_version_no, destroyed ? "destroyed" : "deleted",
					 destroyed ? "write the secret again (vault kv put)"
						   : "undelete it (vault kv undelete), or write it again");
			cJSON_Delete(r);
			vv_sec_fail(sec, VS_EX_MISSING, msg);
			return sec->code;
		}
		cJSON_Delete(r);
	}
	if (status < 200 || status >= 300)
		return -1;
	root = body ? cJSON_ParseWithLength(body, len) : NULL;
	if (!root || !cJSON_IsObject(root)) {
		snprintf(msg, sizeof msg, "%s: malformed JSON in Vault's response (HTTP %ld, %zu bytes)", what,
			 status, len);
		vv_sec_fail(sec, VS_EX_UNAVAILABLE, msg);
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (kv == 2) {
		cJSON *md = cJSON_GetObjectItemCaseSensitive(data, "metadata");
		const char *dt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "deletion_time"));
		sec->kv_version_no = json_long(cJSON_GetObjectItemCaseSensitive(md, "version"));
		data = cJSON_GetObjectItemCaseSensitive(data, "data");
		if (cJSON_IsNull(data) || !data) {
			snprintf(msg, sizeof msg, "%s: latest version is %s; %s", what,
				 dt && *dt ? "deleted" : "empty or destroyed",
				 dt && *dt ? "undelete it (vault kv undelete), or write it again"
					   : "write the secret again (vault kv put)");
			vv_sec_fail(sec, VS_EX_MISSING, msg);
			goto out;
		}
	}
	if (cJSON_IsNull(data)) {
		/* a 200 with data: null (an engine with nothing to give there);
		 * no data key at all is no Vault answer: it stays unavailable */
		snprintf(msg, sizeof msg, "%s: Vault answered with no data", what);
		vv_sec_fail(sec, VS_EX_MISSING, msg);
		goto out;
	}
	if (!cJSON_IsObject(data)) {
		snprintf(msg, sizeof msg, "%s: response has no data object", what);
		vv_sec_fail(sec, VS_EX_UNAVAILABLE, msg);
		goto out;
	}
	if (take_fields(sec, data) < 0) {
		vv_sec_fail(sec, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (json_has_nul(body, len))
		mark_nul_fields(sec, data, body, len, kv);
	{
		const char *lid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "lease_id"));
		if (lid && *lid && !(sec->lease_id = strdup(lid))) {
			vv_sec_fail(sec, VS_EX_SOFTWARE, "out of memory");
			goto out;
		}
		sec->lease_duration = json_long(cJSON_GetObjectItemCaseSensitive(root, "lease_duration"));
		sec->renewable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "renewable"));
	}
out:
	cJSON_Delete(root);
	return sec->code;
}

/* "secret/data/app" in a config asks the KV v2 mount secret/ for the secret
 * data/app, read at secret/data/data/app: the API path written where the
 * CLI's path belongs. When that is missing, say what to write instead;
 * any other missing secret: where its path is written. */
static void hint_not_found(item *it, int kv)
{
	size_t ml = it->mount ? strlen(it->mount) : 0;
	char *msg;
	int r;

	if (kv == 2 && ml && !strncmp(it->req.path + ml, "data/", 5) && it->req.path[ml + 5])
		r = asprintf(&msg, "%s; on a KV v2 mount, name the secret without data/: %.*s%s", it->sec.err,
			     (int)ml, it->req.path, it->req.path + ml + 5);
	else
		r = asprintf(&msg, "%s; write the secret there, or fix its path in [env] (as 'vault kv get' "
			     "takes it)", it->sec.err);
	if (r < 0)
		return;
	vv_sec_fail(&it->sec, it->sec.code, msg);
	free(msg);
}

static void finish_read(client *c, item *it)
{
	xfer *x = it->x;
	vs_secret *sec = &it->sec;
	int kv = it->kind == K_KV2 ? 2 : it->kind == K_KV1 ? 1 : 0;
	char msg[VS_ERR_MAX];

	sec->ms = x->t1 - x->t0;
	if (x->cc != CURLE_OK) {
		sec->http_status = 0;
		vv_item_fail(it, vv_failure(c, x, msg, sizeof msg), msg);
		return;
	}
	switch (vs_vault_parse_read(kv, it->req.version, x->what, x->status, x->body.p, x->body.len, sec)) {
	case 0:
		return;
	case -1: /* an HTTP failure status: say it with Vault's own words */
		vv_item_fail(it, vv_failure(c, x, msg, sizeof msg), msg);
		it->denied = x->status == 403;
		if (x->status == 404 && it->sec.code == VS_EX_MISSING)
			hint_not_found(it, kv);
		return;
	default:
		it->failed = true;
		return;
	}
}

static int copy_secret(vs_secret *dst, const vs_secret *src)
{
	*dst = *src;
	dst->api_path = NULL;
	dst->fields = NULL;
	dst->n_fields = 0;
	dst->lease_id = NULL;
	if ((src->api_path && !(dst->api_path = strdup(src->api_path))) ||
	    (src->lease_id && !(dst->lease_id = strdup(src->lease_id))))
		return -1;
	if (src->n_fields) {
		if (!(dst->fields = calloc(src->n_fields, sizeof *dst->fields)))
			return -1;
		for (size_t i = 0; i < src->n_fields; i++) {
			dst->fields[i].json = src->fields[i].json;
			dst->fields[i].nul = src->fields[i].nul;
			if (!(dst->fields[i].key = strdup(src->fields[i].key)))
				return -1;
			dst->n_fields++;
			if (!(dst->fields[i].value = strdup(src->fields[i].value)))
				return -1;
		}
	}
	return 0;
}

/* Logs in (or unwraps the token) when the settings say so; the token to use
 * becomes c->token, owned by *login_token when it is not the settings'. */
static int authenticate(client *c, char **login_token, vs_error *err)
{
	const vs_vault_settings *s = c->s;
	int rc = 0;

	*login_token = NULL;
	if (s->auth == VS_AUTH_TOKEN && !s->token && s->agent) {
		/* Vault Agent's auto-auth adds its token to a request that has none */
		vs_log(VS_LOG_DEBUG, "no token: requests go to the agent at %s without one", s->address);
		return 0;
	}
	if (s->auth == VS_AUTH_TOKEN && !s->token)
		return vs_fail(err, VS_EX_NOPERM,
			       "no Vault token: set token_file in [vault], VAULT_TOKEN, or write ~/.vault-token");
	if (s->auth != VS_AUTH_TOKEN)
		rc = login(c, login_token, err);
	else if (s->token_wrapped)
		rc = unwrap(c, s->token, "auth", "client_token", login_token, err);
	if (!rc && *login_token)
		c->token = *login_token;
	return rc;
}

/* A dynamic engine's item that no read of ours answers (held by the
 * supervising launcher, or looked up only): named by its own path. 0, or
 * -1 when out of memory. */
static int not_read_here(item *it)
{
	it->sec.engine = "generic";
	free(it->sec.api_path);
	return (it->sec.api_path = strdup(it->req.path)) ? 0 : -1;
}

/* Reads every item that is neither failed nor read yet, all in flight together. */
static int read_items(client *c, item *items, size_t ni)
{
	xfer **xs = calloc(ni ? ni : 1, sizeof *xs);

	if (!xs)
		return -1;
	for (size_t i = 0; i < ni; i++) {
		item *it = &items[i];
		char *api = NULL, query[32], msg[VS_ERR_MAX];
		const char *q = NULL;
		if (it->failed || it->x || it->sec.dynamic_unread || it->held)
			continue;
		if (it->dynamic && c->s->held_socket) {
			/* held by the supervising launcher: never minted here */
			int h = vv_held_read(c->s, it->req.path, &it->sec);
			if (h == 0 || (h > 0 && h != VS_HELD_NOT_MINE)) {
				it->held = true;
				it->failed = h != 0;
				if (not_read_here(it)) {
					free(xs);
					return -1;
				}
				continue;
			}
			vs_secret_clear(&it->sec);
		}
		if (c->s->skip_dynamic && it->dynamic) {
			/* a read would mint a credential nobody uses (vaultshim check) */
			it->sec.dynamic_unread = true;
			if (not_read_here(it)) {
				free(xs);
				return -1;
			}
			continue;
		}
		if (it->kind == K_KV2) {
			size_t ml = it->mount ? strlen(it->mount) : vv_first_seg_len(it->req.path) + 1;
			if (strlen(it->req.path) < ml || !it->req.path[ml]) {
				snprintf(msg, sizeof msg, "%s: names a mount, not a secret; add the secret's name "
					 "after the mount in [env] (mount/name#field)", it->req.path);
				vv_item_fail(it, VS_EX_CONFIG, msg);
				continue;
			}
			if (asprintf(&api, "%.*s/data/%s", (int)(ml - 1), it->req.path, it->req.path + ml) < 0)
				api = NULL;
			if (it->req.version) {
				snprintf(query, sizeof query, "version=%d", it->req.version);
				q = query;
			}
		} else {
			if (it->req.version) {
				snprintf(msg, sizeof msg, "%s: version=%d needs a KV v2 mount, but this path is on a %s "
					 "mount; drop version= from its line in [env]",
					 it->req.path, it->req.version, it->kind == K_KV1 ? "KV v1" : "non-KV");
				vv_item_fail(it, VS_EX_CONFIG, msg);
				continue;
			}
			api = strdup(it->req.path);
		}
		it->sec.engine = it->kind == K_KV2 ? "kv-v2" : it->kind == K_KV1 ? "kv-v1" : "generic";
		free(it->sec.api_path);
		if (!api || !(it->sec.api_path = api) || !(it->x = xs[i] = vv_xfer_new(c, "GET", api, q, NULL, true))) {
			free(xs);
			return -1;
		}
		if (c->st)
			c->st->reads++;
	}
	vv_run_all(c, xs, ni);
	for (size_t i = 0; i < ni; i++)
		if (xs[i])
			finish_read(c, &items[i]);
	free(xs);
	return 0;
}

static bool any_denied(const item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].denied)
			return true;
	return false;
}

/* Appends a reason to every denied item's message. */
static void explain_denied(item *items, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		char *msg;
		if (!items[i].denied || asprintf(&msg, "%s; %s", items[i].sec.err, why) < 0)
			continue;
		vv_sec_fail(&items[i].sec, items[i].sec.code, msg);
		free(msg);
	}
}

/* Vault 1.17 and later name an invalid token in its 403 */
static bool said_invalid(const item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].denied && strstr(items[i].sec.err, "invalid token"))
			return true;
	return false;
}

/*
 * Whether the token itself is no good, asked without spending one of its
 * uses. Vault's sys/internal/ui/mounts/<path> is unauthenticated and only
 * looks the token up (pathInternalUIMountRead): an invalid token gets a bare
 * 403 "permission denied", a valid one the mount's data (200) or, when its
 * policies grant nothing under that mount, a 403 that says "preflight
 * capability check". The mount is matched before the token is looked at, so
 * the question is asked of cubbyhole/, which every namespace has and no one
 * can disable, never of a refused path (on no mount, any token would pass).
 * 1: refused; 0: valid; -1: this Vault cannot tell.
 */
static int probe_ui_mounts(client *c)
{
	char msg[VS_ERR_MAX];
	xfer *x = vv_xfer_new(c, "GET", "sys/internal/ui/mounts/cubbyhole", NULL, NULL, true);
	int r = -1;

	if (!x)
		return -1;
	vv_run_all(c, &x, 1);
	if (x->cc == CURLE_OK && x->status == 200) {
		r = 0;
	} else if (x->cc == CURLE_OK && x->status == 403) {
		vv_vault_errors(c, x, msg, sizeof msg);
		r = strstr(msg, "preflight capability check") ? 0 : 1;
	}
	vs_log(VS_LOG_DEBUG, "after a 403, the token's mount lookup answered %ld", x->status);
	vv_xfer_free(c, x);
	return r;
}

/* The fallback for a Vault without that endpoint: lookup-self, which the
 * default policy grants (a token made without it cannot tell). */
static bool lookup_self_refused(client *c)
{
	xfer *x = vv_xfer_new(c, "GET", "auth/token/lookup-self", NULL, NULL, true);
	bool refused;

	if (!x)
		return false;
	vv_run_all(c, &x, 1);
	refused = x->cc == CURLE_OK && x->status == 403;
	vs_log(VS_LOG_DEBUG, "after a 403, the token's lookup-self answered %ld", x->status);
	vv_xfer_free(c, x);
	return refused;
}

/*
 * Whether the 403s some reads got mean the token itself is no good (expired,
 * revoked, used up) rather than a policy that does not grant the path. Only
 * Vault 1.17 and later say "invalid token"; older Vaults and OpenBao say
 * "permission denied" either way, so ask the token about itself.
 */
static bool token_refused(client *c, item *items, size_t n)
{
	const vs_vault_settings *s = c->s;
	bool refused;

	if (!c->token) {
		explain_denied(items, n, "no token was sent: the agent at that address must add its own "
				       "(auto-auth with use_auto_auth_token = true), or give a token");
		return false;
	}
	refused = said_invalid(items, n);
	if (!refused) {
		int r = probe_ui_mounts(c);
		refused = r < 0 ? lookup_self_refused(c) : r == 1;
	}
	if (refused && s->auth == VS_AUTH_TOKEN) {
		char why[160];
		snprintf(why, sizeof why, "the token from %s is invalid, expired or revoked; give a valid one there",
			 s->token_source ? s->token_source : "the settings");
		explain_denied(items, n, why);
	} else if (!refused) {
		explain_denied(items, n, "the token's policies do not grant read on this path: add it to one of "
				       "them (on KV v2, as mount/data/name)");
	}
	return refused;
}

int vs_vault_read(const vs_vault_settings *s, const vs_vault_req *reqs, size_t n,
		  vs_secret *out, vs_vault_stats *stats, vs_error *err)
{
	client *c = NULL;
	item *items = NULL;
	size_t ni = 0, nm = 0;
	size_t *map = NULL;
	mount *mounts = NULL;
	char *login_token = NULL;
	double t0 = vs_now_ms();
	int rc = 0;

	vs_vault_global_init();
	if (stats)
		memset(stats, 0, sizeof *stats);
	if (n == 0)
		return 0;
	if (s->auth == VS_AUTH_TOKEN && !s->token && !s->agent)
		return authenticate(&(client){.s = s}, &login_token, err);
	if (s->skip_verify && !strncmp(s->base_url, "https://", 8))
		vs_log(VS_LOG_WARN, "TLS certificate verification is OFF (skip_verify / VAULT_SKIP_VERIFY)");
	if (!(c = client_new(s, stats)) || !(items = calloc(n, sizeof *items)) ||
	    !(map = calloc(n, sizeof *map))) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((rc = authenticate(c, &login_token, err)))
		goto out;

	/* each unique (path, version, kv override) is read once */
	for (size_t i = 0; i < n; i++) {
		int kv = reqs[i].kv_version ? reqs[i].kv_version : s->kv_version;
		size_t j;
		for (j = 0; j < ni; j++)
			if (!strcmp(items[j].req.path, reqs[i].path) && items[j].req.version == reqs[i].version &&
			    items[j].req.kv_version == kv)
				break;
		map[i] = j;
		if (j < ni)
			continue;
		items[ni].req = reqs[i];
		items[ni].req.kv_version = kv;
		/* a forced KV version takes the first segment as the mount */
		if (kv) {
			items[ni].kind = kv == 2 ? K_KV2 : K_KV1;
		}
		ni++;
	}
	for (int round = 0;; round++) {
		if (vv_detect_mounts(c, items, ni, &mounts, &nm) < 0 || read_items(c, items, ni) < 0) {
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (round > 0 || !any_denied(items, ni) || !token_refused(c, items, ni))
			break;
		if (s->auth == VS_AUTH_TOKEN)
			break;
		/* The login's token was revoked or expired while we used it: log in
		 * once more and redo only what it spoiled. */
		vs_log(VS_LOG_INFO, "the %s login token became invalid; logging in again", vs_auth_name(s->auth));
		{
			char *fresh = NULL;
			vs_error lerr = {0};
			if (login(c, &fresh, &lerr)) {
				/* keep what the first round read; the spoiled reads keep
				 * their 403 and the failed login is said once */
				vs_log(VS_LOG_WARN, "logging in again failed: %s", lerr.msg);
				break;
			}
			vs_free_secret(login_token);
			login_token = fresh;
		}
		c->token = login_token;
		for (size_t i = 0; i < ni; i++) {
			item *it = &items[i];
			if (!it->denied)
				continue;
			vv_xfer_free(c, it->x);
			it->x = NULL;
			vs_secret_clear(&it->sec);
			it->failed = it->denied = false;
		}
	}

	if (s->revoke_leases)
		vv_revoke_leases(c, items, ni);
	for (size_t i = 0; i < n; i++)
		if (copy_secret(&out[i], &items[map[i]].sec) < 0) {
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
			goto out;
		}
out:
	if (stats)
		stats->ms = vs_now_ms() - t0;
	if (items) {
		for (size_t i = 0; i < ni; i++) {
			vv_xfer_free(c, items[i].x);
			vs_secret_clear(&items[i].sec);
		}
	}
	for (size_t i = 0; i < nm; i++)
		free(mounts[i].prefix);
	free(mounts);
	free(items);
	free(map);
	client_free(c, login_token);
	if (rc)
		for (size_t i = 0; i < n; i++)
			vs_secret_clear(&out[i]);
	return rc;
}

int vs_vault_kv_write(const vs_vault_settings *s, const char *path, int kv_version,
		      const vs_field *fields, size_t n, long cas, vs_error *err)
{
	client *c = NULL;
	char *login_token = NULL, *body = NULL, *api = NULL, msg[VS_ERR_MAX];
	cJSON *root = NULL, *data;
	mount *mounts = NULL;
	size_t nm = 0;
	item it = {.req = {.path = path}};
	xfer *x = NULL;
	int rc = 0;

	vs_vault_global_init();
	if (!(c = client_new(s, NULL))) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((rc = authenticate(c, &login_token, err)))
		goto out;
	it.req.kv_version = kv_version ? kv_version : s->kv_version;
	if (it.req.kv_version)
		it.kind = it.req.kv_version == 2 ? K_KV2 : K_KV1;
	if (vv_detect_mounts(c, &it, 1, &mounts, &nm) < 0) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (it.failed) {
		rc = vs_fail(err, it.sec.code, "%s", it.sec.err);
		goto out;
	}
	if (it.kind == K_GENERIC) {
		rc = vs_fail(err, VS_EX_CONFIG, "%s is not on a KV mount; give --path under a KV mount "
			     "(vault secrets list shows them)", path);
		goto out;
	}
	root = cJSON_CreateObject();
	data = it.kind == K_KV2 ? cJSON_AddObjectToObject(root, "data") : root;
	if (it.kind == K_KV2 && cas >= 0)
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(root, "options"), "cas", (double)cas);
	for (size_t i = 0; i < n; i++) {
		/* a number, bool or object read from Vault goes back as it was */
		cJSON *v = fields[i].json ? cJSON_Parse(fields[i].value) : NULL;
		if (!v)
			v = cJSON_CreateString(fields[i].value);
		cJSON_AddItemToObject(data, fields[i].key, v);
	}
	if (it.kind == K_KV2) {
		size_t ml = it.mount ? strlen(it.mount) : vv_first_seg_len(path) + 1;
		if (strlen(path) <= ml) {
			rc = vs_fail(err, VS_EX_CONFIG, "%s: names a mount, not a secret; add the secret's name to "
				     "--path (mount/name)", path);
			goto out;
		}
		if (!strncmp(path + ml, "data/", 5))
			vs_log(VS_LOG_WARN, "%s: on the KV v2 mount %s this writes the secret %s (at %.*sdata/%s); "
			       "the path `vault kv` takes has no data/: %.*s%s", path, it.mount ? it.mount : "",
			       path + ml, (int)ml, path, path + ml, (int)ml, path, path + ml + 5);
		if (asprintf(&api, "%.*s/data/%s", (int)(ml - 1), path, path + ml) < 0)
			api = NULL;
	} else {
		api = strdup(path);
	}
	if (!api || !(body = cJSON_PrintUnformatted(root)) ||
	    !(x = vv_xfer_new(c, "POST", api, NULL, body, true))) {
		body = NULL;
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	body = NULL; /* owned by x */
	vv_run_all(c, &x, 1);
	if (x->cc != CURLE_OK || (x->status != 200 && x->status != 204)) {
		rc = vv_failure(c, x, msg, sizeof msg);
		if (x->cc == CURLE_OK && x->status == 400 && strstr(msg, "check-and-set"))
			rc = VS_EX_TEMPFAIL;
		vs_fail(err, rc, "%s", msg);
	}
out:
	cJSON_Delete(root);
	vv_xfer_free(c, x);
	free(api);
	for (size_t i = 0; i < nm; i++)
		free(mounts[i].prefix);
	free(mounts);
	if (c)
		client_free(c, login_token);
	else
		vs_free_secret(login_token);
	return rc;
}

int vs_vault_fetch(void *ctx, const vs_vault_req *reqs, size_t n, vs_secret *out,
		   vs_vault_stats *stats, vs_error *err)
{
	return vs_vault_read(ctx, reqs, n, out, stats, err);
}

/* For the other files of the client (src/vault/session.c): a client of its
 * own, and the login or unwrap a read would do. */
client *vv_client_new(const vs_vault_settings *s, vs_vault_stats *st)
{
	return client_new(s, st);
}

void vv_client_free(client *c)
{
	client_free(c, NULL);
}

int vv_authenticate(client *c, char **login_token, vs_error *err)
{
	return authenticate(c, login_token, err);
}
