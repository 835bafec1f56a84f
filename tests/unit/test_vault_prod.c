/* The client in production shapes, each against the dev server: unix-socket
 * agent, TLS (CA file and dir, client certificates, server name, failures),
 * namespaces, 429 with Retry-After, a standby's 307, wrapped credentials,
 * re-login, Kubernetes and JWT logins. */
#define _GNU_SOURCE
#include "devserver.h"
#include "suites.h"
#include "testlib.h"
#include "vault/vs_vault.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static devserver ds, ds2;
static char pki[64]; /* CA, server and client certificates, made at test time */

/* Settings from a [vault] section (the address is given by the caller). */
static void settings(vs_vault_settings *s, const char *vault_section)
{
	char conf[2048];
	vs_config *cfg;
	vs_error err = {0};

	/* no environment at all (tl_getenv's NULL) */
	snprintf(conf, sizeof conf, "[vault]\n%s", vault_section);
	cfg = tl_config("/tmp/p.conf", conf, tl_getenv, NULL);
	ck_assert_msg(vs_vault_settings_init(s, cfg, tl_getenv, NULL, &err) == 0, "settings: %s", err.msg);
	vs_config_free(cfg);
}

static char tokfile[128];

/* A token file holding `token`, for configs. */
static const char *token_file(const char *token)
{
	snprintf(tokfile, sizeof tokfile, "%s/token", pki);
	tl_write_text(tokfile, token, 0600);
	return tokfile;
}

static int read1(vs_vault_settings *s, const char *path, vs_secret *sec, vs_vault_stats *st, vs_error *err)
{
	vs_vault_req req = {.path = path};
	memset(sec, 0, sizeof *sec);
	return vs_vault_read(s, &req, 1, sec, st, err);
}

/* ------------------------------------------------------------------ */
/* PKI made with openssl at test time                                  */

static void make_pki(void)
{
	char cmd[4096];

	tl_tmpdir_make(pki, sizeof pki, "vs-pki");
	snprintf(cmd, sizeof cmd,
		 "(set -e; cd %s;"
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=vaultshim-test-ca"
		 " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign;"
		 /* server: IP SAN 127.0.0.1 */
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1;"
		 "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > srv.ext;"
		 "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile srv.ext;"
		 /* server known only as vault.test: for tls_server_name */
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout named.key -out named.csr -subj /CN=vault.test;"
		 "printf 'subjectAltName=DNS:vault.test\\nextendedKeyUsage=serverAuth\\n' > named.ext;"
		 "openssl x509 -req -in named.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out named.pem -days 2 -extfile named.ext;"
		 /* client certificate */
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout cli.key -out cli.csr -subj /CN=vaultshim-client;"
		 "printf 'extendedKeyUsage=clientAuth\\n' > cli.ext;"
		 "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 2 -extfile cli.ext;"
		 "mkdir capath; cp ca.pem capath/; openssl rehash capath;"
		 "chmod 600 *.key) >/dev/null 2>&1",
		 pki);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_vault_prod: openssl could not make the test PKI\n");
		exit(99);
	}
}

static void drop_pki(void)
{
	tl_tmpdir_remove(pki);
}

/* ------------------------------------------------------------------ */
/* Vault Agent: unix socket                                            */

static void unix_up(void)
{
	static char sock[128];
	static const char *extra[3] = {"--listen", sock, NULL};

	make_pki();
	snprintf(sock, sizeof sock, "unix:%s/agent.sock", pki);
	ds_start(&ds, extra);
}

static void unix_down(void)
{
	ds_stop(&ds);
	drop_pki();
}

START_TEST(agent_unix_socket)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512];

	ck_assert_int_eq(strncmp(ds.addr, "unix://", 7), 0);
	ds_put_v2(&ds, "secret/agent/app", "{\"k\":\"through-the-agent\"}");
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\n", ds.addr, token_file(ds.token));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/agent/app", &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "through-the-agent");
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* TLS                                                                 */

