/*
 * src/vault/mounts.c — which mount each path is on, and its KV version.
 *
 * The Vault CLI asks GET sys/internal/ui/mounts/<path> and reads data.path
 * (the mount) and data.options.version ("2": KV v2). So does this client,
 * for many paths at once: one lookup per first path segment answers most
 * configs (secret/a, secret/b). The answer is trusted only for the paths
 * the returned mount covers; a lookup refused (403), or a mount that does
 * not cover every path of its segment (apps/a/ and apps/b/ mounted apart),
 * sends every remaining path of that segment its own lookup, so that a
 * forbidden apps/a/ never decides the fate of apps/b/. A failure of Vault's
 * own (sealed, 5xx, 429, no connection) fails the segment: the same Vault
 * would answer each of its paths the same way.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS_MAX 16

static bool under(const char *path, const char *prefix)
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

static bool same_segment(const char *a, const char *b)
{
	size_t n = vv_first_seg_len(a);
	return n == vv_first_seg_len(b) && !strncmp(a, b, n);
}

/* The part of data_path (which ends in '/') that covers path. Inside a
 * namespace Vault may answer with the namespace's path ahead of the mount
 * ("org/team/secret/" for "secret/app"); the CLI drops leading segments
 * until what is left prefixes the request path, and so does this. */
static const char *covering(const char *path, const char *data_path)
{
	for (const char *p = data_path; p && *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (under(path, p))
			return p;
	return NULL;
}

static const mount *known_mount(const char *path, const mount *mounts, size_t nm)
{
	const mount *best = NULL;
	/* the longest mount wins, as in Vault's router */
	for (size_t m = 0; m < nm; m++)
		if (under(path, mounts[m].prefix) &&
		    (!best || strlen(mounts[m].prefix) > strlen(best->prefix)))
			best = &mounts[m];
	return best;
}

/* Whether a lookup sent this round already answers for items[i]. */
static bool asked(const item *items, xfer *const *xs, size_t i, const bool *split)
{
	for (size_t j = 0; j < i; j++)
		if (xs[j] && (!strcmp(items[j].req.path, items[i].req.path) ||
			      (!split[i] && same_segment(items[j].req.path, items[i].req.path))))
			return true;
	return false;
}

/* Every still-unknown item with the same path as items[i] gets fate. */
static void fail_same_path(item *items, size_t n, size_t i, int code, const char *msg, bool denied)
{
	const char *path = items[i].req.path;
	for (size_t j = 0; j < n; j++)
		if (!items[j].failed && items[j].kind == K_UNKNOWN && !strcmp(items[j].req.path, path)) {
			vv_item_fail(&items[j], code, msg);
			items[j].denied = denied;
		}
}

static void split_segment(const item *items, size_t n, size_t i, bool *split)
{
	for (size_t j = 0; j < n; j++)
		if (same_segment(items[j].req.path, items[i].req.path))
			split[j] = true;
}

/* Records the mount a 200 answer names; 1 when it does not cover the path. */
static int add_mount(const xfer *x, const char *path, cJSON *root, mount **mounts, size_t *nm)
{
	cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "data");
	const char *dp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "path"));
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "type"));
	const char *ver = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "options"), "version"));
	char *slashed = NULL;
	const char *cover;
	mount *grown;
	enum kind kind;

	if (!dp || !*dp || !type)
		return 1;
	if (asprintf(&slashed, "%s%s", dp, dp[strlen(dp) - 1] == '/' ? "" : "/") < 0)
		return -1;
	if (!(cover = covering(path, slashed))) {
		free(slashed);
		return 1;
	}
	kind = (!strcmp(type, "kv") || !strcmp(type, "generic")) ? (ver && !strcmp(ver, "2") ? K_KV2 : K_KV1)
								   : K_GENERIC;
	if (cover != slashed)
		vs_log(VS_LOG_DEBUG, "%s: mount %s taken as %s (the request's namespace path dropped)", x->what,
		       slashed, cover);
	for (size_t m = 0; m < *nm; m++)
		if (!strcmp((*mounts)[m].prefix, cover)) {
			free(slashed);
			return 0;
		}
	if (!(grown = realloc(*mounts, (*nm + 1) * sizeof **mounts))) {
		free(slashed);
		return -1;
	}
	*mounts = grown;
	memmove(slashed, cover, strlen(cover) + 1);
	grown[*nm].prefix = slashed;
	grown[*nm].kind = kind;
	grown[*nm].dynamic = kind == K_GENERIC && strcmp(type, "cubbyhole") != 0;
	vs_log(VS_LOG_DEBUG, "mount %s is %s", slashed, kind == K_KV2 ? "kv-v2" : kind == K_KV1 ? "kv-v1" : type);
	(*nm)++;
	return 0;
}

