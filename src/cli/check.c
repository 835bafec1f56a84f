/*
 * vaultshim check — the pre-flight (vaultshim-client.so). Resolves every
 * mapped name as a program started now would, prints where each value comes
 * from (never the value) and exits with the code that program would be
 * refused with; --strict also refuses a name that would not come from
 * Vault. With --json every exit, early failures included, prints exactly
 * one JSON object on stdout, so a script can always parse what it gets.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_audit.h"
#include "core/vs_config.h"
#include "core/vs_resolve.h"
#include "vault/vs_vault.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_check[] =
	"usage: vaultshim check [-c FILE] [--json] [--strict] [--dynamic]\n"
	"\n"
	"Resolve every name mapped in [env] and print one row per name: NAME,\n"
	"SOURCE (vault, env, dotenv, default, missing, dynamic), PATH#FIELD, the\n"
	"Vault read time in ms, and why Vault gave no value when it did not. Values\n"
	"are never printed. Exit status: 0 when a program started now would get\n"
	"what the policy demands; otherwise the code of the worst failure (65 a\n"
	"required secret missing, 69 Vault unavailable with on_error = fail, 77\n"
	"permission denied, 78 config error).\n"
	"\n"
	"With --strict, a name that would not come from Vault (its source env,\n"
	"dotenv, default or missing) fails too: each is named on stderr with its\n"
	"source and Vault's reason, and check exits 65 (or the policy's own code\n"
	"when that is already a failure).\n"
	"\n"
	"A path on a dynamic engine (database/creds/app: any mount but KV and\n"
	"cubbyhole), whose every read mints a credential, is only looked up and\n"
	"shown as 'dynamic'. With --dynamic it is read, its lease shown, and the\n"
	"lease revoked before check exits (sys/leases/revoke; a token this run\n"
	"logged in for revokes itself instead when that is not granted); a lease\n"
	"left behind makes check fail with the reason.\n"
	"\n"
	"  -c, --config FILE   config file (default: see 'vaultshim --help')\n"
	"      --json          one JSON object on stdout instead of the table, on\n"
	"                      every exit: {\"config\", \"status\" (the exit code),\n"
	"                      \"error\", \"names\", ...}\n"
	"      --strict        fail (65) when any name would not come from Vault\n"
	"      --dynamic       read dynamic secrets too, then revoke their leases\n";

typedef struct {
	const char *cfg_opt;
	bool json, strict, dynamic;
} check_opts;

/* A failure before there is a resolution to show: the one line on stderr
 * as for every command ("vaultshim: PREFIXmsg") and, with --json, the one
 * object a script parses: the same fields as a full report, "names"
 * empty. Returns code. */
static int early_fail(const check_opts *o, const char *path, int code, const char *prefix, const char *msg)
{
	fprintf(stderr, "vaultshim: %s%s\n", prefix, msg);
	if (o->json) {
		cJSON *root = cJSON_CreateObject();
		char *text;
		if (path)
			cJSON_AddStringToObject(root, "config", path);
		else
			cJSON_AddNullToObject(root, "config");
		cJSON_AddNumberToObject(root, "status", code);
		cJSON_AddStringToObject(root, "error", msg);
		cJSON_AddArrayToObject(root, "names");
		if ((text = cJSON_Print(root))) {
			puts(text);
			free(text);
		} else {
			/* (out of memory: still one object) */
			printf("{\"config\": null, \"status\": %d, \"error\": \"out of memory\", \"names\": []}\n", code);
		}
		cJSON_Delete(root);
		fflush(stdout);
	}
	return code;
}

/* 0 and the options, or -1 after a usage error (code in *rc) or --help
 * (*rc 0). --json is looked for first, so that a usage error is reported
 * as JSON too. */