static void tls_up(void)
{
	static char cert[128], key[128], ca[128];
	static const char *extra[] = {"--tls-cert", cert, "--tls-key", key, NULL};

	make_pki();
	snprintf(cert, sizeof cert, "%s/srv.pem", pki);
	snprintf(key, sizeof key, "%s/srv.key", pki);
	snprintf(ca, sizeof ca, "%s/ca.pem", pki);
	memset(&ds, 0, sizeof ds);
	snprintf(ds.ca_file, sizeof ds.ca_file, "%s", ca);
	ds_start(&ds, extra);
	ds_put_v2(&ds, "secret/tls/app", "{\"k\":\"over-tls\"}");
}

static void tls_down(void)
{
	ds_stop(&ds);
	drop_pki();
}

START_TEST(tls_with_ca_file_and_ca_dir)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[1024];

	ck_assert_int_eq(strncmp(ds.addr, "https://", 8), 0);
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\nca_cert = %s/ca.pem\n", ds.addr,
		 token_file(ds.token), pki);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/tls/app", &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "over-tls");
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\nca_path = %s/capath\n", ds.addr,
		 token_file(ds.token), pki);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/tls/app", &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(tls_untrusted_is_a_tls_failure_never_plain_http)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[1024];

	ds_call(&ds, "DELETE", "/_control/counters", NULL, NULL, NULL);
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\nmax_retries = 0\n", ds.addr, token_file(ds.token));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/tls/app", &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "TLS failure"));
	ck_assert_ptr_nonnull(strstr(sec.err, "certificate"));
	/* no request reached the HTTP layer: nothing was sent in the clear */
	ck_assert_int_eq(ds_count_total(&ds), 0);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	/* skip_verify: accepted (with a warning in the log) */
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\nskip_verify = true\n", ds.addr, token_file(ds.token));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/tls/app", &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* http:// to a TLS listener: Go's server (Vault) answers plain HTTP there
 * with 400 "Client sent an HTTP request to an HTTPS server."; the client
 * names the fix instead of printing a bare 400 */
START_TEST(http_to_an_https_server_says_so)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[1024];

	snprintf(conf, sizeof conf, "address = http%s\ntoken_file = %s\nmax_retries = 0\n", ds.addr + 5,
		 token_file(ds.token));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/tls/app", &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_CONFIG);
	ck_assert_msg(strstr(sec.err, "serves HTTPS: write https://"), "%s", sec.err);
	ck_assert_ptr_null(strstr(sec.err, ds.token));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

static void tls_named_up(void)
{
	static char cert[128], key[128], cca[128];
	static const char *extra[] = {"--tls-cert", cert, "--tls-key", key, "--tls-client-ca", cca, NULL};

	make_pki();
	snprintf(cert, sizeof cert, "%s/named.pem", pki);
	snprintf(key, sizeof key, "%s/named.key", pki);
	snprintf(cca, sizeof cca, "%s/ca.pem", pki);
	memset(&ds, 0, sizeof ds);
	/* the harness itself reaches the server by IP: trust it through the name pin */
	snprintf(ds.ca_file, sizeof ds.ca_file, "%s/ca.pem", pki);
	snprintf(ds.client_cert, sizeof ds.client_cert, "%s/cli.pem", pki);
	snprintf(ds.client_key, sizeof ds.client_key, "%s/cli.key", pki);
	ds_start(&ds, extra);
}

START_TEST(tls_server_name_and_client_certificate)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[1536];
	const char *tf = token_file(ds.token);

	/* the certificate names vault.test only; the address is an IP */
	snprintf(conf, sizeof conf,
		 "address = %s\ntoken_file = %s\nca_cert = %s/ca.pem\nclient_cert = %s/cli.pem\n"
		 "client_key = %s/cli.key\ntls_server_name = vault.test\n", ds.addr, tf, pki, pki, pki);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/none", &sec, NULL, &err), 0);
	/* 404 proves the TLS session (name check and client certificate) succeeded */
	ck_assert_msg(sec.code == VS_EX_MISSING, "%s", sec.err);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	/* without tls_server_name the name check fails */
	snprintf(conf, sizeof conf,
		 "address = %s\ntoken_file = %s\nca_cert = %s/ca.pem\nclient_cert = %s/cli.pem\n"
		 "client_key = %s/cli.key\nmax_retries = 0\n", ds.addr, tf, pki, pki, pki);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/none", &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(sec.err, "TLS failure"));
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	/* without the client certificate the server refuses the handshake */
	snprintf(conf, sizeof conf,
		 "address = %s\ntoken_file = %s\nca_cert = %s/ca.pem\ntls_server_name = vault.test\nmax_retries = 0\n",
		 ds.addr, tf, pki);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/none", &sec, NULL, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* plain-HTTP cases: namespace, Retry-After, redirects, logins         */

