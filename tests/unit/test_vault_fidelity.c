/* The client against Vaults other than the newest Community one, each shape
 * played by the dev server: mount lookups that fail for some mounts only,
 * the pre-1.17 and OpenBao wording of an invalid token, rate-limit quotas
 * without Retry-After, namespaces, an agent's auto-auth, proxies, and the
 * hints for credential files and addresses written wrong. */
#define _GNU_SOURCE
#include "devserver.h"
#include "suites.h"
#include "testlib.h"
#include "vault/internal.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static devserver ds;
static char dir[64]; /* scratch: credential files, proxy and agent files */

/* The environment a test gives the client (tl_getenv's NAME=value strings). */
static const char *envv[8];

/* Writes dir/name (0600 then mode) and returns its path, good for the next
 * seven calls. */
static const char *file_in_dir(const char *name, const char *text, mode_t mode)
{
	static char path[8][128];
	static int next;
	char *p = path[next++ % 8];

	snprintf(p, sizeof path[0], "%s/%s", dir, name);
	tl_write_text(p, text, mode);
	return p;
}

/* Settings from a whole config text (sections included); the environment
 * is envv. Returns the settings' error code (0: made). */
static int settings_rc(vs_vault_settings *s, const char *conf, vs_error *err)
{
	vs_config *cfg = tl_config("/tmp/f.conf", conf, tl_getenv, envv);
	int rc = vs_vault_settings_init(s, cfg, tl_getenv, envv, err);
	vs_config_free(cfg);
	return rc;
}

static void settings(vs_vault_settings *s, const char *conf)
{
	vs_error err = {0};
	ck_assert_msg(settings_rc(s, conf, &err) == 0, "settings: %s", err.msg);
}

/* Reads paths[0..n) into sec[]; returns vs_vault_read's code. */
static int read_n(vs_vault_settings *s, const char *const *paths, size_t n, vs_secret *sec,
		  vs_vault_stats *st, vs_error *err)
{
	vs_vault_req req[8] = {{0}};
	for (size_t i = 0; i < n; i++)
		req[i].path = paths[i];
	memset(sec, 0, n * sizeof *sec);
	return vs_vault_read(s, req, n, sec, st, err);
}

/* A token whose one policy, NAME, has these rules (HCL). */
static char *token_with_policy(const char *name, const char *hcl)
{
	char body[256];

	ds_policy(&ds, name, hcl);
	snprintf(body, sizeof body, "{\"policies\":[\"%s\"]}", name);
	return ds_token(&ds, body);
}

static void kv2_mount(const char *prefix, const char *mount)
{
	char path[160];
	snprintf(path, sizeof path, "/v1/%ssys/mounts/%s", prefix, mount);
	ck_assert_int_lt(ds_call(&ds, "POST", path, "{\"type\":\"kv\",\"options\":{\"version\":\"2\"}}", ds.token,
				 NULL), 300);
}

/* A KV v2 write at an API path (mounts of more than one segment). */
static void put_api(const char *api_path, const char *data_json)
{
	char *json;
	ck_assert_int_ge(asprintf(&json, "{\"data\":%s}", data_json), 0);
	ck_assert_int_eq(ds_call(&ds, "POST", api_path, json, ds.token, NULL), 200);
	free(json);
}

static void up_with(const char *const *extra)
{
	tl_tmpdir_make(dir, sizeof dir, "vs-fid");
	ds_start(&ds, extra);
	memset(envv, 0, sizeof envv);
}

static void plain_up(void)
{
	up_with(NULL);
}

static void down(void)
{
	ds_stop(&ds);
	tl_tmpdir_remove(dir);
}

static void reset(void)
{
	ds_reset(&ds);
	memset(envv, 0, sizeof envv);
}

/* ------------------------------------------------------------------ */
/* 1. a failed mount lookup takes down only its own entries            */

START_TEST(forbidden_mount_spares_its_neighbour)
{
	vs_vault_settings s;
	vs_secret sec[2];
	vs_error err = {0};
	const char *paths[] = {"apps/a/x", "apps/b/y"};
	char conf[512], *tok;

	kv2_mount("", "apps/a");
	kv2_mount("", "apps/b");
	put_api("/v1/apps/a/data/x", "{\"k\":\"va\"}");
	put_api("/v1/apps/b/data/y", "{\"k\":\"vb\"}");
	tok = token_with_policy("bonly", "path \"apps/b/*\" { capabilities = [\"read\"] }");
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", tok, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 2, sec, NULL, &err), 0);
	/* apps/a/ is forbidden: its entry fails, and only it */
	ck_assert_int_eq(sec[0].code, VS_EX_NOPERM);
	ck_assert_msg(sec[1].code == 0, "apps/b/y: %s", sec[1].err);
	ck_assert_str_eq(vs_secret_field(&sec[1], "k"), "vb");
	for (int i = 0; i < 2; i++)
		vs_secret_clear(&sec[i]);
	vs_vault_settings_clear(&s);
	free(tok);
}
END_TEST

START_TEST(mount_lookup_404_is_kv1_for_its_path_only)
{
	vs_vault_settings s;
	vs_secret sec[2];
	vs_error err = {0};
	const char *paths[] = {"apps/c/x", "apps/d/y"};
	char conf[512];

	kv2_mount("", "apps/c");
	kv2_mount("", "apps/d");
	put_api("/v1/apps/d/data/y", "{\"k\":\"vb\"}");
	/* this one lookup answers as a Vault without the endpoint would */
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"sys/internal/ui/mounts/apps/c/x\",\"status\":404,"
				 "\"body\":\"{\\\"errors\\\":[]}\"}", NULL, NULL), 200);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 2, sec, NULL, &err), 0);
	ck_assert_int_eq(sec[0].code, VS_EX_MISSING);
	ck_assert_msg(sec[1].code == 0, "apps/d/y: %s", sec[1].err);
	ck_assert_str_eq(sec[1].engine, "kv-v2");
	ck_assert_str_eq(vs_secret_field(&sec[1], "k"), "vb");
	for (int i = 0; i < 2; i++)
		vs_secret_clear(&sec[i]);
	vs_vault_settings_clear(&s);
}
END_TEST

