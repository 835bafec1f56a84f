/* Vault client: settings precedence (no server) and reads against the
 * project's dev server: KV v1/v2, versions, 404, 403, sealed, timeouts,
 * malformed bodies, retries, one read per unique path. */
#define _GNU_SOURCE
#include "devserver.h"
#include "suites.h"
#include "testlib.h"
#include "vault/vs_vault.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static devserver ds;

static tl_env env;

static vs_config *parse(const char *text)
{
	return tl_config("/tmp/t.conf", text, tl_getenv, env.vars);
}

/* ------------------------------------------------------------------ */
/* settings                                                            */

START_TEST(settings_defaults)
{
	vs_vault_settings s;
	vs_error err = {0};

	tl_env_clear(&env);
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), 0);
	ck_assert_str_eq(s.address, VS_DEFAULT_ADDR);
	ck_assert_int_eq(s.timeout_ms, VS_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(s.max_retries, 2);
	ck_assert_ptr_null(s.token);
	ck_assert_int_eq(s.auth, VS_AUTH_TOKEN);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(settings_config_wins_over_variables)
{
	vs_config *cfg = parse("[vault]\naddress = http://cfg.example:8200/\ntimeout = 2s\n"
			       "max_retries = 0\nnamespace = team-a\n");
	vs_vault_settings s;
	vs_error err = {0};

	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_ADDR", "http://env.example:8200");
	tl_env_add(&env, "VAULT_CLIENT_TIMEOUT", "30");
	tl_env_add(&env, "VAULT_MAX_RETRIES", "5");
	tl_env_add(&env, "VAULT_NAMESPACE", "team-b");
	ck_assert_int_eq(vs_vault_settings_init(&s, cfg, tl_getenv, env.vars, &err), 0);
	ck_assert_str_eq(s.base_url, "http://cfg.example:8200");
	ck_assert_int_eq(s.timeout_ms, 2000);
	ck_assert_int_eq(s.max_retries, 0);
	ck_assert_str_eq(s.namespace_, "team-a");
	vs_vault_settings_clear(&s);
	vs_config_free(cfg);
}
END_TEST

START_TEST(settings_variables_apply_when_config_silent)
{
	vs_vault_settings s;
	vs_error err = {0};

	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_ADDR", "http://env.example:8200");
	tl_env_add(&env, "VAULT_CLIENT_TIMEOUT", "7s");
	tl_env_add(&env, "VAULT_MAX_RETRIES", "4");
	tl_env_add(&env, "VAULT_NAMESPACE", "ns1/");
	tl_env_add(&env, "VAULT_TOKEN", "hvs.fromenv");
	tl_env_add(&env, "VAULT_SKIP_VERIFY", "true");
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), 0);
	ck_assert_str_eq(s.address, "http://env.example:8200");
	ck_assert_int_eq(s.timeout_ms, 7000);
	ck_assert_int_eq(s.max_retries, 4);
	ck_assert_str_eq(s.namespace_, "ns1/");
	ck_assert_str_eq(s.token, "hvs.fromenv");
	ck_assert_str_eq(s.token_source, "VAULT_TOKEN");
	ck_assert(s.skip_verify);
	vs_vault_settings_clear(&s);

	/* VAULT_AGENT_ADDR overrides VAULT_ADDR; unix:// talks to a socket */
	tl_env_add(&env, "VAULT_AGENT_ADDR", "unix:///run/agent.sock");
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), 0);
	ck_assert_str_eq(s.unix_socket, "/run/agent.sock");
	ck_assert_str_eq(s.base_url, "http://localhost");
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(settings_bad_variables_are_config_errors)
{
	vs_vault_settings s;
	vs_error err = {0};

	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_MAX_RETRIES", "-1");
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), VS_EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "VAULT_MAX_RETRIES"));
	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_ADDR", "vault.example:8200");
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), VS_EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "VAULT_ADDR"));
	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_CLIENT_CERT", "/tmp/cert.pem");
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), VS_EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "client_key"));
	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_SKIP_VERIFY", "maybe");
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), VS_EX_CONFIG);
}
END_TEST