static void plain_up(void)
{
	make_pki();
	ds_start(&ds, NULL);
}

static void plain_down(void)
{
	ds_stop(&ds);
	drop_pki();
}

static void reset(void)
{
	ds_reset(&ds);
	ds_call(&ds, "DELETE", "/_control/requests", NULL, NULL, NULL);
}

START_TEST(namespace_header_is_sent)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512], *body = NULL;
	cJSON *log, *e;
	int with_ns = 0, total = 0;

	ds_put_v2(&ds, "secret/ns/app", "{\"k\":\"v\"}");
	ds_call(&ds, "DELETE", "/_control/requests", NULL, NULL, NULL);
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\nnamespace = team-a/\n", ds.addr,
		 token_file(ds.token));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/ns/app", &sec, NULL, &err), 0);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	ck_assert_int_eq(ds_call(&ds, "GET", "/_control/requests", NULL, NULL, &body), 200);
	log = cJSON_Parse(body);
	free(body);
	cJSON_ArrayForEach(e, log) {
		const char *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "namespace"));
		total++;
		with_ns += ns && !strcmp(ns, "team-a/");
	}
	cJSON_Delete(log);
	ck_assert_int_eq(total, 2); /* mount lookup + read */
	ck_assert_int_eq(with_ns, total);
}
END_TEST

START_TEST(rate_limited_429_honours_retry_after)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_stats st;
	vs_error err = {0};
	char conf[512];
	double t0;

	ds_put_v2(&ds, "secret/limited", "{\"k\":\"after-the-wait\"}");
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/limited\",\"status\":429,\"retry_after\":1,\"count\":1}",
				 NULL, NULL), 200);
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\ntimeout = 5s\n", ds.addr, token_file(ds.token));
	settings(&s, conf);
	t0 = vs_now_ms();
	ck_assert_int_eq(read1(&s, "secret/limited", &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "after-the-wait");
	ck_assert_int_eq(st.retries, 1);
	/* the client waited the second the server asked for, not its own 100 ms */
	ck_assert_double_ge(vs_now_ms() - t0, 1000);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
}
END_TEST

START_TEST(standby_307_is_followed_once)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512], standby_of[300];
	const char *extra[] = {"--standby-of", standby_of, "--no-forwarding", NULL};

	ds_put_v2(&ds, "secret/ha/app", "{\"k\":\"from-the-active-node\"}");
	ds_call(&ds, "DELETE", "/_control/counters", NULL, NULL, NULL);
	snprintf(standby_of, sizeof standby_of, "%s", ds.addr);
	ds_start(&ds2, extra);
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\n", ds2.addr, token_file(ds.token));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/ha/app", &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "from-the-active-node");
	ck_assert_int_eq(ds_count(&ds2, "GET secret/data/ha/app"), 1);
	ck_assert_int_eq(ds_count(&ds, "GET secret/data/ha/app"), 1);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	ds_stop(&ds2);
}
END_TEST

START_TEST(standby_307_is_not_followed_twice)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512], to_self[300];
	const char *extra[] = {"--standby-of", to_self, "--no-forwarding", NULL};

	/* a standby pointing at another standby: one hop only, then the 307 stands */
	snprintf(to_self, sizeof to_self, "%s", ds.addr);
	ds_start(&ds2, extra);
	snprintf(to_self, sizeof to_self, "%s", ds2.addr);
	{
		devserver ds3;
		const char *extra3[] = {"--standby-of", to_self, "--no-forwarding", NULL};
		ds_start(&ds3, extra3);
		snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\nmax_retries = 0\n", ds3.addr,
			 token_file(ds.token));
		settings(&s, conf);
		ck_assert_int_eq(read1(&s, "secret/ha/app", &sec, NULL, &err), 0);
		ck_assert_int_eq(sec.code, VS_EX_UNAVAILABLE);
		ck_assert_ptr_nonnull(strstr(sec.err, "HTTP 307"));
		vs_secret_clear(&sec);
		vs_vault_settings_clear(&s);
		ds_stop(&ds3);
	}
	ds_stop(&ds2);
}
END_TEST

