#define _GNU_SOURCE
#include "vs_resolve.h"
#include "vs_dotenv.h"
#include "vs_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vs_value_from_vault(const vs_value *v)
{
	/* a dynamic path check only looked up is Vault's as well: the program
	 * that reads it gets Vault's credential */
	return v->source == VS_SRC_VAULT || v->source == VS_SRC_DYNAMIC;
}

const char *vs_source_name(vs_source s)
{
	static const char *const names[] = {"vault", "env", "dotenv", "default", "missing", "dynamic"};
	return names[s];
}

/* The dotenv file is read only when some name falls through to it. */
typedef struct {
	const char *path;
	const char *config; /* the config naming it, for the fix */
	vs_dotenv *d;
	bool tried;
} lazy_dotenv;

static const char *dotenv_get(lazy_dotenv *ld, const char *name)
{
	if (!ld->path)
		return NULL;
	if (!ld->tried) {
		vs_error e = {0};
		ld->tried = true;
		if (vs_dotenv_load(ld->path, &ld->d, &e)) {
			vs_log(VS_LOG_WARN, "dotenv source skipped: %s; fix dotenv in [options] of %s, or the file",
			       e.msg, ld->config);
		} else {
			for (size_t i = 0; i < ld->d->n_issues; i++)
				vs_log(VS_LOG_WARN, "%s", ld->d->issues[i]);
			for (size_t i = 0; i < ld->d->n; i++)
				if (ld->d->entries[i].interpolation)
					vs_log(VS_LOG_WARN, "%s:%d: %s: ${...} / $(...) is kept literally, not expanded; "
							    "write the value itself there",
					       ld->path, ld->d->entries[i].line, ld->d->entries[i].key);
		}
	}
	return ld->d ? vs_dotenv_get(ld->d, name) : NULL;
}

