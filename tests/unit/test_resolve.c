/* Resolver: source order Vault → env → dotenv → default, and failure policy,
 * against a fake Vault (a vs_fetch_fn over a table). */
#define _GNU_SOURCE
#include "suites.h"
#include "testlib.h"
#include "core/vs_resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fake environment ---- */

static tl_env env;

/* ---- fake Vault ---- */

typedef struct {
	const char *path;
	int code;            /* 0 = answers */
	const char *fields;  /* "k=v;k2=v2" */
	const char *lease_id;
} fake_secret;

typedef struct {
	const fake_secret *table;
	int fail_all;        /* whole batch fails with this code */
	int calls;
	size_t last_n;
	char seen[8][128];
} fake_vault;

static int fake_fetch(void *ctx, const vs_vault_req *reqs, size_t n, vs_secret *out,
		      vs_vault_stats *stats, vs_error *err)
{
	fake_vault *fv = ctx;

	(void)stats;
	fv->calls++;
	fv->last_n = n;
	for (size_t i = 0; i < n && i < 8; i++)
		snprintf(fv->seen[i], sizeof fv->seen[i], "%s", reqs[i].path);
	if (fv->fail_all)
		return vs_fail(err, fv->fail_all, "no Vault token: set token_file");
	for (size_t i = 0; i < n; i++) {
		const fake_secret *f = NULL;
		for (int j = 0; fv->table && fv->table[j].path; j++)
			if (!strcmp(fv->table[j].path, reqs[i].path))
				f = &fv->table[j];
		if (!f) {
			out[i].code = VS_EX_MISSING;
			snprintf(out[i].err, sizeof out[i].err, "GET %s: not found (404)", reqs[i].path);
			continue;
		}
		out[i].code = f->code;
		out[i].ms = 1.5;
		if (f->code) {
			snprintf(out[i].err, sizeof out[i].err, "GET %s: failure %d", reqs[i].path, f->code);
			continue;
		}
		out[i].api_path = strdup(reqs[i].path);
		if (f->lease_id) {
			out[i].lease_id = strdup(f->lease_id);
			out[i].lease_duration = 3600;
		}
		{
			char *copy = strdup(f->fields), *save = NULL;
			out[i].fields = calloc(8, sizeof *out[i].fields);
			for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
				char *eq = strchr(kv, '=');
				vs_field *fl = &out[i].fields[out[i].n_fields++];
				fl->key = strndup(kv, (size_t)(eq - kv));
				fl->value = strdup(eq + 1);
			}
			free(copy);
		}
	}
	return 0;
}

static vs_config *parse(const char *text)
{
	return tl_config("t.conf", text, tl_getenv, env.vars);
}

static const vs_value *find(const vs_resolution *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->values[i].entry->name, name))
			return &r->values[i];
	ck_abort_msg("name %s not in the resolution", name);
	return NULL;
}

static void setup(void)
{
	tl_env_clear(&env);
}

static const fake_secret table[] = {
	{"secret/app", 0, "password=from-vault;user=app", NULL},
	{"secret/denied", VS_EX_NOPERM, NULL, NULL},
	{"secret/down", VS_EX_UNAVAILABLE, NULL, NULL},
	{"database/creds/app", 0, "username=u1;password=p1", "database/creds/app/abc"},
	{NULL, 0, NULL, NULL},
};

