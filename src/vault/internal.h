/*
 * src/vault/internal.h — what the files of the Vault client share and
 * nothing outside it sees: one transfer (xfer), the client running a set
 * of them (client), and the reads a call asks for (item). settings.c makes
 * the settings; http.c owns the client and its transfers; auth.c the token
 * (login, unwrap, a refused token); kv.c the reads and KV writes; mounts.c
 * the KV version lookups; proxy.c which proxy, if any, carries a request;
 * leases.c, held.c and session.c what dynamic secrets and long runs need.
 */
#ifndef VS_VAULT_INTERNAL_H
#define VS_VAULT_INTERNAL_H

#include "vs_vault.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>

typedef struct xfer {
	CURL *h;
	struct curl_slist *hdrs;
	char *url;
	char *what;          /* "GET secret/data/app", for messages and logs */
	char *post;          /* request body (may hold credentials) */
	vs_buf body;         /* the response (may hold secrets) */
	bool too_big;
	long status;
	CURLcode cc;
	char errbuf[CURL_ERROR_SIZE];
	int attempts;
	long retry_after_ms;
	double not_before;   /* > 0: waiting to be re-sent */
	bool running, done;
	bool redirected;     /* one redirect followed already */
	struct curl_slist *connect_to;
	double t0, t1;
} xfer;

typedef struct client {
	const vs_vault_settings *s;
	const char *token;   /* the settings' token or the login's */
	CURLM *multi;
	CURLSH *share;
	double deadline;
	vs_vault_stats *st;
} client;

enum kind { K_UNKNOWN, K_KV1, K_KV2, K_GENERIC };

typedef struct mount {
	char *prefix;  /* with trailing '/' */
	enum kind kind;
	bool dynamic;  /* an engine that may mint a credential on a read (not KV, not cubbyhole) */
} mount;

typedef struct item {
	vs_vault_req req;
	enum kind kind;
	char *mount;      /* prefix when known */
	bool failed;
	bool denied;     /* failed on a 403: worth a retry with a fresh login */
	bool dynamic;    /* on a mount that may mint a credential */
	bool held;       /* answered by the supervising launcher (held.c) */
	xfer *x;
	vs_secret sec;
} item;


/* A credential file's content, trimmed (settings.c): the token file, the
 * AppRole IDs' and the JWT's; a secret one must be closed to others. */
int vv_read_cred_file(const char *path, const char *what, bool secret, char **out, vs_error *err);
/* No spaces or control characters: a token or ID fit for a header. */
bool vv_printable(const char *s);

/* A client for s (its deadline: now + s->timeout_ms) and its end (http.c;
 * NULL is fine). */
client *vv_client_new(const vs_vault_settings *s, vs_vault_stats *st);
void vv_client_free(client *c);

/* Transfers (http.c). A new transfer owns post_body (freed with it). */
xfer *vv_xfer_new(client *c, const char *method, const char *path, const char *query,
		  char *post_body, bool with_token);
void vv_xfer_free(client *c, xfer *x);
/* Runs transfers to completion or the deadline, retrying transient failures. */
void vv_run_all(client *c, xfer **xs, size_t n);
/* A failed transfer as a sysexits code and a one-line message. */
int vv_failure(const client *c, const xfer *x, char *msg, size_t sz);
/* Vault's own "errors" text on one line (empty when none), tamed. */
void vv_vault_errors(const client *c, const xfer *x, char *out, size_t sz);
cJSON *vv_parse_body(const xfer *x, char *msg, size_t sz);

/* The token (auth.c): the login (or unwrap of a wrapped token) that
 * vs_vault_read does, its token in *login_token and c->token (the caller
 * frees it; NULL when the settings' is used); one login more when that
 * token became invalid (false: the login failed, and said so); and
 * whether the 403s some items got mean the token itself is refused (each
 * denied item's message then says why it was denied). */
int vv_authenticate(client *c, char **login_token, vs_error *err);
bool vv_login_again(client *c, char **login_token);
bool vv_token_refused(client *c, item *items, size_t n);

/* A failed secret or item (kv.c): code and message. */
void vv_sec_fail(vs_secret *sec, int code, const char *msg);
void vv_item_fail(item *it, int code, const char *msg);

/* The length of a path's first segment, the mount a forced KV version
 * takes (mounts.c). */
size_t vv_first_seg_len(const char *p);

/* Finds the mount and KV version of every item whose kind is unknown
 * (mounts.c). Appends what it learns to *mounts. -1: out of memory. */
int vv_detect_mounts(client *c, item *items, size_t n, mount **mounts, size_t *nm);

/* Revokes the lease of every item that read one (leases.c); a token that
 * may not (no update on sys/leases/revoke) and came from a login revokes
 * itself instead, and its leases with it. Counts in c->st. */
void vv_revoke_leases(client *c, item *items, size_t n);

/* A dynamic secret from the supervising launcher at s->held_socket
 * (held.c): 0 with sec filled, a sysexits code with sec failed (Vault's
 * failure, from there), VS_HELD_NOT_MINE or -1 (read it from Vault). */
int vv_held_read(const vs_vault_settings *s, const char *path, vs_secret *sec);

/* The proxy URL for a request to url under s, or NULL for a direct
 * connection (proxy.c). */
const char *vv_proxy_for(const vs_vault_settings *s, const char *url);

#endif
