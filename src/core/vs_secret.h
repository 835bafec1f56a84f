/*
 * vs_secret.h — what a Vault read is asked for and what it returns, as data:
 * libc only, so that the resolver, the helper protocol and the preload can
 * carry secrets without the client (src/vault/vs_vault.h, libcurl + cJSON).
 *
 * Ownership: each vs_secret owns its fields, cleared and freed by
 * vs_secret_clear (src/core/secret.c).
 */
#ifndef VS_SECRET_H
#define VS_SECRET_H

#include "vs_config.h"

/* One read: a path as `vault kv get` takes it, optional version, optional
 * per-read KV version override (0 = settings, then detection). */
typedef struct vs_vault_req {
	const char *path;
	int version;
	int kv_version;
} vs_vault_req;

typedef struct vs_field {
	char *key;
	char *value;            /* strings as-is; numbers, bools, objects as JSON */
	bool json;              /* value is JSON text (not a string): written back as such */
	bool nul;               /* Vault's value holds a NUL byte: `value` is cut short
				 * there, and no environment variable can carry it */
} vs_field;

typedef struct vs_secret {
	int code;               /* 0, or a sysexits code for this read */
	char err[VS_ERR_MAX];   /* one-line reason when code != 0 */
	long http_status;       /* of the final response, 0 when none */
	const char *engine;     /* "kv-v1", "kv-v2", "generic" (static string) */
	char *api_path;         /* what was read, e.g. "secret/data/app" */
	vs_field *fields;
	size_t n_fields;
	char *lease_id;         /* dynamic secrets; NULL otherwise */
	long lease_duration;
	bool renewable;
	double ms;              /* wall time of this read, retries included */
	long kv_version_no;     /* KV v2: the version read (data.metadata.version); 0 otherwise */
	bool dynamic_unread;    /* skip_dynamic: on a dynamic engine, so not read (code 0, no fields) */
	bool lease_revoked;     /* revoke_leases: its lease is revoked */
} vs_secret;

typedef struct vs_vault_stats {
	int requests;           /* HTTP requests sent, retries included */
	int logins, mount_lookups, reads, retries;
	int leases_revoked, leases_kept; /* revoke_leases: revoked, and not */
	int revoke_code;                 /* the sysexits code of the first kept lease */
	char revoke_err[VS_ERR_MAX];     /* why the first kept lease was not revoked */
	double ms;
} vs_vault_stats;

/* The value of `field` in a successful read, or NULL. Borrowed pointer. */
const char *vs_secret_field(const vs_secret *sec, const char *field);
/* True when that field's value holds a NUL byte (vs_field.nul). */
bool vs_secret_field_nul(const vs_secret *sec, const char *field);

/* Clears and frees what sec owns; sec itself is left zeroed. */
void vs_secret_clear(vs_secret *sec);

#endif