START_TEST(vault_value_wins_over_env)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[env]\nDB_PASSWORD = secret/app#password\n");
	vs_resolution r;
	vs_error err = {0};

	tl_env_add(&env, "DB_PASSWORD", "from-env");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(find(&r, "DB_PASSWORD")->source, VS_SRC_VAULT);
	ck_assert_str_eq(find(&r, "DB_PASSWORD")->value, "from-vault");
	ck_assert_str_eq(find(&r, "DB_PASSWORD")->vault_err, "");
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(falls_back_to_env_then_default)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[env]\n"
			       "A = secret/missing#x\n"
			       "B = secret/missing#y default=\"dflt\"\n"
			       "C = secret/app#nofield\n"
			       "D = secret/missing#z\n");
	vs_resolution r;
	vs_error err = {0};

	tl_env_add(&env, "A", "env-a");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(find(&r, "A")->source, VS_SRC_ENV);
	ck_assert_str_eq(find(&r, "A")->value, "env-a");
	ck_assert_ptr_nonnull(strstr(find(&r, "A")->vault_err, "not found"));
	ck_assert_int_eq(find(&r, "B")->source, VS_SRC_DEFAULT);
	ck_assert_str_eq(find(&r, "B")->value, "dflt");
	/* a present secret without the field is a fallback too, and says which field */
	ck_assert_int_eq(find(&r, "C")->source, VS_SRC_MISSING);
	ck_assert_ptr_nonnull(strstr(find(&r, "C")->vault_err, "no field 'nofield'; name one of its keys after the # in [env]"));
	ck_assert_int_eq(find(&r, "D")->source, VS_SRC_MISSING);
	ck_assert_ptr_null(find(&r, "D")->value);
	ck_assert_int_eq(find(&r, "D")->code, 0); /* not required: no failure */
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(empty_env_value_counts_as_set)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[env]\nA = secret/missing#x default=d\n");
	vs_resolution r;
	vs_error err = {0};

	tl_env_add(&env, "A", "");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(find(&r, "A")->source, VS_SRC_ENV);
	ck_assert_str_eq(find(&r, "A")->value, "");
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(dotenv_between_env_and_default)
{
	fake_vault fv = {.table = table};
	char dir[64], *path, conf[256];
	const char *dotenv = "# app\nA=from-dotenv\nB='quoted value'\n";
	vs_config *cfg;
	vs_resolution r;
	vs_error err = {0};

	tl_tmpdir_make(dir, sizeof dir, "vs-res");
	path = tl_path(dir, ".env");
	tl_write_text(path, dotenv, 0600);
	snprintf(conf, sizeof conf,
		 "[options]\ndotenv = %s\n[env]\n"
		 "A = secret/missing#a default=no\n"
		 "B = secret/missing#b\n"
		 "C = secret/missing#c default=dflt\n", path);
	cfg = parse(conf);
	tl_env_add(&env, "B", "env-b");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(find(&r, "A")->source, VS_SRC_DOTENV);
	ck_assert_str_eq(find(&r, "A")->value, "from-dotenv");
	ck_assert_int_eq(find(&r, "B")->source, VS_SRC_ENV); /* env before dotenv */
	ck_assert_int_eq(find(&r, "C")->source, VS_SRC_DEFAULT);
	vs_resolution_clear(&r);
	vs_config_free(cfg);
	free(path);
	tl_tmpdir_remove(dir);
}
END_TEST

START_TEST(required_missing_fails_with_65_and_names_it)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[env]\n"
			       "OK = secret/app#user required\n"
			       "SECRET_KEY = secret/missing#key required\n");
	vs_resolution r;
	vs_error err = {0};

	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, VS_EX_MISSING);
	ck_assert_int_eq(find(&r, "OK")->code, 0);
	ck_assert_int_eq(find(&r, "SECRET_KEY")->code, VS_EX_MISSING);
	ck_assert_ptr_nonnull(strstr(r.message, "SECRET_KEY"));
	ck_assert_ptr_nonnull(strstr(r.message, "secret/missing#key"));
	ck_assert_ptr_nonnull(strstr(r.message, "not found"));
	ck_assert_ptr_null(strchr(r.message, '\n'));
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(required_satisfied_by_env)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[env]\nSECRET_KEY = secret/down#key required\n");
	vs_resolution r;
	vs_error err = {0};

	tl_env_add(&env, "SECRET_KEY", "from-env");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(find(&r, "SECRET_KEY")->source, VS_SRC_ENV);
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(on_error_fail_refuses_fallbacks)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[options]\non_error = fail\n[env]\n"
			       "A = secret/down#x default=d\n"
			       "B = secret/app#password\n");
	vs_resolution r;
	vs_error err = {0};

	tl_env_add(&env, "A", "from-env");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, VS_EX_UNAVAILABLE);
	ck_assert_int_eq(find(&r, "A")->source, VS_SRC_MISSING);
	ck_assert_ptr_null(find(&r, "A")->value);
	ck_assert_int_eq(find(&r, "B")->source, VS_SRC_VAULT);
	ck_assert_ptr_nonnull(strstr(r.message, "A (secret/down#x)"));
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(on_error_fail_with_default_says_why)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[options]\non_error = fail\n[env]\n"
			       "A = secret/gone#x default=d\n");
	vs_config *nodef = parse("[options]\non_error = fail\n[env]\nA = secret/gone#x\n");
	vs_resolution r;
	vs_error err = {0};

	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, VS_EX_MISSING);
	ck_assert_ptr_null(find(&r, "A")->value);
	ck_assert_ptr_nonnull(strstr(r.message, "A (secret/gone#x): GET secret/gone: not found (404)"));
	ck_assert_ptr_nonnull(strstr(r.message, "its default= is not used under on_error = fail"));
	ck_assert_ptr_nonnull(strstr(r.message, "set on_error = fallback in [options]"));
	vs_resolution_clear(&r);
	/* no default: no word about one */
	ck_assert_int_eq(vs_resolve(nodef, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_ptr_null(strstr(r.message, "default="));
	vs_resolution_clear(&r);
	vs_config_free(cfg);
	vs_config_free(nodef);
}
END_TEST

START_TEST(from_vault_is_what_strict_asks)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[env]\nA = secret/app#password\nB = secret/gone#x default=d\nC = secret/gone#y\n");
	vs_resolution r;
	vs_value dyn = {.source = VS_SRC_DYNAMIC};
	vs_error err = {0};

	tl_env_add(&env, "C", "from-env");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert(vs_value_from_vault(find(&r, "A")));
	ck_assert(!vs_value_from_vault(find(&r, "B")));
	ck_assert(!vs_value_from_vault(find(&r, "C")));
	/* a dynamic path check only looked up: the program gets Vault's credential */
	ck_assert(vs_value_from_vault(&dyn));
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(worst_code_wins)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[options]\non_error = fail\n[env]\n"
			       "A = secret/missing#x\n"
			       "B = secret/denied#y\n"
			       "C = secret/down#z\n");
	vs_resolution r;
	vs_error err = {0};

	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(find(&r, "A")->code, VS_EX_MISSING);
	ck_assert_int_eq(find(&r, "B")->code, VS_EX_NOPERM);
	ck_assert_int_eq(find(&r, "C")->code, VS_EX_UNAVAILABLE);
	ck_assert_int_eq(r.status, VS_EX_NOPERM);
	/* the message is the first failing name in config order */
	ck_assert_ptr_nonnull(strstr(r.message, "A (secret/missing#x)"));
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

