/*
 * Config parser tests: vs_config_parse on in-memory text with a fake
 * environment (never the process environment), vs_config_load on real files
 * in a private temporary directory. The texts it must refuse are the rows of
 * config_errors.h, a table the fuzz seeds share.
 */
#define _GNU_SOURCE
#include "suites.h"
#include "testlib.h"
#include "config_errors.h"
#include "core/vs_config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fake environment of most cases (and of every config_errors.h row that
 * names no other). */
static const char *const base_env[] = {"HOME=/home/alice", "EMPTY=", "TEAM=payments", NULL};

/* ---- helpers ---- */

#define PARSE(text) tl_config("t.conf", (text), tl_getenv, (void *)base_env)
#define PARSE_ENV(text, env) tl_config("t.conf", (text), tl_getenv, (void *)(env))

static void assert_entry(const vs_config *cfg, const char *name, const char *path,
			 const char *field, int line)
{
	const vs_entry *e = vs_config_find(cfg, name);

	ck_assert_msg(e != NULL, "no entry named %s", name);
	ck_assert_str_eq(e->name, name);
	ck_assert_str_eq(e->path, path);
	ck_assert_str_eq(e->field, field);
	ck_assert_int_eq(e->line, line);
}

/* Compares a default without printing it: defaults are secrets in all but name. */
#define ASSERT_DEFAULT(e, expected)                                                     \
	do {                                                                             \
		ck_assert_msg((e)->def != NULL, "%s has no default", (e)->name);         \
		ck_assert_msg(strlen((e)->def) == strlen(expected) &&                    \
				      !memcmp((e)->def, (expected), strlen(expected)),   \
			      "default of %s differs from the expected one (%zu vs %zu bytes)", \
			      (e)->name, strlen((e)->def), strlen(expected));            \
	} while (0)

/* ---- a full config: README's, "Configuration reference", with AppRole ---- */

static const char design_example[] =
	"[vault]\n"
	"address = https://vault.internal:8200   ; a key set here wins over its VAULT_* variable\n"
	"auth = approle                           ; token | approle | kubernetes | jwt\n"
	"role_id_file = /run/secrets/role-id\n"
	"secret_id_file = /run/secrets/secret-id\n"
	"timeout = 5s\n"
	"\n"
	"[options]\n"
	"mode = auto            ; lazy | eager | auto\n"
	"on_error = fallback    ; fallback | fail\n"
	"dotenv = /srv/app/.env ; optional extra fallback source\n"
	"\n"
	"[env]\n"
	"SECRET_KEY   = secret/store-erp/${APP_ENV:-development}/flask#secret_key   required\n"
	"DB_PASSWORD  = secret/store-erp/${APP_ENV:-development}/database#password  default=\"dev-only\"\n"
	"API_KEY      = secret/shop/api#key version=3\n"
	"DB_USER      = database/creds/app#username\n";

static void check_design_example(const vs_config *cfg, const char *app_env)
{
	char p1[128], p2[128];
	const vs_entry *e;

	ck_assert_str_eq(cfg->vault.address, "https://vault.internal:8200");
	ck_assert(cfg->vault.auth_set);
	ck_assert_int_eq(cfg->vault.auth, VS_AUTH_APPROLE);
	ck_assert_str_eq(cfg->vault.role_id_file, "/run/secrets/role-id");
	ck_assert_str_eq(cfg->vault.secret_id_file, "/run/secrets/secret-id");
	ck_assert_int_eq(cfg->vault.timeout_ms, 5000);
	/* keys not in the file stay unset so VAULT_* variables can apply */
	ck_assert_ptr_null(cfg->vault.token_file);
	ck_assert_ptr_null(cfg->vault.namespace_);
	ck_assert_ptr_null(cfg->vault.ca_cert);
	ck_assert_int_eq(cfg->vault.skip_verify, -1);
	ck_assert_int_eq(cfg->vault.max_retries, -1);
	ck_assert_int_eq(cfg->vault.kv_version, 0);

	ck_assert_int_eq(cfg->options.mode, VS_MODE_AUTO);
	ck_assert_int_eq(cfg->options.on_error, VS_ON_ERROR_FALLBACK);
	ck_assert_str_eq(cfg->options.dotenv, "/srv/app/.env");

	ck_assert_uint_eq(cfg->n_entries, 4);
	snprintf(p1, sizeof p1, "secret/store-erp/%s/flask", app_env);
	snprintf(p2, sizeof p2, "secret/store-erp/%s/database", app_env);
	assert_entry(cfg, "SECRET_KEY", p1, "secret_key", 14);
	assert_entry(cfg, "DB_PASSWORD", p2, "password", 15);
	assert_entry(cfg, "API_KEY", "secret/shop/api", "key", 16);
	assert_entry(cfg, "DB_USER", "database/creds/app", "username", 17);

	e = vs_config_find(cfg, "SECRET_KEY");
	ck_assert(e->required);
	ck_assert_ptr_null(e->def);
	ck_assert_int_eq(e->version, 0);

	e = vs_config_find(cfg, "DB_PASSWORD");
	ck_assert(!e->required);
	ASSERT_DEFAULT(e, "dev-only");
	ck_assert_int_eq(e->version, 0);

	e = vs_config_find(cfg, "API_KEY");
	ck_assert(!e->required);
	ck_assert_ptr_null(e->def);
	ck_assert_int_eq(e->version, 3);
	ck_assert_int_eq(e->kv_version, 0);

	e = vs_config_find(cfg, "DB_USER");
	ck_assert(!e->required);
	ck_assert_ptr_null(e->def);
	ck_assert_int_eq(e->version, 0);

	/* entries keep the file's order */
	ck_assert_str_eq(cfg->entries[0].name, "SECRET_KEY");
	ck_assert_str_eq(cfg->entries[3].name, "DB_USER");
}

