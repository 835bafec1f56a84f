/*
 * src/vault/kv.c — reading secrets and writing KV ones: vs_vault_read
 * (every unique path once, all in flight together, with the mounts found
 * first by mounts.c, a dynamic secret taken from the supervising launcher
 * by held.c, and one login more when the token is refused midway), the
 * parse of an answer into a vs_secret (vs_vault_parse_read, which the
 * fuzz target drives), and vs_vault_kv_write. Requests go through http.c,
 * the token comes from auth.c.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* an answer into a secret                                             */

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

/* ------------------------------------------------------------------ */
/* reads                                                               */

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

/* The length of a KV v2 item's mount prefix in its path, '/' included:
 * the mount found, else the first segment (a KV version forced). */
static size_t mount_len(const item *it)
{
	return it->mount ? strlen(it->mount) : vv_first_seg_len(it->req.path) + 1;
}

/* A KV v2 secret's API path, <mount>/data/<name> (ml: mount_len);
 * NULL when out of memory. */
static char *kv2_api_path(const char *path, size_t ml)
{
	char *api;
	return asprintf(&api, "%.*s/data/%s", (int)(ml - 1), path, path + ml) < 0 ? NULL : api;
}

static void free_mounts(mount *mounts, size_t nm)
{
	for (size_t i = 0; i < nm; i++)
		free(mounts[i].prefix);
	free(mounts);
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
			size_t ml = mount_len(it);
			if (strlen(it->req.path) < ml || !it->req.path[ml]) {
				snprintf(msg, sizeof msg, "%s: names a mount, not a secret; add the secret's name "
					 "after the mount in [env] (mount/name#field)", it->req.path);
				vv_item_fail(it, VS_EX_CONFIG, msg);
				continue;
			}
			api = kv2_api_path(it->req.path, ml);
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

/* Each unique (path, version, kv override) of reqs becomes one item, read
 * once: items[map[i]] answers reqs[i]. Returns the number of items. */
static size_t unique_items(const vs_vault_settings *s, const vs_vault_req *reqs, size_t n, item *items,
			   size_t *map)
{
	size_t ni = 0;

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
	return ni;
}

/* Finds the mounts and reads every item; when 403s show that the login's
 * token was revoked or expired while we used it, logs in once more and
 * redoes only what it spoiled. -1: out of memory. */
static int read_rounds(client *c, item *items, size_t ni, mount **mounts, size_t *nm, char **login_token)
{
	for (int round = 0;; round++) {
		if (vv_detect_mounts(c, items, ni, mounts, nm) < 0 || read_items(c, items, ni) < 0)
			return -1;
		if (round > 0 || !vv_token_refused(c, items, ni))
			return 0;
		if (c->s->auth == VS_AUTH_TOKEN)
			return 0;
		/* a failed login keeps what the first round read; the spoiled
		 * reads keep their 403 and the failed login is said once */
		if (!vv_login_again(c, login_token))
			return 0;
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
		return vv_authenticate(&(client){.s = s}, &login_token, err);
	if (s->skip_verify && !strncmp(s->base_url, "https://", 8))
		vs_log(VS_LOG_WARN, "TLS certificate verification is OFF (skip_verify / VAULT_SKIP_VERIFY)");
	if (!(c = vv_client_new(s, stats)) || !(items = calloc(n, sizeof *items)) ||
	    !(map = calloc(n, sizeof *map))) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((rc = vv_authenticate(c, &login_token, err)))
		goto out;
	ni = unique_items(s, reqs, n, items, map);
	if (read_rounds(c, items, ni, &mounts, &nm, &login_token) < 0) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
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
	free_mounts(mounts, nm);
	free(items);
	free(map);
	vv_client_free(c);
	vs_free_secret(login_token);
	if (rc)
		for (size_t i = 0; i < n; i++)
			vs_secret_clear(&out[i]);
	return rc;
}

int vs_vault_fetch(void *ctx, const vs_vault_req *reqs, size_t n, vs_secret *out,
		   vs_vault_stats *stats, vs_error *err)
{
	return vs_vault_read(ctx, reqs, n, out, stats, err);
}

/* ------------------------------------------------------------------ */
/* KV writes                                                           */

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
	if (!(c = vv_client_new(s, NULL))) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((rc = vv_authenticate(c, &login_token, err)))
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
		size_t ml = mount_len(&it);
		if (strlen(path) <= ml) {
			rc = vs_fail(err, VS_EX_CONFIG, "%s: names a mount, not a secret; add the secret's name to "
				     "--path (mount/name)", path);
			goto out;
		}
		if (!strncmp(path + ml, "data/", 5))
			vs_log(VS_LOG_WARN, "%s: on the KV v2 mount %s this writes the secret %s (at %.*sdata/%s); "
			       "the path `vault kv` takes has no data/: %.*s%s", path, it.mount ? it.mount : "",
			       path + ml, (int)ml, path, path + ml, (int)ml, path, path + ml + 5);
		api = kv2_api_path(path, ml);
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
	free_mounts(mounts, nm);
	vv_client_free(c);
	vs_free_secret(login_token);
	return rc;
}
