/*
 * vs_resolve.h — from a config and an environment to one value per mapped
 * name, following the source order Vault → real environment → dotenv file →
 * default, and the failure policy (on_error, required).
 *
 * The resolver does no I/O of its own but the dotenv file: Vault reads go
 * through a vs_fetch_fn (vs_vault_fetch in production, a fake in tests).
 * Ownership: a vs_resolution owns its values (cleared by vs_resolution_clear).
 */
#ifndef VS_RESOLVE_H
#define VS_RESOLVE_H

#include "vs_config.h"
#include "vs_secret.h"

typedef enum {
	VS_SRC_VAULT,
	VS_SRC_ENV,
	VS_SRC_DOTENV,
	VS_SRC_DEFAULT,
	VS_SRC_MISSING,
	VS_SRC_DYNAMIC  /* vaultshim check: on a dynamic engine, not read (no value, not a failure) */
} vs_source;

typedef struct vs_value {
	const vs_entry *entry;  /* borrowed from the config */
	vs_source source;
	char *value;            /* secret; NULL when missing */
	int code;               /* 0, or the sysexits code by which this name fails the policy */
	int vault_code;         /* why Vault gave no value, as a sysexits code; 0 when it did */
	char vault_err[VS_ERR_MAX]; /* ... and in words; "" when it did */
	double ms;              /* time of the Vault read behind this name */
	long kv_version_no;     /* KV v2: the version Vault served; 0 otherwise */
	long lease_duration;    /* dynamic secrets: seconds; 0 otherwise */
	char *lease_id;
	bool lease_revoked;     /* check --dynamic: the lease is revoked already */
} vs_value;

typedef struct vs_resolution {
	vs_value *values;
	size_t n;
	int status;             /* worst code: 0 when the program may start */
	char message[VS_ERR_MAX]; /* first failure: "NAME (path#field): reason" */
	vs_vault_stats stats;
} vs_resolution;

/* Reads n requests; the contract of vs_vault_read. */
typedef int (*vs_fetch_fn)(void *ctx, const vs_vault_req *reqs, size_t n,
			   vs_secret *out, vs_vault_stats *stats, vs_error *err);

/* vs_fetch_fn over a real Vault (in src/vault/kv.c: links libcurl): ctx is a
 * const vs_vault_settings *. */
int vs_vault_fetch(void *ctx, const vs_vault_req *reqs, size_t n, vs_secret *out,
		   vs_vault_stats *stats, vs_error *err);

/*
 * Resolves the names of cfg (all of them when names is NULL, else the
 * n_names listed, each of which must be mapped). env answers the real
 * environment. Returns 0 with *out filled (out->status tells the policy
 * verdict), or an error code (unmapped name: VS_EX_USAGE; out of memory).
 */
int vs_resolve(const vs_config *cfg, const char *const *names, size_t n_names,
	       vs_getenv_fn env, void *env_ctx, vs_fetch_fn fetch, void *fetch_ctx,
	       vs_resolution *out, vs_error *err);

void vs_resolution_clear(vs_resolution *r);

const char *vs_source_name(vs_source s);

/* Why a field whose value holds a NUL byte gives no value (VS_EX_MISSING):
 * the reason the resolver gives, and the helper writes for the preload's
 * resolver to give, into buf (cut at size, size > 0); returns its length. */
size_t vs_nul_field_reason(char *buf, size_t size, const vs_secret *s, const vs_entry *e);

/* True when the program would get Vault's value for v: read from Vault, or
 * (check) a dynamic path looked up, not read. What `check --strict` asks. */
bool vs_value_from_vault(const vs_value *v);

#endif