START_TEST(test_design_example_default_env)
{
	vs_config *cfg = PARSE(design_example);

	ck_assert_str_eq(cfg->path, "t.conf");
	check_design_example(cfg, "development");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_design_example_app_env_set)
{
	static const char *const env[] = {"APP_ENV=production", NULL};
	vs_config *cfg = PARSE_ENV(design_example, env);

	check_design_example(cfg, "production");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_design_example_app_env_empty_uses_default)
{
	/* ${VAR:-default}: set but empty takes the default, as in sh */
	static const char *const env[] = {"APP_ENV=", NULL};
	vs_config *cfg = PARSE_ENV(design_example, env);

	check_design_example(cfg, "development");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_process_environment_is_not_read)
{
	vs_config *cfg;

	/* the test runs in its own process: changing its environment is harmless */
	ck_assert_int_eq(setenv("APP_ENV", "from-process", 1), 0);
	cfg = PARSE(design_example);
	check_design_example(cfg, "development");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_design_example_crlf)
{
	size_t n = strlen(design_example), j = 0;
	char *crlf = malloc(2 * n + 1);
	vs_config *cfg;

	ck_assert_ptr_nonnull(crlf);
	for (size_t i = 0; i < n; i++) {
		if (design_example[i] == '\n')
			crlf[j++] = '\r';
		crlf[j++] = design_example[i];
	}
	crlf[j] = '\0';
	cfg = PARSE(crlf);
	check_design_example(cfg, "development");
	vs_config_free(cfg);
	free(crlf);
}
END_TEST

START_TEST(test_design_example_bom)
{
	char *text;
	vs_config *cfg;

	ck_assert_int_ge(asprintf(&text, "\xEF\xBB\xBF%s", design_example), 0);
	cfg = PARSE(text);
	check_design_example(cfg, "development");
	vs_config_free(cfg);
	free(text);
}
END_TEST

/* ---- [vault] and [options] values ---- */