/* A lookup that fails for a reason of Vault's, not of the path (sealed,
 * 5xx, 429, connection dropped), is asked once for its segment: a Vault that
 * is down or rate-limiting is not sent one lookup per entry. */
static void one_lookup_for(const char *fault_json, bool seal, int code)
{
	vs_vault_settings s;
	vs_secret sec[6];
	vs_error err = {0};
	const char *paths[] = {"secret/a", "secret/b", "secret/c", "secret/d", "secret/e", "secret/f"};
	char conf[512];

	ds_reset(&ds);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nmax_retries = 0\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	if (fault_json)
		ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults", fault_json, NULL, NULL), 200);
	if (seal)
		ck_assert_int_lt(ds_call(&ds, "POST", "/_control/seal", NULL, NULL, NULL), 300);
	ck_assert_int_eq(read_n(&s, paths, 6, sec, NULL, &err), 0);
	ck_assert_msg(ds_count_total(&ds) == 1, "%s: %d requests for 6 entries of one segment",
		      fault_json ? fault_json : "sealed", ds_count_total(&ds));
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(sec[i].code, code);
		vs_secret_clear(&sec[i]);
	}
	vs_vault_settings_clear(&s);
	ds_reset(&ds);
}

START_TEST(failed_lookup_is_asked_once_per_segment)
{
	one_lookup_for(NULL, true, VS_EX_UNAVAILABLE);
	one_lookup_for("{\"path\":\"sys/internal/ui/mounts/*\",\"status\":500}", false, VS_EX_UNAVAILABLE);
	one_lookup_for("{\"path\":\"sys/internal/ui/mounts/*\",\"status\":429,"
		       "\"body\":\"{\\\"errors\\\":[\\\"rate limit quota exceeded\\\"]}\"}", false, VS_EX_UNAVAILABLE);
	one_lookup_for("{\"path\":\"sys/internal/ui/mounts/*\",\"drop\":true}", false, VS_EX_UNAVAILABLE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. an invalid token said as Vault <= 1.16 and OpenBao say it        */

static void v116_up(void)
{
	static const char *extra[] = {"--mimic", "vault-1.16.3", NULL};
	up_with(extra);
}

/* AppRole role "once": policy "app" on secret/data/app/, tokens good for
 * one request. Writes the role_id and secret_id files; returns the config. */
static void approle_once(char *conf, size_t sz)
{
	char *rid, *sid;

	ds_put_v2(&ds, "secret/app/one", "{\"k\":\"first\"}");
	ds_put_v2(&ds, "secret/app/two", "{\"k\":\"second\"}");
	ds_policy(&ds, "app", "path \"secret/data/app/*\" { capabilities = [\"read\"] }");
	ds_approle(&ds, "once", "{\"token_policies\":[\"app\"],\"token_num_uses\":1}", &rid, &sid);
	snprintf(conf, sz, "[vault]\naddress = %s\nauth = approle\nkv_version = 2\nrole_id_file = %s\n"
		 "secret_id_file = %s\n", ds.addr, file_in_dir("rid", rid, 0600), file_in_dir("sid", sid, 0600));
	free(rid);
	free(sid);
}

START_TEST(relogin_when_403_says_only_permission_denied)
{
	vs_vault_settings s;
	vs_secret sec[2];
	vs_vault_stats st;
	vs_error err = {0};
	const char *paths[] = {"secret/app/one", "secret/app/two"};
	char conf[1024], *body = NULL;

	/* the server words an invalid token as 1.16 does */
	ck_assert_int_eq(ds_call(&ds, "GET", "/v1/sys/health", NULL, NULL, &body), 200);
	ck_assert_ptr_nonnull(strstr(body, "\"1.16.3\""));
	free(body);
	approle_once(conf, sizeof conf);
	settings(&s, conf);
	/* the login's token serves one read; the other finds it used up */
	ck_assert_int_eq(read_n(&s, paths, 2, sec, &st, &err), 0);
	ck_assert_msg(sec[0].code == 0, "one: %s", sec[0].err);
	ck_assert_msg(sec[1].code == 0, "two: %s", sec[1].err);
	ck_assert_str_eq(vs_secret_field(&sec[0], "k"), "first");
	ck_assert_str_eq(vs_secret_field(&sec[1], "k"), "second");
	ck_assert_int_eq(st.logins, 2);
	for (int i = 0; i < 2; i++)
		vs_secret_clear(&sec[i]);
	vs_vault_settings_clear(&s);
}
END_TEST

/* Vault matches the mount before it looks at the token: asked about a path
 * on no mount (a typo, a disabled engine), its mount lookup calls any token
 * good. Listed first, such an entry must not hide a used-up login token
 * from the entries after it, which Vault holds and fallback would default. */
START_TEST(unmounted_entry_does_not_hide_an_invalid_token)
{
	vs_vault_settings s;
	vs_secret sec[3];
	vs_vault_stats st;
	vs_error err = {0};
	const char *paths[] = {"typo/x", "secret/app/one", "secret/app/two"};
	char conf[1024];

	approle_once(conf, sizeof conf);
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 3, sec, &st, &err), 0);
	ck_assert_int_ne(sec[0].code, 0);
	ck_assert_msg(sec[1].code == 0, "one: %s", sec[1].err);
	ck_assert_msg(sec[2].code == 0, "two: %s", sec[2].err);
	ck_assert_int_eq(st.logins, 2);
	for (int i = 0; i < 3; i++)
		vs_secret_clear(&sec[i]);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(denied_by_policy_is_not_an_invalid_token)
{
	vs_vault_settings s;
	vs_secret sec[2];
	vs_error err = {0};
	const char *paths[] = {"secret/app/one", "secret/other/x"};
	char conf[512], *tok;

	ds_put_v2(&ds, "secret/app/one", "{\"k\":\"first\"}");
	ds_put_v2(&ds, "secret/other/x", "{\"k\":\"no\"}");
	tok = token_with_policy("apponly", "path \"secret/data/app/*\" { capabilities = [\"read\"] }");
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nkv_version = 2\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", tok, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 2, sec, NULL, &err), 0);
	ck_assert_int_eq(sec[0].code, 0);
	ck_assert_int_eq(sec[1].code, VS_EX_NOPERM);
	ck_assert_ptr_null(strstr(sec[1].err, "invalid, expired"));
	/* and says what to change: the token's policies */
	ck_assert_msg(strstr(sec[1].err, "; the token's policies do not grant read on this path: add it to one of "
				       "them (on KV v2, as mount/data/name)"), "%s", sec[1].err);
	for (int i = 0; i < 2; i++)
		vs_secret_clear(&sec[i]);

	/* the same token revoked: its 403 now says what is wrong */
	ck_assert_int_lt(ds_call(&ds, "POST", "/v1/auth/token/revoke-self", "{}", tok, NULL), 300);
	ck_assert_int_eq(read_n(&s, paths, 1, sec, NULL, &err), 0);
	ck_assert_int_eq(sec[0].code, VS_EX_NOPERM);
	ck_assert_msg(strstr(sec[0].err, "the token from token_file is invalid, expired or revoked; give a valid "
				       "one there"), "%s", sec[0].err);
	ck_assert_ptr_null(strstr(sec[0].err, tok));
	vs_secret_clear(&sec[0]);
	vs_vault_settings_clear(&s);
	free(tok);
}
END_TEST

/* A token made without the default policy cannot look itself up: a 403
 * for a path its policy does not grant must not pass for an invalid token
 * (no "invalid, expired or revoked", no second login). */
START_TEST(token_without_default_policy_denied_is_not_invalid)
{
	vs_vault_settings s;
	vs_secret sec[2];
	vs_vault_stats st;
	vs_error err = {0};
	const char *paths[] = {"secret/app/one", "secret/other/x"};
	char conf[512], *rid, *sid, *tok;

	ds_put_v2(&ds, "secret/app/one", "{\"k\":\"first\"}");
	ds_put_v2(&ds, "secret/other/x", "{\"k\":\"no\"}");
	ds_policy(&ds, "app", "path \"secret/data/app/*\" { capabilities = [\"read\"] }");

	/* a token, with only that policy */
	tok = ds_token(&ds, "{\"policies\":[\"app\"],\"no_default_policy\":true}");
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nkv_version = 2\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", tok, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 2, sec, NULL, &err), 0);
	ck_assert_msg(sec[0].code == 0, "%s", sec[0].err);
	ck_assert_int_eq(sec[1].code, VS_EX_NOPERM);
	ck_assert_msg(!strstr(sec[1].err, "invalid, expired"), "%s", sec[1].err);
	ck_assert_msg(strstr(sec[1].err, "policies do not grant read on this path"), "%s", sec[1].err);
	for (int i = 0; i < 2; i++)
		vs_secret_clear(&sec[i]);
	vs_vault_settings_clear(&s);
	free(tok);

	/* an AppRole whose tokens come without it: one login, not two */
	ds_approle(&ds, "nodef", "{\"token_policies\":[\"app\"],\"token_no_default_policy\":true}", &rid, &sid);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nauth = approle\nkv_version = 2\nrole_id_file = %s\n"
		 "secret_id_file = %s\n", ds.addr, file_in_dir("rid", rid, 0600), file_in_dir("sid", sid, 0600));
	free(rid);
	free(sid);
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 2, sec, &st, &err), 0);
	ck_assert_msg(sec[0].code == 0, "%s", sec[0].err);
	ck_assert_int_eq(sec[1].code, VS_EX_NOPERM);
	ck_assert_int_eq(st.logins, 1);
	ck_assert_int_eq(ds_count(&ds, "POST auth/approle/login"), 1);
	for (int i = 0; i < 2; i++)
		vs_secret_clear(&sec[i]);
	vs_vault_settings_clear(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3. a rate-limit quota without Retry-After                           */

START_TEST(rate_limit_without_retry_after_outlives_the_window)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_stats st;
	vs_error err = {0};
	const char *paths[] = {"secret/rl"};
	char conf[512];

	ck_assert_int_lt(ds_call(&ds, "POST", "/v1/sys/quotas/rate-limit/one-per-second",
				 "{\"path\":\"secret/data/rl\",\"rate\":1,\"interval\":\"1s\"}", ds.token, NULL), 300);
	/* the write takes the window's one request: the read meets a 429 */
	ds_put_v2(&ds, "secret/rl", "{\"k\":\"limited\"}");
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nkv_version = 2\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "limited");
	ck_assert_int_ge(st.retries, 1);
	ck_assert_int_ge(ds_count(&ds, "GET secret/data/rl"), 2);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	ck_assert_int_lt(ds_call(&ds, "DELETE", "/v1/sys/quotas/rate-limit/one-per-second", NULL, ds.token, NULL),
			 300);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. namespaces                                                       */

