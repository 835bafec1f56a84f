/*
 * src/vault/session.c — one token kept alive for a long-running caller.
 *
 * vs_vault_read logs in for every call, which suits a process that reads
 * once. The supervising launcher (vaultshim exec with watch) reads every
 * period for as long as its program runs: it logs in once (AppRole,
 * Kubernetes, JWT; or unwraps a wrapped token once), keeps that token,
 * renews it with auth/token/renew-self at about 2/3 of its TTL, and logs in
 * again when a renewal is refused, a read finds the token refused, or the
 * renewals stop granting (the max TTL is near). A token the user gave is
 * renewed only when it is renewable, and never revoked. The token is never
 * part of a message.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vs_vault_session {
	const vs_vault_settings *orig;
	vs_vault_settings use;  /* a shallow copy of orig: auth = token, the token in hand */
	char *token;            /* the login's or unwrapped token (ours), or NULL: orig's */
	bool have;              /* a token is in hand */
	bool known;             /* its TTL is known (lookup-self or a renewal) */
	bool renewable;
	long ttl_s;             /* the TTL granted last; 0 = never expires */
	long first_ttl_s;
	double granted_ms;      /* when ttl_s was granted */
	bool relogin;           /* renewals grant less and less (max TTL): log in at the due time */
	unsigned logins;        /* tokens obtained so far (leases die with theirs) */
	bool said_unrenewable;
};

static bool logs_in(const vs_vault_settings *s)
{
	return s->auth != VS_AUTH_TOKEN || s->token_wrapped;
}

vs_vault_session *vs_vault_session_new(const vs_vault_settings *s)
{
	vs_vault_session *ss = calloc(1, sizeof *ss);

	if (ss)
		ss->orig = s;
	return ss;
}

static void drop_token(vs_vault_session *ss)
{
	vs_free_secret(ss->token);
	ss->token = NULL;
	ss->have = ss->known = ss->renewable = ss->relogin = false;
}

void vs_vault_session_free(vs_vault_session *ss)
{
	if (!ss)
		return;
	drop_token(ss);
	explicit_bzero(&ss->use, sizeof ss->use);
	free(ss);
}

unsigned vs_vault_session_logins(const vs_vault_session *ss)
{
	return ss->logins;
}

const vs_vault_settings *vs_vault_session_settings(const vs_vault_session *ss)
{
	return &ss->use;
}

bool vs_vault_session_refused(vs_vault_session *ss)
{
	if (!logs_in(ss->orig))
		return false;
	drop_token(ss);
	return true;
}

double vs_vault_session_due(const vs_vault_session *ss)
{
	if (!ss->have || !ss->known) /* the next keep (the next poll's) gets one */
		return 0;
	if (ss->relogin) /* at 2/3 of what the last renewal granted (now, if nothing) */
		return ss->granted_ms + (double)ss->ttl_s * 1000.0 * 2.0 / 3.0;
	if (!ss->renewable || ss->ttl_s <= 0)
		return 0;
	return ss->granted_ms + (double)ss->ttl_s * 1000.0 * 2.0 / 3.0;
}

/* One request with the session's token: its parsed answer, or NULL with
 * *code a sysexits code (VS_EX_NOPERM for a refusal) and err set. */