START_TEST(test_vault_all_keys)
{
	vs_config *cfg = PARSE(
		"[vault]\n"
		"address = unix:///run/vault-agent.sock\n"
		"auth = kubernetes\n"
		"auth_mount = /k8s-prod\n"
		"token_file = /var/run/token\n"
		"role = web\n"
		"jwt_file = /var/run/secrets/sa-token\n"
		"namespace = team/a\n"
		"ca_cert = /etc/ssl/vault-ca.pem\n"
		"ca_path = /etc/ssl/vault\n"
		"client_cert = /etc/ssl/client.pem\n"
		"client_key = /etc/ssl/client.key\n"
		"tls_server_name = vault.internal\n"
		"skip_verify = true\n"
		"timeout = 250ms\n"
		"max_retries = 0\n"
		"kv_version = 2\n");

	ck_assert_str_eq(cfg->vault.address, "unix:///run/vault-agent.sock");
	ck_assert(cfg->vault.auth_set);
	ck_assert_int_eq(cfg->vault.auth, VS_AUTH_KUBERNETES);
	ck_assert_str_eq(cfg->vault.auth_mount, "k8s-prod");
	ck_assert_str_eq(cfg->vault.token_file, "/var/run/token");
	ck_assert_str_eq(cfg->vault.role, "web");
	ck_assert_str_eq(cfg->vault.jwt_file, "/var/run/secrets/sa-token");
	ck_assert_str_eq(cfg->vault.namespace_, "team/a");
	ck_assert_str_eq(cfg->vault.ca_cert, "/etc/ssl/vault-ca.pem");
	ck_assert_str_eq(cfg->vault.ca_path, "/etc/ssl/vault");
	ck_assert_str_eq(cfg->vault.client_cert, "/etc/ssl/client.pem");
	ck_assert_str_eq(cfg->vault.client_key, "/etc/ssl/client.key");
	ck_assert_str_eq(cfg->vault.tls_server_name, "vault.internal");
	ck_assert_int_eq(cfg->vault.skip_verify, 1);
	ck_assert_int_eq(cfg->vault.timeout_ms, 250);
	ck_assert_int_eq(cfg->vault.max_retries, 0);
	ck_assert_int_eq(cfg->vault.kv_version, 2);
	ck_assert_uint_eq(cfg->n_entries, 0);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_vault_other_values)
{
	vs_config *cfg = PARSE(
		"[vault]\n"
		"address=http://127.0.0.1:8200\n"
		"auth\t=\tjwt\n"
		"skip_verify = off\n"
		"timeout = 1.5\n"
		"max_retries = 100\n"
		"kv_version = 1\n");

	ck_assert_str_eq(cfg->vault.address, "http://127.0.0.1:8200");
	ck_assert_int_eq(cfg->vault.auth, VS_AUTH_JWT);
	ck_assert_int_eq(cfg->vault.skip_verify, 0);
	ck_assert_int_eq(cfg->vault.timeout_ms, 1500);
	ck_assert_int_eq(cfg->vault.max_retries, 100);
	ck_assert_int_eq(cfg->vault.kv_version, 1);
	vs_config_free(cfg);

	cfg = PARSE("[vault]\nauth = token\ntimeout = 2m\nkv_version = auto\n");
	ck_assert(cfg->vault.auth_set);
	ck_assert_int_eq(cfg->vault.auth, VS_AUTH_TOKEN);
	ck_assert_int_eq(cfg->vault.timeout_ms, 120000);
	ck_assert_int_eq(cfg->vault.kv_version, 0);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_vault_quoted_values)
{
	vs_config *cfg = PARSE(
		"[vault]\n"
		"address = \"https://vault.internal:8200\" ; quoted\n"
		"namespace = \"\"\n"
		"role = \"a ; b # c\"  # the quotes keep ';' and '#'\n");

	ck_assert_str_eq(cfg->vault.address, "https://vault.internal:8200");
	ck_assert_str_eq(cfg->vault.namespace_, "");
	ck_assert_str_eq(cfg->vault.role, "a ; b # c");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_options_values)
{
	vs_config *cfg = PARSE("[options]\nmode = eager\non_error = fail\ninherit = no\n");

	ck_assert_int_eq(cfg->options.mode, VS_MODE_EAGER);
	ck_assert_int_eq(cfg->options.on_error, VS_ON_ERROR_FAIL);
	ck_assert(!cfg->options.inherit);
	ck_assert_ptr_null(cfg->options.dotenv);
	vs_config_free(cfg);

	cfg = PARSE("[options]\nmode = lazy # comment\n");
	ck_assert_int_eq(cfg->options.mode, VS_MODE_LAZY);
	ck_assert(cfg->options.inherit);
	ck_assert_int_eq(cfg->options.seccomp, VS_SECCOMP_AUTO);
	vs_config_free(cfg);

	cfg = PARSE("[options]\nseccomp = no-spawn\n");
	ck_assert_int_eq(cfg->options.seccomp, VS_SECCOMP_NO_SPAWN);
	vs_config_free(cfg);
	cfg = PARSE("[options]\nseccomp = spawn\n");
	ck_assert_int_eq(cfg->options.seccomp, VS_SECCOMP_SPAWN);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_inline_comments)
{
	vs_config *cfg = PARSE(
		"[vault]\n"
		"address = https://v.example:8200 # hash comment\n"
		"role = web;not-a-comment\n"
		"[options]  ; after a header\n"
		"dotenv = /srv/.env\t; tab then comment\n"
		"[env]\n"
		"A = secret/x#f # comment\n"
		"B = secret/y#g required ; comment\n"
		"C = secret/z#h default=\"d\" # comment\n"
		"D = secret/w#i version=2 ; comment\n"
		"E = secret/hash#fi#eld\n");
	const vs_entry *e;

	ck_assert_str_eq(cfg->vault.address, "https://v.example:8200");
	ck_assert_str_eq(cfg->vault.role, "web;not-a-comment");
	ck_assert_str_eq(cfg->options.dotenv, "/srv/.env");
	ck_assert_uint_eq(cfg->n_entries, 5);
	assert_entry(cfg, "A", "secret/x", "f", 7);
	e = vs_config_find(cfg, "A");
	ck_assert(!e->required);
	ck_assert_ptr_null(e->def);
	assert_entry(cfg, "B", "secret/y", "g", 8);
	ck_assert(vs_config_find(cfg, "B")->required);
	assert_entry(cfg, "C", "secret/z", "h", 9);
	ASSERT_DEFAULT(vs_config_find(cfg, "C"), "d");
	assert_entry(cfg, "D", "secret/w", "i", 10);
	ck_assert_int_eq(vs_config_find(cfg, "D")->version, 2);
	/* the field is what follows the last '#' */
	assert_entry(cfg, "E", "secret/hash#fi", "eld", 11);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_empty_and_comment_only_files)
{
	static const char *const texts[] = {
		"",
		"\n\n\n",
		"; only comments\n# here\n   ; indented\n\t# tab\n",
		"\xEF\xBB\xBF",
		"[vault]\n[options]\n[env]\n",
	};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		vs_config *cfg = PARSE(texts[i]);
		ck_assert_uint_eq(cfg->n_entries, 0);
		ck_assert_ptr_null(cfg->vault.address);
		ck_assert(!cfg->vault.auth_set);
		ck_assert_int_eq(cfg->vault.timeout_ms, -1);
		ck_assert_int_eq(cfg->vault.skip_verify, -1);
		ck_assert_int_eq(cfg->vault.max_retries, -1);
		ck_assert_int_eq(cfg->options.mode, VS_MODE_AUTO);
		ck_assert_int_eq(cfg->options.on_error, VS_ON_ERROR_FALLBACK);
		ck_assert_ptr_null(cfg->options.dotenv);
		ck_assert(cfg->options.inherit);
		ck_assert_ptr_null(vs_config_find(cfg, "ANY"));
		vs_config_free(cfg);
	}
}
END_TEST