START_TEST(https_to_http_redirect_withholds_the_token)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[1024], standby_of[300], cert[128], key[128], *body = NULL;
	const char *extra[] = {"--standby-of", standby_of, "--no-forwarding", "--tls-cert", cert, "--tls-key", key, NULL};
	cJSON *log, *e;
	int seen = 0;

	snprintf(standby_of, sizeof standby_of, "%s", ds.addr);
	snprintf(cert, sizeof cert, "%s/srv.pem", pki);
	snprintf(key, sizeof key, "%s/srv.key", pki);
	memset(&ds2, 0, sizeof ds2);
	snprintf(ds2.ca_file, sizeof ds2.ca_file, "%s/ca.pem", pki);
	ds_start(&ds2, extra);
	ds_call(&ds, "DELETE", "/_control/requests", NULL, NULL, NULL);
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\nca_cert = %s/ca.pem\nkv_version = 2\n",
		 ds2.addr, token_file(ds.token), pki);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/ha/app", &sec, NULL, &err), 0);
	/* the active node saw the request, without a token: 403 */
	ck_assert_int_eq(sec.code, VS_EX_NOPERM);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	ck_assert_int_eq(ds_call(&ds, "GET", "/_control/requests", NULL, NULL, &body), 200);
	log = cJSON_Parse(body);
	free(body);
	cJSON_ArrayForEach(e, log) {
		seen++;
		ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "has_token")));
	}
	cJSON_Delete(log);
	/* the read, and the token's own lookup-self after its 403: neither with the token */
	ck_assert_int_ge(seen, 1);
	ds_stop(&ds2);
}
END_TEST

/* AppRole role "web" whose policy "app" reads under secret/data/app/; returns role_id. */
static char *approle_setup(void)
{
	char *rid;

	ds_put_v2(&ds, "secret/app/prod", "{\"k\":\"approle-secret\"}");
	ds_policy(&ds, "app", "path \"secret/data/app/*\" { capabilities = [\"read\"] }");
	ds_approle(&ds, "web", "{\"token_policies\":[\"app\"]}", &rid, NULL);
	return rid;
}

/* POSTs body to path with X-Vault-Wrap-TTL (through curl's command line: the
 * harness has no header hook) and returns the wrapping token. */
static char *wrapped_post(const char *path, const char *body)
{
	char cmd[1024], out[256] = "";
	FILE *f;

	snprintf(cmd, sizeof cmd,
		 "curl -s -X POST -H 'X-Vault-Token: %s' -H 'X-Vault-Wrap-TTL: 300' -d '%s' "
		 "%s/v1/%s | python3 -c "
		 "'import json,sys; print(json.load(sys.stdin)[\"wrap_info\"][\"token\"])'",
		 ds.token, body, ds.addr, path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(out, sizeof out, f));
	pclose(f);
	out[strcspn(out, "\n")] = '\0';
	ck_assert_int_gt(strlen(out), 8);
	return strdup(out);
}

START_TEST(approle_wrapped_secret_id)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_stats st;
	vs_error err = {0};
	char conf[1024], rid_path[128], sid_path[128];
	char *rid = approle_setup(), *wrap = wrapped_post("auth/approle/role/web/secret-id", "{}");

	snprintf(rid_path, sizeof rid_path, "%s/role-id", pki);
	snprintf(sid_path, sizeof sid_path, "%s/secret-id", pki);
	tl_write_text(rid_path, rid, 0600);
	tl_write_text(sid_path, wrap, 0600);
	snprintf(conf, sizeof conf,
		 "address = %s\nauth = approle\nrole_id_file = %s\nsecret_id_file = %s\nsecret_id_wrapped = yes\n",
		 ds.addr, rid_path, sid_path);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/app/prod", &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "approle-secret");
	ck_assert_int_eq(ds_count(&ds, "POST sys/wrapping/unwrap"), 1);
	vs_secret_clear(&sec);

	/* a wrapping token works once: the second unwrap is refused, clearly */
	ck_assert_int_eq(read1(&s, "secret/app/prod", &sec, &st, &err), VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "unwrapping the secret_id"));
	ck_assert_ptr_null(strstr(err.msg, wrap));
	vs_vault_settings_clear(&s);
	free(rid);
	free(wrap);
}
END_TEST

