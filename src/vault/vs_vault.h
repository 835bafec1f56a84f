/*
 * vs_vault.h — the Vault HTTP client (libcurl multi + cJSON); the data it
 * returns (vs_secret, vs_vault_req, vs_vault_stats) is core/vs_secret.h.
 *
 * One call, vs_vault_read(), logs in when the auth method needs it, detects
 * the KV version of every mount involved (sys/internal/ui/mounts, as the
 * Vault CLI does), then reads every unique path once, all in flight together
 * over reused connections, with connect and total timeouts, bounded retries
 * and a response size cap. Errors carry the HTTP status, the path and Vault's
 * own error text, never the token.
 *
 * Ownership: vs_vault_settings owns its strings (the token is cleared on
 * vs_vault_settings_clear); each vs_secret owns its fields, cleared and
 * freed by vs_secret_clear.
 */
#ifndef VS_VAULT_H
#define VS_VAULT_H

#include "core/vs_secret.h"

/* Where the client connects and how it authenticates, after applying
 * "config key, then VAULT_* variable, then default". */
typedef struct vs_vault_settings {
	char *address;          /* as given: http(s)://… or unix:///path */
	char *base_url;         /* scheme://host[:port] used in request URLs */
	char *unix_socket;      /* socket path for unix:// addresses, else NULL */
	vs_auth_method auth;
	char *auth_mount;       /* e.g. "approle" */
	char *token;            /* secret; NULL when none found (auth = token) */
	char *token_source;     /* where the token came from, for messages */
	char *role;
	char *role_id_file, *secret_id_file, *jwt_file;
	char *role_id, *secret_id; /* from VAULT_ROLE_ID / VAULT_SECRET_ID (secret) */
	bool token_wrapped, secret_id_wrapped;
	char *connect_to;       /* "name:port:host:port" when tls_server_name is set */
	char *namespace_;
	bool agent;             /* the address came from VAULT_AGENT_ADDR or is a unix
				 * socket: with no token, requests go without one and
				 * the agent's auto-auth adds its own */
	/* proxies (see src/vault/proxy.c): VAULT_PROXY_ADDR or VAULT_HTTP_PROXY;
	 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY (either case); NULL when unset */
	char *proxy_vault, *proxy_https, *proxy_http, *no_proxy;
	char *ca_cert, *ca_path, *client_cert, *client_key, *tls_server_name;
	bool skip_verify;
	long timeout_ms;        /* deadline for the whole of vs_vault_read */
	long connect_timeout_ms;
	int max_retries;
	int kv_version;         /* 0 detect, 1, 2 (global override) */
	/* check: a path on an engine that may mint a credential (any non-KV
	 * mount but cubbyhole: database/creds/…) is looked up, never read */
	bool skip_dynamic;
	/* check --dynamic: each lease read is revoked before vs_vault_read returns */
	bool revoke_leases;
	/* VAULTSHIM_SUPERVISOR: the socket of the supervising launcher that
	 * holds the dynamic secrets (src/vault/held.c), or NULL */
	char *held_socket;
} vs_vault_settings;

/*
 * Fills s from cfg (may be NULL: environment and defaults only) and the
 * environment. A token is looked for when auth = token: token_file, then
 * VAULT_TOKEN, then ~/.vault-token; none found is not an error here (reads
 * then fail with VS_EX_NOPERM). Returns 0 or an error code with err set
 * (bad variable value, unsafe token file). Clear with vs_vault_settings_clear.
 */
int vs_vault_settings_init(vs_vault_settings *s, const vs_config *cfg,
			   vs_getenv_fn env, void *env_ctx, vs_error *err);
void vs_vault_settings_clear(vs_vault_settings *s);

/*
 * Reads n requests into out[0..n) (zeroed by the caller). Returns 0 when the
 * batch ran, in which case each out[i].code tells that read's fate; or an
 * error code when nothing could be read at all (no token, login refused,
 * Vault unreachable for the login), with err set. stats may be NULL.
 */