START_TEST(test_no_trailing_newline)
{
	vs_config *cfg = PARSE("[env]\nLAST = secret/x#y required");

	assert_entry(cfg, "LAST", "secret/x", "y", 2);
	ck_assert(vs_config_find(cfg, "LAST")->required);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_relative_files_against_config_dir)
{
	vs_config *cfg = tl_config("/etc/vs/app.conf",
				   "[vault]\n"
				   "token_file = token\n"
				   "role_id_file = secrets/role-id\n"
				   "ca_cert = /abs/ca.pem\n"
				   "[options]\n"
				   "dotenv = .env\n",
				   tl_getenv, (void *)base_env);

	ck_assert_str_eq(cfg->path, "/etc/vs/app.conf");
	ck_assert_str_eq(cfg->vault.token_file, "/etc/vs/token");
	ck_assert_str_eq(cfg->vault.role_id_file, "/etc/vs/secrets/role-id");
	ck_assert_str_eq(cfg->vault.ca_cert, "/abs/ca.pem");
	ck_assert_str_eq(cfg->options.dotenv, "/etc/vs/.env");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_tilde_uses_fake_home)
{
	vs_config *cfg = tl_config("/etc/vs/app.conf",
				   "[vault]\ntoken_file = ~/.vault-token\n[options]\ndotenv = ~/app/.env\n",
				   tl_getenv, (void *)base_env);

	ck_assert_str_eq(cfg->vault.token_file, "/home/alice/.vault-token");
	ck_assert_str_eq(cfg->options.dotenv, "/home/alice/app/.env");
	vs_config_free(cfg);
}
END_TEST

/* ---- [env] entries ---- */

START_TEST(test_default_escapes)
{
	vs_config *cfg = PARSE("[env]\n"
			       "A = secret/a#f default=\"q\\\"b\\\\s\\nn\\tt\\$HOME\"\n"
			       "B = secret/b#f default=\"\\${HOME}\"\n"
			       "C = secret/c#f default=\"a # b ; c\"\n"
			       "D = secret/d#f default=\"\"\n");

	/* \" \\ \n \t, and \$ is a literal '$' that is not expanded */
	ASSERT_DEFAULT(vs_config_find(cfg, "A"), "q\"b\\s\nn\tt$HOME");
	ASSERT_DEFAULT(vs_config_find(cfg, "B"), "${HOME}");
	ASSERT_DEFAULT(vs_config_find(cfg, "C"), "a # b ; c");
	ASSERT_DEFAULT(vs_config_find(cfg, "D"), "");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_default_expansion)
{
	vs_config *cfg = PARSE("[env]\n"
			       "A = secret/a#f default=\"${HOME}/cache\"\n"
			       "B = secret/b#f default=${TEAM}-db\n"
			       "C = secret/c#f default=\"${NOPE:-fallback}\"\n"
			       "D = secret/d#f default=cost$5\n"
			       "E = secret/e#f default=\"${EMPTY}x\"\n");

	ASSERT_DEFAULT(vs_config_find(cfg, "A"), "/home/alice/cache");
	ASSERT_DEFAULT(vs_config_find(cfg, "B"), "payments-db");
	ASSERT_DEFAULT(vs_config_find(cfg, "C"), "fallback");
	ASSERT_DEFAULT(vs_config_find(cfg, "D"), "cost$5");
	ASSERT_DEFAULT(vs_config_find(cfg, "E"), "x");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_bare_default)
{
	vs_config *cfg = PARSE("[env]\nA = secret/a#f default=word required\n");
	const vs_entry *e = vs_config_find(cfg, "A");

	ASSERT_DEFAULT(e, "word");
	ck_assert(e->required);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_kv_version_and_version)
{
	vs_config *cfg = PARSE("[env]\n"
			       "V1 = kv1/app#f kv_version=1\n"
			       "V2 = kv2/app#f kv_version=2 version=7\n"
			       "V3 = kv2/app#g version=12 kv_version=2 required default=x\n");
	const vs_entry *e;

	e = vs_config_find(cfg, "V1");
	ck_assert_int_eq(e->kv_version, 1);
	ck_assert_int_eq(e->version, 0);
	e = vs_config_find(cfg, "V2");
	ck_assert_int_eq(e->kv_version, 2);
	ck_assert_int_eq(e->version, 7);
	e = vs_config_find(cfg, "V3");
	ck_assert_int_eq(e->kv_version, 2);
	ck_assert_int_eq(e->version, 12);
	ck_assert(e->required);
	ASSERT_DEFAULT(e, "x");
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_quoted_reference)
{
	vs_config *cfg = PARSE("[env]\n"
			       "A = \"secret/my app#key\"\n"
			       "B = \"secret/${TEAM}/x#the field\" required\n");

	assert_entry(cfg, "A", "secret/my app", "key", 2);
	assert_entry(cfg, "B", "secret/payments/x", "the field", 3);
	ck_assert(vs_config_find(cfg, "B")->required);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_slashes_trimmed)
{
	static const char *const env[] = {"P=/secret/app/", NULL};
	vs_config *cfg = PARSE_ENV("[env]\n"
				   "A = /secret/app/#f\n"
				   "B = //secret/app//#f\n"
				   "C = ${P}#f\n",
				   env);

	assert_entry(cfg, "A", "secret/app", "f", 2);
	assert_entry(cfg, "B", "secret/app", "f", 3);
	assert_entry(cfg, "C", "secret/app", "f", 4);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_path_expansion)
{
	vs_config *cfg = PARSE("[env]\n"
			       "A = secret/${TEAM}/db#password\n"
			       "B = secret/${NOT_SET:-shared}/db#password\n"
			       "C = secret/a$b/c#f\n");

	assert_entry(cfg, "A", "secret/payments/db", "password", 2);
	assert_entry(cfg, "B", "secret/shared/db", "password", 3);
	/* a '$' not followed by '{' is literal */
	assert_entry(cfg, "C", "secret/a$b/c", "f", 4);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_reserved_prefix_is_exact)
{
	/* only the prefixes are reserved, not names that merely contain them */
	vs_config *cfg = PARSE("[env]\n"
			       "MY_VAULT_TOKEN = secret/a#f\n"
			       "VAULTX = secret/b#f\n"
			       "LDAP_PASSWORD = secret/c#f\n");

	ck_assert_uint_eq(cfg->n_entries, 3);
	ck_assert_ptr_nonnull(vs_config_find(cfg, "LDAP_PASSWORD"));
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_find_and_free)
{
	vs_config *cfg = PARSE("[env]\nDB = secret/a#f\nDB_USER = secret/b#g\n");

	ck_assert_str_eq(vs_config_find(cfg, "DB")->field, "f");
	ck_assert_str_eq(vs_config_find(cfg, "DB_USER")->field, "g");
	ck_assert_ptr_eq(vs_config_find(cfg, "DB_USER"), &cfg->entries[1]);
	ck_assert_ptr_null(vs_config_find(cfg, "DB_"));
	ck_assert_ptr_null(vs_config_find(cfg, "db"));
	ck_assert_ptr_null(vs_config_find(cfg, "DB_USERX"));
	ck_assert_ptr_null(vs_config_find(cfg, ""));
	vs_config_free(cfg);
	vs_config_free(NULL);
}
END_TEST