static cJSON *ask(vs_vault_session *ss, const char *method, const char *path, int *code, vs_error *err)
{
	client *c = vv_client_new(&ss->use, NULL);
	xfer *x;
	cJSON *root = NULL;
	char msg[VS_ERR_MAX];

	*code = VS_EX_SOFTWARE;
	if (!c || !(x = vv_xfer_new(c, method, path, NULL, strcmp(method, "GET") ? strdup("{}") : NULL, true))) {
		vv_client_free(c);
		vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	vv_run_all(c, &x, 1);
	if (x->cc != CURLE_OK || x->status != 200) {
		*code = vv_failure(c, x, msg, sizeof msg);
		if (x->cc == CURLE_OK && x->status >= 400 && x->status < 500)
			*code = VS_EX_NOPERM;
		vs_fail(err, *code, "%s", msg);
	} else if (!(root = vv_parse_body(x, msg, sizeof msg))) {
		*code = VS_EX_UNAVAILABLE;
		vs_fail(err, *code, "%s", msg);
	}
	vv_xfer_free(c, x);
	vv_client_free(c);
	return root;
}

static long num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

static int obtain(vs_vault_session *ss, vs_error *err)
{
	const vs_vault_settings *s = ss->orig;
	char *tok = NULL;
	int rc;

	drop_token(ss);
	if (logs_in(s)) {
		client *c = vv_client_new(s, NULL);
		if (!c)
			return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		rc = vv_authenticate(c, &tok, err);
		vv_client_free(c);
		if (rc)
			return rc;
		vs_log(VS_LOG_DEBUG, "watch: %s for the polls", s->auth == VS_AUTH_TOKEN ? "unwrapped the token"
								       : "logged in");
	}
	ss->token = tok;
	ss->use = *s;
	ss->use.auth = VS_AUTH_TOKEN;
	ss->use.token_wrapped = false;
	ss->use.token = tok ? tok : s->token;
	ss->have = true;
	ss->logins++;
	/* no token (an agent adds its own): nothing to keep alive */
	ss->known = !ss->use.token;
	return 0;
}

static int look_up(vs_vault_session *ss, vs_error *err)
{
	int code;
	cJSON *root = ask(ss, "GET", "auth/token/lookup-self", &code, err);
	const cJSON *data;

	if (!root) {
		if (code != VS_EX_NOPERM)
			return code;
		/* a token that may not look itself up (no default policy): used
		 * as it is; a login's is replaced when a read finds it refused */
		vs_log(VS_LOG_DEBUG, "watch: the token cannot look itself up: not renewed");
		ss->known = true;
		ss->renewable = false;
		return 0;
	}
	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	ss->ttl_s = num(data, "ttl");
	ss->first_ttl_s = ss->ttl_s;
	ss->renewable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "renewable"));
	ss->granted_ms = vs_now_ms();
	ss->known = true;
	cJSON_Delete(root);
	return 0;
}

static int renew(vs_vault_session *ss, vs_error *err)
{
	int code;
	cJSON *root = ask(ss, "POST", "auth/token/renew-self", &code, err);
	const cJSON *auth;
	long granted;

	if (!root) {
		if (code != VS_EX_NOPERM)
			return code;
		if (logs_in(ss->orig)) {
			vs_log(VS_LOG_INFO, "watch: the token renewal was refused; logging in again");
			return obtain(ss, err) ? err->code : look_up(ss, err);
		}
		if (!ss->said_unrenewable)
			vs_log(VS_LOG_WARN, "watch: the Vault token could not be renewed (%s); it is used until "
					    "it expires; give a renewable token, or a login watch can repeat "
					    "(auth = approle, kubernetes or jwt in [vault])", err->msg);
		ss->said_unrenewable = true;
		ss->renewable = false;
		return 0;
	}
	auth = cJSON_GetObjectItemCaseSensitive(root, "auth");
	granted = num(auth, "lease_duration");
	ss->renewable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(auth, "renewable"));
	ss->ttl_s = granted;
	ss->granted_ms = vs_now_ms();
	/* granted well short of what the token had at first: its max TTL is
	 * near, and the next renewal would be shorter still */
	if (logs_in(ss->orig) && (granted < ss->first_ttl_s / 2 || granted < 2))
		ss->relogin = true;
	vs_log(VS_LOG_DEBUG, "watch: token renewed for %lds", granted);
	cJSON_Delete(root);
	return 0;
}

int vs_vault_session_keep(vs_vault_session *ss, vs_error *err)
{
	int rc;
	double due;

	if (!ss->have && (rc = obtain(ss, err)))
		return rc;
	if (!ss->known && (rc = look_up(ss, err)))
		return rc;
	due = vs_vault_session_due(ss);
	if (due <= 0 || vs_now_ms() < due)
		return 0;
	if (ss->relogin) {
		vs_log(VS_LOG_INFO, "watch: the token's max TTL is near; logging in again");
		if ((rc = obtain(ss, err)))
			return rc;
		return look_up(ss, err);
	}
	return renew(ss, err);
}