START_TEST(wrapped_token)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_error err = {0};
	char conf[512], *wrap;

	ds_put_v2(&ds, "secret/wt/app", "{\"k\":\"via-wrapped-token\"}");
	wrap = wrapped_post("auth/token/create", "{\"policies\":[\"root\"]}");
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\ntoken_wrapped = yes\n", ds.addr, token_file(wrap));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/wt/app", &sec, NULL, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "via-wrapped-token");
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	free(wrap);
}
END_TEST

START_TEST(relogin_after_the_token_is_invalidated)
{
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_stats st;
	vs_error err = {0};
	char conf[1024], rid_path[128], sid_path[128], *body = NULL, *sid;
	char *rid = approle_setup();

	ck_assert_int_eq(ds_call(&ds, "POST", "/v1/auth/approle/role/web/secret-id", "{}", ds.token, &body), 200);
	sid = ds_json_get(body, "data", "secret_id");
	free(body);
	snprintf(rid_path, sizeof rid_path, "%s/role-id", pki);
	snprintf(sid_path, sizeof sid_path, "%s/secret-id", pki);
	tl_write_text(rid_path, rid, 0600);
	tl_write_text(sid_path, sid, 0600);
	/* the first read finds its login token revoked, as Vault words it */
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/app/prod\",\"status\":403,\"count\":1,"
				 "\"body\":\"{\\\"errors\\\":[\\\"2 errors occurred:\\\\n\\\\t* permission denied\\\\n\\\\t* invalid token\\\\n\\\\n\\\"]}\"}",
				 NULL, NULL), 200);
	snprintf(conf, sizeof conf, "address = %s\nauth = approle\nrole_id_file = %s\nsecret_id_file = %s\n",
		 ds.addr, rid_path, sid_path);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/app/prod", &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "approle-secret");
	ck_assert_int_eq(st.logins, 2);
	ck_assert_int_eq(ds_count(&ds, "POST auth/approle/login"), 2);
	vs_secret_clear(&sec);

	/* with token auth there is nothing to log in with: the 403 stands */
	vs_vault_settings_clear(&s);
	ck_assert_int_eq(ds_call(&ds, "POST", "/_control/faults",
				 "{\"path\":\"secret/data/app/prod\",\"status\":403,\"count\":1,"
				 "\"body\":\"{\\\"errors\\\":[\\\"2 errors occurred:\\\\n\\\\t* permission denied\\\\n\\\\t* invalid token\\\\n\\\\n\\\"]}\"}",
				 NULL, NULL), 200);
	snprintf(conf, sizeof conf, "address = %s\ntoken_file = %s\n", ds.addr, token_file(ds.token));
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/app/prod", &sec, &st, &err), 0);
	ck_assert_int_eq(sec.code, VS_EX_NOPERM);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);
	free(rid);
	free(sid);
}
END_TEST