static int parse_check_opts(int argc, char **argv, check_opts *o, int *rc)
{
	const char *bad = NULL;
	char msg[256];
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			o->json = true;
	for (i = 1; i < argc && !bad; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_check, stdout);
			*rc = 0;
			return -1;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (++i >= argc)
				bad = "-c needs a file";
			else
				o->cfg_opt = argv[i];
		} else if (!strncmp(a, "--config=", 9)) {
			o->cfg_opt = a + 9;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "--strict")) {
			o->strict = true;
		} else if (!strcmp(a, "--dynamic")) {
			o->dynamic = true;
		} else if (a[0] == '-' && a[1]) {
			snprintf(msg, sizeof msg, "unknown option '%s'", a);
			bad = msg;
		} else {
			break;
		}
	}
	if (!bad && i < argc)
		bad = "unexpected argument";
	if (!bad)
		return 0;
	*rc = early_fail(o, NULL, VS_EX_USAGE, "check: ", bad);
	fputs(usage_check, stderr);
	return -1;
}

static void print_json(const check_opts *o, const char *path, const vs_resolution *res, int status,
		       const char *error, const char *const *strict, size_t n_strict)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *text;

	cJSON_AddStringToObject(root, "config", path);
	cJSON_AddNumberToObject(root, "status", status);
	if (error && *error)
		cJSON_AddStringToObject(root, "error", error);
	cJSON_AddNumberToObject(root, "requests", res->stats.requests);
	cJSON_AddNumberToObject(root, "ms", res->stats.ms);
	if (o->dynamic) {
		cJSON_AddNumberToObject(root, "leases_revoked", res->stats.leases_revoked);
		cJSON_AddNumberToObject(root, "leases_kept", res->stats.leases_kept);
	}
	/* the names that fail --strict (empty when it passes); absent without it */
	if (o->strict) {
		arr = cJSON_AddArrayToObject(root, "strict");
		for (size_t i = 0; i < n_strict; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(strict[i]));
	}
	arr = cJSON_AddArrayToObject(root, "names");
	for (size_t i = 0; i < res->n; i++) {
		const vs_value *v = &res->values[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", v->entry->name);
		cJSON_AddStringToObject(e, "source", vs_source_name(v->source));
		cJSON_AddStringToObject(e, "path", v->entry->path);
		cJSON_AddStringToObject(e, "field", v->entry->field);
		cJSON_AddBoolToObject(e, "required", v->entry->required);
		cJSON_AddNumberToObject(e, "ms", v->ms);
		if (v->lease_duration)
			cJSON_AddNumberToObject(e, "lease_duration", (double)v->lease_duration);
		if (v->lease_id && o->dynamic)
			cJSON_AddBoolToObject(e, "lease_revoked", v->lease_revoked);
		if (v->vault_err[0])
			cJSON_AddStringToObject(e, "vault_error", v->vault_err);
		cJSON_AddItemToArray(arr, e);
	}
	text = cJSON_Print(root);
	puts(text ? text : "{\"status\": 70, \"error\": \"out of memory\", \"names\": []}");
	free(text);
	cJSON_Delete(root);
}

static void print_table(const check_opts *o, const vs_resolution *res)
{
	size_t counts[VS_SRC_DYNAMIC + 1] = {0};
	int w = 4;

	for (size_t i = 0; i < res->n; i++) {
		counts[res->values[i].source]++;
		if ((int)strlen(res->values[i].entry->name) > w)
			w = (int)strlen(res->values[i].entry->name);
	}
	printf("%-*s  %-7s  %8s  %s\n", w, "NAME", "SOURCE", "MS", "PATH#FIELD");
	for (size_t i = 0; i < res->n; i++) {
		const vs_value *v = &res->values[i];
		printf("%-*s  %-7s  %8.1f  %s#%s", w, v->entry->name, vs_source_name(v->source), v->ms,
		       v->entry->path, v->entry->field);
		if (v->lease_duration)
			printf("  lease %lds", v->lease_duration);
		if (v->lease_id && o->dynamic)
			printf(v->lease_revoked ? ", revoked" : ", NOT revoked");
		if (v->source == VS_SRC_DYNAMIC)
			printf("  (dynamic: not read, so no credential minted; --dynamic reads it and revokes the lease)");
		if (v->vault_err[0])
			printf("  (vault: %s)", v->vault_err);
		putchar('\n');
	}
	printf("%zu names: %zu vault, %zu env, %zu dotenv, %zu default, %zu missing", res->n, counts[VS_SRC_VAULT],
	       counts[VS_SRC_ENV], counts[VS_SRC_DOTENV], counts[VS_SRC_DEFAULT], counts[VS_SRC_MISSING]);
	if (counts[VS_SRC_DYNAMIC])
		printf(", %zu dynamic (not read)", counts[VS_SRC_DYNAMIC]);
	printf("; %d requests in %.1f ms", res->stats.requests, res->stats.ms);
	if (o->dynamic)
		printf("; %d lease(s) revoked, %d not", res->stats.leases_revoked, res->stats.leases_kept);
	putchar('\n');
}