START_TEST(batch_failure_applies_to_every_name)
{
	fake_vault fv = {.table = table, .fail_all = VS_EX_NOPERM};
	vs_config *cfg = parse("[env]\nA = secret/app#password\nB = secret/app#user default=u\n");
	vs_config *strict = parse("[options]\non_error = fail\n[env]\nA = secret/app#password\n");
	vs_resolution r;
	vs_error err = {0};

	tl_env_add(&env, "A", "env-a");
	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(find(&r, "A")->source, VS_SRC_ENV);
	ck_assert_int_eq(find(&r, "B")->source, VS_SRC_DEFAULT);
	ck_assert_ptr_nonnull(strstr(find(&r, "B")->vault_err, "no Vault token"));
	vs_resolution_clear(&r);

	ck_assert_int_eq(vs_resolve(strict, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(r.status, VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(r.message, "no Vault token"));
	vs_resolution_clear(&r);
	vs_config_free(cfg);
	vs_config_free(strict);
}
END_TEST

START_TEST(names_filter_reads_only_those)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[env]\nA = secret/app#password\nB = database/creds/app#username\n");
	const char *names[] = {"B"};
	const char *bad[] = {"NOPE"};
	vs_resolution r;
	vs_error err = {0};

	ck_assert_int_eq(vs_resolve(cfg, names, 1, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(fv.last_n, 1);
	ck_assert_str_eq(fv.seen[0], "database/creds/app");
	ck_assert_str_eq(r.values[0].value, "u1");
	ck_assert_int_eq(r.values[0].lease_duration, 3600);
	ck_assert_str_eq(r.values[0].lease_id, "database/creds/app/abc");
	vs_resolution_clear(&r);

	ck_assert_int_eq(vs_resolve(cfg, bad, 1, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), VS_EX_USAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "'NOPE' is not mapped"));
	vs_config_free(cfg);
}
END_TEST

START_TEST(no_names_no_fetch)
{
	fake_vault fv = {.table = table};
	vs_config *cfg = parse("[vault]\naddress = http://127.0.0.1:1\n");
	vs_resolution r;
	vs_error err = {0};

	ck_assert_int_eq(vs_resolve(cfg, NULL, 0, tl_getenv, env.vars, fake_fetch, &fv, &r, &err), 0);
	ck_assert_int_eq(fv.calls, 0);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_int_eq(r.status, 0);
	vs_resolution_clear(&r);
	vs_config_free(cfg);
}
END_TEST

Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *order = tcase_create("source order");
	TCase *policy = tcase_create("failure policy");

	tcase_add_checked_fixture(order, setup, NULL);
	tcase_add_test(order, vault_value_wins_over_env);
	tcase_add_test(order, falls_back_to_env_then_default);
	tcase_add_test(order, empty_env_value_counts_as_set);
	tcase_add_test(order, dotenv_between_env_and_default);
	tcase_add_test(order, names_filter_reads_only_those);
	tcase_add_test(order, no_names_no_fetch);
	suite_add_tcase(s, order);

	tcase_add_checked_fixture(policy, setup, NULL);
	tcase_add_test(policy, required_missing_fails_with_65_and_names_it);
	tcase_add_test(policy, required_satisfied_by_env);
	tcase_add_test(policy, on_error_fail_refuses_fallbacks);
	tcase_add_test(policy, worst_code_wins);
	tcase_add_test(policy, on_error_fail_with_default_says_why);
	tcase_add_test(policy, from_vault_is_what_strict_asks);
	tcase_add_test(policy, batch_failure_applies_to_every_name);
	suite_add_tcase(s, policy);
	return s;
}