START_TEST(test_many_entries)
{
	/* more entries than one growth step and more text than one arena chunk */
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap);
	vs_config *cfg;

	ck_assert_ptr_nonnull(text);
	n += (size_t)snprintf(text + n, cap - n, "[env]\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "NAME_%03d = secret/app/%03d/some/longer/path/segment#field_%d default=\"d%d\"\n",
				      i, i, i, i);
	ck_assert_uint_lt(n, cap);
	cfg = PARSE(text);
	ck_assert_uint_eq(cfg->n_entries, 300);
	assert_entry(cfg, "NAME_000", "secret/app/000/some/longer/path/segment", "field_0", 2);
	assert_entry(cfg, "NAME_299", "secret/app/299/some/longer/path/segment", "field_299", 301);
	ASSERT_DEFAULT(vs_config_find(cfg, "NAME_150"), "d150");
	vs_config_free(cfg);
	free(text);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(vs_mode_name(VS_MODE_LAZY), "lazy");
	ck_assert_str_eq(vs_mode_name(VS_MODE_EAGER), "eager");
	ck_assert_str_eq(vs_mode_name(VS_MODE_AUTO), "auto");
	ck_assert_str_eq(vs_auth_name(VS_AUTH_TOKEN), "token");
	ck_assert_str_eq(vs_auth_name(VS_AUTH_APPROLE), "approle");
	ck_assert_str_eq(vs_auth_name(VS_AUTH_KUBERNETES), "kubernetes");
	ck_assert_str_eq(vs_auth_name(VS_AUTH_JWT), "jwt");
}
END_TEST

/* ---- refusals: every row of config_errors.h, and the size limit ---- */

/* Row _i is refused with "t.conf:LINE: reason", the reason holding each of
 * the row's words and the message none of its hidden ones. */