/* Takes one lookup's answer for items[i]. -1: out of memory. */
static int settle(client *c, item *items, size_t n, size_t i, xfer *x, bool *split, mount **mounts,
		  size_t *nm)
{
	char msg[VS_ERR_MAX], full[VS_ERR_MAX + 200];
	/* once a segment is split, each of its paths asks for itself and its
	 * answer decides for that path alone: no need to walk the segment (doing
	 * so for each of many mounts under one segment made this cubic) */
	bool was_split = split[i];

	if (!was_split)
		split_segment(items, n, i, split); /* cleared below when the mount covers them all */
	if (x->cc == CURLE_OK && x->status == 200) {
		cJSON *root = vv_parse_body(x, msg, sizeof msg);
		int r = root ? add_mount(x, items[i].req.path, root, mounts, nm) : 1;
		cJSON_Delete(root);
		if (r < 0)
			return -1;
		if (r > 0) {
			if (root)
				snprintf(msg, sizeof msg, "%s: mount lookup answered without a data.path covering %s",
					 x->what, items[i].req.path);
			fail_same_path(items, n, i, VS_EX_UNAVAILABLE, msg, false);
			return 0;
		}
		if (was_split)
			return 0;
		for (size_t j = 0; j < n; j++)
			if (same_segment(items[j].req.path, items[i].req.path) &&
			    !known_mount(items[j].req.path, *mounts, *nm))
				return 0; /* some of the segment lie elsewhere: they ask for themselves */
		for (size_t j = 0; j < n; j++)
			if (same_segment(items[j].req.path, items[i].req.path))
				split[j] = false;
		return 0;
	}
	if (x->cc == CURLE_OK && x->status == 404) {
		vv_vault_errors(c, x, msg, sizeof msg);
		if (strstr(msg, "namespace")) {
			/* OpenBao: 404 "namespace not found" — not an old Vault */
			snprintf(full, sizeof full, "%s: %s (404); check namespace in [vault] or VAULT_NAMESPACE",
				 x->what, msg);
			fail_same_path(items, n, i, VS_EX_CONFIG, full, false);
			return 0;
		}
		/* a Vault without the endpoint: KV v1, as the CLI assumes */
		vs_log(VS_LOG_DEBUG, "%s -> 404: taking %s as KV v1", x->what, items[i].req.path);
		for (size_t j = 0; j < n; j++)
			if (!items[j].failed && items[j].kind == K_UNKNOWN && !strcmp(items[j].req.path, items[i].req.path))
				items[j].kind = K_KV1;
		return 0;
	}
	{
		int code = vv_failure(c, x, msg, sizeof msg);
		bool denied = x->cc == CURLE_OK && x->status == 403;
		if (denied)
			snprintf(full, sizeof full,
				 "%s; the token needs a capability on the mount to detect its KV version "
				 "(or set kv_version in the config)", msg);
		else
			snprintf(full, sizeof full, "%s", msg);
		fail_same_path(items, n, i, code, full, denied);
		/* Only a 403 depends on the path. Sealed, 5xx, 429, no connection:
		 * the same Vault would answer every other path of the segment the
		 * same way; asking it once per path multiplies the load on a Vault
		 * that is down or rate-limiting. */
		if (!denied && !was_split)
			for (size_t j = 0; j < n; j++)
				if (!items[j].failed && items[j].kind == K_UNKNOWN &&
				    same_segment(items[j].req.path, items[i].req.path))
					vv_item_fail(&items[j], code, full);
	}
	return 0;
}

int vv_detect_mounts(client *c, item *items, size_t n, mount **mounts, size_t *nm)
{
	bool *split = calloc(n ? n : 1, sizeof *split);
	int rc = 0;

	if (!split)
		return -1;
	for (int round = 0; round < ROUNDS_MAX && !rc; round++) {
		xfer **xs = calloc(n ? n : 1, sizeof *xs);
		size_t sent = 0;

		if (!xs) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < n && !rc; i++) {
			item *it = &items[i];
			const mount *m;
			char *p;
			if (it->failed || it->kind != K_UNKNOWN)
				continue;
			if ((m = known_mount(it->req.path, *mounts, *nm))) {
				it->kind = m->kind;
				it->mount = m->prefix;
				it->dynamic = m->dynamic;
				continue;
			}
			if (asked(items, xs, i, split))
				continue;
			if (asprintf(&p, "sys/internal/ui/mounts/%s", it->req.path) < 0) {
				rc = -1;
				break;
			}
			xs[i] = vv_xfer_new(c, "GET", p, NULL, NULL, true);
			free(p);
			if (!xs[i])
				rc = -1;
			else
				sent++;
		}
		if (sent && !rc) {
			if (c->st)
				c->st->mount_lookups += (int)sent;
			vv_run_all(c, xs, n);
			for (size_t i = 0; i < n && !rc; i++)
				if (xs[i])
					rc = settle(c, items, n, i, xs[i], split, mounts, nm);
		}
		for (size_t i = 0; i < n; i++)
			vv_xfer_free(c, xs[i]);
		free(xs);
		if (!sent)
			break;
	}
	free(split);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!items[i].failed && items[i].kind == K_UNKNOWN)
			vv_item_fail(&items[i], VS_EX_UNAVAILABLE, "mount detection did not settle");
	return 0;
}