int vs_vault_read(const vs_vault_settings *s, const vs_vault_req *reqs, size_t n,
		  vs_secret *out, vs_vault_stats *stats, vs_error *err);

/*
 * Writes fields to a KV secret: for KV v2 one write with check-and-set
 * (cas = the version it must replace, 0 = must not exist yet, -1 = no
 * check), for KV v1 the whole object. The mount's KV version is detected as
 * for reads (kv_version 0) or forced (1, 2). Returns 0 or a sysexits code:
 * VS_EX_TEMPFAIL when check-and-set finds that someone else wrote first.
 * Values are never part of err.
 */
int vs_vault_kv_write(const vs_vault_settings *s, const char *path, int kv_version,
		      const vs_field *fields, size_t n, long cas, vs_error *err);

/*
 * Parses the answer to a read (what: "GET path", for messages) of a KV v2
 * (kv = 2), KV v1 (1) or other (0) path, version asked for (0 = latest),
 * into sec (zeroed by the caller; clear it with vs_secret_clear). Returns 0,
 * or a sysexits code with sec->code/err set, or -1 when status is an HTTP
 * failure for the caller to report. Exposed for the fuzz target.
 */
int vs_vault_parse_read(int kv, int version, const char *what, long status, const char *body,
			size_t len, vs_secret *sec);

/*
 * A session for a long-running caller (src/vault/session.c): one token for
 * many vs_vault_read calls. With a login method (or a wrapped token) it logs
 * in once; it renews the token (auth/token/renew-self) at about 2/3 of its
 * TTL, and logs in again when the renewal is refused or the max TTL is near.
 * A given token is renewed only when renewable and never revoked.
 * vs_vault_session_keep makes the token usable now (0, or a sysexits code
 * with err set: Vault down, login refused); vs_vault_session_settings are
 * the settings to read with (auth = token; valid until the next keep);
 * vs_vault_session_due when keep must run next at the latest (vs_now_ms
 * clock, 0 = never); vs_vault_session_refused after a read found the token
 * refused: true when the next keep logs in again (a login session), false
 * for a given token. s must outlive the session.
 */
typedef struct vs_vault_session vs_vault_session;
vs_vault_session *vs_vault_session_new(const vs_vault_settings *s);
int vs_vault_session_keep(vs_vault_session *ss, vs_error *err);
const vs_vault_settings *vs_vault_session_settings(const vs_vault_session *ss);
double vs_vault_session_due(const vs_vault_session *ss);
bool vs_vault_session_refused(vs_vault_session *ss);
/* How many tokens the session has obtained (a login, an unwrap): a lease
 * read with one dies with it. */
unsigned vs_vault_session_logins(const vs_vault_session *ss);
void vs_vault_session_free(vs_vault_session *ss);

/* Names the program requests are made for in the User-Agent header:
 * "vaultshim/VERSION (prog)" (default prog: vaultshim). Call before any
 * thread starts. */
void vs_vault_user_agent(const char *prog);

/* Calls curl_global_init once and makes cJSON clear memory before freeing
 * it (parsed responses hold secrets). Call before any thread starts. */
void vs_vault_global_init(void);

/* The supervising launcher's held dynamic secrets (src/vault/held.c): the
 * wire format of one answer (a secret; its failure; or not held here), and
 * whether a unix socket's peer is this user. */
#define VS_HELD_NOT_MINE 200
char *vs_held_encode(const vs_secret *sec, int not_mine, size_t *len);
int vs_held_decode(const char *buf, size_t len, vs_secret *sec);
bool vs_held_peer_ok(int fd);
/* Renews a lease for increment_s seconds: 0 with *granted_s, or a
 * sysexits code with err set; revokes one (0, or a code). */
int vs_vault_lease_renew(const vs_vault_settings *s, const char *lease_id, long increment_s,
			 long *granted_s, vs_error *err);
int vs_vault_lease_revoke(const vs_vault_settings *s, const char *lease_id, vs_error *err);

#endif