START_TEST(test_refused)
{
	const struct config_error *c = &config_errors[_i];
	const char *const *env = c->env ? c->env : base_env;
	vs_config *cfg = NULL;
	vs_error err = {0};
	char prefix[64];
	const char *reason;
	int rc = vs_config_parse("t.conf", c->text, c->len, tl_getenv, (void *)env, &cfg, &err);

	if (rc == VS_OK) {
		vs_config_free(cfg);
		ck_abort_msg("%s: expected a config error on line %d, but the config parsed", c->name, c->line);
	}
	ck_assert_msg(rc == VS_EX_CONFIG, "%s: expected code %d, got %d (%s)", c->name, VS_EX_CONFIG, rc, err.msg);
	ck_assert_int_eq(err.code, VS_EX_CONFIG);
	ck_assert_ptr_null(cfg);
	snprintf(prefix, sizeof prefix, "t.conf:%d: ", c->line);
	ck_assert_msg(!strncmp(err.msg, prefix, strlen(prefix)), "%s: message '%s' does not start with '%s'",
		      c->name, err.msg, prefix);
	reason = err.msg + strlen(prefix);
	ck_assert_msg(reason[0], "%s: message '%s' has no reason", c->name, err.msg);
	for (int k = 0; k < 2; k++) {
		if (c->has[k])
			ck_assert_msg(strstr(reason, c->has[k]), "%s: message '%s' lacks '%s'", c->name, err.msg,
				      c->has[k]);
		/* (the message is not printed: it would show the secret) */
		if (c->hides[k])
			ck_assert_msg(!strstr(err.msg, c->hides[k]), "%s: the message shows a word of the default",
				      c->name);
	}
}
END_TEST

START_TEST(test_err_too_large)
{
	size_t n = (size_t)VS_CONFIG_MAX + 1;
	char *text = malloc(n);
	vs_config *cfg = NULL;
	vs_error err = {0};
	int rc;

	ck_assert_ptr_nonnull(text);
	/* lines of comments: only the size can be wrong */
	for (size_t i = 0; i < n; i++)
		text[i] = (i % 64 == 63) ? '\n' : ';';
	rc = vs_config_parse("big.conf", text, n, tl_getenv, (void *)base_env, &cfg, &err);
	ck_assert_int_eq(rc, VS_EX_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(!strncmp(err.msg, "big.conf:", 9), "message '%s' does not name the file", err.msg);
	ck_assert_msg(strstr(err.msg, "larger than"), "message '%s' lacks 'larger than'", err.msg);

	/* exactly the limit is fine */
	rc = vs_config_parse("big.conf", text, n - 1, tl_getenv, (void *)base_env, &cfg, &err);
	ck_assert_msg(rc == VS_OK, "a config of exactly VS_CONFIG_MAX bytes was refused: %s", err.msg);
	ck_assert_uint_eq(cfg->n_entries, 0);
	vs_config_free(cfg);
	free(text);
}
END_TEST

/* ---- [options] watch and refresh values ---- */

START_TEST(test_watch_values)
{
	vs_config *cfg = PARSE("[options]\nmode = lazy\n");

	/* no watch unless asked; the other keys' defaults */
	ck_assert_int_eq(cfg->options.watch_ms, 0);
	ck_assert_int_eq(cfg->options.on_change, VS_ON_CHANGE_RESTART);
	ck_assert_int_eq(cfg->options.stop_signal, SIGTERM);
	ck_assert_int_eq(cfg->options.restart_grace_ms, 10000);
	vs_config_free(cfg);

	cfg = PARSE("[options]\nwatch = 1s\non_change = SIGHUP\nstop_signal = SIGQUIT\nrestart_grace = 500ms\n");
	ck_assert_int_eq(cfg->options.watch_ms, 1000);
	ck_assert_int_eq(cfg->options.on_change, VS_ON_CHANGE_SIGNAL);
	ck_assert_int_eq(cfg->options.on_change_signal, SIGHUP);
	ck_assert_int_eq(cfg->options.stop_signal, SIGQUIT);
	ck_assert_int_eq(cfg->options.restart_grace_ms, 500);
	vs_config_free(cfg);

	cfg = PARSE("[options]\nwatch = 5m\non_change = none\nstop_signal = INT\nrestart_grace = 0\n");
	ck_assert_int_eq(cfg->options.watch_ms, 300000);
	ck_assert_int_eq(cfg->options.on_change, VS_ON_CHANGE_NONE);
	ck_assert_int_eq(cfg->options.stop_signal, SIGINT);
	ck_assert_int_eq(cfg->options.restart_grace_ms, 0);
	vs_config_free(cfg);

	cfg = PARSE("[options]\non_change = USR2\n");
	ck_assert_int_eq(cfg->options.on_change_signal, SIGUSR2);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_refresh_values)
{
	vs_config *cfg = PARSE("[options]\nmode = lazy\n");

	ck_assert_int_eq(cfg->options.refresh_ms, 0); /* off unless asked */
	vs_config_free(cfg);
	cfg = PARSE("[options]\nrefresh = 1s\n");
	ck_assert_int_eq(cfg->options.refresh_ms, 1000);
	vs_config_free(cfg);
	cfg = PARSE("[options]\nrefresh = 15m\n");
	ck_assert_int_eq(cfg->options.refresh_ms, 900000);
	vs_config_free(cfg);
}
END_TEST

/* ---- files ---- */

static char tmpdir[64];

static void files_setup(void)
{
	tl_tmpdir_make(tmpdir, sizeof tmpdir, "vs-config-test");
}

static void files_teardown(void)
{
	tl_tmpdir_remove(tmpdir);
}

static const char small_conf[] =
	"[vault]\naddress = https://vault.internal:8200\ntoken_file = token\n"
	"[env]\nDB_PASSWORD = secret/app/db#password required\n";

static void expect_load_ok(const char *path)
{
	vs_config *cfg = NULL;
	vs_error err = {0};
	char *tok = tl_path(tmpdir, "token");
	int rc = vs_config_load(path, tl_getenv, (void *)base_env, &cfg, &err);

	ck_assert_msg(rc == VS_OK, "loading %s failed: %s", path, err.msg);
	ck_assert_str_eq(cfg->path, path);
	ck_assert_str_eq(cfg->vault.address, "https://vault.internal:8200");
	ck_assert_str_eq(cfg->vault.token_file, tok);
	assert_entry(cfg, "DB_PASSWORD", "secret/app/db", "password", 5);
	free(tok);
	vs_config_free(cfg);
}

static void expect_load_refused(const char *path, int code, const char *word)
{
	vs_config *cfg = NULL;
	vs_error err = {0};
	int rc = vs_config_load(path, tl_getenv, (void *)base_env, &cfg, &err);

	if (rc == VS_OK) {
		vs_config_free(cfg);
		ck_abort_msg("%s was accepted, expected a refusal (%s)", path, word);
	}
	ck_assert_msg(rc == code, "expected code %d for %s, got %d (%s)", code, path, rc, err.msg);
	ck_assert_int_eq(err.code, code);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err.msg, path), "message '%s' does not name %s", err.msg, path);
	ck_assert_msg(strstr(err.msg, word), "message '%s' lacks '%s'", err.msg, word);
}