static void ent_up(void)
{
	static const char *extra[] = {"--mimic", "vault-1.19.0+ent", NULL};
	up_with(extra);
}

START_TEST(namespace_prefixed_mount_path_is_accepted)
{
	vs_vault_settings s;
	vs_secret sec[2];
	vs_error err = {0};
	const char *paths[] = {"secret/app"}, *child[] = {"team/secret/app"};
	char conf[512];

	ck_assert_int_lt(ds_call(&ds, "POST", "/v1/sys/namespaces/org", "{}", ds.token, NULL), 300);
	ck_assert_int_lt(ds_call(&ds, "POST", "/v1/org/sys/namespaces/team", "{}", ds.token, NULL), 300);
	kv2_mount("org/team/", "secret");
	ck_assert_int_lt(ds_call(&ds, "POST", "/v1/org/team/secret/data/app", "{\"data\":{\"k\":\"in-team\"}}",
				 ds.token, NULL), 300);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nnamespace = org/team\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, sec, NULL, &err), 0);
	ck_assert_msg(sec[0].code == 0, "%s", sec[0].err);
	ck_assert_str_eq(vs_secret_field(&sec[0], "k"), "in-team");
	vs_secret_clear(&sec[0]);
	vs_vault_settings_clear(&s);

	/* the parent namespace, the child in the path */
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nnamespace = org\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, child, 1, sec, NULL, &err), 0);
	ck_assert_msg(sec[0].code == 0, "%s", sec[0].err);
	ck_assert_str_eq(vs_secret_field(&sec[0], "k"), "in-team");
	vs_secret_clear(&sec[0]);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(unknown_namespace_is_an_error_not_kv1)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	const char *paths[] = {"secret/app"};
	char conf[512];

	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nnamespace = nowhere\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_CONFIG);
	ck_assert_msg(strstr(sec.err, "namespace not found") && strstr(sec.err, "VAULT_NAMESPACE"), "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 5. an agent's auto-auth                                             */

static int agent_pid;
static char agent_sock[128];

static void agent_up(void)
{
	char addrfile[128], tokfile[128], upstream[300];
	const char *argv[16];
	int n = 0;

	up_with(NULL);
	snprintf(agent_sock, sizeof agent_sock, "%s/agent.sock", dir);
	snprintf(addrfile, sizeof addrfile, "%s/agent.addr", dir);
	snprintf(tokfile, sizeof tokfile, "%s/agent-token", dir);
	snprintf(upstream, sizeof upstream, "%s", ds.addr);
	file_in_dir("agent-token", ds.token, 0600);
	argv[n++] = "python3";
	argv[n++] = "scripts/vault-dev-server";
	argv[n++] = "--agent-of";
	argv[n++] = upstream;
	argv[n++] = "--agent-token-file";
	argv[n++] = tokfile;
	argv[n++] = "--listen";
	static char listen[160];
	snprintf(listen, sizeof listen, "unix:%s", agent_sock);
	argv[n++] = listen;
	argv[n++] = "--addr-file";
	argv[n++] = addrfile;
	argv[n] = NULL;
	if ((agent_pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp("python3", (char **)argv);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(addrfile, F_OK); i++)
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	if (access(addrfile, F_OK)) {
		fprintf(stderr, "test_vault_fidelity: the agent did not start\n");
		exit(99);
	}
}

static void agent_down(void)
{
	if (agent_pid > 0) {
		kill(agent_pid, SIGTERM);
		waitpid(agent_pid, NULL, 0);
	}
	down();
}

START_TEST(agent_auto_auth_needs_no_token)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	const char *paths[] = {"secret/agent/app"};
	char addr[200], *body = NULL;
	cJSON *log, *e;
	int seen = 0;

	ds_put_v2(&ds, "secret/agent/app", "{\"k\":\"via-auto-auth\"}");
	ds_call(&ds, "DELETE", "/_control/requests", NULL, NULL, NULL);
	snprintf(addr, sizeof addr, "VAULT_AGENT_ADDR=unix://%s", agent_sock);
	envv[0] = addr; /* and no token anywhere: no VAULT_TOKEN, no HOME */
	settings(&s, "[vault]\n");
	ck_assert_ptr_null(s.token);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "via-auto-auth");
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	/* Vault saw the agent's token on every request */
	ck_assert_int_eq(ds_call(&ds, "GET", "/_control/requests", NULL, NULL, &body), 200);
	log = cJSON_Parse(body);
	free(body);
	cJSON_ArrayForEach(e, log) {
		seen++;
		ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "has_token")));
	}
	cJSON_Delete(log);
	ck_assert_int_ge(seen, 1);
}
END_TEST