START_TEST(settings_token_file_order)
{
	char dir[64], *f1, *home_tok, conf[256];
	vs_vault_settings s;
	vs_error err = {0};
	vs_config *cfg;

	tl_tmpdir_make(dir, sizeof dir, "vs-tok");
	f1 = tl_path(dir, "token");
	home_tok = tl_path(dir, ".vault-token");
	tl_write_text(f1, "hvs.fromfile\n", 0600);
	tl_write_text(home_tok, "  hvs.fromhome \n", 0600);
	snprintf(conf, sizeof conf, "[vault]\ntoken_file = %s\n", f1);
	cfg = parse(conf);

	tl_env_clear(&env);
	tl_env_add(&env, "HOME", dir);
	tl_env_add(&env, "VAULT_TOKEN", "hvs.fromenv");
	/* the config's token_file wins over VAULT_TOKEN */
	ck_assert_int_eq(vs_vault_settings_init(&s, cfg, tl_getenv, env.vars, &err), 0);
	ck_assert_str_eq(s.token, "hvs.fromfile");
	vs_vault_settings_clear(&s);
	/* then VAULT_TOKEN, then ~/.vault-token (trimmed) */
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), 0);
	ck_assert_str_eq(s.token, "hvs.fromenv");
	vs_vault_settings_clear(&s);
	tl_env_clear(&env);
	tl_env_add(&env, "HOME", dir);
	ck_assert_int_eq(vs_vault_settings_init(&s, NULL, tl_getenv, env.vars, &err), 0);
	ck_assert_str_eq(s.token, "hvs.fromhome");
	ck_assert_str_eq(s.token_source, "~/.vault-token");
	vs_vault_settings_clear(&s);

	/* a token file others can write is refused, and the message names the file, not the token */
	chmod(f1, 0620);
	ck_assert_int_eq(vs_vault_settings_init(&s, cfg, tl_getenv, env.vars, &err), VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, f1));
	ck_assert_ptr_nonnull(strstr(err.msg, "writable"));
	ck_assert_ptr_null(strstr(err.msg, "hvs.fromfile"));

	vs_config_free(cfg);
	free(f1);
	free(home_tok);
	tl_tmpdir_remove(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* reads against the dev server                                        */

static void server_up(void)
{
	static const char *const extra[] = {"--kv-v1", "kv", NULL};
	ds_start(&ds, extra);
}

static void server_down(void)
{
	ds_stop(&ds);
}

static void reset(void)
{
	ds_reset(&ds);
}

/* Settings for the dev server with the root token (or `token`). */
static void settings_for(vs_vault_settings *s, const char *token, const char *extra_conf)
{
	char conf[1024];
	vs_config *cfg;
	vs_error err = {0};

	snprintf(conf, sizeof conf, "[vault]\naddress = %s\n%s", ds.addr, extra_conf ? extra_conf : "");
	cfg = parse(conf);
	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_TOKEN", token ? token : ds.token);
	ck_assert_int_eq(vs_vault_settings_init(s, cfg, tl_getenv, env.vars, &err), 0);
	vs_config_free(cfg);
}

static int read_one(vs_vault_settings *s, const char *path, int version, vs_secret *out)
{
	vs_vault_req req = {.path = path, .version = version};
	vs_error err = {0};
	memset(out, 0, sizeof *out);
	return vs_vault_read(s, &req, 1, out, NULL, &err);
}

START_TEST(reads_kv_v2)
{
	vs_vault_settings s;
	vs_secret sec;

	ds_put_v2(&ds, "secret/app/flask", "{\"secret_key\":\"sk-123\",\"port\":8080,\"nested\":{\"a\":1}}");
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "secret/app/flask", 0, &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(sec.engine, "kv-v2");
	ck_assert_str_eq(sec.api_path, "secret/data/app/flask");
	ck_assert_str_eq(vs_secret_field(&sec, "secret_key"), "sk-123");
	ck_assert_str_eq(vs_secret_field(&sec, "port"), "8080");
	ck_assert_str_eq(vs_secret_field(&sec, "nested"), "{\"a\":1}");
	ck_assert_ptr_null(vs_secret_field(&sec, "absent"));
	ck_assert_int_eq(ds_count(&ds, "GET sys/internal/ui/mounts/secret/app/flask"), 1);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(reads_kv_v1)
{
	vs_vault_settings s;
	vs_secret sec;

	ck_assert_int_eq(ds_call(&ds, "POST", "/v1/kv/legacy/db", "{\"password\":\"v1-pass\"}", ds.token, NULL), 204);
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "kv/legacy/db", 0, &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(sec.engine, "kv-v1");
	ck_assert_str_eq(sec.api_path, "kv/legacy/db");
	ck_assert_str_eq(vs_secret_field(&sec, "password"), "v1-pass");
	vs_secret_clear(&sec);

	/* version= is a KV v2 notion: a clear error on a v1 mount */
	ck_assert_int_eq(read_one(&s, "kv/legacy/db", 2, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(sec.err, "KV v2"));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(reads_versions_and_deleted_versions)
{
	vs_vault_settings s;
	vs_secret sec;

	ds_put_v2(&ds, "secret/versioned", "{\"k\":\"one\"}");
	ds_put_v2(&ds, "secret/versioned", "{\"k\":\"two\"}");
	ds_put_v2(&ds, "secret/versioned", "{\"k\":\"three\"}");
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "secret/versioned", 1, &sec), 0);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "one");
	vs_secret_clear(&sec);
	ck_assert_int_eq(read_one(&s, "secret/versioned", 0, &sec), 0);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "three");
	vs_secret_clear(&sec);

	ck_assert_int_eq(ds_call(&ds, "POST", "/v1/secret/delete/versioned", "{\"versions\":[2]}", ds.token, NULL), 204);
	ck_assert_int_eq(read_one(&s, "secret/versioned", 2, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_MISSING);
	ck_assert_ptr_nonnull(strstr(sec.err, "version 2 is deleted; undelete it (vault kv undelete), or name another version= in [env]"));
	vs_secret_clear(&sec);
	ck_assert_int_eq(read_one(&s, "secret/versioned", 9, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_MISSING);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(not_found_is_65)
{
	vs_vault_settings s;
	vs_secret sec;

	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "secret/does/not/exist", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_MISSING);
	ck_assert_int_eq(sec.http_status, 404);
	ck_assert_ptr_nonnull(strstr(sec.err, "secret/data/does/not/exist"));
	ck_assert_ptr_nonnull(strstr(sec.err, "not found"));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* A token whose one policy ("limited") has these rules. */
static char *limited_token(const char *policy_hcl)
{
	ds_policy(&ds, "limited", policy_hcl);
	return ds_token(&ds, "{\"policies\":[\"limited\"],\"ttl\":\"1h\"}");
}

START_TEST(forbidden_read_is_77_without_token_in_message)
{
	vs_vault_settings s;
	vs_secret sec;
	char *tok = limited_token("path \"secret/data/allowed\" { capabilities = [\"read\"] }");

	ds_put_v2(&ds, "secret/allowed", "{\"k\":\"ok\"}");
	ds_put_v2(&ds, "secret/forbidden", "{\"k\":\"no\"}");
	settings_for(&s, tok, NULL);
	ck_assert_int_eq(read_one(&s, "secret/allowed", 0, &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "ok");
	vs_secret_clear(&sec);
	ck_assert_int_eq(read_one(&s, "secret/forbidden", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(sec.err, "permission denied"));
	ck_assert_ptr_nonnull(strstr(sec.err, "secret/data/forbidden"));
	ck_assert_ptr_null(strstr(sec.err, tok));
	ck_assert_ptr_null(strchr(sec.err, '\n'));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	free(tok);
}
END_TEST

START_TEST(forbidden_mount_lookup_names_the_override)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_req req = {.path = "secret/other"};
	vs_vault_stats st;
	vs_error err = {0};
	char *tok = limited_token("path \"kv/*\" { capabilities = [\"read\"] }");

	ds_put_v2(&ds, "secret/other", "{\"k\":\"v\"}");
	settings_for(&s, tok, NULL);
	ck_assert_int_eq(read_one(&s, "secret/other", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(sec.err, "sys/internal/ui/mounts/secret/other"));
	ck_assert_ptr_nonnull(strstr(sec.err, "kv_version"));
	ck_assert_ptr_null(strstr(sec.err, tok));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	/* with kv_version forced there is no lookup at all */
	ds_reset(&ds);
	settings_for(&s, ds.token, "kv_version = 2\n");
	memset(&sec, 0, sizeof sec);
	ck_assert_int_eq(vs_vault_read(&s, &req, 1, &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "v");
	ck_assert_int_eq(st.mount_lookups, 0);
	ck_assert_int_eq(ds_count(&ds, "GET sys/internal/ui/mounts/secret/other"), 0);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	free(tok);
}
END_TEST

START_TEST(invalid_token_is_77)
{
	vs_vault_settings s;
	vs_secret sec;

	settings_for(&s, "hvs.not-a-real-token", NULL);
	ck_assert_int_eq(read_one(&s, "secret/app/flask", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(sec.err, "invalid token"));
	ck_assert_ptr_null(strstr(sec.err, "hvs.not-a-real-token"));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(no_token_is_77)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_req req = {.path = "secret/x"};
	vs_error err = {0};

	settings_for(&s, NULL, NULL);
	vs_free_secret(s.token);
	s.token = NULL;
	memset(&sec, 0, sizeof sec);
	ck_assert_int_eq(vs_vault_read(&s, &req, 1, &sec, NULL, &err), VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "no Vault token"));
	ck_assert_int_eq(ds_count_total(&ds), 0);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(sealed_is_69_without_retry_storm)
{
	vs_vault_settings s;
	vs_secret sec;

	ds_put_v2(&ds, "secret/sealtest", "{\"k\":\"v\"}");
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/seal", NULL, NULL, NULL) / 100, 2);
	ds_call(&ds, "DELETE", "/_control/counters", NULL, NULL, NULL);
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "secret/sealtest", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "sealed (503); unseal it (vault operator unseal)"));
	ck_assert_int_eq(ds_count_total(&ds), 1);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(slow_vault_hits_the_deadline)
{
	vs_vault_settings s;
	vs_secret sec;
	double t0;

	ds_put_v2(&ds, "secret/slow", "{\"k\":\"v\"}");
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/slow\",\"delay_ms\":4000}", NULL, NULL), 200);
	settings_for(&s, NULL, "timeout = 500ms\n");
	t0 = vs_now_ms();
	ck_assert_int_eq(read_one(&s, "secret/slow", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "within 500 ms"));
	/* bounded: the deadline, not the server, decides when we give up */
	ck_assert_double_lt(vs_now_ms() - t0, 2500);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(unreachable_vault_is_69)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_config *cfg = parse("[vault]\naddress = http://127.0.0.1:9\nmax_retries = 1\n");
	vs_error err = {0};

	tl_env_clear(&env);
	tl_env_add(&env, "VAULT_TOKEN", "hvs.x");
	ck_assert_int_eq(vs_vault_settings_init(&s, cfg, tl_getenv, env.vars, &err), 0);
	ck_assert_int_eq(read_one(&s, "secret/x", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "cannot reach Vault at http://127.0.0.1:9"));
	ck_assert_ptr_nonnull(strstr(sec.err, "; check address in [vault] (or VAULT_ADDR) and that Vault runs there"));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	vs_config_free(cfg);
}
END_TEST

/* A value with a NUL byte: marked, never taken for the part before it;
 * an escaped backslash followed by "u0000" is text, not a NUL. */
START_TEST(nul_in_a_value_is_marked)
{
	static const char body[] = "{\"data\":{\"data\":{\"pw\":\"ab\\u0000cd\",\"ok\":\"x\\\\u0000y\","
				   "\"obj\":{\"k\":\"\\u0000\"}},\"metadata\":{\"version\":3}}}";
	vs_secret sec = {0};

	ck_assert_int_eq(vs_vault_parse_read(2, 0, "secret/app", 200, body, sizeof body - 1, &sec), 0);
	ck_assert_uint_eq(sec.n_fields, 3);
	ck_assert(vs_secret_field_nul(&sec, "pw"));
	ck_assert(!vs_secret_field_nul(&sec, "ok"));
	ck_assert_str_eq(vs_secret_field(&sec, "ok"), "x\\u0000y");
	ck_assert(vs_secret_field_nul(&sec, "obj"));
	vs_secret_clear(&sec);
}
END_TEST

/* A NUL in a key: that member is no field a config can name, and never
 * stands in for the key before its NUL (whatever the lengths). */
START_TEST(nul_in_a_key_names_no_field)
{
	static const char same[] = "{\"data\":{\"password\\u0000old\":\"aaaa\",\"password\":\"bbbb\"}}";
	static const char cut[] = "{\"data\":{\"pass\\u0000word\":\"cccc\"}}";
	vs_secret sec = {0};

	ck_assert_int_eq(vs_vault_parse_read(1, 0, "secret/app", 200, same, sizeof same - 1, &sec), 0);
	ck_assert_str_eq(vs_secret_field(&sec, "password"), "bbbb");
	ck_assert(!vs_secret_field_nul(&sec, "password"));
	vs_secret_clear(&sec);
	ck_assert_int_eq(vs_vault_parse_read(1, 0, "secret/app", 200, cut, sizeof cut - 1, &sec), 0);
	ck_assert_ptr_null(vs_secret_field(&sec, "pass"));
	vs_secret_clear(&sec);
}
END_TEST

START_TEST(malformed_json_is_69)
{
	vs_vault_settings s;
	vs_secret sec;

	ds_put_v2(&ds, "secret/garbled", "{\"k\":\"v\"}");
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/garbled\",\"status\":200,\"malformed\":true}", NULL, NULL), 200);
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "secret/garbled", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "malformed JSON"));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(oversized_response_is_refused)
{
	vs_vault_settings s;
	vs_secret sec;
	size_t n = VS_RESPONSE_MAX + 1024;
	char *big = malloc(n + 128);
	int off;

	off = sprintf(big, "{\"path\":\"secret/data/huge\",\"status\":200,\"body\":\"");
	memset(big + off, 'x', n);
	strcpy(big + off + n, "\"}");
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults", big, NULL, NULL), 200);
	free(big);
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "secret/huge", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "larger than"));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(transient_errors_are_retried)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_req req = {.path = "secret/flaky"};
	vs_vault_stats st;
	vs_error err = {0};

	ds_put_v2(&ds, "secret/flaky", "{\"k\":\"eventually\"}");
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/flaky\",\"status\":500,\"count\":1}", NULL, NULL), 200);
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/flaky\",\"drop\":true,\"count\":1}", NULL, NULL), 200);
	settings_for(&s, NULL, NULL);
	memset(&sec, 0, sizeof sec);
	ck_assert_int_eq(vs_vault_read(&s, &req, 1, &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "eventually");
	/* libcurl itself re-sends once on a reused connection that died before
	 * answering, so only the 500 is certain to be our retry */
	ck_assert_int_ge(st.retries, 1);
	ck_assert_int_eq(ds_count(&ds, "GET secret/data/flaky"), 3);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	/* 501 is not transient; with retries off a 500 is final */
	ds_reset(&ds);
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/flaky\",\"status\":501}", NULL, NULL), 200);
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "secret/flaky", 0, &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "HTTP 501"));
	ck_assert_int_eq(ds_count(&ds, "GET secret/data/flaky"), 1);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(dynamic_secret_keeps_lease)
{
	vs_vault_settings s;
	vs_secret sec;

	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(read_one(&s, "database/creds/app", 0, &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(sec.engine, "generic");
	ck_assert_ptr_nonnull(vs_secret_field(&sec, "username"));
	ck_assert_ptr_nonnull(vs_secret_field(&sec, "password"));
	ck_assert_ptr_nonnull(sec.lease_id);
	ck_assert_int_eq(strncmp(sec.lease_id, "database/creds/app/", 19), 0);
	ck_assert_int_gt(sec.lease_duration, 0);
	ck_assert(sec.renewable);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(each_unique_path_read_once)
{
	vs_vault_settings s;
	vs_vault_req reqs[20];
	vs_secret secs[20];
	vs_vault_stats st;
	vs_error err = {0};
	char paths[5][32];

	for (int p = 0; p < 5; p++) {
		snprintf(paths[p], sizeof paths[p], "secret/bulk/p%d", p);
		ds_put_v2(&ds, paths[p], "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}");
	}
	ds_call(&ds, "DELETE", "/_control/counters", NULL, NULL, NULL);
	for (int i = 0; i < 20; i++)
		reqs[i] = (vs_vault_req){.path = paths[i % 5]};
	memset(secs, 0, sizeof secs);
	settings_for(&s, NULL, NULL);
	ck_assert_int_eq(vs_vault_read(&s, reqs, 20, secs, &st, &err), 0);
	for (int i = 0; i < 20; i++) {
		ck_assert_msg(secs[i].code == 0, "%s", secs[i].err);
		ck_assert_str_eq(vs_secret_field(&secs[i], "c"), "3");
		vs_secret_clear(&secs[i]);
	}
	for (int p = 0; p < 5; p++) {
		char key[64];
		snprintf(key, sizeof key, "GET secret/data/bulk/p%d", p);
		ck_assert_int_eq(ds_count(&ds, key), 1);
	}
	/* all five paths share the secret/ mount: one lookup */
	ck_assert_int_eq(st.mount_lookups, 1);
	ck_assert_int_eq(ds_count_total(&ds), 6);
	ck_assert_int_eq(st.requests, 6);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(approle_login_then_read)
{
	char dir[64], *rid_path, *sid_path, conf[512], *role_id, *secret_id;
	vs_vault_settings s;
	vs_vault_req req = {.path = "secret/app/approle"};
	vs_secret sec;
	vs_vault_stats st;
	vs_config *cfg;
	vs_error err = {0};

	ds_put_v2(&ds, "secret/app/approle", "{\"k\":\"via-approle\"}");
	ds_policy(&ds, "app", "path \"secret/data/app/*\" { capabilities = [\"read\"] }");
	ds_approle(&ds, "web", "{\"token_policies\":[\"app\"]}", &role_id, &secret_id);

	tl_tmpdir_make(dir, sizeof dir, "vs-ar");
	rid_path = tl_path(dir, "role-id");
	sid_path = tl_path(dir, "secret-id");
	tl_write_text(rid_path, role_id, 0600);
	tl_write_text(sid_path, secret_id, 0600);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nauth = approle\nrole_id_file = %s\nsecret_id_file = %s\n",
		 ds.addr, rid_path, sid_path);
	cfg = parse(conf);
	tl_env_clear(&env);
	ck_assert_int_eq(vs_vault_settings_init(&s, cfg, tl_getenv, env.vars, &err), 0);
	memset(&sec, 0, sizeof sec);
	ck_assert_int_eq(vs_vault_read(&s, &req, 1, &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "via-approle");
	ck_assert_int_eq(st.logins, 1);
	vs_secret_clear(&sec);

	/* a wrong secret_id: the login is refused as a permission problem, naming no credential */
	tl_write_text(sid_path, "00000000-0000-0000-0000-000000000000", 0600);
	memset(&sec, 0, sizeof sec);
	ck_assert_int_eq(vs_vault_read(&s, &req, 1, &sec, &st, &err), VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "approle login"));
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid role or secret ID"));
	ck_assert_ptr_null(strstr(err.msg, role_id));
	vs_vault_settings_clear(&s);
	vs_config_free(cfg);
	free(rid_path);
	free(sid_path);
	free(role_id);
	free(secret_id);
	tl_tmpdir_remove(dir);
}
END_TEST

Suite *vault_suite(void)
{
	Suite *s = suite_create("vault");
	TCase *settings = tcase_create("settings");
	TCase *reads = tcase_create("reads");
	TCase *faults = tcase_create("faults");

	tcase_add_test(settings, settings_defaults);
	tcase_add_test(settings, settings_config_wins_over_variables);
	tcase_add_test(settings, settings_variables_apply_when_config_silent);
	tcase_add_test(settings, settings_bad_variables_are_config_errors);
	tcase_add_test(settings, settings_token_file_order);
	suite_add_tcase(s, settings);

	tcase_add_unchecked_fixture(reads, server_up, server_down);
	tcase_add_checked_fixture(reads, reset, NULL);
	tcase_set_timeout(reads, 20);
	tcase_add_test(reads, reads_kv_v2);
	tcase_add_test(reads, reads_kv_v1);
	tcase_add_test(reads, reads_versions_and_deleted_versions);
	tcase_add_test(reads, not_found_is_65);
	tcase_add_test(reads, forbidden_read_is_77_without_token_in_message);
	tcase_add_test(reads, forbidden_mount_lookup_names_the_override);
	tcase_add_test(reads, invalid_token_is_77);
	tcase_add_test(reads, no_token_is_77);
	tcase_add_test(reads, dynamic_secret_keeps_lease);
	tcase_add_test(reads, each_unique_path_read_once);
	tcase_add_test(reads, approle_login_then_read);
	suite_add_tcase(s, reads);

	tcase_add_unchecked_fixture(faults, server_up, server_down);
	tcase_add_checked_fixture(faults, reset, NULL);
	tcase_set_timeout(faults, 20);
	tcase_add_test(faults, sealed_is_69_without_retry_storm);
	tcase_add_test(faults, slow_vault_hits_the_deadline);
	tcase_add_test(faults, unreachable_vault_is_69);
	tcase_add_test(faults, malformed_json_is_69);
	tcase_add_test(faults, nul_in_a_value_is_marked);
	tcase_add_test(faults, nul_in_a_key_names_no_field);
	tcase_add_test(faults, oversized_response_is_refused);
	tcase_add_test(faults, transient_errors_are_retried);
	suite_add_tcase(s, faults);
	return s;
}