size_t vs_nul_field_reason(char *buf, size_t size, const vs_secret *s, const vs_entry *e)
{
	int n = snprintf(buf, size, "%s: field '%s' holds a NUL byte, which no environment variable can carry",
			 s->api_path ? s->api_path : e->path, e->field);

	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* The entry of each name (cfg's own when names is NULL) and its read. */
static int plan(const vs_config *cfg, const char *const *names, size_t n, vs_value *values,
		vs_vault_req *reqs, vs_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const vs_entry *e = names ? vs_config_find(cfg, names[i]) : &cfg->entries[i];
		if (!e)
			return vs_fail(err, VS_EX_USAGE, "%s: '%s' is not mapped in [env]; add a line '%s = path#field' "
				       "to its [env]", cfg->path, names[i], names[i]);
		values[i].entry = e;
		reqs[i] = (vs_vault_req){.path = e->path, .version = e->version, .kv_version = e->kv_version};
	}
	return 0;
}

/* What Vault's answer s gives v: 0 with *val (borrowed from s), or the
 * sysexits code of why not, the reason in v->vault_err; -1 when out of
 * memory. */
static int vault_answer(vs_value *v, const vs_secret *s, const char **val)
{
	const vs_entry *e = v->entry;

	v->ms = s->ms;
	if (s->code) {
		snprintf(v->vault_err, sizeof v->vault_err, "%s", s->err);
		return s->code;
	}
	if (vs_secret_field_nul(s, e->field)) {
		/* never a secret cut short at the NUL */
		vs_nul_field_reason(v->vault_err, sizeof v->vault_err, s, e);
		return VS_EX_MISSING;
	}
	if (!(*val = vs_secret_field(s, e->field))) {
		snprintf(v->vault_err, sizeof v->vault_err,
			 "%s: no field '%s'; name one of its keys after the # in [env] ('vault kv get' "
			 "lists them)", s->api_path ? s->api_path : e->path, e->field);
		return VS_EX_MISSING;
	}
	v->kv_version_no = s->kv_version_no;
	v->lease_duration = s->lease_duration;
	v->lease_revoked = s->lease_revoked;
	if (s->lease_id && !(v->lease_id = strdup(s->lease_id)))
		return -1;
	return 0;
}

/* The source order and the failure policy: Vault's value, else (unless
 * on_error = fail) the environment, the dotenv file, the default. Sets
 * v->source and v->code, and *val to the value chosen. */
static void choose_source(const vs_config *cfg, vs_value *v, int vault_code, const char **val,
			  vs_getenv_fn env, void *env_ctx, lazy_dotenv *ld)
{
	const vs_entry *e = v->entry;

	if (!vault_code) {
		v->source = VS_SRC_VAULT;
	} else if (cfg->options.on_error == VS_ON_ERROR_FAIL) {
		/* fail closed: no fallback may stand in for Vault */
		v->source = VS_SRC_MISSING;
		v->code = vault_code;
	} else if ((*val = env ? env(e->name, env_ctx) : NULL)) {
		v->source = VS_SRC_ENV;
	} else if ((*val = dotenv_get(ld, e->name))) {
		v->source = VS_SRC_DOTENV;
	} else if ((*val = e->def)) {
		v->source = VS_SRC_DEFAULT;
	} else {
		v->source = VS_SRC_MISSING;
		if (e->required)
			v->code = VS_EX_MISSING;
	}
}

/* out->status is the worst code; out->message says the first failure. */
static void note_failure(vs_resolution *out, const vs_config *cfg, const vs_value *v)
{
	const vs_entry *e = v->entry;

	if (v->code > out->status)
		out->status = v->code;
	if (!v->code || out->message[0])
		return;
	if (v->source == VS_SRC_MISSING && cfg->options.on_error != VS_ON_ERROR_FAIL)
		snprintf(out->message, sizeof out->message,
			 "%s (%s#%s): required but missing: %s; not set in the environment, "
			 "dotenv or default; fix Vault's answer, or give %s a fallback (the "
			 "environment, dotenv, default=)", e->name, e->path, e->field, v->vault_err,
			 e->name);
	else if (e->def)
		/* the default= on the line reads like a safety net; under
		 * fail it is not one, and the user must learn why here */
		snprintf(out->message, sizeof out->message,
			 "%s (%s#%s): %s; its default= is not used under on_error = fail: "
			 "fix Vault's answer, or set on_error = fallback in [options] to start "
			 "with the default", e->name, e->path, e->field, v->vault_err);
	else
		snprintf(out->message, sizeof out->message, "%s (%s#%s): %s", e->name,
			 e->path, e->field, v->vault_err);
}

int vs_resolve(const vs_config *cfg, const char *const *names, size_t n_names,
	       vs_getenv_fn env, void *env_ctx, vs_fetch_fn fetch, void *fetch_ctx,
	       vs_resolution *out, vs_error *err)
{
	lazy_dotenv ld = {.path = cfg->options.dotenv, .config = cfg->path};
	vs_vault_req *reqs = NULL;
	vs_secret *secs = NULL;
	vs_error ferr = {0};
	size_t n = names ? n_names : cfg->n_entries, n_fallback = 0;
	const vs_value *first_fallback = NULL;
	int rc = 0, fetch_rc;

	memset(out, 0, sizeof *out);
	if (!(out->values = calloc(n ? n : 1, sizeof *out->values)) ||
	    !(reqs = calloc(n ? n : 1, sizeof *reqs)) || !(secs = calloc(n ? n : 1, sizeof *secs))) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	out->n = n;
	if ((rc = plan(cfg, names, n, out->values, reqs, err)))
		goto out;

	fetch_rc = n ? fetch(fetch_ctx, reqs, n, secs, &out->stats, &ferr) : 0;

	for (size_t i = 0; i < n; i++) {
		vs_value *v = &out->values[i];
		const char *val = NULL;
		int vault_code;

		if (fetch_rc) {
			vault_code = fetch_rc;
			snprintf(v->vault_err, sizeof v->vault_err, "%s", ferr.msg);
		} else if (secs[i].dynamic_unread) {
			/* looked up, not read: neither Vault's value nor a reason to fall back */
			v->source = VS_SRC_DYNAMIC;
			v->ms = secs[i].ms;
			continue;
		} else if ((vault_code = vault_answer(v, &secs[i], &val)) < 0) {
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
			goto out;
		}
		choose_source(cfg, v, vault_code, &val, env, env_ctx, &ld);
		v->vault_code = vault_code;
		if (vault_code) {
			vs_log(VS_LOG_INFO, "%s: %s; source: %s", v->entry->name, v->vault_err,
			       vs_source_name(v->source));
			if (!n_fallback++)
				first_fallback = v;
		}
		if (val && !(v->value = strdup(val))) {
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
			goto out;
		}
		note_failure(out, cfg, v);
	}
	/* When the program goes on without Vault's answer, say so once; when the
	 * policy refuses, the caller prints out->message and that is the one line. */
	if (!out->status && n_fallback)
		vs_log(VS_LOG_WARN, "%zu of %zu names not from Vault (first: %s: %s); fallback sources used; "
				    "'vaultshim check -c %s' names each and why",
		       n_fallback, n, first_fallback->entry->name, first_fallback->vault_err, cfg->path);
out:
	for (size_t i = 0; i < n && secs; i++)
		vs_secret_clear(&secs[i]);
	free(secs);
	free(reqs);
	vs_dotenv_free(ld.d);
	if (rc)
		vs_resolution_clear(out);
	return rc;
}

void vs_resolution_clear(vs_resolution *r)
{
	for (size_t i = 0; i < r->n && r->values; i++) {
		vs_free_secret(r->values[i].value);
		free(r->values[i].lease_id);
	}
	free(r->values);
	memset(r, 0, sizeof *r);
}