START_TEST(tokenless_to_a_server_says_why)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	const char *paths[] = {"secret/agent/app"};
	char addr[300];

	/* an "agent" address that is the server itself: nobody adds a token */
	snprintf(addr, sizeof addr, "VAULT_AGENT_ADDR=%s", ds.addr);
	envv[0] = addr;
	settings(&s, "[vault]\nkv_version = 2\n");
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_NOPERM);
	ck_assert_msg(strstr(sec.err, "no token was sent"), "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 7. proxies                                                          */

static int proxy_pid;
static char proxy_url[64], proxy_log[128];

static void proxy_up(void)
{
	char portfile[128], port[16] = "";
	FILE *f = NULL;

	up_with(NULL);
	snprintf(portfile, sizeof portfile, "%s/proxy.port", dir);
	snprintf(proxy_log, sizeof proxy_log, "%s/proxy.log", dir);
	if ((proxy_pid = fork()) == 0) {
		execlp("python3", "python3", "tests/unit/fwdproxy.py", portfile, proxy_log, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !(f = fopen(portfile, "r")); i++)
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	if (!f || !fgets(port, sizeof port, f)) {
		fprintf(stderr, "test_vault_fidelity: the proxy did not start\n");
		exit(99);
	}
	fclose(f);
	snprintf(proxy_url, sizeof proxy_url, "http://127.0.0.1:%s", port);
}

static void proxy_down(void)
{
	if (proxy_pid > 0) {
		kill(proxy_pid, SIGTERM);
		waitpid(proxy_pid, NULL, 0);
	}
	down();
}

static void proxy_reset(void)
{
	reset();
	unlink(proxy_log);
	/* libcurl would read these from the process itself: the old client did */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("NO_PROXY");
}

static int proxy_lines(const char *needle)
{
	char line[256];
	int n = 0;
	FILE *f = fopen(proxy_log, "r");
	while (f && fgets(line, sizeof line, f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* The dev server's port under another host name, reachable only through the proxy. */
static void invalid_host_addr(char *out, size_t sz)
{
	snprintf(out, sz, "http://vault.invalid:%s", strrchr(ds.addr, ':') + 1);
}

/* Reads secret/px/app with conf_fmt (%s: address, %s: token file). */
static int proxied_read(const char *address, const char *extra_sections, vs_secret *sec)
{
	vs_vault_settings s;
	vs_error err = {0};
	const char *paths[] = {"secret/px/app"};
	char conf[1024];
	int rc;

	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntimeout = 5s\nkv_version = 2\ntoken_file = %s\n%s",
		 address, file_in_dir("tok", ds.token, 0600), extra_sections);
	settings(&s, conf);
	rc = read_n(&s, paths, 1, sec, NULL, &err);
	vs_vault_settings_clear(&s);
	return rc;
}

START_TEST(loopback_vault_is_never_proxied)
{
	vs_secret sec;
	static char e1[96], e2[96];

	ds_put_v2(&ds, "secret/px/app", "{\"k\":\"direct\"}");
	snprintf(e1, sizeof e1, "http_proxy=%s", proxy_url);
	snprintf(e2, sizeof e2, "HTTP_PROXY=%s", proxy_url);
	envv[0] = e1;
	envv[1] = e2;
	setenv("http_proxy", proxy_url, 1);
	setenv("HTTP_PROXY", proxy_url, 1);
	ck_assert_int_eq(proxied_read(ds.addr, "", &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "direct");
	ck_assert_int_eq(proxy_lines(""), 0);
	vs_secret_clear(&sec);
}
END_TEST

START_TEST(vault_http_proxy_carries_the_requests)
{
	vs_secret sec;
	static char e1[96];
	char addr[128];

	ds_put_v2(&ds, "secret/px/app", "{\"k\":\"proxied\"}");
	invalid_host_addr(addr, sizeof addr);
	snprintf(e1, sizeof e1, "VAULT_HTTP_PROXY=%s", proxy_url);
	envv[0] = e1;
	ck_assert_int_eq(proxied_read(addr, "", &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "proxied");
	ck_assert_int_ge(proxy_lines("GET vault.invalid token"), 1);
	vs_secret_clear(&sec);
}
END_TEST

START_TEST(mapped_proxy_name_never_routes_the_token)
{
	vs_secret sec;
	static char e1[96];
	char addr[128];

	invalid_host_addr(addr, sizeof addr);
	snprintf(e1, sizeof e1, "http_proxy=%s", proxy_url);
	envv[0] = e1;
	setenv("http_proxy", proxy_url, 1);
	/* the config maps http_proxy: its value may be a secret served to a parent */
	ck_assert_int_eq(proxied_read(addr, "[env]\nhttp_proxy = secret/px/app#k\n", &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE); /* vault.invalid: reachable by no other way */
	ck_assert_int_eq(proxy_lines(""), 0);
	vs_secret_clear(&sec);
}
END_TEST

START_TEST(no_proxy_is_honoured)
{
	vs_secret sec;
	static char e1[96], e2[96] = "NO_PROXY=example.com, .invalid";
	char addr[128];

	invalid_host_addr(addr, sizeof addr);
	snprintf(e1, sizeof e1, "http_proxy=%s", proxy_url);
	envv[0] = e1;
	envv[1] = e2;
	setenv("http_proxy", proxy_url, 1);
	setenv("NO_PROXY", "example.com, .invalid", 1);
	ck_assert_int_eq(proxied_read(addr, "", &sec), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_int_eq(proxy_lines(""), 0);
	vs_secret_clear(&sec);
}
END_TEST

/* libcurl reads NO_PROXY from the process by itself: a NO_PROXY the
 * helper inherited (or a mapped one, which the settings ignore) must not
 * send the request around the proxy the client chose */
START_TEST(process_no_proxy_never_overrides_the_choice)
{
	vs_secret sec;
	static char e1[96], e2[96];
	char addr[128];

	ds_put_v2(&ds, "secret/px/app", "{\"k\":\"proxied\"}");
	invalid_host_addr(addr, sizeof addr);
	snprintf(e1, sizeof e1, "VAULT_HTTP_PROXY=%s", proxy_url);
	envv[0] = e1;
	setenv("NO_PROXY", ".invalid", 1);
	ck_assert_int_eq(proxied_read(addr, "", &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_int_ge(proxy_lines("GET vault.invalid token"), 1);
	vs_secret_clear(&sec);

	/* NO_PROXY mapped in the config: the settings do not see it, nor may libcurl */
	unlink(proxy_log);
	snprintf(e1, sizeof e1, "http_proxy=%s", proxy_url);
	snprintf(e2, sizeof e2, "NO_PROXY=.invalid");
	envv[0] = e1;
	envv[1] = e2;
	ck_assert_int_eq(proxied_read(addr, "[env]\nNO_PROXY = secret/px/app#k\n", &sec), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_int_ge(proxy_lines("GET vault.invalid token"), 1);
	vs_secret_clear(&sec);
}
END_TEST

/* tls_server_name names the certificate, not the host: a loopback Vault
 * verified under another name is still reached directly */
START_TEST(tls_server_name_does_not_decide_the_proxy)
{
	vs_secret sec;
	static char e1[96];
	char addr[128];

	snprintf(addr, sizeof addr, "https://127.0.0.1:%s", strrchr(ds.addr, ':') + 1);
	snprintf(e1, sizeof e1, "https_proxy=%s", proxy_url);
	envv[0] = e1;
	/* the server speaks plain HTTP: the read fails either way; what counts
	 * is whether the token's connection was offered to the proxy */
	ck_assert_int_eq(proxied_read(addr, "tls_server_name = vault.example.org\n", &sec), 0);
	ck_assert_int_ne(sec.code, 0);
	ck_assert_int_eq(proxy_lines(""), 0);
	vs_secret_clear(&sec);
}
END_TEST

/* URLs as a hostile or careless config may write them */
START_TEST(proxy_choice_odd_urls)
{
	vs_vault_settings s = {0};
	char hp[] = "http://hp:2", sp[] = "http://sp:3";
	char np[] = "10.0.0.0/8x,192.0.2.0/,vault.example.org:80";

	s.proxy_http = hp;
	s.proxy_https = sp;
	s.no_proxy = np;
	/* userinfo is not the host, and a password may hold '@' or ':' */
	ck_assert_ptr_null(vv_proxy_for(&s, "https://user:p@ss@127.0.0.1:8200/v1/x"));
	ck_assert_str_eq(vv_proxy_for(&s, "https://127.0.0.1@vault.example.net/v1/x"), sp);
	/* an IPv6 zone, localhost with its final dot, *.localhost */
	ck_assert_ptr_null(vv_proxy_for(&s, "https://[::1%25lo]:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "http://localhost.:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "http://vault.localhost:8200/v1/x"));
	ck_assert_str_eq(vv_proxy_for(&s, "http://notlocalhost:8200/v1/x"), hp);
	/* a CIDR with junk after the bits, or no bits, is no network */
	ck_assert_str_eq(vv_proxy_for(&s, "http://10.1.2.3:8200/v1/x"), hp);
	ck_assert_str_eq(vv_proxy_for(&s, "http://192.0.2.9:8200/v1/x"), hp);
	/* an empty port is the scheme's */
	ck_assert_ptr_null(vv_proxy_for(&s, "http://vault.example.org:/v1/x"));
	/* loopback as libcurl also spells it: the host libcurl will connect to decides */
	ck_assert_ptr_null(vv_proxy_for(&s, "http://127.1:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "http://2130706433:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "http://0x7f.0.0.1:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "http://%6cocalhost:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "http://127.0.0.1.:8200/v1/x"));
}
END_TEST

START_TEST(proxy_choice_rules)
{
	vs_vault_settings s = {0};
	char vp[] = "http://vp:1", hp[] = "http://hp:2", sp[] = "http://sp:3";
	char np[] = " Example.COM ,10.0.0.0/8,[2001:db8::1]:8200, *.corp:8200,192.0.2.7";

	s.proxy_http = hp;
	s.proxy_https = sp;
	s.no_proxy = np;
	/* loopback never, whatever is set */
	ck_assert_ptr_null(vv_proxy_for(&s, "http://localhost:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "http://127.8.9.10:8200/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "https://[::1]:8200/v1/x"));
	/* by scheme */
	ck_assert_str_eq(vv_proxy_for(&s, "http://vault.example.org:8200/v1/x"), hp);
	ck_assert_str_eq(vv_proxy_for(&s, "https://vault.example.org/v1/x"), sp);
	/* NO_PROXY: domains (case-insensitive), CIDR, IPv6 with port, ports */
	ck_assert_ptr_null(vv_proxy_for(&s, "https://example.com/v1/x"));
	ck_assert_ptr_null(vv_proxy_for(&s, "https://vault.EXAMPLE.com:8200/v1/x"));
	ck_assert_str_eq(vv_proxy_for(&s, "https://notexample.com/v1/x"), sp);
	ck_assert_ptr_null(vv_proxy_for(&s, "http://10.20.30.40:8200/v1/x"));
	ck_assert_str_eq(vv_proxy_for(&s, "http://11.0.0.1:8200/v1/x"), hp);
	ck_assert_ptr_null(vv_proxy_for(&s, "https://[2001:db8::1]:8200/v1/x"));
	ck_assert_str_eq(vv_proxy_for(&s, "https://[2001:db8::1]:8201/v1/x"), sp);
	ck_assert_ptr_null(vv_proxy_for(&s, "https://v.corp:8200/v1/x"));
	ck_assert_str_eq(vv_proxy_for(&s, "https://v.corp:443/v1/x"), sp);
	ck_assert_ptr_null(vv_proxy_for(&s, "http://192.0.2.7/v1/x"));
	/* VAULT_HTTP_PROXY / VAULT_PROXY_ADDR: every request but loopback, NO_PROXY notwithstanding */
	s.proxy_vault = vp;
	ck_assert_str_eq(vv_proxy_for(&s, "https://example.com/v1/x"), vp);
	ck_assert_ptr_null(vv_proxy_for(&s, "http://127.0.0.1:8200/v1/x"));
	/* "*" turns the proxy variables off */
	s.proxy_vault = NULL;
	s.no_proxy = (char[]){"*"};
	ck_assert_ptr_null(vv_proxy_for(&s, "https://vault.example.org/v1/x"));
}
END_TEST

START_TEST(proxy_settings_from_the_environment)
{
	vs_vault_settings s;
	static char *vars[] = {"VAULT_HTTP_PROXY=http://h:1", "VAULT_PROXY_ADDR=http://p:2", "HTTP_PROXY=http://up:3",
			       "http_proxy=http://low:4", "https_proxy=http://s:5", "no_proxy=a.b", NULL};

	for (int i = 0; vars[i]; i++)
		envv[i] = vars[i];
	settings(&s, "[vault]\naddress = http://v.example:8200\n");
	ck_assert_str_eq(s.proxy_vault, "http://p:2"); /* VAULT_PROXY_ADDR wins, as in the Go client */
	ck_assert_str_eq(s.proxy_http, "http://up:3"); /* upper case first, as Go reads them */
	ck_assert_str_eq(s.proxy_https, "http://s:5");
	ck_assert_str_eq(s.no_proxy, "a.b");
	vs_vault_settings_clear(&s);
	/* a mapped name is not read */
	settings(&s, "[vault]\naddress = http://v.example:8200\n[env]\nHTTP_PROXY = secret/x#k\n"
		     "https_proxy = secret/x#k\n");
	ck_assert_str_eq(s.proxy_http, "http://low:4");
	ck_assert_ptr_null(s.proxy_https);
	vs_vault_settings_clear(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 8. files and hints                                                  */

START_TEST(credential_files_open_to_others_are_refused)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512], home[160];
	const char *paths[] = {"secret/app/one"};
	static char henv[200];

	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0644));
	ck_assert_int_eq(settings_rc(&s, conf, &err), VS_EX_NOPERM);
	ck_assert_msg(strstr(err.msg, "chmod 600") && strstr(err.msg, "0644") && strstr(err.msg, "token file"),
		      "%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, ds.token));

	/* ~/.vault-token, as the Vault CLI writes it (0600), and 0640 */
	snprintf(home, sizeof home, "%s/home", dir);
	mkdir(home, 0700);
	snprintf(henv, sizeof henv, "HOME=%s", home);
	envv[0] = henv;
	file_in_dir("home/.vault-token", ds.token, 0640);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\n", ds.addr);
	ck_assert_int_eq(settings_rc(&s, conf, &err), VS_EX_NOPERM);
	ck_assert_msg(strstr(err.msg, ".vault-token") && strstr(err.msg, "chmod 600"), "%s", err.msg);
	file_in_dir("home/.vault-token", ds.token, 0600);
	settings(&s, conf);
	vs_vault_settings_clear(&s);

	/* an AppRole secret_id file, read at login */
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\nauth = approle\nrole_id_file = %s\nsecret_id_file = %s\n",
		 ds.addr, file_in_dir("rid", "some-role", 0644), file_in_dir("sid", "some-secret", 0604));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), VS_EX_NOPERM);
	ck_assert_msg(strstr(err.msg, "secret_id file") && strstr(err.msg, "chmod 600"), "%s", err.msg);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(address_ending_in_v1_is_refused_with_the_fix)
{
	vs_vault_settings s;
	vs_error err = {0};
	char conf[512];
	static char e[300];

	snprintf(conf, sizeof conf, "[vault]\naddress = %s/v1/\n", ds.addr);
	ck_assert_int_eq(settings_rc(&s, conf, &err), VS_EX_CONFIG);
	ck_assert_msg(strstr(err.msg, "ends in /v1") && strstr(err.msg, ds.addr), "%s", err.msg);
	snprintf(e, sizeof e, "VAULT_ADDR=%s/v1", ds.addr);
	envv[0] = e;
	ck_assert_int_eq(settings_rc(&s, "[vault]\n", &err), VS_EX_CONFIG);
	ck_assert_msg(strstr(err.msg, "VAULT_ADDR") && strstr(err.msg, "ends in /v1"), "%s", err.msg);
	/* only the address's path counts: a host may be called v1 */
	envv[0] = NULL;
	ck_assert_msg(settings_rc(&s, "[vault]\naddress = https://v1\n", &err) == 0, "%s", err.msg);
	vs_vault_settings_clear(&s);
	ck_assert_msg(settings_rc(&s, "[vault]\naddress = http://v1:8200/\n", &err) == 0, "%s", err.msg);
	vs_vault_settings_clear(&s);
	/* behind a load balancer's path prefix, /v1 is still one too many */
	ck_assert_int_eq(settings_rc(&s, "[vault]\naddress = https://lb.example/vault/v1\n", &err), VS_EX_CONFIG);
}
END_TEST

START_TEST(kv2_path_written_with_data_says_what_to_write)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512];
	const char *paths[] = {"secret/data/app"}, *real[] = {"secret/data/real"};

	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_MISSING);
	ck_assert_msg(strstr(sec.err, "name the secret without data/: secret/app"), "%s", sec.err);
	vs_secret_clear(&sec);
	/* a secret that really is called data/real is still read */
	ds_put_v2(&ds, "secret/data/real", "{\"k\":\"named-data\"}");
	ck_assert_int_eq(read_n(&s, real, 1, &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "named-data");
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(https_to_a_plain_http_server_says_so)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512];
	const char *paths[] = {"secret/app/one"};

	snprintf(conf, sizeof conf, "[vault]\naddress = https%s\ntoken_file = %s\n", ds.addr + 4,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_CONFIG);
	ck_assert_msg(strstr(sec.err, "plain HTTP, not TLS: write http://"), "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(data_null_from_another_engine_is_missing)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512];
	const char *paths[] = {"cubbyhole/nothing-here"};

	/* a non-KV engine's read that finds nothing it can give: 200, data null */
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"cubbyhole/nothing-here\",\"status\":200,"
				 "\"body\":\"{\\\"request_id\\\":\\\"r\\\",\\\"lease_id\\\":\\\"\\\",\\\"renewable\\\":false,"
				 "\\\"lease_duration\\\":0,\\\"data\\\":null,\\\"wrap_info\\\":null,\\\"warnings\\\":null,"
				 "\\\"auth\\\":null}\"}", NULL, NULL), 200);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), 0);
	ck_assert_str_eq(sec.engine, "generic");
	ck_assert_int_eq(sec.code, VS_EX_MISSING);
	ck_assert_msg(strstr(sec.err, "no data"), "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* a 200 without any data key is no answer Vault gives: unavailable (69),
 * not "missing" (65), so that fallback does not quietly take a default */
START_TEST(answer_without_data_is_unavailable)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512];
	const char *paths[] = {"cubbyhole/odd"};

	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"cubbyhole/odd\",\"status\":200,"
				 "\"body\":\"{\\\"request_id\\\":\\\"r\\\",\\\"warnings\\\":null}\"}", NULL, NULL), 200);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr,
		 file_in_dir("tok", ds.token, 0600));
	settings(&s, conf);
	ck_assert_int_eq(read_n(&s, paths, 1, &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_msg(strstr(sec.err, "no data object"), "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* As ssh does, a file someone else owns is taken as shared on purpose: a
 * root-owned mounted secret (Docker 0444, Kubernetes 0644) read by a program
 * that is not root, which could not chmod it. Needs root, to be both. */
START_TEST(root_owned_secret_read_by_another_user_is_accepted)
{
	vs_vault_settings s;
	vs_error err = {0};
	char conf[512];
	const char *tf;
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		fprintf(stderr, "root_owned_secret_read_by_another_user_is_accepted: needs root; not run\n");
		return;
	}
	tf = file_in_dir("mounted-secret", ds.token, 0444);
	snprintf(conf, sizeof conf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr, tf);
	/* root's own 0444 file: refused, root could chmod it */
	ck_assert_int_eq(settings_rc(&s, conf, &err), VS_EX_NOPERM);
	ck_assert_msg(strstr(err.msg, "chmod 600"), "%s", err.msg);
	/* read by nobody: taken */
	ck_assert_int_eq(chmod(dir, 0711), 0);
	if ((pid = fork()) == 0) {
		vs_error e = {0};
		vs_config *cfg = NULL;
		if (setgid(65534) || setuid(65534))
			_exit(3);
		if (vs_config_parse("/tmp/f.conf", conf, strlen(conf), tl_getenv, envv, &cfg, &e))
			_exit(4);
		if (vs_vault_settings_init(&s, cfg, tl_getenv, envv, &e)) {
			fprintf(stderr, "as nobody: %s\n", e.msg);
			_exit(1);
		}
		_exit(s.token && !strcmp(s.token, ds.token) ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);

	/* root's own 0644 file on a read-only mount (a Kubernetes secret volume,
	 * a Docker secret): no one there can chmod it, so it is taken */
	if ((pid = fork()) == 0) {
		char ro[160], path[200], cf[512];
		vs_error e = {0};
		vs_config *cfg = NULL;
		int fd;
		snprintf(ro, sizeof ro, "%s/ro", dir);
		snprintf(path, sizeof path, "%s/token", ro);
		/* mount(2) by number: internal.h has a type of that name; "none"
		 * where the kernel ignores the argument (valgrind checks it) */
		if (mkdir(ro, 0700) || unshare(CLONE_NEWNS) ||
		    syscall(SYS_mount, "none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
		    syscall(SYS_mount, "tmpfs", ro, "tmpfs", 0, "size=64k"))
			_exit(5); /* no mount namespace here */
		if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) < 0 ||
		    write(fd, ds.token, strlen(ds.token)) != (ssize_t)strlen(ds.token) || close(fd) ||
		    chmod(path, 0644) || syscall(SYS_mount, "none", ro, "none", MS_REMOUNT | MS_RDONLY, NULL))
			_exit(6);
		snprintf(cf, sizeof cf, "[vault]\naddress = %s\ntoken_file = %s\n", ds.addr, path);
		if (vs_config_parse("/tmp/f.conf", cf, strlen(cf), tl_getenv, envv, &cfg, &e))
			_exit(4);
		if (vs_vault_settings_init(&s, cfg, tl_getenv, envv, &e)) {
			fprintf(stderr, "read-only mount: %s\n", e.msg);
			_exit(1);
		}
		_exit(s.token && !strcmp(s.token, ds.token) ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 5)
		fprintf(stderr, "root_owned_secret_read_by_another_user_is_accepted: no mount namespace here; "
				"the read-only mount case was not run\n");
	else
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "read-only mount: child status %d",
			      status);
}
END_TEST

Suite *vault_fidelity_suite(void)
{
	Suite *s = suite_create("vault-fidelity");
	TCase *plain = tcase_create("mounts, tokens, hints");
	TCase *v116 = tcase_create("vault 1.16 wording");
	TCase *ent = tcase_create("namespaces");
	TCase *agent = tcase_create("agent auto-auth");
	TCase *proxy = tcase_create("proxies");

	tcase_add_unchecked_fixture(plain, plain_up, down);
	tcase_add_checked_fixture(plain, reset, NULL);
	tcase_set_timeout(plain, 30);
	tcase_add_test(plain, forbidden_mount_spares_its_neighbour);
	tcase_add_test(plain, mount_lookup_404_is_kv1_for_its_path_only);
	tcase_add_test(plain, failed_lookup_is_asked_once_per_segment);
	tcase_add_test(plain, denied_by_policy_is_not_an_invalid_token);
	tcase_add_test(plain, rate_limit_without_retry_after_outlives_the_window);
	tcase_add_test(plain, credential_files_open_to_others_are_refused);
	tcase_add_test(plain, address_ending_in_v1_is_refused_with_the_fix);
	tcase_add_test(plain, kv2_path_written_with_data_says_what_to_write);
	tcase_add_test(plain, https_to_a_plain_http_server_says_so);
	tcase_add_test(plain, data_null_from_another_engine_is_missing);
	tcase_add_test(plain, answer_without_data_is_unavailable);
	tcase_add_test(plain, root_owned_secret_read_by_another_user_is_accepted);
	tcase_add_test(plain, tokenless_to_a_server_says_why);
	suite_add_tcase(s, plain);

	tcase_add_unchecked_fixture(v116, v116_up, down);
	tcase_add_checked_fixture(v116, reset, NULL);
	tcase_set_timeout(v116, 30);
	tcase_add_test(v116, relogin_when_403_says_only_permission_denied);
	tcase_add_test(v116, token_without_default_policy_denied_is_not_invalid);
	tcase_add_test(v116, unmounted_entry_does_not_hide_an_invalid_token);
	suite_add_tcase(s, v116);

	tcase_add_unchecked_fixture(ent, ent_up, down);
	tcase_add_checked_fixture(ent, reset, NULL);
	tcase_set_timeout(ent, 30);
	tcase_add_test(ent, namespace_prefixed_mount_path_is_accepted);
	tcase_add_test(ent, unknown_namespace_is_an_error_not_kv1);
	suite_add_tcase(s, ent);

	tcase_add_unchecked_fixture(agent, agent_up, agent_down);
	tcase_add_checked_fixture(agent, reset, NULL);
	tcase_set_timeout(agent, 30);
	tcase_add_test(agent, agent_auto_auth_needs_no_token);
	suite_add_tcase(s, agent);

	tcase_add_unchecked_fixture(proxy, proxy_up, proxy_down);
	tcase_add_checked_fixture(proxy, proxy_reset, NULL);
	tcase_set_timeout(proxy, 30);
	tcase_add_test(proxy, loopback_vault_is_never_proxied);
	tcase_add_test(proxy, vault_http_proxy_carries_the_requests);
	tcase_add_test(proxy, mapped_proxy_name_never_routes_the_token);
	tcase_add_test(proxy, no_proxy_is_honoured);
	tcase_add_test(proxy, proxy_choice_rules);
	tcase_add_test(proxy, proxy_choice_odd_urls);
	tcase_add_test(proxy, process_no_proxy_never_overrides_the_choice);
	tcase_add_test(proxy, tls_server_name_does_not_decide_the_proxy);
	tcase_add_test(proxy, proxy_settings_from_the_environment);
	suite_add_tcase(s, proxy);
	return s;
}