START_TEST(test_load_0600)
{
	char *path = tl_path(tmpdir, "private.conf");

	tl_write_text(path, small_conf, 0600);
	expect_load_ok(path);
	free(path);
}
END_TEST

START_TEST(test_load_0644)
{
	char *path = tl_path(tmpdir, "readable.conf");

	tl_write_text(path, small_conf, 0644);
	expect_load_ok(path);
	free(path);
}
END_TEST

START_TEST(test_load_refuses_group_writable)
{
	char *path = tl_path(tmpdir, "group.conf");

	tl_write_text(path, small_conf, 0664);
	expect_load_refused(path, VS_EX_NOPERM, "writable");
	free(path);
}
END_TEST

START_TEST(test_load_refuses_other_writable)
{
	char *path = tl_path(tmpdir, "other.conf");

	tl_write_text(path, small_conf, 0646);
	expect_load_refused(path, VS_EX_NOPERM, "writable");
	free(path);
}
END_TEST

START_TEST(test_load_missing_file)
{
	char *path = tl_path(tmpdir, "does-not-exist.conf");

	/* a missing config is a config error (78), as the CLI and the preload say */
	expect_load_refused(path, VS_EX_CONFIG, "config file");
	free(path);
}
END_TEST

START_TEST(test_load_refuses_directory)
{
	expect_load_refused(tmpdir, VS_EX_CONFIG, "not a regular file");
}
END_TEST

START_TEST(test_load_owner)
{
	char *path;

	if (geteuid() != 0) {
		fprintf(stderr, "test_load_owner: not root, cannot chown; this case was NOT checked\n");
		return;
	}
	path = tl_path(tmpdir, "owner.conf");
	tl_write_text(path, small_conf, 0644);
	/* owned by root: accepted */
	ck_assert_int_eq(chown(path, 0, 0), 0);
	expect_load_ok(path);
	/* owned by someone else: refused even though root could read it */
	ck_assert_int_eq(chown(path, 12345, 12345), 0);
	expect_load_refused(path, VS_EX_NOPERM, "owned by uid 12345");
	free(path);
}
END_TEST

START_TEST(test_load_parse_error_names_path)
{
	static const char bad[] = "[vault]\naddress = https://v:8200\n[nope]\n";
	char *path = tl_path(tmpdir, "bad.conf"), prefix[128];
	vs_config *cfg = NULL;
	vs_error err = {0};
	int rc;

	tl_write_text(path, bad, 0600);
	rc = vs_config_load(path, tl_getenv, (void *)base_env, &cfg, &err);
	ck_assert_int_eq(rc, VS_EX_CONFIG);
	ck_assert_ptr_null(cfg);
	snprintf(prefix, sizeof prefix, "%s:3: ", path);
	ck_assert_msg(!strncmp(err.msg, prefix, strlen(prefix)), "message '%s' does not start with '%s'",
		      err.msg, prefix);
	ck_assert_msg(strstr(err.msg, "unknown section"), "message '%s' lacks the reason", err.msg);
	free(path);
}
END_TEST

START_TEST(test_load_too_large)
{
	size_t n = (size_t)VS_CONFIG_MAX + 1;
	char *text = malloc(n), *path = tl_path(tmpdir, "huge.conf");

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < n; i++)
		text[i] = (i % 64 == 63) ? '\n' : ';';
	tl_write_file(path, text, n, 0600);
	expect_load_refused(path, VS_EX_CONFIG, "larger than");
	free(text);
	free(path);
}
END_TEST

/* ---- the preload's quick scan (vs_config_text_maps) ---- */

static bool scan(const char *text, const char *name)
{
	return vs_config_text_maps(text, strlen(text), name, strlen(name));
}

