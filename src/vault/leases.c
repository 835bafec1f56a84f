/*
 * src/vault/leases.c — giving back what a read minted.
 *
 * A read of a dynamic engine (database/creds/app) makes Vault create a
 * credential and a lease on it. `vaultshim check --dynamic` reads such paths
 * to prove they work, and then must not leave the credential behind: each
 * lease is revoked with PUT sys/leases/revoke. Vault's default policy does
 * not grant that path; when it is refused and the token is one this run
 * logged in for (AppRole, Kubernetes, JWT), the token revokes itself
 * (auth/token/revoke-self, in the default policy), and Vault revokes the
 * leases it created with it. A token the user gave is never revoked.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records why a lease stays, once (the first reason is the one shown). */
static void kept(client *c, int code, const char *why)
{
	if (!c->st)
		return;
	if (!c->st->leases_kept++) {
		c->st->revoke_code = code;
		snprintf(c->st->revoke_err, sizeof c->st->revoke_err, "%s", why);
	}
}

static void revoked(client *c, item *it)
{
	it->sec.lease_revoked = true;
	if (c->st)
		c->st->leases_revoked++;
}

void vv_revoke_leases(client *c, item *items, size_t n)
{
	xfer **xs = calloc(n ? n : 1, sizeof *xs);
	bool refused = false;

	if (!xs) {
		kept(c, VS_EX_SOFTWARE, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *o;
		char *body;
		if (items[i].sec.code || !items[i].sec.lease_id || !*items[i].sec.lease_id)
			continue;
		o = cJSON_CreateObject();
		body = o && cJSON_AddStringToObject(o, "lease_id", items[i].sec.lease_id) ? cJSON_PrintUnformatted(o)
										     : NULL;
		cJSON_Delete(o);
		if (!body || !(xs[i] = vv_xfer_new(c, "PUT", "sys/leases/revoke", NULL, body, true)))
			kept(c, VS_EX_SOFTWARE, "out of memory");
	}
	vv_run_all(c, xs, n);
	for (size_t i = 0; i < n; i++) {
		char msg[VS_ERR_MAX], full[VS_ERR_MAX + 64];
		xfer *x = xs[i];
		if (!x)
			continue;
		if (x->cc == CURLE_OK && x->status >= 200 && x->status < 300) {
			revoked(c, &items[i]);
		} else if (x->cc == CURLE_OK && x->status == 403 && c->s->auth != VS_AUTH_TOKEN) {
			refused = true;
		} else {
			int code = vv_failure(c, x, msg, sizeof msg);
			snprintf(full, sizeof full, "%s (for %s)%s", msg, items[i].req.path,
				 x->status == 403 ? "; grant update on sys/leases/revoke, or revoke it by hand" : "");
			vs_log(VS_LOG_WARN, "the lease of %s was not revoked: %s", items[i].req.path, msg);
			kept(c, code, full);
		}
		vv_xfer_free(c, x);
	}
	free(xs);
	if (!refused)
		return;

	/* our own login's token: revoking it revokes the leases it made */
	{
		xfer *x = vv_xfer_new(c, "POST", "auth/token/revoke-self", NULL, strdup("{}"), true);
		bool ok;
		char msg[VS_ERR_MAX];
		int code = 0;
		if (!x) {
			kept(c, VS_EX_SOFTWARE, "out of memory");
			return;
		}
		vv_run_all(c, &x, 1);
		ok = x->cc == CURLE_OK && x->status >= 200 && x->status < 300;
		if (!ok)
			code = vv_failure(c, x, msg, sizeof msg);
		vv_xfer_free(c, x);
		vs_log(VS_LOG_DEBUG, "sys/leases/revoke refused: the %s login token revoked itself%s",
		       vs_auth_name(c->s->auth), ok ? "" : " (failed)");
		for (size_t i = 0; i < n; i++) {
			item *it = &items[i];
			if (it->sec.code || !it->sec.lease_id || !*it->sec.lease_id || it->sec.lease_revoked)
				continue;
			if (ok) {
				revoked(c, it);
			} else {
				char full[VS_ERR_MAX + 64];
				snprintf(full, sizeof full, "%s (for %s)", msg, it->req.path);
				kept(c, code, full);
			}
		}
	}
}

/* One PUT sys/leases/<action> for lease_id (increment_s > 0: with it): the
 * parsed answer (renew) or an empty object, or NULL with err set. */
static cJSON *lease_call(const vs_vault_settings *s, const char *action, const char *lease_id,
			 long increment_s, vs_error *err)
{
	client *c = vv_client_new(s, NULL);
	cJSON *o = cJSON_CreateObject(), *root = NULL;
	char path[64], msg[VS_ERR_MAX];
	char *body = NULL;
	xfer *x = NULL;

	if (o && cJSON_AddStringToObject(o, "lease_id", lease_id) &&
	    (increment_s <= 0 || cJSON_AddNumberToObject(o, "increment", (double)increment_s)))
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(path, sizeof path, "sys/leases/%s", action);
	if (!c || !body || !(x = vv_xfer_new(c, "PUT", path, NULL, body, true))) {
		if (!x)
			free(body);
		vv_client_free(c);
		vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	vv_run_all(c, &x, 1);
	if (x->cc != CURLE_OK || x->status < 200 || x->status >= 300) {
		int code = vv_failure(c, x, msg, sizeof msg);
		vs_fail(err, code, "%s", msg);
	} else if (x->status == 204 || !x->body.len) {
		root = cJSON_CreateObject();
	} else if (!(root = vv_parse_body(x, msg, sizeof msg))) {
		vs_fail(err, VS_EX_UNAVAILABLE, "%s", msg);
	}
	vv_xfer_free(c, x);
	vv_client_free(c);
	return root;
}

int vs_vault_lease_renew(const vs_vault_settings *s, const char *lease_id, long increment_s,
			 long *granted_s, vs_error *err)
{
	cJSON *root = lease_call(s, "renew", lease_id, increment_s, err), *d;

	if (!root)
		return err->code;
	d = cJSON_GetObjectItemCaseSensitive(root, "lease_duration");
	*granted_s = cJSON_IsNumber(d) ? (long)d->valuedouble : 0;
	cJSON_Delete(root);
	return 0;
}

int vs_vault_lease_revoke(const vs_vault_settings *s, const char *lease_id, vs_error *err)
{
	cJSON *root = lease_call(s, "revoke", lease_id, 0, err);

	if (!root)
		return err->code;
	cJSON_Delete(root);
	return 0;
}
