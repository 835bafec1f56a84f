/*
 * src/vault/auth.c — the token the client's requests carry: the settings'
 * own, one unwrapped from a response-wrapped token, or one a login
 * (AppRole, Kubernetes, JWT) obtains; and, after reads got a 403, whether
 * the token itself is refused (expired, revoked, used up) rather than not
 * granted the paths. Requests go through http.c; the credential files are
 * read as settings.c reads them.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K8S_JWT_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount/token"

/* ------------------------------------------------------------------ */
/* login                                                               */

/*
 * Runs x, a POST whose answer carries a credential, and takes <block>.<key>
 * of that answer into *out. A failure reads "<doing>: <why>"; a 400 (a
 * wrapping token used already or expired, a refused login) is a permission
 * problem, whatever the status. An answer with no usable value says
 * `missing`.
 */
static int take_credential(client *c, xfer *x, const char *doing, const char *block, const char *key,
			   const char *missing, char **out, vs_error *err)
{
	cJSON *root;
	const char *v;
	char msg[VS_ERR_MAX];
	int rc = 0;

	vv_run_all(c, &x, 1);
	if (x->cc != CURLE_OK || x->status != 200) {
		rc = vv_failure(c, x, msg, sizeof msg);
		if (x->cc == CURLE_OK && x->status == 400)
			rc = VS_EX_NOPERM;
		return vs_fail(err, rc, "%s: %s", doing, msg);
	}
	if (!(root = vv_parse_body(x, msg, sizeof msg)))
		return vs_fail(err, VS_EX_UNAVAILABLE, "%s", msg);
	v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, block), key));
	if (!v || !*v || !vv_printable(v))
		rc = vs_fail(err, VS_EX_UNAVAILABLE, "%s", missing);
	else if (!(*out = strdup(v)))
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	cJSON_Delete(root);
	return rc;
}

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
	char doing[64], missing[VS_ERR_MAX];
	xfer *x;
	int rc;

	*out = NULL;
	c->token = wrapping_token;
	x = vv_xfer_new(c, "POST", "sys/wrapping/unwrap", NULL, strdup("{}"), true);
	c->token = saved;
	if (!x)
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	snprintf(doing, sizeof doing, "unwrapping the %s", key);
	snprintf(missing, sizeof missing, "unwrapped response has no usable %s.%s", block, key);
	rc = take_credential(c, x, doing, block, key, missing, out, err);
	vv_xfer_free(c, x);
	return rc;
}

/* An AppRole login's role_id and secret_id (the latter unwrapped when it
 * is wrapped), added to req. */
static int approle_fields(client *c, cJSON *req, vs_error *err)
{
	const vs_vault_settings *s = c->s;
	char *role_id = NULL, *secret_id = NULL;
	int rc = 0;

	if (s->role_id_file) {
		if ((rc = vv_read_cred_file(s->role_id_file, "role_id file", false, &role_id, err)))
			goto out;
	} else if (s->role_id) {
		role_id = strdup(s->role_id);
	} else {
		rc = vs_fail(err, VS_EX_CONFIG, "auth = approle needs role_id_file in [vault] or VAULT_ROLE_ID");
		goto out;
	}
	if (s->secret_id_file) {
		if ((rc = vv_read_cred_file(s->secret_id_file, "secret_id file", true, &secret_id, err)))
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
out:
	vs_free_secret(role_id);
	vs_free_secret(secret_id);
	return rc;
}

/* A Kubernetes or JWT login's role and JWT, added to req. */
static int jwt_fields(const vs_vault_settings *s, cJSON *req, vs_error *err)
{
	const char *jf = s->jwt_file ? s->jwt_file : (s->auth == VS_AUTH_KUBERNETES ? K8S_JWT_DEFAULT : NULL);
	char *jwt = NULL;
	int rc;

	if (!jf)
		return vs_fail(err, VS_EX_CONFIG, "auth = jwt needs jwt_file in [vault]");
	if (!s->role && s->auth == VS_AUTH_KUBERNETES)
		return vs_fail(err, VS_EX_CONFIG, "auth = kubernetes needs role in [vault]");
	if ((rc = vv_read_cred_file(jf, "JWT file", false, &jwt, err)))
		return rc;
	if (s->role)
		cJSON_AddStringToObject(req, "role", s->role);
	cJSON_AddStringToObject(req, "jwt", jwt);
	vs_free_secret(jwt);
	return 0;
}

/* Logs in with the settings' method (AppRole, Kubernetes, JWT): the
 * token in *token_out. */
static int login(client *c, char **token_out, vs_error *err)
{
	const vs_vault_settings *s = c->s;
	char *body = NULL, *path = NULL, doing[64], missing[VS_ERR_MAX];
	cJSON *req = cJSON_CreateObject();
	xfer *x;
	int rc;

	*token_out = NULL;
	if (!req)
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	if ((rc = s->auth == VS_AUTH_APPROLE ? approle_fields(c, req, err) : jwt_fields(s, req, err)))
		goto out;
	if (!(body = cJSON_PrintUnformatted(req)) || asprintf(&path, "auth/%s/login", s->auth_mount) < 0 ||
	    !(x = vv_xfer_new(c, "POST", path, NULL, strdup(body), false))) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (c->st)
		c->st->logins++;
	snprintf(doing, sizeof doing, "%s login", vs_auth_name(s->auth));
	snprintf(missing, sizeof missing, "%s: login response has no usable auth.client_token", x->what);
	rc = take_credential(c, x, doing, "auth", "client_token", missing, token_out, err);
	vv_xfer_free(c, x);
out:
	cJSON_Delete(req);
	vs_free_secret(body);
	free(path);
	return rc;
}

/* Logs in (or unwraps the token) when the settings say so; the token to use
 * becomes c->token, owned by *login_token when it is not the settings'. */
int vv_authenticate(client *c, char **login_token, vs_error *err)
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

/* The login's token was revoked or expired while it was used: one login
 * more, its token in *login_token (the spoiled one freed) and c->token.
 * false when that login failed, said here once. */
bool vv_login_again(client *c, char **login_token)
{
	char *fresh = NULL;
	vs_error lerr = {0};

	vs_log(VS_LOG_INFO, "the %s login token became invalid; logging in again", vs_auth_name(c->s->auth));
	if (login(c, &fresh, &lerr)) {
		vs_log(VS_LOG_WARN, "logging in again failed: %s", lerr.msg);
		return false;
	}
	vs_free_secret(*login_token);
	*login_token = fresh;
	c->token = fresh;
	return true;
}

/* ------------------------------------------------------------------ */
/* a refused token                                                     */

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
bool vv_token_refused(client *c, item *items, size_t n)
{
	const vs_vault_settings *s = c->s;
	bool refused;

	if (!any_denied(items, n))
		return false;
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