/* The scan answers as the parser does: every entry, and nothing else. */
START_TEST(test_scan_agrees_with_parser)
{
	static const char *const texts[] = {
		"[env]\nA = s/a#b\n",
		"\xEF\xBB\xBF[env]\r\nA = s/a#b\r\nB\t=\ts/b#c\r\n",
		"[vault]\naddress = https://v:8200\n[env] # the names\n\tA=s/a#b ; B\n",
		"[env]\t;\nA = s/a#b\n[options]\nmode = lazy\n[env]\nB = s/b#c\n",
		"[env]\n  ; C = s/c#d\n# D = s/d#e\nA = \"s/a#b\" default=\"E F\"\n",
	};
	static const char *const names[] = {"A", "B", "C", "D", "E", "F", "AB", "a", "s", "address",
					    "mode", "lazy", "env", "b", "default", ""};

	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		vs_config *cfg = PARSE(texts[t]);
		for (size_t n = 0; n < sizeof names / sizeof *names; n++)
			ck_assert_msg(scan(texts[t], names[n]) == (vs_config_find(cfg, names[n]) != NULL),
				      "text %zu, name '%s': the scan says %d", t, names[n], scan(texts[t], names[n]));
		vs_config_free(cfg);
	}
}
END_TEST

/* A name that is not a valid one is never mapped, though a line starts with
 * it: "A " and "A\t" matched "A = ..." (fuzz_scan), and a getenv of such a
 * name would have started the preload early for nothing. */
START_TEST(test_scan_invalid_names)
{
	const char *text = "[env]\nA = s/a#b\nC\t= s/c#d\nD=s/d#e\n";

	ck_assert(scan(text, "A"));
	ck_assert(scan(text, "C"));
	ck_assert(scan(text, "D"));
	ck_assert(!scan(text, "A "));
	ck_assert(!scan(text, "A ="));
	ck_assert(!scan(text, "C\t"));
	ck_assert(!scan(text, "D="));
	ck_assert(!scan(text, "D=s"));
	ck_assert(!scan(text, ""));
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *example = tcase_create("example");
	TCase *values = tcase_create("values");
	TCase *entries = tcase_create("entries");
	TCase *refusals = tcase_create("refusals");
	TCase *files = tcase_create("files");
	TCase *scan_tc = tcase_create("scan");

	tcase_add_test(example, test_design_example_default_env);
	tcase_add_test(example, test_design_example_app_env_set);
	tcase_add_test(example, test_design_example_app_env_empty_uses_default);
	tcase_add_test(example, test_process_environment_is_not_read);
	tcase_add_test(example, test_design_example_crlf);
	tcase_add_test(example, test_design_example_bom);
	suite_add_tcase(s, example);

	tcase_add_test(values, test_vault_all_keys);
	tcase_add_test(values, test_vault_other_values);
	tcase_add_test(values, test_vault_quoted_values);
	tcase_add_test(values, test_options_values);
	tcase_add_test(values, test_watch_values);
	tcase_add_test(values, test_refresh_values);
	tcase_add_test(values, test_inline_comments);
	tcase_add_test(values, test_empty_and_comment_only_files);
	tcase_add_test(values, test_no_trailing_newline);
	tcase_add_test(values, test_relative_files_against_config_dir);
	tcase_add_test(values, test_tilde_uses_fake_home);
	tcase_add_test(values, test_names);
	suite_add_tcase(s, values);

	tcase_add_test(entries, test_default_escapes);
	tcase_add_test(entries, test_default_expansion);
	tcase_add_test(entries, test_bare_default);
	tcase_add_test(entries, test_kv_version_and_version);
	tcase_add_test(entries, test_quoted_reference);
	tcase_add_test(entries, test_slashes_trimmed);
	tcase_add_test(entries, test_path_expansion);
	tcase_add_test(entries, test_reserved_prefix_is_exact);
	tcase_add_test(entries, test_find_and_free);
	tcase_add_test(entries, test_many_entries);
	suite_add_tcase(s, entries);

	tcase_add_loop_test(refusals, test_refused, 0, (int)(sizeof config_errors / sizeof config_errors[0]));
	tcase_add_test(refusals, test_err_too_large);
	suite_add_tcase(s, refusals);

	/* unchecked fixture: runs in the runner process, so the directory is
	 * removed even when a test process dies */
	tcase_add_unchecked_fixture(files, files_setup, files_teardown);
	tcase_add_test(files, test_load_0600);
	tcase_add_test(files, test_load_0644);
	tcase_add_test(files, test_load_refuses_group_writable);
	tcase_add_test(files, test_load_refuses_other_writable);
	tcase_add_test(files, test_load_missing_file);
	tcase_add_test(files, test_load_refuses_directory);
	tcase_add_test(files, test_load_owner);
	tcase_add_test(files, test_load_parse_error_names_path);
	tcase_add_test(files, test_load_too_large);
	suite_add_tcase(s, files);

	tcase_add_test(scan_tc, test_scan_agrees_with_parser);
	tcase_add_test(scan_tc, test_scan_invalid_names);
	suite_add_tcase(s, scan_tc);

	return s;
}