int vs_cmd_check(int argc, char **argv)
{
	check_opts o = {0};
	char path[PATH_MAX], summary[VS_ERR_MAX] = "";
	vs_config *cfg = NULL;
	vs_resolution res;
	vs_error err = {0};
	const char **strict = NULL;
	size_t n_strict = 0;
	int rc = 0, status;

	if (parse_check_opts(argc, argv, &o, &rc))
		return rc;
	if (vs_config_locate(o.cfg_opt, path, &err))
		return early_fail(&o, NULL, err.code, "", err.msg);
	if (vs_config_load(path, vs_libc_getenv, NULL, &cfg, &err))
		return early_fail(&o, path, err.code, "config: ", err.msg);
	/* an audit trail nothing could be written to: the pre-flight fails */
	if (vs_audit_check(cfg, &err)) {
		vs_config_free(cfg);
		return early_fail(&o, path, err.code, "check: ", err.msg);
	}
	if (vs_cli_resolve(cfg, NULL, 0, o.dynamic ? VS_DYN_READ_REVOKE : VS_DYN_SKIP, &res, &err)) {
		rc = early_fail(&o, path, err.code, "resolve: ", err.msg);
		vs_config_free(cfg);
		return rc;
	}
	/* a lease left behind is a credential nobody will use: say so, and fail */
	if (res.stats.leases_kept && res.stats.revoke_code > res.status) {
		res.status = res.stats.revoke_code;
		snprintf(res.message, sizeof res.message, "%d lease(s) not revoked: %s", res.stats.leases_kept,
			 res.stats.revoke_err);
	}
	status = res.status;
	if (o.strict && res.n && !(strict = calloc(res.n, sizeof *strict))) {
		vs_resolution_clear(&res);
		vs_config_free(cfg);
		return early_fail(&o, path, VS_EX_SOFTWARE, "check: ", "out of memory");
	}
	for (size_t i = 0; o.strict && i < res.n; i++)
		if (!vs_value_from_vault(&res.values[i]))
			strict[n_strict++] = res.values[i].entry->name;
	if (n_strict) {
		snprintf(summary, sizeof summary,
			 "--strict: %zu of %zu names would not come from Vault (%s%s); fix what Vault answers "
			 "for each (its reason is on its line above), or leave --strict off to accept the "
			 "fallbacks", n_strict, res.n, strict[0], n_strict > 1 ? ", ..." : "");
		/* the policy's own refusal is the more precise code: kept */
		if (!status)
			status = VS_EX_MISSING;
	}

	if (o.json)
		print_json(&o, path, &res, status, res.status ? res.message : summary, strict, n_strict);
	else
		print_table(&o, &res);
	fflush(stdout);
	if (res.status)
		fprintf(stderr, "vaultshim: check: %s\n", res.message);
	for (size_t i = 0; o.strict && i < res.n; i++) {
		const vs_value *v = &res.values[i];
		if (vs_value_from_vault(v))
			continue;
		fprintf(stderr, "vaultshim: check: --strict: %s (%s#%s): from %s, not Vault: %s\n", v->entry->name,
			v->entry->path, v->entry->field, vs_source_name(v->source),
			v->vault_err[0] ? v->vault_err : "?");
	}
	if (n_strict)
		fprintf(stderr, "vaultshim: check: %s\n", summary);
	free(strict);
	vs_resolution_clear(&res);
	vs_config_free(cfg);
	return status;
}