START_TEST(kubernetes_and_jwt_logins)
{
	static const char k8s_jwt[] =
		"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lz"
		"dGVtOnNlcnZpY2VhY2NvdW50OnNob3A6d2ViIiwia3ViZXJuZXRlcy5pbyI6eyJuYW1lc3BhY2UiOiJzaG9wIiwic2Vydmlj"
		"ZWFjY291bnQiOnsibmFtZSI6IndlYiIsInVpZCI6IjRmMWMifX19.c2ln";
	static const char ci_jwt[] =
		"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjaS1ydW5uZXIiLCJhdWQiOiJ2YXVsdCJ9.c2ln";
	vs_vault_settings s;
	vs_secret sec;
	vs_vault_stats st;
	vs_error err = {0};
	char conf[1024], jwt_path[128];
	char *rid = approle_setup(); /* for the policy and the secret */

	free(rid);
	ds_call(&ds, "POST", "/v1/sys/auth/k8s-prod", "{\"type\":\"kubernetes\"}", ds.token, NULL);
	ck_assert_int_eq(ds_call(&ds, "POST", "/v1/auth/k8s-prod/role/shop-web",
				 "{\"bound_service_account_names\":[\"web\"],\"bound_service_account_namespaces\":[\"shop\"],"
				 "\"token_policies\":[\"app\"]}", ds.token, NULL) / 100, 2);
	snprintf(jwt_path, sizeof jwt_path, "%s/sa-token", pki);
	tl_write_text(jwt_path, k8s_jwt, 0600);
	snprintf(conf, sizeof conf, "address = %s\nauth = kubernetes\nauth_mount = k8s-prod\nrole = shop-web\njwt_file = %s\n",
		 ds.addr, jwt_path);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/app/prod", &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_str_eq(vs_secret_field(&sec, "k"), "approle-secret");
	ck_assert_int_eq(ds_count(&ds, "POST auth/k8s-prod/login"), 1);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	ds_call(&ds, "POST", "/v1/sys/auth/jwt", "{\"type\":\"jwt\"}", ds.token, NULL);
	ck_assert_int_eq(ds_call(&ds, "POST", "/v1/auth/jwt/role/ci",
				 "{\"role_type\":\"jwt\",\"user_claim\":\"sub\",\"bound_audiences\":[\"vault\"],"
				 "\"token_policies\":[\"app\"]}", ds.token, NULL) / 100, 2);
	tl_write_text(jwt_path, ci_jwt, 0600);
	snprintf(conf, sizeof conf, "address = %s\nauth = jwt\nrole = ci\njwt_file = %s\n", ds.addr, jwt_path);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/app/prod", &sec, &st, &err), 0);
	ck_assert_msg(sec.code == 0, "%s", sec.err);
	ck_assert_int_eq(ds_count(&ds, "POST auth/jwt/login"), 1);
	vs_secret_clear(&sec);
	vs_vault_settings_clear(&s);

	/* a role the service account is not bound to: refused, as a permission problem */
	snprintf(conf, sizeof conf, "address = %s\nauth = jwt\nrole = nosuchrole\njwt_file = %s\n", ds.addr, jwt_path);
	settings(&s, conf);
	ck_assert_int_eq(read1(&s, "secret/app/prod", &sec, &st, &err), VS_EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "jwt login"));
	ck_assert_ptr_null(strstr(err.msg, ci_jwt));
	vs_vault_settings_clear(&s);
}
END_TEST

Suite *vault_prod_suite(void)
{
	Suite *s = suite_create("vault-production");
	TCase *agent = tcase_create("agent socket");
	TCase *tls = tcase_create("tls");
	TCase *tls_named = tcase_create("tls server name, client cert");
	TCase *plain = tcase_create("namespaces, retries, redirects, logins");

	tcase_add_unchecked_fixture(agent, unix_up, unix_down);
	tcase_set_timeout(agent, 20);
	tcase_add_test(agent, agent_unix_socket);
	suite_add_tcase(s, agent);

	tcase_add_unchecked_fixture(tls, tls_up, tls_down);
	tcase_set_timeout(tls, 20);
	tcase_add_test(tls, tls_with_ca_file_and_ca_dir);
	tcase_add_test(tls, tls_untrusted_is_a_tls_failure_never_plain_http);
	tcase_add_test(tls, http_to_an_https_server_says_so);
	suite_add_tcase(s, tls);

	tcase_add_unchecked_fixture(tls_named, tls_named_up, tls_down);
	tcase_set_timeout(tls_named, 20);
	tcase_add_test(tls_named, tls_server_name_and_client_certificate);
	suite_add_tcase(s, tls_named);

	tcase_add_unchecked_fixture(plain, plain_up, plain_down);
	tcase_add_checked_fixture(plain, reset, NULL);
	tcase_set_timeout(plain, 30);
	tcase_add_test(plain, namespace_header_is_sent);
	tcase_add_test(plain, rate_limited_429_honours_retry_after);
	tcase_add_test(plain, standby_307_is_followed_once);
	tcase_add_test(plain, standby_307_is_not_followed_twice);
	tcase_add_test(plain, https_to_http_redirect_withholds_the_token);
	tcase_add_test(plain, approle_wrapped_secret_id);
	tcase_add_test(plain, wrapped_token);
	tcase_add_test(plain, relogin_after_the_token_is_invalidated);
	tcase_add_test(plain, kubernetes_and_jwt_logins);
	suite_add_tcase(s, plain);
	return s;
}
